// The main window's Experiments view: design-space experiments on the engine thread, their cells
// filling the view and the run history as they finish.
#include <QTabWidget>

#include <algorithm>
#include <cmath>

#include "app/gui/AllocationDocument.h"
#include "app/gui/AllocationPanel.h"
#include "app/gui/ExperimentPanel.h"
#include "app/gui/JobController.h"
#include "app/gui/MainWindow.h"
#include "app/gui/RunPanel.h"
#include "widgets/LogConsole.h"
#include "widgets/ParetoPlot.h"

namespace roundlab::app {

void MainWindow::buildExperiments() {
  EngineWorker* worker = engine_.worker();
  connect(experiments_, &ExperimentPanel::runRequested, this, [this] {
    try {
      startExperiment(experiments_->setup(run_->request()));
    } catch (const std::exception& e) {  // a value the setting cannot take: nothing starts
      experiments_->jobEnded("Not started: " + QString::fromStdString(e.what()), false);
    }
  });
  connect(experiments_, &ExperimentPanel::rerunRequested, this, [this](const ExperimentPlan& plan) {
    ExperimentSetup setup;
    setup.plan = plan;
    startExperiment(setup);
  });
  connect(experiments_, &ExperimentPanel::cancelRequested, this, &MainWindow::cancelJob);
  connect(experiments_, &ExperimentPanel::runActivated, this, [this](int number) {
    const bool inHistory =
        std::any_of(history_.begin(), history_.end(), [number](const RunPtr& r) { return r->number == number; });
    if (!inHistory)
      jobs_->report(QString("Run #%1 was deleted: run the experiment again to see its cell in every view").arg(number),
                    widgets::LogConsole::Warning);
    else if (runsWithWeights_.contains(number))
      showRun(number);
    else
      jobs_->report(QString("The weights of run #%1 were not kept (only the last runs' are): its rows and "
                            "Evaluate still show it; rerun its cell to open it in every view")
                        .arg(number),
                    widgets::LogConsole::Warning);
  });
  connect(worker, &EngineWorker::experimentsChanged, this, &MainWindow::experimentsArrived);
  connect(worker, &EngineWorker::experimentCellDone, this,
          [this](const ExperimentList& list, const RunHistory& history) {
            experimentsArrived(list);
            applyHistory(history);
            // Each finished cell stays, even if the rest is cancelled: a session would hold it now.
            setUnsaved(report_ != nullptr);
          });
  connect(allocationPanel_, &AllocationPanel::measureRequested, this, &MainWindow::measureParetoFront);
  // A new front is other allocations: its measurement starts over.
  connect(allocation_, &AllocationDocument::reset, this, [this] { experimentsArrived(experimentList_); });
  connect(worker, &EngineWorker::experimentFinished, this, &MainWindow::onExperimentFinished);
  connect(worker, &EngineWorker::progress, this, [this](const QString& stage, double fraction, const QString& unit) {
    if (experimentViewJob_) experiments_->onProgress(stage, fraction, unit);
  });
}

void MainWindow::experimentsArrived(const ExperimentList& list) {
  experimentList_ = list;
  experiments_->setExperiments(list);
  refreshRunHistory();  // a run that is one seed of several shows its setting's spread
  // The latest measurement of the front on the Pareto plot, if it measured the front shown now.
  std::vector<double> bits, measured;  // top-1 %, or a language model's perplexity
  bool perplexity = false;
  const std::vector<Allocation>& front = allocationPanel_->paretoFront();
  for (auto e = list.rbegin(); e != list.rend(); ++e) {
    if ((*e)->plan.kind != ExperimentKind::Pareto) continue;
    if ((*e)->plan.cells.size() != front.size()) break;
    bool same = true;
    for (size_t i = 0; i < front.size() && same; ++i)
      same = (*e)->plan.cells[i].settings.at(0).second == layerBitsText(front[i].bits);
    if (!same) break;
    for (const ExperimentRow& r : (*e)->rows)
      if (r.evaluated) {
        bits.push_back(front[r.cell].totals.averageBits);
        perplexity = r.languageModel;
        measured.push_back(r.languageModel ? std::exp(r.loss) : r.top1);
      }
    break;
  }
  allocationPanel_->paretoPlot()->setMeasured(bits, measured, perplexity);
}

void MainWindow::measureParetoFront() {
  const std::vector<Allocation>& front = allocationPanel_->paretoFront();
  if (front.empty()) return;
  if (validation_.isEmpty()) {
    onJobFailed("Measuring the front evaluates each point: open an evaluation set first (Evaluate view).", false);
    return;
  }
  std::vector<std::map<std::string, int>> bits;
  std::vector<double> averageBits;
  for (const Allocation& a : front) {
    bits.push_back(a.bits);
    averageBits.push_back(a.totals.averageBits);
  }
  ExperimentSetup setup;
  try {
    setup.plan = paretoPlan(run_->request(), bits, averageBits);
  } catch (const std::exception& e) {
    onJobFailed(QString::fromStdString(e.what()), false);
    return;
  }
  startExperiment(setup, /*atAllocation=*/true);
}

void MainWindow::startExperiment(const ExperimentSetup& setup, bool atAllocation) {
  const QString what = setup.plan && setup.plan->kind == ExperimentKind::Pareto
                           ? QString("Measuring %1 points of the Pareto front").arg(setup.plan->cells.size())
                       : setup.plan ? "Running experiment '" + QString::fromStdString(setup.plan->title) + "' again"
                       : setup.kind == ExperimentKind::Study ? QString("Running the founding paper's study")
                                                             : QString("Running an experiment");
  if (!beginJob(what)) return;
  retryJob_ = [this, setup, atAllocation] { startExperiment(setup, atAllocation); };
  experimentViewJob_ = true;
  experiments_->jobStarted(what);
  run_->setBusy(true);
  allocationViewJob_ = atAllocation;  // its progress and cancel where it was asked for, too
  if (atAllocation)
    allocationPanel_->jobStarted(what);
  else
    allocationPanel_->setBusy(true);
  engine_.experiment(setup, calibration_, validation_);
}

void MainWindow::onExperimentFinished(const ExperimentPtr& experiment) {
  const QString summary = QString("Experiment E%1 (%2): %3 cells")
                              .arg(experiment->number)
                              .arg(QString::fromStdString(experiment->plan.title))
                              .arg(experiment->rows.size());
  endViewJobs(summary, true);
  jobs_->finish(summary);
  setUnsaved(report_ != nullptr);  // the experiment is in the session
  if (report_ && preferences_.autosave) engine_.autosave(autosavePath());
  Q_EMIT experimentFinished();
}

}  // namespace roundlab::app
