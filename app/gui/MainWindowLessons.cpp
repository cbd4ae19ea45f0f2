// The main window's lessons: the Lessons dock (Help ▸ Lessons), its "Show me" steps performed by
// LessonDirector on this window, the facts its exercises are checked against, and File ▸ Export
// handout.
#include <QDate>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMessageBox>
#include <QTabWidget>

#include <algorithm>

#include "app/common/DemoAssets.h"
#include "app/gui/AllocationPanel.h"
#include "app/gui/GridPlayground.h"
#include "app/gui/HandoutWriter.h"
#include "app/gui/JobController.h"
#include "app/gui/LessonDirector.h"
#include "app/gui/LessonsPanel.h"
#include "app/gui/MainWindow.h"
#include "app/gui/RunPanel.h"
#include "engine/core/Runtime.h"
#include "widgets/ImportanceView.h"
#include "widgets/LogConsole.h"
#include "widgets/QCustomPlotInclude.h"
#include "widgets/RoundingFlipsView.h"
#include "widgets/RoundingTraceView.h"
#include "widgets/RunComparisonView.h"
#include "widgets/WeightHistogramView.h"

namespace roundlab::app {

void MainWindow::buildLessons() {
  lessons_ = new LessonsPanel;
  director_ = new LessonDirector(this);
  lessons_->setFacts([this] { return lessonFacts(); });
  const QString dir = findLessons();
  if (dir.isEmpty() || !lessons_->load(dir)) {
    const QString why =
        dir.isEmpty() ? QString("the bundled lessons were not found (share/roundlab/lessons)") : lessons_->loadError();
    log_->log(widgets::LogConsole::Warning, "Help ▸ Lessons is empty: " + why);
  }
  QDockWidget* dock = addDock("Lessons", "lessonsDock", lessons_, Qt::RightDockWidgetArea);
  // Where the properties are on the right (wide screens), the lessons share their place as a tab
  // and get the whole height; on narrower screens the right side is theirs alone.
  auto* properties = findChild<QDockWidget*>("propertiesDock");
  if (properties && dockWidgetArea(properties) == Qt::RightDockWidgetArea) tabifyDockWidget(properties, dock);
  dock->hide();  // until Help ▸ Lessons; then as the user leaves it
  dock->setProperty("hiddenByDefault", true);
  connect(lessons_, &LessonsPanel::showMeRequested, this,
          [this](int lesson, int step) { director_->start(lessons_->book().lessons[lesson].steps[step]); });
  connect(lessons_, &LessonsPanel::stopRequested, director_, &LessonDirector::stop);
  connect(director_, &LessonDirector::started, lessons_, &LessonsPanel::stepStarted);
  connect(director_, &LessonDirector::finished, lessons_, &LessonsPanel::stepEnded);
  connect(director_, &LessonDirector::finished, this, [this](bool ok, const QString& message) {
    if (!ok) log_->log(widgets::LogConsole::Warning, "Lesson: " + message);
  });
}

void MainWindow::showLessons() {
  auto* dock = findChild<QDockWidget*>("lessonsDock");
  const bool wasHidden = dock->isHidden();
  dock->show();
  dock->raise();
  // Wide enough to read a paragraph, never more than a third of the window.
  const int readable = std::min(lessons_->fontMetrics().averageCharWidth() * 48, width() / 3);
  if (wasHidden && dock->width() < readable) resizeDocks({dock}, {readable}, Qt::Horizontal);
  lessons_->setFocus();
}

bool MainWindow::jobRunning() const { return jobs_->running() || loading_; }

QWidget* MainWindow::viewNamed(const QString& name) const {
  if (name == "weights") return histogram_;
  if (name == "grid") return playground_;
  if (name == "flips") return flips_;
  if (name == "learning") return trace_;
  if (name == "importance") return importance_;
  if (name == "run") return run_;
  if (name == "mixed") return allocationPanel_;
  if (name == "evaluate") return compare_;
  for (int i = 0; i < tabs_->count(); ++i)
    if (tabs_->tabText(i).compare(name, Qt::CaseInsensitive) == 0) return tabs_->widget(i);
  return nullptr;
}

LessonFacts MainWindow::lessonFacts() const {
  LessonFacts f;
  f.snapshot = snapshot_.get();
  f.shown = report_.get();
  f.runs = &history_;
  f.paretoFront = &allocationPanel_->paretoFront();
  f.exports = exportedKinds_;
  return f;
}

QString MainWindow::proposedHandoutPath() const {
  return QDir(LessonDirector::outputFolder(preferences_.sessionDirectory())).filePath("roundlab-handout.pdf");
}

void MainWindow::chooseHandoutFile() {
  // The suffix is added before the dialog asks about overwriting, not after.
  QFileDialog dialog(this, "Export handout (a PDF, and an HTML file of the same name beside it)", proposedHandoutPath(),
                     "PDF (*.pdf)");
  dialog.setAcceptMode(QFileDialog::AcceptSave);
  dialog.setDefaultSuffix("pdf");
  if (dialog.exec() != QDialog::Accepted || dialog.selectedFiles().isEmpty()) return;
  QString error;
  if (exportHandout(dialog.selectedFiles().first(), &error)) return;
  log_->log(widgets::LogConsole::Error, "Could not export the handout: " + error);
  if (!qEnvironmentVariableIsSet("ROUNDLAB_NO_DIALOGS")) QMessageBox::warning(this, "Export handout", error);
}

bool MainWindow::exportHandout(const QString& pdfPath, QString* error) {
  const LessonBook& book = lessons_->book();
  if (book.lessons.isEmpty()) {
    *error = "there are no lessons to write (" + lessons_->loadError() + ")";
    return false;
  }
  Handout h;
  h.title = book.title;
  h.subtitle = QString("RoundLab %1 · %2%3")
                   .arg(QString::fromStdString(libraryVersions().roundlab),
                        QLocale::c().toString(QDate::currentDate(), "d MMMM yyyy"),
                        snapshot_ ? " · " + QFileInfo(QString::fromStdString(snapshot_->path)).fileName() : QString());
  for (const Lesson& l : book.lessons) {
    HandoutSection s;
    s.title = l.title;
    s.markdown = l.markdown;
    s.lessonDir = book.dir;
    for (const LessonExercise& e : l.exercises) s.exercises.push_back({e.question, LessonsPanel::solvedAnswer(l, e)});
    // The lesson's views as they are now; a plot that says what to do (empty) is left out.
    for (const QString& view : l.handoutPlots)
      if (QWidget* w = viewNamed(view))
        for (QCustomPlot* plot : w->findChildren<QCustomPlot*>()) {
          auto* hint = plot->findChild<QLabel*>("emptyPlotHint");
          if (plot->isEnabled() && (!hint || hint->isHidden()) && plot->plottableCount() > 0) s.plots << plot;
        }
    h.sections.push_back(s);
  }
  // A language model's runs: perplexity (lower is better) where image models have top-1.
  const bool lm = std::any_of(history_.begin(), history_.end(), [](const RunPtr& r) {
    return r->evaluated && r->evaluation.languageModel() && r->evaluation.hasLabels;
  });
  h.runHeader = lm ? QStringList{"Run", "Settings", "Perplexity", "Δ vs FP", "Seconds"}
                   : QStringList{"Run", "Settings", "Top-1 %", "Δ vs FP (points)", "Seconds"};
  for (const RunPtr& run : history_) {
    const EvalReport& e = run->evaluation;
    const bool perplexity = lm && run->evaluated && e.languageModel() && e.hasLabels;
    const double value = perplexity ? e.perplexity() : run->top1();
    const double fp = perplexity ? (e.hasReference ? e.referencePerplexity() : -1) : run->top1Fp();
    h.runRows.push_back({QString::fromStdString(run->label()), QString::fromStdString(run->settingsLabel()),
                         value >= 0 ? QString::number(value, 'f', 2) : QString("—"),
                         value >= 0 && fp >= 0 ? QString::number(value - fp, 'f', 2) : QString("—"),
                         QString::number(run->result.wallSeconds, 'f', 1)});
  }
  QDir().mkpath(QFileInfo(pdfPath).absolutePath());
  if (!writeHandout(h, pdfPath, error)) return false;
  log_->log(widgets::LogConsole::Info, "The handout was written to " + pdfPath + " and " + handoutHtmlPath(pdfPath));
  status_->setText("The handout was written to " + pdfPath);
  return true;
}

}  // namespace roundlab::app
