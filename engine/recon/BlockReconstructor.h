#pragma once
// Block reconstruction (BRECQ, Li et al. 2021): AdaRound's rounding variables for every layer
// of a block, optimised jointly so that the block's output matches the FP block output:
//   loss = ||B(x; W) - B(x~; W~_1..W~_k)||^2 + lambda * sum_l sum(1 - |2 h(V_l) - 1|^beta)
// The block runs through its own TorchScript forward with the soft weights placed in its weight
// slots (WeightOverride), so residual adds, norms and attention are all part of the objective.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <torch/script.h>

#include "engine/activation/ActivationSteps.h"
#include "engine/core/Job.h"
#include "engine/model/LayerInfo.h"
#include "engine/model/ModelSuffix.h"
#include "engine/recon/AdaRoundReconstructor.h"

namespace torch::jit {
struct GraphFunction;
}

namespace roundlab {

class Model;
class LearnedActivationScope;

// A block's calibration data: forward arguments with tensors stacked along dim 0 (the batch;
// other arguments as captured), and the FP outputs [N, ...].
struct BlockData {
  std::vector<c10::IValue> args;
  at::Tensor targets;
  at::Tensor fisher;  // optional per-element weights g: the loss becomes ||g (B(x) - B~(x~))||^2
  int64_t samples() const { return targets.size(0); }
};

struct BlockRoundingResult {
  std::map<std::string, RoundingResult> layers;  // lossBefore/After there are the block's
  double lossBefore = 0, lossAfter = 0;
  std::vector<std::pair<int, double>> curve;
};

class BlockReconstructor {
 public:
  BlockReconstructor(Model& model, const BlockInfo& block, std::map<std::string, WeightGrid> grids,
                     AdaRoundConfig config);
  ~BlockReconstructor();
  // Also learns the input quantizers in `activations` of the block's layers (LSQ steps, QDrop
  // mixing): the block then runs through a copy of its forward with learned quantizer ops.
  void setActivations(ActivationSteps* activations);
  // Adds PD-Quant's output-level term on the block's output to the objective; not owned.
  void setOutputLoss(const OutputLoss* loss) { outputLoss_ = loss; }

  // Leaves the model's weights as they were; the caller writes the returned codes.
  BlockRoundingResult run(const BlockData& data, const ProgressFn& progress = {}, const CancelToken& cancel = {});

 private:
  at::Tensor forward(const BlockData& data, const at::Tensor& index) const;
  double datasetLoss(const BlockData& data) const;
  at::Tensor loss(const BlockData& data, const at::Tensor& index, const at::Tensor& prediction) const;

  Model& model_;
  BlockInfo block_;
  std::map<std::string, WeightGrid> grids_;
  AdaRoundConfig config_;
  torch::jit::Module module_;
  ActivationSteps* activations_ = nullptr;
  const OutputLoss* outputLoss_ = nullptr;
  std::unique_ptr<torch::jit::GraphFunction> quantizedForward_;  // with activations
  LearnedActivationScope* scope_ = nullptr;                      // during run() with activations
};

}  // namespace roundlab
