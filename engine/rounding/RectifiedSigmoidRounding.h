#pragma once
// The constants of AdaRound's rectified-sigmoid rounding (eq. 22-23) on a fixed grid, and its
// regulariser (eq. 24) as one fused autograd operation with a hand-written backward (composed
// from tensor ops it is about fifteen dispatches each way on every step). The soft weight itself
// is fused with the optimiser: RectifiedSigmoidOptimizer.
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

// sum(mask (1 - |2 h(V) - 1|^beta)) (AdaRound eq. 24), differentiable in v.
at::Tensor rectifiedSigmoidRegularizer(const at::Tensor& v, const RoundingConstants& c, double beta);

}  // namespace roundlab
