#include "app/gui/ScreenshotTour.h"

#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QDockWidget>
#include <QFile>
#include <QLineEdit>
#include <QPushButton>
#include <QSlider>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>

#include "app/gui/AllocationPanel.h"
#include "app/gui/ExperimentPanel.h"
#include "app/gui/LessonsPanel.h"
#include "app/gui/MainWindow.h"
#include "app/gui/RunPanel.h"
#include "widgets/RoundingFlipsView.h"
#include "widgets/WeightHistogramView.h"

namespace roundlab::app {

ScreenshotTour::ScreenshotTour(MainWindow* window, QString directory, bool presentation)
    : QObject(window), window_(window), dir_(std::move(directory)), presentation_(presentation) {}

void ScreenshotTour::start() {
  QDir().mkpath(dir_);
  connect(window_, &MainWindow::modelLoaded, this, [this] {
    QuantizationRequest r = RunPanel::referenceRequest();
    r.method = QuantMethod::AdaRound;
    r.weights.bits = 3;
    r.adaround.iterations = 200;
    r.calibrationCount = 256;
    window_->runPanel()->setRequest(r);
    window_->startQuantization(r);
  });
  // First run: AdaRound at 3 bits; then importance by two estimators; then a second run at a
  // 3-bit mixed-precision allocation, so the Evaluate view compares two runs; then an experiment
  // crossing widths and methods, for the Experiments view's heat map.
  connect(window_, &MainWindow::quantized, this, [this] {
    if (++runs_ == 1) {
      window_->estimateImportance();
      return;
    }
    ExperimentPanel* experiments = window_->experimentPanel();
    experiments->kindBox()->setCurrentIndex(experiments->kindBox()->findData(static_cast<int>(ExperimentKind::Grid)));
    experiments->axisBox(0)->setCurrentText("wbits");
    experiments->valuesEdit(0)->setText("4,3,2");
    experiments->axisBox(1)->setCurrentText("method");
    experiments->valuesEdit(1)->setText("rtn,adaround,brecq");
    experiments->runButton()->click();
  });
  connect(window_, &MainWindow::experimentFinished, this,
          [this] { QTimer::singleShot(300, this, [this] { saveViews(); }); });
  connect(window_, &MainWindow::importanceReady, this, [this] {
    if (++estimates_ == 1) {
      auto* estimator = window_->allocationPanel()->findChild<QComboBox*>("estimator");
      estimator->setCurrentIndex(estimator->findData(static_cast<int>(ImportanceEstimator::Hessian)));
      window_->estimateImportance();
      return;
    }
    window_->allocationPanel()->budgetSlider()->setValue(300);  // an allocation at 3 bits on average
    window_->allocationPanel()->quantizeButton()->click();
  });
  auto fail = [](const QString& message) {
    qCritical("screenshot tour failed: %s", qPrintable(message));
    QApplication::exit(1);
  };
  connect(window_, &MainWindow::loadFailed, this, fail);
  connect(window_, &MainWindow::jobFailed, this, [fail](const QString& m, bool) { fail(m); });
  // The first start's welcome page, then the demo.
  window_->showWelcome();
  QTimer::singleShot(500, this, [this] {
    window_->grab().save(dir_ + "/welcome.png");
    window_->openDemo();
  });
}

void ScreenshotTour::saveViews() {
  // A mid-network conv layer shows a full flip map and a many-level grid.
  window_->selectLayer("layer2.0.conv2");
  shootEveryView(dir_);
  window_->showView(window_->histogram());
  QApplication::processEvents();
  window_->grab().save(dir_ + "/main-window.png");
  // The lessons dock beside the view its lesson uses: learned rounding, on Rounding flips.
  auto shootLessons = [this](const QString& dir) {
    window_->showLessons();
    window_->lessonsPanel()->setCurrentLesson(2);
    window_->showView(window_->flipsView());
    QApplication::processEvents();
    window_->grab().save(dir + "/lessons.png");
    window_->findChild<QDockWidget*>("lessonsDock")->hide();
  };
  shootLessons(dir_);
  if (presentation_) {
    window_->setPresentationMode(true);
    QDir().mkpath(dir_ + "/presentation");
    shootEveryView(dir_ + "/presentation");
    window_->setPresentationMode(false);
  }
  // Not quit(): that closes the window, which would ask to save the run. Nor leave the tour's
  // run as an autosave, which the next start would offer to recover.
  QFile::remove(MainWindow::autosavePath());
  QApplication::exit(0);
}

void ScreenshotTour::shootEveryView(const QString& dir) {
  QTabWidget* views = window_->views();
  for (int i = 0; i < views->count(); ++i) {
    views->setCurrentIndex(i);
    QApplication::processEvents();
    window_->grab().save(dir + "/" + views->tabText(i).toLower().replace(' ', '-') + ".png");
  }
}

}  // namespace roundlab::app
