// Export ▸ Report: the run the views show, with the run history, the experiments, the importance
// tables and the Mixed-precision allocation, as an HTML page and a PDF (app/report) — the name the
// user chose and the other format beside it, like the handout.
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMessageBox>

#include "app/gui/AllocationDocument.h"
#include "app/gui/MainWindow.h"
#include "app/report/ReportContent.h"
#include "app/report/ReportFile.h"
#include "engine/core/Error.h"
#include "widgets/LogConsole.h"

namespace roundlab::app {

void MainWindow::chooseReportFile() {
  const QString name = snapshot_
                           ? QFileInfo(QString::fromStdString(snapshot_->path)).completeBaseName() + "-report.html"
                           : QString("roundlab-report.html");
  const QString folder = !sessionPath_.isEmpty() && sessionPath_ != autosavePath()
                             ? QFileInfo(sessionPath_).absolutePath()
                             : preferences_.sessionDirectory();
  // The suffix is added before the dialog asks about overwriting, not after.
  QFileDialog dialog(this, "Export report (the other format is written beside it, with the same name)",
                     QDir(folder).filePath(name), "HTML page (*.html);;PDF (*.pdf)");
  dialog.setAcceptMode(QFileDialog::AcceptSave);
  dialog.setDefaultSuffix("html");
  connect(&dialog, &QFileDialog::filterSelected, &dialog,
          [&dialog](const QString& filter) { dialog.setDefaultSuffix(filter.contains("pdf") ? "pdf" : "html"); });
  if (dialog.exec() != QDialog::Accepted || dialog.selectedFiles().isEmpty()) return;
  QString error;
  if (exportReport(dialog.selectedFiles().first(), &error)) return;
  log_->log(widgets::LogConsole::Error, "Could not export the report: " + error);
  if (!qEnvironmentVariableIsSet("ROUNDLAB_NO_DIALOGS")) QMessageBox::warning(this, "Export report", error);
}

bool MainWindow::exportReport(const QString& path, QString* error) {
  if (!report_) {
    *error = "there is no run to report yet: quantize first (Run view), or open a session";
    return false;
  }
  report::WorkbenchResults results;
  results.run = report_;
  results.runs = history_;
  results.experiments = experimentList_;
  results.importance = allocation_->importance();
  if (allocation_->ready()) results.allocation = {allocation_->bits(), allocation_->totals()};
  // A rerun command only for a session file that holds this run as it is now.
  if (!sessionPath_.isEmpty() && sessionPath_ != autosavePath() && !isWindowModified())
    results.sessionPath = QFileInfo(sessionPath_).absoluteFilePath();
  else if (!report_->sessionPath.empty())
    results.sessionPath = QFileInfo(QString::fromStdString(report_->sessionPath)).absoluteFilePath();
  if (!validation_.isEmpty()) results.evaluationPath = QFileInfo(validation_).absoluteFilePath();
  QStringList written;
  try {
    if (!report::writeReportPair(report::contentFromWorkbench(results), path, &written, error)) return false;
  } catch (const Error& e) {
    *error = QString::fromStdString(e.what());
    return false;
  }
  log_->log(widgets::LogConsole::Info, "The report was written to " + written.join(" and "));
  status_->setText("The report was written to " + written.join(" and "));
  return true;
}

}  // namespace roundlab::app
