#include "engine/model/GraphPaths.h"

#include <torch/csrc/jit/ir/ir.h>

namespace roundlab {

using torch::jit::Node;
using torch::jit::Value;

bool isLayerOp(const Node* n) {
  return n->kind() == c10::aten::conv1d || n->kind() == c10::aten::conv2d || n->kind() == c10::aten::_convolution ||
         n->kind() == c10::aten::linear;
}

bool isFusedAttentionOp(const Node* n) {
  static const c10::Symbol encoderLayer = c10::Symbol::fromQualString("aten::_transformer_encoder_layer_fwd");
  return n->kind() == c10::aten::_native_multi_head_attention || n->kind() == encoderLayer;
}

void forEachLayerOp(torch::jit::Graph& g, const std::map<std::string, std::string>& layersByWeight,
                    const std::function<void(Node*, const std::string&)>& fn) {
  forEachNode(g.block(), [&](Node* n) {
    if (!isLayerOp(n)) return;
    const auto src = weightSource(n->input(1));
    if (!src || src->derived) return;
    if (auto it = layersByWeight.find(src->path); it != layersByWeight.end()) fn(n, it->second);
  });
}

std::optional<std::string> attributePath(const Value* value) {
  std::string path;
  const Value* v = value;
  while (v->node()->kind() == c10::prim::GetAttr) {
    const Node* n = v->node();
    const std::string name = n->s(c10::attr::name);
    path = path.empty() ? name : name + "." + path;
    v = n->input(0);
  }
  // The chain must end at the graph's first input (self).
  if (path.empty() || v->node()->kind() != c10::prim::Param || v->offset() != 0) return std::nullopt;
  return path;
}

std::optional<WeightSource> weightSource(const Value* value) {
  static const std::vector<c10::Symbol> viewOps = {c10::aten::split,
                                                   c10::aten::split_with_sizes,
                                                   c10::aten::chunk,
                                                   c10::aten::slice,
                                                   c10::aten::select,
                                                   c10::aten::narrow,
                                                   c10::aten::t,
                                                   c10::aten::transpose,
                                                   c10::aten::contiguous,
                                                   c10::aten::to,
                                                   c10::prim::ListUnpack,
                                                   c10::aten::__getitem__,
                                                   c10::aten::unsafe_chunk,
                                                   c10::aten::unsafe_split};
  bool derived = false;
  const Value* v = value;
  for (int depth = 0; depth < 8; ++depth) {
    if (auto p = attributePath(v)) return WeightSource{*p, derived};
    const Node* n = v->node();
    if (n->kind() == c10::prim::unchecked_cast) {  // Optional refinement: same tensor
      v = n->input(0);
      continue;
    }
    if (n->kind() == c10::prim::If) {  // a refined value produced by a branch
      for (const torch::jit::Block* b : n->blocks())
        if (auto inner = weightSource(b->outputs()[v->offset()]))
          return WeightSource{inner->path, derived || inner->derived};
      return std::nullopt;
    }
    if (n->inputs().empty() || std::find(viewOps.begin(), viewOps.end(), n->kind()) == viewOps.end())
      return std::nullopt;
    derived = true;
    v = n->input(0);
  }
  return std::nullopt;
}

}  // namespace roundlab
