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
                                                int activationBits, const JobHooks& hooks,
                                                const Allocation* unrefined) {
  d->requireModel();
  d->requireCalibration();
  const BitAllocationModel allocator = allocationModel(activationBits);
  const std::vector<LayerInfo>& layers = d->fp->summary().layers;
  GuardedAllocation out;
  std::vector<UniformCandidate> uniform;
  for (const bool firstLast : {false, true}) {
    UniformCandidate c;
    const std::vector<std::string> eightBit =
        firstLast ? std::vector<std::string>{layers.front().name, layers.back().name} : std::vector<std::string>{};
    c.bits = widestUniform(allocator, kind, budget, pins, eightBit, c.allocation.bits);
    if (c.bits == 0 || (!uniform.empty() && uniform[0].allocation.bits == c.allocation.bits)) continue;
    c.allocation.totals = allocator.totals(c.allocation.bits);
    c.label = "uniform " + std::to_string(c.bits) + " bits" + (firstLast ? ", first and last layers at 8" : "");
    uniform.push_back(std::move(c));
  }
  const auto isUniform = [&](const Allocation* a) {
    return a && std::any_of(uniform.begin(), uniform.end(),
                            [&](const UniformCandidate& c) { return c.allocation.bits == a->bits; });
  };
  // A refined allocation that is a uniform one is measured as that one (with the noise margin a
  // uniform allocation gets); the one refinement started from is then the importance-based one.
  const Allocation& importanceBased = unrefined && isUniform(&mixed) ? *unrefined : mixed;
  if (isUniform(unrefined) || (unrefined && (&importanceBased == unrefined || unrefined->bits == mixed.bits)))
    unrefined = nullptr;
  out.mixed = importanceBased;
  for (UniformCandidate& c : uniform)
    if (c.allocation.bits != importanceBased.bits) out.uniform.push_back(std::move(c));

  // All or nothing: a cancel or an error part-way forgets the runs made so far and makes the run
  // that was current before current again, as a single quantization leaves the model.
  // The candidates' weights are held until one is kept (on a large model three runs could pass the
  // limit on kept weights, and the kept one must still be selectable), and so are those of the run
  // current before, which a cancel makes current again.
  const RunPtr before = currentRun();
  if (before) d->heldWeights.insert(before->number);
  std::vector<int> made;
  struct Release {
    State& s;
    ~Release() {
      s.heldWeights.clear();
      s.trimWeights();
    }
  } release{*d};
  try {
    guardCandidates(request, importanceBased, unrefined, hooks, out, made);
  } catch (...) {
    for (auto n = made.rbegin(); n != made.rend(); ++n) deleteRun(*n);
    if (!before && d->current) {  // the FP model was current: it is again, not an older run
      *d->model = d->fp->clone();
      d->current.reset();
    } else if (before && currentRun() != before && hasRunWeights(before->number)) {
      selectRun(before->number);
    }
    throw;
  }
  if (currentRun() != out.keptRun()) selectRun(out.keptRun()->number);
  return out;
}

void Workspace::guardCandidates(const QuantizationRequest& request, const Allocation& mixed,
                                const Allocation* unrefined, const JobHooks& hooks, GuardedAllocation& out,
                                std::vector<int>& made) {
  QuantizationRequest r = request;
  r.firstLastEightBit = false;  // the allocation decides every layer
  // One progress bar for the whole comparison: candidate i of n takes the i-th share, its
  // quantization 80 % of it and its calibration KL the rest.
  const size_t candidates = out.uniform.size() + (unrefined ? 2 : 1);
  size_t candidate = 0;
  std::string label;
  const auto share = [&](double from, double to) {
    JobHooks h = hooks;
    if (!hooks.progress) return h;
    h.progress = [&, from, to](const Progress& p) {
      Progress q = p;
      q.fraction = (static_cast<double>(candidate) + from + (to - from) * p.fraction) / static_cast<double>(candidates);
      q.message = std::to_string(candidate + 1) + " of " + std::to_string(candidates) + ", " + label +
                  (p.message.empty() ? "" : ": " + p.message);
      hooks.progress(q);
    };
    return h;
  };
  const auto run = [&](const std::map<std::string, int>& bits, EvalReport& kl) {
    r.bits = bits;
    const RunPtr quantized = quantize(r, share(0, 0.8));
    made.push_back(quantized->number);  // first: a cancel below forgets it too
    d->heldWeights.insert(quantized->number);
    const JobHooks measuring = share(0.8, 1);
    EvalOptions options;
    options.reference = d->fp.get();
    options.cancel = hooks.cancel;
    options.progress = measuring.progress;
    options.perSample = true;
    kl = roundlab::evaluate(*d->model, *d->calibration, options);
    ++candidate;
    return quantized;
  };
  std::vector<EvalReport> uniformKl(out.uniform.size());
  for (size_t i = 0; i < out.uniform.size(); ++i) {
    UniformCandidate& c = out.uniform[i];
    label = c.label;
    c.run = run(c.allocation.bits, uniformKl[i]);
    c.kl = uniformKl[i].kl;
  }
  EvalReport unrefinedKl;
  if (unrefined) {
    label = "the allocation before refinement";
    out.setAside = SetAsideAllocation{*unrefined, false, 0, run(unrefined->bits, unrefinedKl)};
    out.setAside->kl = unrefinedKl.kl;
  }
  label = "this allocation";
  EvalReport mixedKl;
  out.mixedRun = run(mixed.bits, mixedKl);  // last: current unless another one is kept
  out.mixedKl = mixedKl.kl;
  // Two importance-based allocations: the closer to FP with this method competes with uniform
  // precision (no noise margin here: neither is the safe default).
  if (out.setAside && out.setAside->kl < out.mixedKl) {
    SetAsideAllocation refined{out.mixed, true, out.mixedKl, out.mixedRun};
    out.mixed = out.setAside->allocation;
    out.mixedRun = out.setAside->run;
    out.mixedKl = out.setAside->kl;
    std::swap(mixedKl, unrefinedKl);
    out.setAside = refined;
  }
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
