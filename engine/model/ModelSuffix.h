#pragma once
// The rest of the model after one reconstruction unit: the model's forward with the unit's output
// replaced by a given tensor, for PD-Quant's output-level term (the logits a quantized unit
// output leads to). TorchScript graphs have no cheap cut point (later ops may read any earlier
// value), so the prefix is recomputed from the model input; the unit itself is dropped as dead
// code. Runs the model's current weights and fixed activation quantizers; differentiable in the
// unit output.
#include <memory>
#include <string>

#include <torch/script.h>

namespace torch::jit {
struct GraphFunction;
}

namespace roundlab {

class Model;

class ModelSuffix {
 public:
  // nullptr, with the reason, when the unit is not called at exactly one place in the forward.
  // Whether that call runs once per sample (not in a loop or a skipped branch) is the caller's
  // check: the unit's captured rows must be the samples.
  static std::unique_ptr<ModelSuffix> build(const Model& model, const std::string& unit, bool isBlock,
                                            std::string* reason);
  ~ModelSuffix();

  at::Tensor run(const at::Tensor& modelInput, const at::Tensor& unitOutput) const;

 private:
  ModelSuffix() = default;
  torch::jit::Module module_;
  std::string outputChoice_, modelPath_;
  std::unique_ptr<torch::jit::GraphFunction> function_;
};

// PD-Quant's prediction-difference term (algorithms.md §2): weight * KL(softmax(z_FP/T) ||
// softmax(z_Q/T)), mean over the batch, z_Q the logits the suffix produces from the unit output.
struct OutputLoss {
  const ModelSuffix* suffix = nullptr;
  at::Tensor modelInputs;  // [N, ...] calibration inputs, rows matching the unit's samples
  at::Tensor fpLogits;     // [N, classes] of the FP model
  double weight = 0, temperature = 4;

  at::Tensor term(const at::Tensor& index, const at::Tensor& unitOutput) const;
};

}  // namespace roundlab
