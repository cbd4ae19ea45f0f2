#pragma once
// The straight-through offset variable's soft weight as one autograd node (issue 19: the
// recommended method's variable). Composed from ATen ops it records about twenty forward nodes per
// layer and step; one node with its own backward halves the cost of the variable's part of a step.
// Gradients are those of the composed form (RoundingVariable's reference path), which a test
// checks element by element.
#include <torch/torch.h>

namespace roundlab {

// What stays fixed during the optimisation, in the grid view [rows, groups, columns].
struct OffsetConstants {
  at::Tensor scaled;            // t / s: the weight in steps
  at::Tensor floor;             // floor(t / s)
  at::Tensor selected;          // bool: the weight learns its rounding
  at::Tensor fallback;          // the nearest code (before the zero point) of the weights not selected
  at::Tensor zeroPoint, scale;  // [rows, groups, 1]
  double qmin = 0, qmax = 0;
  bool freeIntegers = false;  // the code may leave {floor, floor + 1}
  at::Tensor fixedLogStep;    // zeros: the log step factors when the steps are not learned
};

// Soft weight (grid view) s exp(g) (clamp(q + z, qmin, qmax) - z), q = round_STE(t/s + d), clamped to
// {floor, floor + 1} unless free, the fallback code where not selected. `logStep` (g, [rows, groups, 1])
// may be a constant zero tensor when the steps are not learned.
at::Tensor offsetSoftWeight(const at::Tensor& offset, const at::Tensor& logStep, const OffsetConstants& constants);

// For tests and benchmarks: false makes RoundingVariable compose the soft weight from ATen ops
// (the reference the fused node is checked against). Process-wide; true by default.
void setOffsetSoftWeightFused(bool fused);
bool offsetSoftWeightFused();

}  // namespace roundlab
