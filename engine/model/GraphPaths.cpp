#include "engine/model/GraphPaths.h"

#include <torch/csrc/jit/ir/constants.h>
#include <torch/csrc/jit/ir/ir.h>

namespace roundlab {

using torch::jit::Node;
using torch::jit::Value;

namespace {

bool isConstantOne(const Value* v) {
  const auto c = torch::jit::toIValue(v);
  return c && ((c->isInt() && c->toInt() == 1) || (c->isDouble() && c->toDouble() == 1.0));
}

// transpose(W, 0, 1) or (-2, -1) and the like: of a matrix, the only transpose there is (a larger
// tensor's is a view the caller does not take as a layer weight anyway).
bool isMatrixTranspose(const Node* n) {
  if (n->kind() != c10::aten::transpose || n->inputs().size() != 3) return false;
  const auto a = torch::jit::toIValue(n->input(1)), b = torch::jit::toIValue(n->input(2));
  if (!a || !b || !a->isInt() || !b->isInt()) return false;
  const int64_t x = a->toInt(), y = b->toInt();
  const auto dim = [](int64_t d) { return d < 0 ? d + 2 : d; };
  return x != y && dim(x) >= 0 && dim(x) <= 1 && dim(y) >= 0 && dim(y) <= 1;
}

}  // namespace

std::optional<LayerOperands> layerOperands(const Node* n) {
  const c10::Symbol k = n->kind();
  if (k == c10::aten::conv1d || k == c10::aten::conv2d || k == c10::aten::_convolution || k == c10::aten::linear)
    return n->inputs().size() >= 2 ? std::optional<LayerOperands>(LayerOperands{0, 1, 2, false}) : std::nullopt;
  if (k == c10::aten::addmm && n->inputs().size() == 5 && isConstantOne(n->input(3)) && isConstantOne(n->input(4)))
    return LayerOperands{1, 2, 0, true};  // addmm(bias, x, W, beta, alpha) = bias + x @ W
  if ((k == c10::aten::mm || k == c10::aten::matmul) && n->inputs().size() == 2)
    return LayerOperands{0, 1, std::nullopt, true};
  return std::nullopt;
}

Value* layerInput(Node* op) { return op->input(layerOperands(op).value().input); }

bool isFusedAttentionOp(const Node* n) {
  static const c10::Symbol encoderLayer = c10::Symbol::fromQualString("aten::_transformer_encoder_layer_fwd");
  return n->kind() == c10::aten::_native_multi_head_attention || n->kind() == encoderLayer;
}

void forEachLayerOp(torch::jit::Graph& g, const std::map<std::string, std::string>& layersByWeight,
                    const std::function<void(Node*, const std::string&)>& fn) {
  forEachNode(g.block(), [&](Node* n) {
    const auto operands = layerOperands(n);
    if (!operands) return;
    const auto src = weightSource(n->input(operands->weight));
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
  bool derived = false, transposed = false;
  const Value* v = value;
  for (int depth = 0; depth < 8; ++depth) {
    if (auto p = attributePath(v)) return WeightSource{*p, derived, transposed};
    const Node* n = v->node();
    if (n->kind() == c10::prim::unchecked_cast) {  // Optional refinement: same tensor
      v = n->input(0);
      continue;
    }
    if (n->kind() == c10::prim::If) {  // a refined value produced by a branch
      for (const torch::jit::Block* b : n->blocks())
        if (auto inner = weightSource(b->outputs()[v->offset()]))
          return WeightSource{inner->path, derived || inner->derived, transposed != inner->transposed};
      return std::nullopt;
    }
    if (n->inputs().empty() || std::find(viewOps.begin(), viewOps.end(), n->kind()) == viewOps.end())
      return std::nullopt;
    if (n->kind() == c10::aten::t || isMatrixTranspose(n)) {  // same values, other layout
      transposed = !transposed;
      v = n->input(0);
      continue;
    }
    derived = true;
    v = n->input(0);
  }
  return std::nullopt;
}

}  // namespace roundlab
