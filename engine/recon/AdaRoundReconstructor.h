#pragma once
// AdaRound (Nagel et al. 2020) for one layer: learns, per weight, whether to round down or up
// on a fixed uniform grid so that the layer's output on calibration inputs matches the target.
//   W~ = s (clamp(floor(W/s) + z + h(V), qmin, qmax) - z),  h(V) = clamp(sigmoid(V)(zeta-gamma)+gamma, 0, 1)
//   loss = ||f(W x) - f(W~ x)||^2 + lambda * sum(1 - |2 h(V) - 1|^beta)        (AdaRound eq. 21-25)
// with no regulariser during warm-up, then beta annealed from betaStart to betaEnd.
#include <functional>
#include <vector>

#include <torch/types.h>

#include "engine/activation/ActivationSteps.h"
#include "engine/core/Job.h"
#include "engine/model/LayerInfo.h"
#include "engine/model/ModelSuffix.h"
#include "engine/quant/WeightGrid.h"
#include "engine/rounding/AdaRoundConfig.h"
#include "engine/rounding/RoundingVariable.h"

namespace roundlab {

class LayerEpilogue;
class LearnedActivationScope;

struct RoundingResult {
  at::Tensor codes;                           // int32, weight shape: final integer codes
  at::Tensor rtnCodes;                        // round-to-nearest codes on the same grid
  at::Tensor weight;                          // dequantized weight (float32)
  at::Tensor bias;                            // learned bias (float32); undefined: the bias is unchanged
  WeightGrid grid;                            // the grid of `codes` (learned steps included)
  int64_t flipsUp = 0, flipsDown = 0;         // codes above / below round-to-nearest
  double flipRate = 0;                        // (up + down) / weights
  double lossBefore = 0;                      // reconstruction loss of RTN on the calibration set
  double lossAfter = 0;                       // of the learned rounding
  std::vector<std::pair<int, double>> curve;  // (iteration, reconstruction loss of the batch)
  RoundingTrace trace;                        // how the soft rounding evolved
};

// Fills flipsUp/flipsDown/flipRate from codes and rtnCodes.
void countFlips(RoundingResult& result, int64_t weights);

class AdaRoundReconstructor {
 public:
  // inputs [N, ...] and targets [N, ...]: the layer's calibration inputs and desired outputs.
  AdaRoundReconstructor(const LayerInfo& layer, const at::Tensor& weight, const at::Tensor& bias, WeightGrid grid,
                        AdaRoundConfig config);

  // Also learns the layer's input quantizer in `activations` (LSQ step, QDrop mixing), when it
  // holds one; not owned.
  void setActivations(ActivationSteps* activations) { activations_ = activations; }
  // Adds PD-Quant's output-level term on the layer's output to the objective; not owned.
  void setOutputLoss(const OutputLoss* loss) { outputLoss_ = loss; }
  // f: the BatchNorm and activation that follow the layer (the targets must have been through
  // it too); not owned. Takes the place of the configured ReLU.
  void setEpilogue(const LayerEpilogue* epilogue) { epilogue_ = epilogue; }

  // Runs the optimisation. Calls progress at most every 1% of iterations; polls cancel every
  // iteration (throws Error Cancelled, leaving nothing changed).
  RoundingResult run(const at::Tensor& inputs, const at::Tensor& targets, const ProgressFn& progress = {},
                     const CancelToken& cancel = {});

 private:
  // The op, input quantizer included; f adds the epilogue or the ReLU if configured.
  at::Tensor applyRaw(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) const;
  at::Tensor apply(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) const;
  at::Tensor after(const at::Tensor& opOutput) const;  // f's part after the op
  double datasetLoss(const at::Tensor& inputs, const at::Tensor& targets, const at::Tensor& w,
                     const at::Tensor& b) const;

  LayerInfo layer_;
  at::Tensor weight_, bias_;
  WeightGrid grid_;
  AdaRoundConfig config_;
  ActivationSteps* activations_ = nullptr;
  const OutputLoss* outputLoss_ = nullptr;
  const LayerEpilogue* epilogue_ = nullptr;
  LearnedActivationScope* scope_ = nullptr;  // during run() with activations
};

}  // namespace roundlab
