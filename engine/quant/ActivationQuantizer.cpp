#include "engine/quant/ActivationQuantizer.h"

#include <cmath>

#include "engine/Error.h"

namespace roundlab {

namespace {

at::Tensor roundSte(const at::Tensor& x) { return x + (x.round() - x).detach(); }

// Forward: value; backward: gradient times `scale` (LSQ's gradient scaling).
at::Tensor gradScale(const at::Tensor& x, double scale) { return (x - x * scale).detach() + x * scale; }

}  // namespace

ActivationQuantizer::ActivationQuantizer(const at::Tensor& calibration, int bits, double p, int candidates) {
  if (bits < 2 || bits > 16) throw Error(ErrorCode::InvalidArgument, "activation bits must be 2..16");
  torch::NoGradGuard noGrad;
  const at::Tensor x = calibration.detach().to(at::kFloat);
  const bool nonNegative = x.min().item<float>() >= 0;
  const int64_t n = int64_t(1) << bits;
  qmin_ = nonNegative ? 0 : -n / 2;
  qmax_ = nonNegative ? n - 1 : n / 2 - 1;
  const double absmax = std::max(1e-8f, x.abs().max().item<float>());
  double best = 0, bestErr = std::numeric_limits<double>::infinity();
  for (int i = 0; i < candidates; ++i) {
    const double s = absmax * (1.0 - 0.01 * i) / static_cast<double>(qmax_);
    const at::Tensor q = (x / s).round().clamp(qmin_, qmax_) * s;
    const double err = (x - q).abs().pow(p).sum().item<double>();
    if (err < bestErr) bestErr = err, best = s;
  }
  step_ = at::full({}, best, at::kFloat).requires_grad_(true);
}

at::Tensor ActivationQuantizer::forward(const at::Tensor& x) const {
  const double g = 1.0 / std::sqrt(static_cast<double>(x.numel()) * static_cast<double>(qmax_));
  const at::Tensor s = gradScale(step_, g);
  return roundSte(x / s).clamp(static_cast<double>(qmin_), static_cast<double>(qmax_)) * s;
}

at::Tensor qdropMix(const at::Tensor& fp, const at::Tensor& quantized, double p, at::Generator& generator) {
  if (p >= 1.0) return quantized;
  const at::Tensor keep = at::rand(fp.sizes(), generator) < p;
  return at::where(keep, quantized, fp);
}

}  // namespace roundlab
