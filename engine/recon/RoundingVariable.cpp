#include "engine/recon/RoundingVariable.h"

#include <cmath>

#include <torch/torch.h>

namespace roundlab {

namespace {
constexpr double kZeta = 1.1, kGamma = -0.1;
constexpr double kPi = 3.14159265358979323846;
}  // namespace

at::Tensor RoundingVariable::rectifiedSigmoid(const at::Tensor& v) {
  return (torch::sigmoid(v) * (kZeta - kGamma) + kGamma).clamp(0, 1);
}

at::Tensor RoundingVariable::inverseRectifiedSigmoid(const at::Tensor& h) {
  // sigmoid(V) = (h - gamma) / (zeta - gamma), so V = -log(1/that - 1)
  return -torch::log((kZeta - kGamma) / (h - kGamma) - 1);
}

RoundingVariable::RoundingVariable(const at::Tensor& weight, WeightGrid grid) : grid_(std::move(grid)) {
  torch::NoGradGuard noGrad;
  const at::Tensor w = weight.detach().to(at::kFloat);
  shape_ = w.sizes().vec();
  // On a power grid the rounding is learned in the transformed domain t = sign(w)|w|^a.
  const at::Tensor scaled = grid_.view(powerTransform(w, grid_.exponent)) / grid_.scale;
  base_ = torch::floor(scaled);
  const at::Tensor frac = (scaled - base_).clamp(1e-4, 1 - 1e-4);  // keeps V finite
  v_ = inverseRectifiedSigmoid(frac).detach().requires_grad_(true);
}

at::Tensor RoundingVariable::softWeight() const {
  const at::Tensor h = rectifiedSigmoid(v_);
  const at::Tensor t = ((base_ + grid_.zeroPoint + h).clamp(grid_.qmin, grid_.qmax) - grid_.zeroPoint).mul(grid_.scale);
  return powerInverse(t.reshape(shape_), grid_.exponent);
}

at::Tensor RoundingVariable::regularizer(double beta) const {
  return (1 - (2 * rectifiedSigmoid(v_) - 1).abs().pow(beta)).sum();
}

at::Tensor RoundingVariable::codes() const {
  torch::NoGradGuard noGrad;
  return (base_ + grid_.zeroPoint + (v_ >= 0).to(at::kFloat))
      .clamp(grid_.qmin, grid_.qmax)
      .to(at::kInt)
      .reshape(shape_);
}

double regularizerBeta(const AdaRoundConfig& c, int it) {
  const int iters = c.iterations;
  const int warm = static_cast<int>(std::round(c.warmup * iters));
  if (it < warm) return -1;
  const double t = iters > warm ? static_cast<double>(it - warm) / static_cast<double>(iters - warm) : 1.0;
  return c.cosineBeta ? c.betaEnd + 0.5 * (c.betaStart - c.betaEnd) * (1 + std::cos(kPi * t))
                      : c.betaStart + (c.betaEnd - c.betaStart) * t;
}

at::Tensor reconstructionLoss(const at::Tensor& prediction, const at::Tensor& target) {
  const at::Tensor d = (prediction - target).pow(2);
  return d.dim() > 1 ? d.sum(1).mean() : d.mean();
}

}  // namespace roundlab
