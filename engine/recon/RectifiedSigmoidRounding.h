#pragma once
// The rectified-sigmoid rounding of AdaRound (eq. 22-23) and its regulariser, each as one fused
// autograd operation with a hand-written backward. Composed from tensor ops, a step on a small
// layer costs about thirty operator dispatches forward and backward for these elementwise terms
// alone, more than the layer's own matrix product; fused they are one loop each way.
#include <cstdint>

#include <torch/torch.h>

namespace roundlab {

// Constant per-weight data of a fixed grid, all float32, contiguous, in the same (grid view) shape.
struct RoundingConstants {
  at::Tensor base;       // floor(w / s)
  at::Tensor nearest;    // 1 where round-to-nearest rounds up
  at::Tensor mask;       // 1 where the rounding is learned, 0 where it stays nearest
  at::Tensor zeroPoint;  // expanded to every weight
  at::Tensor scale;      // expanded to every weight
  int64_t qmin = 0, qmax = 0;
};

// s (clamp(base + mask h(V) + (1 - mask) nearest + z, qmin, qmax) - z), h the rectified sigmoid;
// differentiable in v.
at::Tensor rectifiedSigmoidWeight(const at::Tensor& v, const RoundingConstants& c);
// sum(mask (1 - |2 h(V) - 1|^beta)) (AdaRound eq. 24), differentiable in v.
at::Tensor rectifiedSigmoidRegularizer(const at::Tensor& v, const RoundingConstants& c, double beta);

}  // namespace roundlab
