#pragma once
// AdaRound's variable V (eq. 22-24) optimised with its rounding terms and its optimiser fused.
// Autograd sees the soft weight as a plain leaf; each step carries the gradient that reached it
// (times dW~/dV), plus lambda times the regulariser's gradient, to V, applies Adam (or SGD with
// momentum) and computes the next soft weight, all in one loop. Composed from tensor ops the
// rounding terms and the optimiser are some forty operator dispatches per step, which on a small
// layer cost as much as its own forward and backward (docs/quantization.md, Cost).
#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include "engine/rounding/AdaRoundConfig.h"
#include "engine/rounding/ReconstructionKernels.h"
#include "engine/rounding/RectifiedSigmoidRounding.h"

namespace roundlab {

class RectifiedSigmoidOptimizer {
 public:
  // `v` (float32, contiguous, the constants' shape) is updated in place. Adam with LibTorch's
  // default betas and eps, or SGD with `momentum`, as torch::optim would apply them.
  RectifiedSigmoidOptimizer(at::Tensor v, RoundingConstants c, std::vector<int64_t> weightShape, OptimizerKind kind,
                            double momentum);

  // s (clamp(base + mask h(V) + (1 - mask) nearest + z, qmin, qmax) - z) at the current V, in
  // the weight's shape: a leaf that requires grad, overwritten by step().
  const at::Tensor& softWeight() const { return soft_; }
  // One update from the gradient accumulated on softWeight() since the last step (none counts as
  // zero) and, when beta > 0, lambda times the regulariser's; at learning rate `lr`.
  void step(double lr, double lambda, double beta);

 private:
  RoundingStepArrays arrays(const float* grad);

  at::Tensor v_;
  RoundingConstants c_;
  OptimizerKind kind_;
  double momentum_;
  int64_t steps_ = 0;
  at::Tensor soft_;
  at::Tensor dsoft_, h_, dh_;     // dW~/dV (0 where clamped or not learned), h(V), dh/dV
  at::Tensor moment1_, moment2_;  // Adam's averages; SGD's momentum buffer in moment1_
};

}  // namespace roundlab
