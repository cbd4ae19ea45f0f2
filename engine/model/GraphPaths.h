#pragma once
// Naming values in a TorchScript graph by the attribute path they were read from.
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace torch::jit {
struct Value;
struct Node;
struct Block;
struct Graph;
}  // namespace torch::jit

namespace roundlab {

// Follows a prim::GetAttr chain back to the graph's `self` input: "layer1.0.conv1.weight".
// nullopt when the value is not such a chain.
std::optional<std::string> attributePath(const torch::jit::Value* value);

// Where a weight operand comes from: the parameter path, whether the op sees only a slice or view
// of it (e.g. nn.MultiheadAttention splitting in_proj_weight for cross-attention), and whether it
// reaches the op transposed (W.t(): the same values, the other layout).
struct WeightSource {
  std::string path;
  bool derived = false;
  bool transposed = false;
};
std::optional<WeightSource> weightSource(const torch::jit::Value* value);

// Which inputs of a layer op are the activation, the weight and the bias, and the layout the op
// reads its weight in: conv and linear take [out, in, ...]; addmm / mm / matmul multiply by
// [in, out] (Hugging Face's Conv1D: addmm(bias, x, W)).
struct LayerOperands {
  size_t input = 0;
  size_t weight = 1;
  std::optional<size_t> bias;
  bool weightInOut = false;
};
// The operands of a possible layer op: aten::conv1d / conv2d / _convolution (traced) / linear, and
// aten::addmm (beta = alpha = 1) / mm / matmul, which are layers only when their weight operand is
// a parameter (the callers check that). nullopt for any other op.
std::optional<LayerOperands> layerOperands(const torch::jit::Node* node);
inline bool isLayerOp(const torch::jit::Node* node) { return layerOperands(node).has_value(); }
// The activation a layer op reads (its first input, or addmm's second).
torch::jit::Value* layerInput(torch::jit::Node* op);
// A fused kernel that hides attention's projections (taken in eval mode without autograd).
bool isFusedAttentionOp(const torch::jit::Node* node);

// Calls fn(op, layer) for every layer op (any nesting depth) that reads the whole weight of a
// layer listed in `layersByWeight` (weight attribute path -> layer name).
void forEachLayerOp(torch::jit::Graph& graph, const std::map<std::string, std::string>& layersByWeight,
                    const std::function<void(torch::jit::Node*, const std::string&)>& fn);

// Calls fn on every node in block and its nested blocks (prim::If / prim::Loop bodies).
template <typename Fn>
void forEachNode(torch::jit::Block* block, Fn&& fn);

}  // namespace roundlab

#include "engine/model/GraphPaths.inl"
