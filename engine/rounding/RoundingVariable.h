#pragma once
// The learned rounding of one weight tensor on a fixed grid, shared by layer-wise (AdaRound) and
// block-wise (BRECQ) reconstruction. With t = W (or sign(W)|W|^a on a power grid):
//  - rectified sigmoid (AdaRound eq. 22-23): t~ = s (clamp(floor(t/s) + z + h(V), qmin, qmax) - z),
//    h(V) = clamp(sigmoid(V)(zeta-gamma)+gamma, 0, 1), V initialised so h(V) = frac(t/s);
//  - additive offset: q = round_STE(t/s + d), d initialised to 0 (round-to-nearest), clamped to
//    {floor, floor+1} for rounding only, or free over the grid;
//  - with learned steps, s becomes s * exp(g) with one g per channel/group, initialised to 0;
//  - with the bias as a degree of freedom, the layer's (FP) bias is learned too, from its value;
//  - with a learned power exponent, the grid's levels sign(q)|s q|^(1/a) move with a = a0 exp(e),
//    e initialised to 0 (the codes stay indices of the grid);
// weights outside the selection keep round-to-nearest.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "engine/quant/WeightGrid.h"
#include "engine/rounding/AdaRoundConfig.h"
#include "engine/rounding/OffsetSoftWeight.h"
#include "engine/rounding/RectifiedSigmoidOptimizer.h"
#include "engine/rounding/RectifiedSigmoidRounding.h"
#include "engine/rounding/RoundingTrace.h"

namespace roundlab {

class RoundingVariable {
 public:
  // `bias` (may be undefined) is learned only when the settings make it a degree of freedom.
  RoundingVariable(const at::Tensor& weight, WeightGrid grid, const AdaRoundConfig& config = {},
                   const at::Tensor& bias = {});

  // The optimised tensors: the rounding variable, the log step factors when steps are learned,
  // the bias when it is learned.
  std::vector<at::Tensor> parameters() const;
  // The grid with the learned step sizes (the initial grid when steps are not learned).
  WeightGrid grid() const;
  // Soft-quantized weight, differentiable in the variable, in the weight's shape.
  at::Tensor softWeight() const;
  // lambda-free regulariser sum(1 - |2 h(V) - 1|^beta) over selected weights (0 for the offset).
  at::Tensor regularizer(double beta) const;
  // Final integer codes, int32, in the weight's shape.
  at::Tensor codes() const;
  // The soft rounding value of every weight, flat in the weight's order (detached): h(V) for the
  // rectified sigmoid, the position between floor and floor + 1 for the offset (clamped to [0, 1]).
  at::Tensor softRounding() const;
  // Which weights learn their rounding (the selection), flat, bool.
  at::Tensor learned() const;
  RoundingVariableKind kind() const { return kind_; }
  // The learned bias: differentiable while optimising / a detached copy; undefined when the bias
  // is not learned.
  at::Tensor softBias() const { return bias_; }
  at::Tensor learnedBias() const { return bias_.defined() ? bias_.detach().clone() : at::Tensor(); }

  // The rectified-sigmoid variable with fixed steps and exponent can be optimised fused (see
  // RectifiedSigmoidOptimizer): between start and stop, softWeight() is that optimiser's leaf,
  // parameters() is empty and fusedStep() updates V. start returns false for other variables.
  bool startFusedOptimisation(const AdaRoundConfig& config);
  void fusedStep(double lr, double lambda, double beta) { fusedOptimizer_->step(lr, lambda, beta); }
  void stopFusedOptimisation() { fusedOptimizer_.reset(); }

  static at::Tensor rectifiedSigmoid(const at::Tensor& v);
  static at::Tensor inverseRectifiedSigmoid(const at::Tensor& h);

 private:
  at::Tensor integerCodes(bool hard) const;  // codes before the zero point, grid view

  WeightGrid grid_;
  RoundingVariableKind kind_;
  DegreesOfFreedom freedom_;
  std::vector<int64_t> shape_;
  at::Tensor scaled_, base_, nearest_, mask_;  // grid view
  at::Tensor v_;
  at::Tensor logStep_;          // [rows, groups, 1], learned with the step sizes; undefined otherwise
  at::Tensor bias_;             // learned with the bias; undefined otherwise
  at::Tensor logExponent_;      // learned with the exponent; undefined otherwise
  at::Tensor exponent() const;  // the current exponent, differentiable (learned) or constant
  // The fused rectified-sigmoid ops' constants (rectified sigmoid only). The regulariser reads
  // them by reference during backward, so a variable is not moved while a step is in flight.
  RoundingConstants fused_;
  OffsetConstants offset_;  // the offset variable's (OffsetSoftWeight)
  bool fusable_ = false;    // the steps and the exponent are fixed
  std::unique_ptr<RectifiedSigmoidOptimizer> fusedOptimizer_;
};

// The optimisation loop shared by layer-wise and block-wise reconstruction. Each iteration draws
// a batch of `samples` (seeded by config.seed), asks `batchLoss` for the soft model's
// reconstruction loss on it, adds lambda times the variables' regularisers (after warm-up),
// and steps the optimiser (fused where the variables allow it), for config.iterations or until the
// rounding settles (config.stopWhenSettled; the curve's last point is the last iteration run). Calls `checkCancel`
// every iteration and `progress(fraction, batch loss)` at most every 1%. `steps` (activation step sizes) get their own
// Adam at `stepLearningRate` with cosine decay. Returns the loss curve (iteration, batch loss); `traces` (one per
// variable, when given) receive how each variable's rounding evolved.
std::vector<std::pair<int, double>> optimiseRounding(
    const std::vector<RoundingVariable*>& variables, int64_t samples, const AdaRoundConfig& config,
    const std::function<at::Tensor(const at::Tensor&)>& batchLoss, const std::function<void(double, double)>& progress,
    const std::function<void()>& checkCancel, const std::vector<at::Tensor>& steps = {}, double stepLearningRate = 0,
    std::vector<RoundingTrace>* traces = nullptr);

// Adds one snapshot of `variable` at `iteration` to `trace` (the first picks the tracked weights).
void recordRoundingTrace(RoundingTrace& trace, const RoundingVariable& variable, int iteration);

// The optimiser of the settings (Adam or SGD with momentum) over the variables.
std::unique_ptr<torch::optim::Optimizer> makeOptimizer(const std::vector<at::Tensor>& params,
                                                       const AdaRoundConfig& config);
// Learning rate for an iteration: constant, or cosine decay to 0.
double learningRate(const AdaRoundConfig& config, int iteration);

// The regulariser schedule: none during warm-up, then beta from betaStart to betaEnd
// (linear or cosine). Returns a negative value while the regulariser is off.
double regularizerBeta(const AdaRoundConfig& config, int iteration);

// Reconstruction error used throughout: sum over dim 1 (channels / features), mean over the rest.
at::Tensor reconstructionLoss(const at::Tensor& prediction, const at::Tensor& target);

}  // namespace roundlab
