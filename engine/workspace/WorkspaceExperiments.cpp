// The workspace's design-space experiments: each cell a run of the history.
#include <algorithm>

#include "engine/core/Error.h"
#include "engine/pipeline/RequestFields.h"
#include "engine/session/SessionFile.h"
#include "engine/workspace/WorkspaceState.h"

namespace roundlab {

ExperimentPtr Workspace::runExperiment(const ExperimentPlan& plan, const JobHooks& hooks,
                                       const std::vector<size_t>& onlyCells) {
  d->requireModel();
  d->requireCalibration();
  validate(plan);  // every cell, before the first (long) run
  std::vector<bool> wanted(plan.cells.size(), onlyCells.empty());
  for (const size_t c : onlyCells) {
    if (c >= plan.cells.size())
      throw Error(ErrorCode::InvalidArgument, "the experiment has no cell " + std::to_string(c) + " (it has " +
                                                  std::to_string(plan.cells.size()) + ")");
    wanted[c] = true;
  }
  const std::vector<size_t> first = plan.firstEqualCell();
  for (size_t i = 0; i < first.size(); ++i)
    if (wanted[i] && !wanted[first[i]])
      throw Error(ErrorCode::InvalidArgument,
                  "cell " + std::to_string(i) + " repeats cell " + std::to_string(first[i]) + ": run them in one job");
  size_t unique = 0;
  for (size_t i = 0; i < first.size(); ++i) unique += wanted[i] && first[i] == i;

  auto record = std::make_shared<ExperimentRecord>();
  record->number = d->experiments.empty() ? 1 : d->experiments.back()->number + 1;
  record->plan = plan;
  const std::string prefix = "E" + std::to_string(record->number) + " ";
  // Published as it grows: the record handed out is a copy, never changed after.
  auto publish = [&] {
    const ExperimentPtr copy = std::make_shared<ExperimentRecord>(*record);
    if (!d->experiments.empty() && d->experiments.back()->number == record->number)
      d->experiments.back() = copy;
    else
      d->experiments.push_back(copy);
    return copy;
  };
  publish();

  std::map<size_t, RunPtr> runOfCell;
  size_t done = 0;
  for (size_t i = 0; i < plan.cells.size(); ++i) {
    if (!wanted[i]) continue;
    ExperimentRow row;
    row.cell = i;
    RunPtr run;
    if (first[i] != i) {
      run = runOfCell.at(first[i]);
    } else {
      const double start = static_cast<double>(done) / static_cast<double>(unique);
      JobHooks cellHooks;
      cellHooks.cancel = hooks.cancel;
      const std::string label = plan.cells[i].runLabel();
      cellHooks.progress = [&](const Progress& p) {
        if (hooks.progress)
          hooks.progress(
              {"experiment", start + p.fraction / static_cast<double>(unique),
               "cell " + std::to_string(done + 1) + "/" + std::to_string(unique) + " " + label + ": " + p.message,
               p.metric, p.hasMetric});
      };
      std::optional<Model> work;
      QuantizedWeights weights;
      std::shared_ptr<RunRecord> made = d->quantizeCopy(plan.request(i), cellHooks, work, weights);
      made->name = prefix + (plan.cells[i].group.empty() ? "" : plan.cells[i].group + ": ") + label;
      // A workspace without a current run gets one (sessions save the current run).
      d->addRun(made, std::move(weights), /*makeCurrent=*/!d->current);
      if (d->current == made) *d->model = std::move(*work);
      run = made;
      runOfCell[i] = run;
      ++done;
    }
    row.run = run->number;
    row.seconds = run->result.wallSeconds;
    for (const LayerOutcome& l : run->result.layers) {
      row.meanLossBefore += l.lossBefore / static_cast<double>(run->result.layers.size());
      row.meanLossAfter += l.lossAfter / static_cast<double>(run->result.layers.size());
    }
    if (run->evaluated) {
      row.evaluated = run->evaluation.hasLabels;
      row.compared = run->evaluation.hasReference;
      row.top1 = run->evaluation.top1;
      row.kl = run->evaluation.kl;
      row.agreement = run->evaluation.agreement;
      row.languageModel = run->evaluation.languageModel();
      row.loss = run->evaluation.loss;
      row.lossFp = run->evaluation.referenceLoss;
    }
    record->rows.push_back(row);
    publish();
    if (hooks.experimentRow) hooks.experimentRow(row, run);
  }
  return d->experiments.back();
}

const std::vector<ExperimentPtr>& Workspace::experiments() const { return d->experiments; }

ExperimentRecord Workspace::mergeExperimentSessions(const std::vector<std::string>& sessions,
                                                    const std::string& output) {
  if (sessions.empty()) throw Error(ErrorCode::InvalidArgument, "there is no job session to merge");
  Session merged = loadSession(sessions.front());
  if (merged.experiments.empty())
    throw Error(ErrorCode::BadDataFile, sessions.front() + " holds no experiment: not a job's result");
  ExperimentRecord record = merged.experiments.back();
  record.rows.clear();
  const std::map<std::string, std::string> base = requestToText(record.plan.base);
  std::map<size_t, std::string> from;  // cell -> the session that ran it
  for (const std::string& path : sessions) {
    const Session s = path == sessions.front() ? merged : loadSession(path);
    if (s.experiments.empty()) throw Error(ErrorCode::BadDataFile, path + " holds no experiment: not a job's result");
    const ExperimentRecord& e = s.experiments.back();
    bool samePlan = e.plan.kind == record.plan.kind && e.plan.cells.size() == record.plan.cells.size() &&
                    requestToText(e.plan.base) == base && e.plan.base.bits == record.plan.base.bits;
    for (size_t c = 0; samePlan && c < e.plan.cells.size(); ++c)
      samePlan = e.plan.cells[c].settings == record.plan.cells[c].settings &&
                 e.plan.cells[c].seeded == record.plan.cells[c].seeded &&
                 e.plan.cells[c].seed == record.plan.cells[c].seed;
    if (!samePlan)
      throw Error(ErrorCode::InvalidArgument, path + " is a job of another experiment than " + sessions.front());
    if (s.modelSha256 != merged.modelSha256 || s.calibrationSha256 != merged.calibrationSha256)
      throw Error(ErrorCode::InvalidArgument,
                  path + " ran on another model or calibration set than " + sessions.front());
    for (ExperimentRow row : e.rows) {
      if (const auto it = from.find(row.cell); it != from.end())
        throw Error(ErrorCode::InvalidArgument, "cell " + std::to_string(row.cell) + " (" +
                                                    record.plan.cells[row.cell].runLabel() + ") is in both " +
                                                    it->second + " and " + path);
      from[row.cell] = path;
      row.run = 0;
      record.rows.push_back(row);
    }
  }
  std::sort(record.rows.begin(), record.rows.end(), [](const auto& a, const auto& b) { return a.cell < b.cell; });
  merged.experiments = {record};
  roundlab::saveSession(output, merged);
  return record;
}

void Workspace::addImportanceToSession(const std::string& session, const std::string& modelSha256,
                                       const ImportanceTable& table, const std::string& output) {
  Session s = loadSession(session);
  if (s.modelSha256 != modelSha256)
    throw Error(ErrorCode::InvalidArgument, session + " is a session of another model than the importance sweep's");
  std::vector<ImportanceTable> tables{table};
  for (const ImportanceTable& t : s.importance)
    if (t.estimator != table.estimator) tables.push_back(t);
  s.importance = tables;
  roundlab::saveSession(output, s);
}

}  // namespace roundlab
