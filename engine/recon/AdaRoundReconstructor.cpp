#include "engine/recon/AdaRoundReconstructor.h"

#include <cmath>

#include <torch/torch.h>

#include "engine/capture/ActivationCapture.h"
#include "engine/model/ActivationFakeQuant.h"
#include "engine/model/LayerEpilogue.h"
#include "engine/recon/IndexedSquaredError.h"

namespace roundlab {

AdaRoundReconstructor::AdaRoundReconstructor(const LayerInfo& layer, const at::Tensor& weight, const at::Tensor& bias,
                                             WeightGrid grid, AdaRoundConfig config)
    : layer_(layer),
      weight_(weight.detach().to(at::kFloat)),
      bias_(bias.defined() ? bias.detach().to(at::kFloat) : at::Tensor()),
      grid_(std::move(grid)),
      config_(config) {}

at::Tensor AdaRoundReconstructor::applyRaw(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) const {
  return applyLayer(layer_, scope_ ? scope_->apply(layer_.name, x) : x, w, b);
}

at::Tensor AdaRoundReconstructor::after(const at::Tensor& y) const {
  if (epilogue_) return epilogue_->run(y);
  return config_.reluAfter ? at::relu(y) : y;
}

at::Tensor AdaRoundReconstructor::apply(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) const {
  return after(applyRaw(x, w, b));
}

double AdaRoundReconstructor::datasetLoss(const at::Tensor& inputs, const at::Tensor& targets, const at::Tensor& w,
                                          const at::Tensor& b) const {
  torch::NoGradGuard noGrad;
  if (scope_) scope_->setMixing(false);  // QDrop mixes during training only
  double total = 0;
  const int64_t n = inputs.size(0), step = 256;
  for (int64_t i = 0; i < n; i += step) {
    const int64_t e = std::min(n, i + step);
    total += reconstructionLoss(apply(inputs.slice(0, i, e), w, b), targets.slice(0, i, e)).item<double>() *
             static_cast<double>(e - i);
  }
  if (scope_) scope_->setMixing(true);
  return total / static_cast<double>(n);
}

RoundingResult AdaRoundReconstructor::run(const at::Tensor& inputs, const at::Tensor& targets,
                                          const ProgressFn& progress, const CancelToken& cancel) {
  torch::AutoGradMode enableGrad(true);  // whatever guard the calling thread holds
  RoundingVariable var(weight_, grid_, config_, bias_);
  const auto bias = [&] { return var.softBias().defined() ? var.softBias() : bias_; };
  const ActivationStepsInUse acts(activations_, activations_ && activations_->quantizers.count(layer_.name) > 0,
                                  config_.seed, scope_);
  RoundingResult r;
  r.rtnCodes = quantizeToCodes(weight_, grid_);
  r.lossBefore = datasetLoss(inputs, targets, dequantize(r.rtnCodes, grid_), bias_);

  // The step's inputs are gathered into the same buffer every step: a fresh tensor of this size
  // each time comes from mmap and pays its page faults again (a third of a small layer's step).
  // Safe to overwrite: the previous step's graph is released by its backward pass. The targets
  // are read in place by the loss.
  at::Tensor xBatch = at::empty({0}, inputs.options());
  std::vector<RoundingTrace> traces;
  r.curve = optimiseRounding(
      {&var}, inputs.size(0), config_,
      [&](const at::Tensor& idx) {
        const at::Tensor& x = at::index_select_out(xBatch, inputs, 0, idx);
        // The op once: a second call would draw QDrop's mask again.
        const at::Tensor raw = applyRaw(x, var.softWeight(), bias());
        at::Tensor loss = indexedReconstructionLoss(after(raw), targets, idx);
        // The rest of the model reads the op's output (before what f adds to it).
        if (outputLoss_) loss = loss + outputLoss_->term(idx, raw);
        return loss;
      },
      [&](double fraction, double loss) {
        if (progress) progress({"adaround", fraction, layer_.name, loss, true});
      },
      [&] { cancel.throwIfCancelled("AdaRound on " + layer_.name); }, acts.parameters(), acts.learningRate(), &traces);
  r.trace = std::move(traces.front());

  torch::NoGradGuard noGrad;
  r.codes = var.codes();
  r.grid = var.grid();
  r.weight = dequantize(r.codes, r.grid);
  r.bias = var.learnedBias();
  r.lossAfter = datasetLoss(inputs, targets, r.weight, r.bias.defined() ? r.bias : bias_);
  countFlips(r, weight_.numel());
  return r;
}

void countFlips(RoundingResult& r, int64_t weights) {
  const at::Tensor diff = r.codes - r.rtnCodes;
  r.flipsUp = diff.gt(0).sum().item<int64_t>();
  r.flipsDown = diff.lt(0).sum().item<int64_t>();
  r.flipRate = weights ? static_cast<double>(r.flipsUp + r.flipsDown) / static_cast<double>(weights) : 0;
}

}  // namespace roundlab
