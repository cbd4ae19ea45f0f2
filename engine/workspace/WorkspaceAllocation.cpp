// Mixed precision guarded by uniform precision (issue 19): the importance model is additive and
// noisy, so an allocation it predicts to be best can lose to a uniform one of the same size; the
// guard measures them on the calibration set and keeps the importance-based one only when it is
// closer to FP beyond the samples' noise.
#include <algorithm>

#include "engine/core/Error.h"
#include "engine/workspace/WorkspaceState.h"

namespace roundlab {

namespace {

// The widest width at which every layer (pins kept; `eightBit` layers at 8) fits the budget, with
// its bits; 0 when none does.
int widestUniform(const BitAllocationModel& allocator, BudgetKind kind, double budget,
                  const std::map<std::string, int>& pins, const std::vector<std::string>& eightBit,
                  std::map<std::string, int>& bits) {
  const std::vector<int>& choices = allocator.bitChoices();
  for (auto width = choices.rbegin(); width != choices.rend(); ++width) {
    bits.clear();
    for (const std::string& layer : allocator.layers()) bits[layer] = *width;
    for (const std::string& layer : eightBit)
      if (bits.count(layer)) bits[layer] = std::max(8, *width);
    for (const auto& [layer, b] : pins)
      if (bits.count(layer)) bits[layer] = b;
    // The same tolerance as the budget's own rounding: a 3.0-bit budget admits uniform 3 bits.
    if (allocator.budgetOf(allocator.totals(bits), kind) <= budget * (1 + 1e-12)) return *width;
  }
  bits.clear();
  return 0;
}

}  // namespace

std::optional<PairedDifference> GuardedAllocation::keptTop1Minus(const RunPtr& run) const {
  const RunPtr kept = keptRun();
  if (!run || !kept || run == kept || !run->evaluated || !kept->evaluated) return std::nullopt;
  return top1Difference(kept->evaluation, run->evaluation);
}

GuardedAllocation Workspace::quantizeAllocation(const QuantizationRequest& request, const Allocation& mixed,
                                                BudgetKind kind, double budget, const std::map<std::string, int>& pins,
                                                int activationBits, const JobHooks& hooks) {
  d->requireModel();
  d->requireCalibration();
  const BitAllocationModel allocator = allocationModel(activationBits);
  const std::vector<LayerInfo>& layers = d->fp->summary().layers;
  GuardedAllocation out;
  out.mixed = mixed;
  for (const bool firstLast : {false, true}) {
    UniformCandidate c;
    const std::vector<std::string> eightBit =
        firstLast ? std::vector<std::string>{layers.front().name, layers.back().name} : std::vector<std::string>{};
    c.bits = widestUniform(allocator, kind, budget, pins, eightBit, c.allocation.bits);
    if (c.bits == 0 || c.allocation.bits == mixed.bits ||
        (!out.uniform.empty() && out.uniform[0].allocation.bits == c.allocation.bits))
      continue;
    c.allocation.totals = allocator.totals(c.allocation.bits);
    c.label = "uniform " + std::to_string(c.bits) + " bits" + (firstLast ? ", first and last layers at 8" : "");
    out.uniform.push_back(std::move(c));
  }

  // All or nothing: a cancel or an error part-way forgets the runs made so far and makes the run
  // that was current before current again, as a single quantization leaves the model.
  const RunPtr before = currentRun();
  std::vector<int> made;
  try {
    guardCandidates(request, mixed, hooks, out, made);
  } catch (...) {
    for (auto n = made.rbegin(); n != made.rend(); ++n) deleteRun(*n);
    if (before && currentRun() != before && hasRunWeights(before->number)) selectRun(before->number);
    throw;
  }
  if (out.keptUniform >= 0) selectRun(out.uniform[size_t(out.keptUniform)].run->number);
  return out;
}

void Workspace::guardCandidates(const QuantizationRequest& request, const Allocation& mixed, const JobHooks& hooks,
                                GuardedAllocation& out, std::vector<int>& made) {
  // The current run's KL to the FP model on the calibration set, per sample and in the mean.
  const auto calibrationKl = [&] {
    EvalOptions options;
    options.reference = d->fp.get();
    options.cancel = hooks.cancel;
    options.perSample = true;
    return roundlab::evaluate(*d->model, *d->calibration, options);
  };
  QuantizationRequest r = request;
  r.firstLastEightBit = false;  // the allocation decides every layer
  std::vector<EvalReport> uniformKl;
  for (UniformCandidate& c : out.uniform) {
    r.bits = c.allocation.bits;
    c.run = quantize(r, hooks);
    made.push_back(c.run->number);
    uniformKl.push_back(calibrationKl());
    c.kl = uniformKl.back().kl;
  }
  r.bits = mixed.bits;
  out.mixedRun = quantize(r, hooks);  // last: current unless a uniform one is kept
  made.push_back(out.mixedRun->number);
  const EvalReport mixedKl = calibrationKl();
  out.mixedKl = mixedKl.kl;
  for (size_t i = 0; i < out.uniform.size(); ++i) {
    out.uniform[i].klOfMixedMinusThis = klDifference(mixedKl, uniformKl[i]).value_or(PairedDifference{});
    if (out.keptUniform < 0 || out.uniform[i].kl < out.uniform[size_t(out.keptUniform)].kl)
      out.keptUniform = static_cast<int>(i);
  }
  // The importance was measured on these same samples, so the importance-based allocation's KL on
  // them is optimistic: it is kept only when closer to FP than the best uniform one beyond noise.
  if (out.keptUniform >= 0 && out.uniform[size_t(out.keptUniform)].klOfMixedMinusThis.significantlyBelowZero())
    out.keptUniform = -1;
}

}  // namespace roundlab
