// Which layers feed which: from each layer op of the inlined forward graph, back through the ops
// that are not layers to the layers (or model inputs) whose outputs it reads.
#include <set>

#include <torch/csrc/jit/ir/constants.h>
#include <torch/csrc/jit/passes/inliner.h>

#include "engine/model/GraphPaths.h"
#include "engine/model/ModelInternals.h"

namespace roundlab {

namespace {

using torch::jit::Node;
using torch::jit::Value;

// Values that carry activations: tensors and containers of them (not sizes, flags or modules).
bool carriesTensor(const c10::TypePtr& t) {
  switch (t->kind()) {
    case c10::TypeKind::TensorType:
      return true;
    case c10::TypeKind::ListType:
      return carriesTensor(t->expectRef<c10::ListType>().getElementType());
    case c10::TypeKind::OptionalType:
      return carriesTensor(t->expectRef<c10::OptionalType>().getElementType());
    case c10::TypeKind::DictType:
      return carriesTensor(t->expectRef<c10::DictType>().getValueType());
    case c10::TypeKind::TupleType:
      for (const c10::TypePtr& e : t->containedTypes())
        if (carriesTensor(e)) return true;
      return false;
    default:
      return false;
  }
}

// Ops that cut, reshape or unpack a weight without computing a new one.
bool reshapesWeight(const Node* n) {
  using namespace c10;
  static const std::set<Symbol> kinds{prim::ListUnpack,
                                      prim::TupleUnpack,
                                      prim::TupleIndex,
                                      prim::unchecked_cast,
                                      prim::If,
                                      aten::split,
                                      aten::split_with_sizes,
                                      aten::chunk,
                                      aten::unsafe_chunk,
                                      aten::unsafe_split,
                                      aten::slice,
                                      aten::select,
                                      aten::narrow,
                                      aten::t,
                                      aten::transpose,
                                      aten::permute,
                                      aten::view,
                                      aten::reshape,
                                      aten::contiguous,
                                      aten::to,
                                      aten::detach,
                                      aten::squeeze,
                                      aten::unsqueeze,
                                      aten::__getitem__,
                                      aten::expand};
  return kinds.count(n->kind()) > 0;
}

// The attribute paths a weight operand is cut from (nn.MultiheadAttention slices q, k and v out of
// in_proj_weight), a few such ops deep; empty for a weight computed from activations.
std::set<std::string> weightAttributes(const Value* v, int depth = 0) {
  if (auto p = attributePath(v)) return {*p};
  std::set<std::string> paths;
  const Node* n = v->node();
  if (depth > 10 || !reshapesWeight(n)) return paths;
  std::vector<const Value*> from(n->inputs().begin(), n->inputs().end());
  if (n->kind() == c10::prim::If)  // w = a if c else b: either branch's value
    for (const torch::jit::Block* b : n->blocks()) from.push_back(b->outputs()[v->offset()]);
  for (const Value* in : from)  // tensors only: split(self.n_embd) reads an int attribute, no weight
    if (carriesTensor(in->type()))
      for (const std::string& p : weightAttributes(in, depth + 1)) paths.insert(p);
  return paths;
}

class Tracer {
 public:
  Tracer(std::map<const Node*, std::string> layerOf, std::set<const Node*> deadOps)
      : layerOf_(std::move(layerOf)), deadOps_(std::move(deadOps)) {}

  // The layers (or kModelInput) whose outputs `v` is computed from.
  std::set<std::string> sourcesOf(const Value* v) {
    seen_.clear();
    seenOutputs_.clear();
    found_.clear();
    visit(v);
    return found_;
  }

 private:
  // Element `index` of a tuple or list: only what was put there, not its siblings (a submodule
  // returning (h, k, v) feeds each consumer only the element it takes).
  void visitElement(const Value* container, size_t index) {
    const Node* n = container->node();
    if ((n->kind() == c10::prim::TupleConstruct || n->kind() == c10::prim::ListConstruct) && index < n->inputs().size())
      return visit(n->input(index));
    if (n->kind() == c10::prim::If) {
      for (const torch::jit::Block* b : n->blocks()) visitElement(b->outputs()[container->offset()], index);
      return;
    }
    visit(container);  // built some other way: all of it
  }

  void visit(const Value* v) {
    if (!carriesTensor(v->type()) || attributePath(v)) return;  // parameters and buffers are no dataflow
    const Node* n = v->node();
    if (n->kind() == c10::prim::TupleUnpack || n->kind() == c10::prim::ListUnpack) {
      if (seenOutputs_.insert(v).second) visitElement(n->input(0), v->offset());
      return;
    }
    if (n->kind() == c10::prim::TupleIndex || n->kind() == c10::aten::__getitem__) {
      const std::optional<c10::IValue> index = torch::jit::toIValue(n->input(1));
      if (index && index->isInt() && index->toInt() >= 0 && n->input(0)->type()->kind() != c10::TypeKind::DictType) {
        if (seenOutputs_.insert(v).second) visitElement(n->input(0), static_cast<size_t>(index->toInt()));
        return;
      }
    }
    if (n->kind() == c10::prim::Param) {
      if (!seenOutputs_.insert(v).second) return;
      const Node* owner = n->owningBlock()->owningNode();
      if (!owner) {
        found_.insert(kModelInput);  // an input of forward (self is a module, not a tensor)
      } else if (owner->kind() == c10::prim::Loop && v->offset() > 0) {
        // A loop body's carried value j: what enters the loop, and what the body carries on.
        visit(owner->input(v->offset() + 1));
        visit(n->owningBlock()->outputs()[v->offset()]);
      }
      return;
    }
    // One output of an If or a Loop: that output of each body (and, for a loop, what enters it),
    // not the others, which may carry unrelated tensors (masks beside keys).
    if (n->kind() == c10::prim::If || n->kind() == c10::prim::Loop) {
      const size_t i = v->offset();
      if (!seenOutputs_.insert(v).second) return;
      const size_t shift = n->kind() == c10::prim::Loop ? 1 : 0;  // a loop body returns its condition first
      for (const torch::jit::Block* b : n->blocks()) visit(b->outputs()[i + shift]);
      if (n->kind() == c10::prim::Loop) visit(n->input(i + 2));
      return;
    }
    if (!seen_.insert(n).second || deadOps_.count(n)) return;
    if (const auto it = layerOf_.find(n); it != layerOf_.end()) {
      found_.insert(it->second);
      return;
    }
    for (const Value* in : n->inputs()) visit(in);
  }

  std::map<const Node*, std::string> layerOf_;
  std::set<const Node*> deadOps_;
  std::set<const Node*> seen_;
  std::set<const Value*> seenOutputs_;
  std::set<std::string> found_;
};

}  // namespace

void discoverDataflow(const torch::jit::Module& module, ModelSummary& summary) {
  auto graph = module.get_method("forward").graph()->copy();
  torch::jit::Inline(*graph);
  std::map<std::string, std::string> layersByWeight;
  for (const LayerInfo& l : summary.layers) layersByWeight[l.weightPath] = l.name;
  // Every op that applies a layer's weight, also a slice of it (nn.MultiheadAttention's q/k/v
  // branches read in_proj's rows): the tensors it makes are that layer's output.
  // An op whose weight attribute holds no tensor (nn.MultiheadAttention's q_proj_weight when
  // q, k and v share in_proj) sits on a branch that never runs: nothing flows through it.
  std::map<const Node*, std::string> layerOf;
  std::set<const Node*> deadOps;
  forEachNode(graph->block(), [&](Node* n) {
    const auto operands = layerOperands(n);
    if (!operands) return;
    const Value* weight = n->input(operands->weight);
    // A weight TorchScript leaves uninitialized: the op is on a path that raises before it.
    if (weight->node()->kind() == c10::prim::Uninitialized) {
      deadOps.insert(n);
      return;
    }
    const std::set<std::string> paths = weightAttributes(weight);
    bool live = paths.empty();  // a weight computed from the input itself: an ordinary op
    for (const std::string& p : paths) {
      if (const auto it = layersByWeight.find(p); it != layersByWeight.end()) {
        layerOf[n] = it->second;
        return;
      }
      live = live || attributeAt(module, p).isTensor();
    }
    if (!live) deadOps.insert(n);
  });
  Tracer tracer(layerOf, deadOps);
  std::set<DataflowEdge> edges;
  for (const auto& [op, layer] : layerOf)
    for (const std::string& from : tracer.sourcesOf(op->input(layerOperands(op)->input))) edges.insert({from, layer});
  for (const Value* out : graph->outputs())
    for (const std::string& from : tracer.sourcesOf(out)) edges.insert({from, kModelOutput});
  summary.dataflow.assign(edges.begin(), edges.end());
}

}  // namespace roundlab
