#pragma once
// Activation quantization inside TorchScript graphs. C++ has no forward hooks, so quantized
// activations are ops inserted into a copy of a forward graph, on the input of each quantized
// layer's conv/linear op:
//  - fixed quantizers (evaluation, export, capturing inputs of a partially quantized model):
//    aten::fake_quantize_per_tensor_affine, a standard op, so a saved graph reloads anywhere;
//  - learned quantizers (block reconstruction): roundlab::learned_act_quant(x, layer), which
//    applies the LSQ quantizer that the calling thread's LearnedActivationScope holds for the
//    layer, with QDrop's random mixing while training.
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <torch/script.h>

#include "engine/LayerInfo.h"
#include "engine/quant/ActivationQuantConfig.h"

namespace roundlab {

class ActivationQuantizer;

// Weight attribute path -> layer name, for the layers under module path `prefix` ("" = the
// whole model), paths relative to that module.
std::map<std::string, std::string> layersByWeightPath(const ModelSummary& summary, const std::string& prefix = "");

// Inserts a fixed quantizer before every layer op of `graph` (fully inlined) whose layer has
// enabled params.
void insertActivationFakeQuant(torch::jit::Graph& graph, const std::map<std::string, std::string>& layersByWeight,
                               const std::map<std::string, ActivationQuantParams>& params);

// Inserts roundlab::learned_act_quant before every layer op of `graph` whose layer is in `layers`.
void insertLearnedActivationQuant(torch::jit::Graph& graph, const std::map<std::string, std::string>& layersByWeight,
                                  const std::set<std::string>& layers);

// Makes every prim::If that chooses between a fused attention kernel (which would hide the
// projections and their quantizers) and the plain ops take the plain branch. Same maths.
void avoidFusedAttention(torch::jit::Graph& graph);

// Inlines a forward graph in place, avoids fused attention, and inserts fixed quantizers.
void quantizeActivationsInGraph(torch::jit::Graph& graph, const ModelSummary& summary,
                                const std::map<std::string, ActivationQuantParams>& params);
// A copy of the module's forward, so rewritten.
std::shared_ptr<torch::jit::Graph> activationQuantizedForward(
    const torch::jit::Module& module, const ModelSummary& summary,
    const std::map<std::string, ActivationQuantParams>& params);

// While alive, roundlab::learned_act_quant ops run on this thread use these quantizers (not
// owned). With mixing on, each element keeps its quantized value with probability
// `dropProbability` and its FP value otherwise (QDrop); with mixing off, plain quantization.
class LearnedActivationScope {
 public:
  LearnedActivationScope(std::map<std::string, ActivationQuantizer*> quantizers, double dropProbability, uint64_t seed);
  ~LearnedActivationScope();
  LearnedActivationScope(const LearnedActivationScope&) = delete;
  LearnedActivationScope& operator=(const LearnedActivationScope&) = delete;

  void setMixing(bool on) { mixing_ = on; }
  // Fixed quantizers for layers without a learned one (applied as evaluation applies them).
  void setFixed(std::map<std::string, ActivationQuantParams> fixed) { fixed_ = std::move(fixed); }
  // Keeps every input the ops pass (before quantization), by layer, in execution order.
  void setRecorder(std::map<std::string, std::vector<at::Tensor>>* recorder) { recorder_ = recorder; }
  // Quantizes x with the layer's quantizer (a copy of x when the scope has none for the layer).
  at::Tensor apply(const std::string& layer, const at::Tensor& x);

 private:
  std::map<std::string, ActivationQuantizer*> quantizers_;
  std::map<std::string, ActivationQuantParams> fixed_;
  std::map<std::string, std::vector<at::Tensor>>* recorder_ = nullptr;
  double dropProbability_;
  at::Generator generator_;
  bool mixing_ = true;
  LearnedActivationScope* previous_;
};

}  // namespace roundlab
