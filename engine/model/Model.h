#pragma once
// A loaded TorchScript model: its layer table, and access to the weights RoundLab quantizes.
// Not thread-safe: one thread (the engine worker, the CLI, a test) owns a Model at a time.
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/activation/ActivationQuantConfig.h"
#include "engine/model/LayerInfo.h"

namespace at {
class Tensor;
}
namespace torch::jit {
struct Module;
}

namespace roundlab {

class Model {
 public:
  // Loads a TorchScript file (scripted or traced) onto the CPU and discovers its layers.
  // Throws Error: FileNotFound, NotTorchScript, NoForwardMethod, NoQuantizableLayer.
  static Model load(const std::string& path);
  // Same, from an already loaded module (tests, training tools). `origin` names it in errors.
  static Model fromModule(const torch::jit::Module& module, const std::string& origin);

  const ModelSummary& summary() const;
  const std::string& path() const;
  const LayerInfo& layer(const std::string& name) const;  // throws UnknownLayer

  // Runs forward in eval mode without autograd. Throws InputShapeMismatch with the model's
  // own explanation when the input does not fit.
  at::Tensor forward(const at::Tensor& input) const;
  // Which output forward returns when the model returns a tuple or dict (selectModelOutput), and
  // what the last forward found it returns (describeModelOutput; empty for a single tensor).
  void setOutputChoice(const std::string& choice);
  std::string outputNote() const;
  // The outputs the last forward returned, as (choice, what) (listModelOutputs; empty for a
  // single tensor or before a forward).
  std::vector<std::pair<std::string, std::string>> outputs() const;

  // A layer's weight as [out, in, ...]: the parameter itself, or a copy of a parameter stored
  // [in, out] (LayerInfo::weightTransposed). Change weights with setWeight.
  at::Tensor weight(const std::string& layer) const;
  at::Tensor bias(const std::string& layer) const;  // undefined tensor if none
  // Replaces a layer's weight values in place; the model uses them from the next forward.
  void setWeight(const std::string& layer, const at::Tensor& values);
  // Replaces a layer's bias values in place (the layer must have a bias).
  void setBias(const std::string& layer, const at::Tensor& values);
  // An embedding table of summary().embeddingTables, by parameter name, and its replacement in
  // place (throws UnknownLayer for any other name).
  at::Tensor embeddingTable(const std::string& parameter) const;
  void setEmbeddingTable(const std::string& parameter, const at::Tensor& values);
  // Weight values as a flat float vector (for views that must not see Torch types).
  std::vector<float> weightValues(const std::string& layer) const;

  // Quantizes the inputs of the listed layers in every later forward (and capture, and export);
  // an empty map (or disabled params) turns activation quantization off. The module itself is
  // not changed: forward runs a rewritten copy of its graph that reads the same weights.
  void setActivationQuantization(const std::map<std::string, ActivationQuantParams>& params);
  const std::map<std::string, ActivationQuantParams>& activationQuantization() const;

  // An independent copy (own weights, same activation quantization), e.g. the FP reference
  // beside a quantized model.
  Model clone() const;

  // The module to save: the module itself, or with activation quantization a copy whose forward
  // holds the quantizers as standard ops.
  torch::jit::Module exportableModule() const;

  torch::jit::Module& module();
  const torch::jit::Module& module() const;

 private:
  struct Impl;
  explicit Model(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> d;
};

// Why `input` did not fit a language model, in its own terms (float data for token ids, an id past
// the embedding table, a sequence longer than the context); `torchMessage` otherwise.
std::string explainModelInput(const ModelSummary& summary, const at::Tensor& input, const std::string& torchMessage);

// First line of a Torch error that says what went wrong, without the TorchScript traceback.
std::string conciseTorchMessage(const std::string& what);

}  // namespace roundlab
