#include "engine/recon/AdaRoundReconstructor.h"

#include <cmath>

#include <torch/torch.h>

#include "engine/ActivationCapture.h"

namespace roundlab {

namespace {
constexpr double kZeta = 1.1, kGamma = -0.1;
constexpr double kPi = 3.14159265358979323846;
}  // namespace

at::Tensor reconstructionLoss(const at::Tensor& prediction, const at::Tensor& target) {
  const at::Tensor d = (prediction - target).pow(2);
  return d.dim() > 1 ? d.sum(1).mean() : d.mean();
}

at::Tensor AdaRoundReconstructor::rectifiedSigmoid(const at::Tensor& v) {
  return (torch::sigmoid(v) * (kZeta - kGamma) + kGamma).clamp(0, 1);
}

at::Tensor AdaRoundReconstructor::inverseRectifiedSigmoid(const at::Tensor& h) {
  // sigmoid(V) = (h - gamma) / (zeta - gamma), so V = -log(1/that - 1)
  return -torch::log((kZeta - kGamma) / (h - kGamma) - 1);
}

AdaRoundReconstructor::AdaRoundReconstructor(const LayerInfo& layer, const at::Tensor& weight, const at::Tensor& bias,
                                             UniformGrid grid, AdaRoundConfig config)
    : layer_(layer),
      weight_(weight.detach().to(at::kFloat)),
      bias_(bias.defined() ? bias.detach().to(at::kFloat) : at::Tensor()),
      grid_(std::move(grid)),
      config_(config) {}

at::Tensor AdaRoundReconstructor::apply(const at::Tensor& x, const at::Tensor& w) const {
  const at::Tensor y = applyLayer(layer_, x, w, bias_);
  return config_.reluAfter ? at::relu(y) : y;
}

double AdaRoundReconstructor::datasetLoss(const at::Tensor& inputs, const at::Tensor& targets,
                                          const at::Tensor& w) const {
  torch::NoGradGuard noGrad;
  double total = 0;
  const int64_t n = inputs.size(0), step = 256;
  for (int64_t b = 0; b < n; b += step) {
    const int64_t e = std::min(n, b + step);
    total += reconstructionLoss(apply(inputs.slice(0, b, e), w), targets.slice(0, b, e)).item<double>() *
             static_cast<double>(e - b);
  }
  return total / static_cast<double>(n);
}

RoundingResult AdaRoundReconstructor::run(const at::Tensor& inputs, const at::Tensor& targets,
                                          const ProgressFn& progress, const CancelToken& cancel) {
  const UniformGrid& g = grid_;
  const at::Tensor wv = g.view(weight_);
  const at::Tensor scaled = wv / g.scale;
  const at::Tensor base = torch::floor(scaled);
  const at::Tensor frac = (scaled - base).clamp(1e-4, 1 - 1e-4);  // keep V finite
  at::Tensor v = inverseRectifiedSigmoid(frac).detach().requires_grad_(true);
  torch::optim::Adam adam({v}, torch::optim::AdamOptions(config_.learningRate));

  auto softWeight = [&](const at::Tensor& h) {
    return ((base + g.zeroPoint + h).clamp(g.qmin, g.qmax) - g.zeroPoint).mul(g.scale).reshape(weight_.sizes());
  };
  RoundingResult r;
  r.rtnCodes = quantizeToCodes(weight_, g);
  r.lossBefore = datasetLoss(inputs, targets, dequantize(r.rtnCodes, g));

  auto gen = at::detail::createCPUGenerator(config_.seed);
  const int64_t n = inputs.size(0), batch = std::min<int64_t>(config_.batch, n);
  const int iters = config_.iterations;
  const int warm = static_cast<int>(std::round(config_.warmup * iters));
  const int curveEvery = std::max(1, iters / std::max(1, config_.curvePoints));
  const int progressEvery = std::max(1, iters / 100);
  for (int it = 0; it < iters; ++it) {
    cancel.throwIfCancelled("AdaRound on " + layer_.name);
    const at::Tensor idx = at::randperm(n, gen, at::kLong).slice(0, 0, batch);
    const at::Tensor h = rectifiedSigmoid(v);
    const at::Tensor rec =
        reconstructionLoss(apply(inputs.index_select(0, idx), softWeight(h)), targets.index_select(0, idx));
    at::Tensor loss = rec;
    if (it >= warm) {
      // beta decays from betaStart to betaEnd over the iterations after warm-up.
      const double t = iters > warm ? static_cast<double>(it - warm) / static_cast<double>(iters - warm) : 1.0;
      const double beta = config_.cosineBeta
                              ? config_.betaEnd + 0.5 * (config_.betaStart - config_.betaEnd) * (1 + std::cos(kPi * t))
                              : config_.betaStart + (config_.betaEnd - config_.betaStart) * t;
      loss = loss + config_.lambda * (1 - (2 * h - 1).abs().pow(beta)).sum();
    }
    adam.zero_grad();
    loss.backward();
    adam.step();
    if (it % curveEvery == 0 || it == iters - 1) r.curve.emplace_back(it, rec.item<double>());
    if (progress && (it % progressEvery == 0 || it == iters - 1))
      progress({"adaround", static_cast<double>(it + 1) / iters, layer_.name, rec.item<double>(), true});
  }

  torch::NoGradGuard noGrad;
  r.codes = (base + g.zeroPoint + (v >= 0).to(at::kFloat)).clamp(g.qmin, g.qmax).to(at::kInt).reshape(weight_.sizes());
  r.weight = dequantize(r.codes, g);
  const at::Tensor diff = r.codes - r.rtnCodes;
  r.flipsUp = diff.gt(0).sum().item<int64_t>();
  r.flipsDown = diff.lt(0).sum().item<int64_t>();
  r.flipRate = static_cast<double>(r.flipsUp + r.flipsDown) / static_cast<double>(weight_.numel());
  r.lossAfter = datasetLoss(inputs, targets, r.weight);
  return r;
}

}  // namespace roundlab
