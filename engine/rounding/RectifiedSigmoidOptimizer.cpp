#include "engine/rounding/RectifiedSigmoidOptimizer.h"

#include <cmath>

#include <ATen/Parallel.h>

namespace roundlab {

namespace {
constexpr int64_t kGrain = 1 << 15;
// torch::optim::AdamOptions' defaults, which the autograd path uses.
constexpr double kBeta1 = 0.9, kBeta2 = 0.999, kEps = 1e-8;
}  // namespace

RectifiedSigmoidOptimizer::RectifiedSigmoidOptimizer(at::Tensor v, RoundingConstants c,
                                                     std::vector<int64_t> weightShape, OptimizerKind kind,
                                                     double momentum)
    : v_(std::move(v)), c_(std::move(c)), kind_(kind), momentum_(momentum) {
  TORCH_CHECK(v_.is_contiguous() && v_.scalar_type() == at::kFloat, "rounding variable must be contiguous float32");
  torch::NoGradGuard noGrad;
  soft_ = at::empty(weightShape, v_.options().requires_grad(false));
  TORCH_CHECK(soft_.numel() == v_.numel(), "weight shape does not match the rounding variable");
  dsoft_ = at::empty_like(v_, v_.options().requires_grad(false));
  h_ = at::empty_like(dsoft_);
  dh_ = at::empty_like(dsoft_);
  moment1_ = at::zeros_like(dsoft_);
  moment2_ = at::zeros_like(dsoft_);
  const RoundingStepArrays a = arrays(nullptr);
  const float lo = static_cast<float>(c_.qmin), hi = static_cast<float>(c_.qmax);
  at::parallel_for(0, v_.numel(), kGrain, [&](int64_t b, int64_t e) { rectifiedSigmoidSoftWeight(a, lo, hi, b, e); });
  soft_.requires_grad_(true);
}

RoundingStepArrays RectifiedSigmoidOptimizer::arrays(const float* grad) {
  return {grad,
          c_.base.data_ptr<float>(),
          c_.nearest.data_ptr<float>(),
          c_.mask.data_ptr<float>(),
          c_.zeroPoint.data_ptr<float>(),
          c_.scale.data_ptr<float>(),
          v_.data_ptr<float>(),
          soft_.data_ptr<float>(),
          dsoft_.data_ptr<float>(),
          h_.data_ptr<float>(),
          dh_.data_ptr<float>(),
          moment1_.data_ptr<float>(),
          moment2_.data_ptr<float>()};
}

void RectifiedSigmoidOptimizer::step(double lr, double lambda, double beta) {
  torch::NoGradGuard noGrad;
  ++steps_;
  const at::Tensor grad = soft_.grad().defined() ? soft_.grad().contiguous() : at::Tensor();
  const RoundingStepArrays a = arrays(grad.defined() ? grad.data_ptr<float>() : nullptr);
  // The scalars as torch::optim computes them (double, applied to float tensors).
  const double t = static_cast<double>(steps_);
  const RoundingStepScalars c{beta > 0,
                              kind_ == OptimizerKind::Adam,
                              steps_ == 1,
                              static_cast<float>(lambda),
                              static_cast<float>(beta),
                              static_cast<float>(c_.qmin),
                              static_cast<float>(c_.qmax),
                              static_cast<float>(kBeta1),
                              static_cast<float>(kBeta2),
                              static_cast<float>(1 - kBeta1),
                              static_cast<float>(1 - kBeta2),
                              static_cast<float>(std::sqrt(1 - std::pow(kBeta2, t))),
                              static_cast<float>(kEps),
                              static_cast<float>(lr / (1 - std::pow(kBeta1, t))),
                              static_cast<float>(momentum_),
                              static_cast<float>(lr)};
  at::parallel_for(0, v_.numel(), kGrain, [&](int64_t b, int64_t e) { rectifiedSigmoidStep(a, c, b, e); });
  // The next step's graph reads the new values; its gradient starts afresh.
  soft_.mutable_grad() = at::Tensor();
  soft_.unsafeGetTensorImpl()->bump_version();
  v_.unsafeGetTensorImpl()->bump_version();
}

}  // namespace roundlab
