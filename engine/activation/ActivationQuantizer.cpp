#include "engine/activation/ActivationQuantizer.h"

#include <cmath>

#include "engine/core/Error.h"

namespace roundlab {

namespace {

at::Tensor roundSte(const at::Tensor& x) { return x + (x.round() - x).detach(); }

// Forward: value; backward: gradient times `scale` (LSQ's gradient scaling).
at::Tensor gradScale(const at::Tensor& x, double scale) { return (x - x * scale).detach() + x * scale; }

}  // namespace

ActivationQuantizer::ActivationQuantizer(const at::Tensor& calibration, int bits, double p, int candidates) {
  if (bits < 2 || bits > 16) throw Error(ErrorCode::InvalidArgument, "activation bits must be 2..16");
  torch::NoGradGuard noGrad;
  // The range search runs on at most kSearchElements values drawn with a fixed seed: the
  // error curve of a per-tensor range is smooth, and layer inputs over a calibration set are large.
  constexpr int64_t kSearchElements = int64_t(1) << 18;
  at::Tensor x = calibration.detach().to(at::kFloat).flatten();
  const bool nonNegative = x.min().item<float>() >= 0;
  const double absmax = std::max(1e-8f, x.abs().max().item<float>());
  if (x.numel() > kSearchElements) {
    auto gen = at::detail::createCPUGenerator(0x5eed);
    x = x.index_select(0, at::randint(x.numel(), {kSearchElements}, gen, at::kLong));
  }
  bits_ = bits;
  const int64_t n = int64_t(1) << bits;
  qmin_ = nonNegative ? 0 : -n / 2;
  qmax_ = nonNegative ? n - 1 : n / 2 - 1;
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

ActivationQuantParams ActivationQuantizer::params() const {
  ActivationQuantParams p;
  p.bits = bits_;
  p.scale = std::max(1e-10, std::abs(stepValue()));  // LSQ could drive a step through 0
  p.qmin = qmin_;
  p.qmax = qmax_;
  return p;
}

at::Tensor fakeQuantizeActivation(const at::Tensor& x, const ActivationQuantParams& p) {
  return p.enabled() ? at::fake_quantize_per_tensor_affine(x, p.scale, 0, p.qmin, p.qmax) : x;
}

at::Tensor qdropMix(const at::Tensor& fp, const at::Tensor& quantized, double p, at::Generator& generator) {
  if (p >= 1.0) return quantized;
  const at::Tensor keep = at::rand(fp.sizes(), generator) < p;
  return at::where(keep, quantized, fp);
}

}  // namespace roundlab
