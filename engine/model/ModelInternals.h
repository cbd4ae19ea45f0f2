#pragma once
// Engine-internal helpers over a TorchScript module (Torch types; not for the GUI).
#include <torch/script.h>

#include "engine/model/LayerInfo.h"

namespace roundlab {

// Reads the value stored at an attribute path such as "layer1.0.conv1.weight".
c10::IValue attributeAt(const torch::jit::Module& root, const std::string& path);

// Layer table of a module: quantizable layers with conv attributes, unquantized parameters.
// Throws NoQuantizableLayer when there is nothing to quantize.
ModelSummary discoverLayers(const torch::jit::Module& module, const std::string& origin);

// Fills summary.blocks and each layer's `block` from the module tree and the forward graph.
void discoverBlocks(const torch::jit::Module& module, ModelSummary& summary);

// Fills summary.dataflow from the forward graph: which layers' outputs each layer (and the
// model's output) reads.
void discoverDataflow(const torch::jit::Module& module, ModelSummary& summary);

// Fills summary.tokenTable and positionTable from the forward graph's aten::embedding ops.
void discoverEmbeddings(const torch::jit::Module& module, ModelSummary& summary);

// Module path -> normalised short type name, for every submodule ("" is the root).
std::map<std::string, std::string> moduleTypes(const torch::jit::Module& module);

}  // namespace roundlab
