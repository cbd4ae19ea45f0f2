#include "app/gui/LessonDirector.h"

#include <QAbstractItemModel>
#include <QDir>
#include <QFileInfo>
#include <QItemSelectionModel>
#include <QPushButton>
#include <QTableView>

#include "app/common/DemoAssets.h"
#include "app/gui/AllocationDocument.h"
#include "app/gui/AllocationPanel.h"
#include "app/gui/GridPlayground.h"
#include "app/gui/MainWindow.h"
#include "app/gui/RunPanel.h"
#include "app/lessons/LessonRequest.h"
#include "widgets/LayerTableModel.h"

namespace roundlab::app {

namespace {

const char* exportSuffix(const QString& kind) {
  if (kind == "torchscript") return ".pt";
  if (kind == "h5") return ".h5";
  if (kind == "encodings") return ".json";
  return ".csv";
}

}  // namespace

LessonDirector::LessonDirector(MainWindow* window) : QObject(window), window_(window) {}

QString LessonDirector::outputFolder(const QString& sessionsFolder) { return QDir(sessionsFolder).filePath("lessons"); }

bool LessonDirector::start(const LessonStep& step) {
  if (busy_) return false;
  step_ = step;
  index_ = 0;
  ++generation_;
  busy_ = true;
  Q_EMIT started(step.label);
  static const QStringList jobs{"start_run", "estimate_importance", "quantize_allocation", "export"};
  for (const LessonAction& a : step.actions)
    if ((jobs.contains(a.kind) || (a.kind == "open_demo" && !demoOpen(a.value.toString()))) && window_->jobRunning()) {
      fail("A job is running: wait for it or cancel it (Esc), then press Show me again.");
      return true;
    }
  next();
  return true;
}

bool LessonDirector::demoOpen(const QString& which) const {
  const DemoAssets demo = findDemoAssets();
  const ModelSnapshot* s = window_->snapshot();
  return s && !demo.dir.isEmpty() &&
         QFileInfo(QString::fromStdString(s->path)).canonicalFilePath() ==
             QFileInfo(which == "transformer" ? demo.transformer : demo.resnet).canonicalFilePath();
}

void LessonDirector::stop() { fail("Stopped. A job the step started goes on (Esc cancels it)."); }

void LessonDirector::disconnectWaits() {
  for (const QMetaObject::Connection& c : waits_) disconnect(c);
  waits_.clear();
}

void LessonDirector::fail(const QString& message) {
  if (!busy_) return;  // failed already
  disconnectWaits();
  busy_ = false;
  Q_EMIT finished(false, message);
}

template <typename Signal>
void LessonDirector::waitFor(Signal done) {
  waits_ << connect(window_, done, this, [this] {
    disconnectWaits();
    ++index_;
    // After the window's own slots; only if no other step started meanwhile.
    QMetaObject::invokeMethod(
        this,
        [this, generation = generation_] {
          if (generation == generation_ && busy_) next();
        },
        Qt::QueuedConnection);
  });
  waits_ << connect(window_, &MainWindow::jobFailed, this, [this](const QString& m, bool) { fail(m); });
  waits_ << connect(window_, &MainWindow::loadFailed, this, [this](const QString& m) { fail(m); });
  // A job that stopped to ask how to read a data file: the step ends; the answer repeats the job.
  waits_ << connect(window_, &MainWindow::normalizationAsked, this,
                    [this](const QString&, const QString& m) { fail("The job stopped to ask about the data: " + m); });
}

void LessonDirector::next() {
  try {
    perform();
  } catch (const std::exception& e) {  // a setting the engine refuses
    fail(QString::fromUtf8(e.what()));
  }
}

void LessonDirector::perform() {
  for (; index_ < step_.actions.size(); ++index_) {
    const LessonAction& a = step_.actions[index_];
    const QString text = a.value.toString();
    if (a.kind != "open_demo" && a.kind != "view" && !window_->snapshot()) return fail("Open the demo first.");
    if (a.kind == "open_demo") {
      if (findDemoAssets().dir.isEmpty()) return fail("The bundled demo was not found (share/roundlab/demo).");
      if (demoOpen(text)) continue;  // its runs stay
      if (window_->jobRunning())
        return fail("A job is running: wait for it or cancel it (Esc), then press Show me again.");
      waitFor(&MainWindow::modelLoaded);
      window_->openDemo(text == "transformer" ? MainWindow::Demo::Transformer : MainWindow::Demo::ResidualCnn);
      // Not loading: the user kept the results of the open model (Cancel), or the file is missing.
      if (busy_ && !waits_.isEmpty() && !window_->jobRunning())
        return fail("The demo was not opened (yet): press Show me again once it is open.");
      return;
    } else if (a.kind == "view") {
      QWidget* view = window_->viewNamed(text);
      if (!view) return fail("No view " + text + ".");
      window_->showView(view);
    } else if (a.kind == "select_layer") {
      if (!window_->selectLayer(text)) return fail("The layer table shows no layer " + text + " (is it filtered?).");
    } else if (a.kind == "run_form") {
      window_->runPanel()->setRequest(lessonRequest(a.value.toObject()));
    } else if (a.kind == "playground") {
      window_->playground()->apply(lessonGridConfig(a.value.toObject()), lessonGridSource(a.value.toObject()));
    } else if (a.kind == "budget") {
      if (!window_->allocation()->ready()) return fail("Estimate the importance first.");
      window_->allocation()->autoAllocate(a.value.toDouble());
    } else {  // the actions that start a job
      if (window_->jobRunning())
        return fail("A job is running: wait for it or cancel it (Esc), then press Show me again.");
      if (a.kind == "start_run") {
        waitFor(&MainWindow::quantized);
        window_->startQuantization(window_->runPanel()->request());
      } else if (a.kind == "estimate_importance") {
        if (window_->allocation()->ready()) continue;  // estimated already for this model
        waitFor(&MainWindow::importanceReady);
        window_->estimateImportance();
      } else if (a.kind == "quantize_allocation") {
        if (!window_->allocationPanel()->quantizeButton()->isEnabled()) return fail("Estimate the importance first.");
        waitFor(&MainWindow::quantized);
        window_->allocationPanel()->quantizeButton()->click();
      } else if (a.kind == "export") {
        const RunRecord* run = window_->lastRun();
        if (!run) return fail("Quantize the model first: the lessons' Show me buttons start runs.");
        const QString dir = outputFolder(window_->preferences().sessionDirectory());
        QDir().mkpath(dir);
        const QString base = QFileInfo(QString::fromStdString(window_->snapshot()->path)).completeBaseName();
        waitFor(&MainWindow::exported);
        window_->exportTo(exportKindTable().parse(text.toStdString()),
                          QDir(dir).filePath(QString("%1-run%2%3").arg(base).arg(run->number).arg(exportSuffix(text))));
      }
      if (busy_ && waits_.size() && !window_->jobRunning())
        return fail("The job could not start: the status bar says why.");
      return;
    }
  }
  busy_ = false;
  Q_EMIT finished(true, "Done: " + step_.label + ".");
}

}  // namespace roundlab::app
