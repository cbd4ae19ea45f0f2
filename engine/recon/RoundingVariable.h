#pragma once
// AdaRound's rounding variable for one weight tensor on a fixed uniform grid (AdaRound eq. 22-23):
//   W~ = s (clamp(floor(W/s) + z + h(V), qmin, qmax) - z),  h(V) = clamp(sigmoid(V)(zeta-gamma)+gamma, 0, 1)
// On a power grid (exponent a != 1) the same is done on t = sign(W)|W|^a and W~ = sign(t~)|t~|^(1/a).
// Shared by layer-wise (AdaRound) and block-wise (BRECQ) reconstruction.
#include <torch/types.h>

#include "engine/quant/WeightGrid.h"
#include "engine/recon/AdaRoundConfig.h"

namespace roundlab {

class RoundingVariable {
 public:
  RoundingVariable(const at::Tensor& weight, WeightGrid grid);

  at::Tensor& v() { return v_; }  // the optimised variable (requires grad)
  const WeightGrid& grid() const { return grid_; }
  // Soft-quantized weight, differentiable in V, in the weight's shape.
  at::Tensor softWeight() const;
  // lambda-free regulariser sum(1 - |2 h(V) - 1|^beta): pushes h(V) to 0 or 1.
  at::Tensor regularizer(double beta) const;
  // Final codes floor(W/s) + z + [V >= 0], clamped; int32 in the weight's shape.
  at::Tensor codes() const;

  static at::Tensor rectifiedSigmoid(const at::Tensor& v);
  static at::Tensor inverseRectifiedSigmoid(const at::Tensor& h);

 private:
  WeightGrid grid_;
  std::vector<int64_t> shape_;
  at::Tensor base_;  // floor(W/s), grid view
  at::Tensor v_;
};

// The regulariser schedule: none during warm-up, then beta from betaStart to betaEnd
// (linear or cosine). Returns a negative value while the regulariser is off.
double regularizerBeta(const AdaRoundConfig& config, int iteration);

// Reconstruction error used throughout: sum over dim 1 (channels / features), mean over the rest.
at::Tensor reconstructionLoss(const at::Tensor& prediction, const at::Tensor& target);

}  // namespace roundlab
