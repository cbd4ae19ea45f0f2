// The main window's jobs on the engine thread: quantization and importance (which views show
// them, what a finished or failed job leaves in the window), and cancel.
#include <QFile>
#include <QLabel>
#include <QMessageBox>
#include <QStatusBar>

#include <algorithm>

#include "app/gui/AllocationPanel.h"
#include "app/gui/ExperimentPanel.h"
#include "app/gui/JobController.h"
#include "app/gui/MainWindow.h"
#include "app/gui/RunPanel.h"
#include "widgets/LayerTableModel.h"
#include "widgets/LogConsole.h"
#include "widgets/ModelGraphView.h"
#include "widgets/RoundingFlipsView.h"

namespace roundlab::app {

namespace {

// The line a finished run leaves in the Run view, the status bar and the log: its accuracy (a
// language model's perplexity, FP → quantized, then next-token top-1) and time.
QString runSummary(const RunRecord& r) {
  const QString method = QString::fromUtf8(quantMethodName(r.result.request.method));
  const QString seconds = QString::number(r.result.wallSeconds, 'f', 1);
  const EvalReport& e = r.evaluation;
  if (r.evaluated && e.languageModel() && e.hasLabels) {
    QString text = e.hasReference ? QString("%1: perplexity %2 → %3 (FP → quantized)")
                                        .arg(method)
                                        .arg(e.referencePerplexity(), 0, 'f', 2)
                                        .arg(e.perplexity(), 0, 'f', 2)
                                  : QString("%1: perplexity %2").arg(method).arg(e.perplexity(), 0, 'f', 2);
    text += e.hasReference
                ? QString(", next-token top-1 %1 % (FP %2 %)").arg(e.top1, 0, 'f', 2).arg(e.referenceTop1, 0, 'f', 2)
                : QString(", next-token top-1 %1 %").arg(e.top1, 0, 'f', 2);
    return text + ", " + seconds + " s";
  }
  if (r.top1() >= 0)
    return QString("%1: top-1 %2 % (FP %3 %), %4 s")
        .arg(method)
        .arg(r.top1(), 0, 'f', 2)
        .arg(r.top1Fp(), 0, 'f', 2)
        .arg(seconds);
  return QString("%1 finished in %2 s").arg(method, seconds);
}

}  // namespace

bool MainWindow::beginJob(const QString& what) {
  if (!snapshot_ || jobs_->running()) return false;
  if (calibration_.isEmpty()) {
    onJobFailed("No calibration set: open one first (File ▸ Open calibration set).", false);
    return false;
  }
  return jobs_->begin(what);  // refused, saying why, while another job runs
}

void MainWindow::endViewJobs(const QString& message, bool completed) {
  if (runViewJob_)
    run_->jobEnded(message, completed);
  else
    run_->setBusy(false);
  if (allocationViewJob_)
    allocationPanel_->jobEnded(message, completed);
  else
    allocationPanel_->setBusy(false);
  if (experimentViewJob_)
    experiments_->jobEnded(message, completed);
  else
    experiments_->setBusy(false);
  runViewJob_ = allocationViewJob_ = experimentViewJob_ = false;
}

void MainWindow::startQuantization(const QuantizationRequest& request, bool atAllocation, bool guarded) {
  if (!beginJob(QString("Quantizing with %1").arg(quantMethodName(request.method)))) return;
  retryJob_ = [this, request, atAllocation, guarded] { startQuantization(request, atAllocation, guarded); };
  runViewJob_ = true;  // the Run view shows every quantization's curve
  liveTraces_.clear();
  liveTracing_ = true;
  showRoundingTrace(selectedLayer(), nullptr);  // the Learning view waits for the layer
  allocationViewJob_ = atAllocation;
  run_->jobStarted();
  if (atAllocation) {
    allocationPanel_->showGuard({});  // the last comparison is not this one's
    allocationPanel_->jobStarted(QString(guarded
                                             ? "Quantizing at this allocation and the uniform ones of its size with %1"
                                             : "Quantizing at this allocation with %1")
                                     .arg(quantMethodName(request.method)));
  } else {
    allocationPanel_->setBusy(true);
  }
  experiments_->setBusy(true);
  layerModel_->setMetrics({});  // the table fills as layers finish
  if (guarded)
    engine_.quantizeGuarded(request, calibration_, validation_);
  else
    engine_.quantize(request, calibration_, validation_);
}

void MainWindow::estimateImportance() {
  ImportanceRequest r;
  r.estimator = allocationPanel_->estimator();
  if (!beginJob(QString("Estimating importance (%1)").arg(importanceEstimatorName(r.estimator)))) return;
  retryJob_ = [this] { estimateImportance(); };
  // Its progress and cancel in Mixed precision; the Run view keeps the last run's curve.
  allocationViewJob_ = true;
  allocationPanel_->jobStarted(QString("Estimating importance (%1)").arg(importanceEstimatorTitle(r.estimator)));
  run_->setBusy(true);
  experiments_->setBusy(true);
  engine_.importance(r, calibration_);
}

void MainWindow::refineAllocation() {
  if (!allocation_->ready() || !beginJob("Refining the allocation")) return;
  retryJob_ = [this] { refineAllocation(); };
  allocationViewJob_ = true;
  allocationPanel_->jobStarted(
      QString("Refining the allocation at %1 average bits with measured interactions (up to 3 rounds)")
          .arg(allocation_->totals().averageBits, 0, 'f', 2));
  run_->setBusy(true);
  experiments_->setBusy(true);
  engine_.refineAllocation(allocation_->bits(), calibration_);
}

void MainWindow::onAllocationRefined(const RefinementPtr& refinement) {
  const RefinedAllocation& r = *refinement;
  int kept = 0;
  for (const RefinementRound& round : r.rounds) kept += round.accepted;
  QString summary;
  if (kept == 0) {
    summary = QString("Refinement kept the allocation: %1 (calibration loss %2).")
                  .arg(r.rounds.empty() ? QString("measured around it, it chooses itself again")
                                        : QString("the allocation measured around it was not better"))
                  .arg(r.startLoss, 0, 'g', 4);
  } else if (allocation_->bits() != r.start.bits) {  // edited while it ran: the user's edit wins
    summary = "The allocation was edited while it was refined: the refined one is not applied.";
  } else {
    summary = QString(
                  "Refined with measured interactions: calibration loss %1 → %2 (%3 of %4 rounds kept%6), "
                  "average %5 bits.")
                  .arg(r.startLoss, 0, 'g', 4)
                  .arg(r.refinedLoss, 0, 'g', 4)
                  .arg(kept)
                  .arg(r.rounds.size())
                  .arg(r.refined.totals.averageBits, 0, 'f', 3)
                  .arg(r.converged ? QString(", then it chose itself again") : QString());
    allocation_->load(r.refined.bits, "Refine with measured interactions");
  }
  endViewJobs(summary, true);
  jobs_->finish(summary);
}

void MainWindow::cancelJob() {
  if (!jobs_->running()) return;
  engine_.cancel();
  status_->setText("Cancelling …");
}

void MainWindow::onQuantized(roundlab::RunPtr run, roundlab::SnapshotPtr snapshot) {
  liveTracing_ = false;  // the run's own record from now on
  liveTraces_.clear();
  report_ = std::move(run);
  snapshot_ = std::move(snapshot);
  if (snapshot_->summary.hasShapes()) {  // of a calibration set chosen after the model was opened
    graph_->setShapes(snapshot_->summary);
    layerModel_->setShapes(snapshot_->summary);
  }
  if (std::find(history_.begin(), history_.end(), report_) == history_.end())  // a guarded run's is there
    history_.push_back(report_);
  if (!runsWithWeights_.contains(report_->number))
    runsWithWeights_ << report_->number;  // runWeightsKept follows with the engine's whole list
  showRunResults();
  refreshRunHistory();
  const QString summary = runSummary(*report_);
  endViewJobs(summary, true);
  jobs_->finish(summary);
  if (!report_->result.settlement.empty())
    log_->log(widgets::LogConsole::Info, "Stopping rule: " + QString::fromStdString(report_->result.settlement));
  for (const std::string& n : report_->result.notes) log_->log(widgets::LogConsole::Warning, QString::fromStdString(n));
  for (const roundlab::TableOutcome& t : report_->result.tables)
    log_->log(widgets::LogConsole::Info, QString("Embedding table %1 (%2×%3): %4 bits per row, SQNR %5 dB")
                                             .arg(QString::fromStdString(t.parameter))
                                             .arg(t.rows)
                                             .arg(t.columns)
                                             .arg(t.bits)
                                             .arg(t.sqnrDb, 0, 'f', 1));
  if (report_->sessionPath.empty()) {  // a new run, not one a session opened
    setUnsaved(true);
    if (preferences_.autosave) engine_.autosave(autosavePath());  // crash recovery
  }
  Q_EMIT quantized();
}

void MainWindow::onJobFailed(const QString& message, bool cancelled) {
  if (liveTracing_) {  // a stopped run's layers are not results: the shown run's trace again
    liveTracing_ = false;
    liveTraces_.clear();
    const QString layer = selectedLayer();
    showRoundingTrace(layer, report_ ? report_->outcome(layer.toStdString()) : nullptr);
  }
  showRunMetrics();     // a cancelled run's finished layers are not results
  refreshRunHistory();  // a refused rename shows the name the run has
  const QString stopped = experimentViewJob_ ? "Cancelled; the cells finished so far are kept (Experiments, Evaluate)."
                                             : "Cancelled; the model is as it was before the job.";
  endViewJobs(cancelled ? stopped : "Failed: " + message, false);
  jobs_->finish(cancelled ? QString("Cancelled") : "Failed: " + message,
                cancelled ? widgets::LogConsole::Warning : widgets::LogConsole::Error);
  Q_EMIT jobFailed(message, cancelled);
  if (!cancelled && isVisible() && !qEnvironmentVariableIsSet("ROUNDLAB_NO_DIALOGS"))
    QMessageBox::warning(this, "RoundLab", message);
}

}  // namespace roundlab::app
