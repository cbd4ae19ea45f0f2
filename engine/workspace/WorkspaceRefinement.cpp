// Refining a mixed-precision allocation with measured interactions (issue 19): the importance
// from FP predicts each layer's loss with every other layer FP, so it misses how several narrow
// layers add up. Measured again around the allocation (every other layer at its chosen width),
// the importance is a local model that holds those interactions; the allocation it chooses is
// kept only when the combined model's measured calibration loss is lower, so a round never makes
// the allocation worse on the samples it was chosen on.
#include <chrono>

#include "engine/core/Error.h"
#include "engine/workspace/WorkspaceState.h"

namespace roundlab {

RefinedAllocation Workspace::refineAllocation(const ImportanceRequest& measure, const Allocation& start,
                                              BudgetKind kind, double budget, const std::map<std::string, int>& pins,
                                              int rounds, int activationBits, const JobHooks& hooks, bool exact) {
  d->requireModel();
  d->requireCalibration();
  if (rounds < 1) throw Error(ErrorCode::InvalidArgument, "refining an allocation needs at least one round");
  const BitAllocationModel allocator = allocationModel(activationBits);
  for (const std::string& layer : allocator.layers())
    if (!start.bits.count(layer))
      throw Error(ErrorCode::InvalidArgument, "the allocation to refine has no width for layer " + layer);
  ImportanceRequest r = measure;
  r.estimator = ImportanceEstimator::Measured;
  r.layers = allocator.layers();
  r.bits = allocator.bitChoices();

  RefinedAllocation out;
  out.start = out.refined = start;
  std::vector<double> current = allocationSampleLosses(*d->fp, *d->calibration, r, start.bits, hooks.cancel);
  const auto mean = [](const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return v.empty() ? 0.0 : s / static_cast<double>(v.size());
  };
  out.startLoss = out.refinedLoss = mean(current);
  for (int round = 0; round < rounds; ++round) {
    const auto t0 = std::chrono::steady_clock::now();
    r.around = out.refined.bits;
    const ProgressFn progress = [&](const Progress& p) {
      if (!hooks.progress) return;
      Progress q = p;
      q.stage = "refine";
      q.message = "round " + std::to_string(round + 1) + " of " + std::to_string(rounds) + ", " + p.message;
      q.fraction = (round + p.fraction) / rounds;
      hooks.progress(q);
    };
    const ImportanceTable local = roundlab::estimateImportance(*d->fp, *d->calibration, r, progress, hooks.cancel);
    RefinementRound step;
    step.proposed = BitAllocationModel(local, d->importance->costs, activationBits).allocate(kind, budget, pins, exact);
    step.proposed.totals = allocator.totals(step.proposed.bits);  // predicted by the table from FP, as start's
    if (step.proposed.bits == out.refined.bits) {
      out.converged = true;
      break;
    }
    const std::vector<double> proposed =
        allocationSampleLosses(*d->fp, *d->calibration, r, step.proposed.bits, hooks.cancel);
    step.loss = mean(proposed);
    step.lossMinusPrevious = pairedDifference(proposed, current, std::vector<double>(proposed.size(), 1.0));
    step.accepted = step.loss < out.refinedLoss;
    step.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    out.rounds.push_back(step);
    if (!step.accepted) break;  // the local model misled: a further round would measure the same
    out.refined = step.proposed;
    out.refinedLoss = step.loss;
    current = proposed;
  }
  d->allocation = out.refined;
  return out;
}

}  // namespace roundlab
