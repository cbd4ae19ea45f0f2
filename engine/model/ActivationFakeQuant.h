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

#include "engine/activation/ActivationQuantConfig.h"
#include "engine/activation/LearnedActivationScope.h"
#include "engine/model/LayerInfo.h"

namespace roundlab {

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

}  // namespace roundlab
