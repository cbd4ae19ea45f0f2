#include "engine/recon/QuantizedInputPropagation.h"

#include <algorithm>
#include <map>
#include <set>

#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/passes/inliner.h>

#include "engine/core/Error.h"
#include "engine/data/DataBatch.h"
#include "engine/data/Dataset.h"
#include "engine/model/ActivationFakeQuant.h"
#include "engine/model/GraphPaths.h"
#include "engine/model/Model.h"
#include "engine/model/PartialInline.h"

namespace roundlab {

using torch::jit::Block;
using torch::jit::Graph;
using torch::jit::Node;
using torch::jit::Value;

namespace {

const c10::Symbol learnedActQuant = c10::Symbol::fromQualString("roundlab::learned_act_quant");

bool isTensor(const Value* v) { return v->type()->kind() == c10::TypeKind::TensorType; }

// Where a unit's inputs are in the graph.
struct UnitSite {
  Node* first = nullptr;                 // the unit's first node (its cut)
  std::vector<Value*> values;            // layer: {input}; block: its tensor arguments
  std::vector<c10::IValue> argTemplate;  // block: every argument, tensors left empty
  std::vector<size_t> tensorArgs;        // block: positions of the tensor arguments
};

// Takes the branch of every top-level prim::If whose condition is a constant (the fused-attention
// switch leaves such Ifs), so the ops in it sit at the top level.
void foldConstantIfs(Graph& g) {
  for (bool changed = true; changed;) {
    changed = false;
    const std::vector<Node*> nodes(g.block()->nodes().begin(), g.block()->nodes().end());
    for (Node* n : nodes) {
      if (n->kind() != c10::prim::If) continue;
      const auto condition = torch::jit::toIValue(n->input(0));
      if (!condition || !condition->isBool()) continue;
      Block* taken = n->blocks()[condition->toBool() ? 0 : 1];
      for (auto it = taken->nodes().begin(); it != taken->nodes().end();) (*it++)->moveBefore(n);
      for (size_t i = 0; i < n->outputs().size(); ++i) n->output(i)->replaceAllUsesWith(taken->outputs()[i]);
      n->destroy();
      changed = true;
    }
  }
}

Node* topLevel(Node* n, const Block* top) {
  while (n->owningBlock() != top) n = n->owningBlock()->owningNode();
  return n;
}

}  // namespace

struct QuantizedInputPropagation::Impl {
  std::shared_ptr<Graph> graph;
  std::vector<PropagationUnit> units;
  std::vector<UnitSite> sites;
  std::vector<std::vector<Value*>> frontiers;  // frontiers[u]: live values at unit u's cut
  // segments[u]: from unit u-1's cut to unit u's; the last one from the last unit's cut to the end.
  std::vector<std::unique_ptr<torch::jit::GraphFunction>> segments;
  std::vector<Value*> graphInputs;              // the frontier before the first node
  std::vector<std::vector<c10::IValue>> state;  // per batch: the last frontier reached
  size_t next = 0;

  std::string locate(const Model& model);
  std::string cut();
};

// Marks each unit's first node and the values that are its inputs.
std::string QuantizedInputPropagation::Impl::locate(const Model& model) {
  Graph& g = *graph;
  std::map<std::string, size_t> unitOf;
  std::set<std::string> blocks;
  for (size_t u = 0; u < units.size(); ++u) {
    unitOf[units[u].name] = u;
    if (units[u].isBlock) blocks.insert(units[u].name);
  }
  sites.resize(units.size());
  inlineCallsExcept(g, [&](const std::string& p) { return blocks.count(p) > 0; });
  for (Node* call : remainingCalls(g)) {
    const std::string name = calleePath(call);
    UnitSite& site = sites.at(unitOf.at(name));
    if (site.first) return "block " + name + " is called more than once";
    std::vector<Value*> tensors;
    for (size_t i = 1; i < call->inputs().size(); ++i) {
      Value* a = call->input(i);
      if (isTensor(a)) {
        site.tensorArgs.push_back(i - 1);
        site.argTemplate.emplace_back();
        tensors.push_back(a);
      } else if (auto c = torch::jit::toIValue(a)) {
        site.argTemplate.push_back(*c);
      } else {
        return "block " + name + " takes a non-constant " + a->type()->str();
      }
    }
    // A list of the tensor arguments marks the call's place and keeps the argument values
    // (inlining later calls replaces values, and updates their uses).
    {
      torch::jit::WithInsertPoint guard(call);
      site.first = g.insertNode(g.createList(c10::TensorType::get(), tensors));
    }
    inlineCall(call);
  }
  torch::jit::Inline(g);
  avoidFusedAttention(g);
  foldConstantIfs(g);
  // Every layer's input passes through the scope's quantizer (fixed ones for the units done).
  const auto layersByWeight = layersByWeightPath(model.summary());
  std::set<std::string> all;
  for (const auto& [path, layer] : layersByWeight) all.insert(layer);
  insertLearnedActivationQuant(g, layersByWeight, all);
  std::string reason;
  forEachLayerOp(g, layersByWeight, [&](Node* op, const std::string& layer) {
    const auto u = unitOf.find(layer);
    if (u == unitOf.end() || units[u->second].isBlock) return;
    UnitSite& site = sites[u->second];
    if (site.first) reason = "layer " + layer + " runs more than once";
    Node* quant = layerInput(op)->node();
    site.first = quant->kind() == learnedActQuant ? quant : op;
    site.values = {site.first == op ? layerInput(op) : quant->input(0)};
  });
  if (!reason.empty()) return reason;
  for (size_t u = 0; u < units.size(); ++u) {
    UnitSite& site = sites[u];
    if (!site.first) return units[u].name + " is not called by forward";
    if (units[u].isBlock) site.values.assign(site.first->inputs().begin(), site.first->inputs().end());
    for (Value* v : site.values)
      if (v->node()->owningBlock() != g.block()) return "the input of " + units[u].name + " is computed in a branch";
    if (site.first->owningBlock() != g.block()) return units[u].name + " runs inside a branch or loop";
  }
  return {};
}

// Cuts the graph at the units' first nodes into one segment function per unit.
std::string QuantizedInputPropagation::Impl::cut() {
  Graph& g = *graph;
  std::map<const Node*, int> index;
  std::vector<Node*> nodes;
  for (Node* n : g.block()->nodes()) {
    index[n] = static_cast<int>(nodes.size());
    nodes.push_back(n);
  }
  const int end = static_cast<int>(nodes.size());
  std::vector<int> cuts;
  for (size_t u = 0; u < units.size(); ++u) {
    cuts.push_back(index.at(sites[u].first));
    if (u > 0 && cuts[u] <= cuts[u - 1])
      return units[u].name + " starts before " + units[u - 1].name + " in the forward graph";
  }
  // Last top-level position using each value (the return node counts as the end).
  const auto lastUse = [&](const Value* v) {
    int last = -1;
    for (const torch::jit::Use& use : v->uses()) {
      Node* user = topLevel(use.user, g.block());
      last = std::max(last, user == g.return_node() ? end : index.at(user));
    }
    return last;
  };
  const auto frontierAt = [&](int p) {  // defined before p, used at or after p
    std::vector<Value*> live;
    for (Value* v : g.inputs())
      if (lastUse(v) >= p) live.push_back(v);
    for (int i = 0; i < p; ++i)
      for (Value* v : nodes[i]->outputs())
        if (lastUse(v) >= p) live.push_back(v);
    return live;
  };
  graphInputs = frontierAt(0);
  std::vector<Value*> from = graphInputs;
  cuts.push_back(end);
  for (size_t u = 0; u <= units.size(); ++u) {
    std::vector<Value*> to = frontierAt(cuts[u]);
    if (u < units.size())
      for (Value* v : sites[u].values)
        if (std::find(to.begin(), to.end(), v) == to.end()) return "an input of " + units[u].name + " is not live";
    auto seg = std::make_shared<Graph>();
    std::unordered_map<Value*, Value*> env;
    for (Value* v : from) env[v] = seg->addInput()->setType(v->type());
    for (int i = u == 0 ? 0 : cuts[u - 1]; i < cuts[u]; ++i) {
      Node* clone = seg->appendNode(seg->createClone(nodes[i], [&](Value* v) { return env.at(v); }));
      for (size_t k = 0; k < clone->outputs().size(); ++k) env[nodes[i]->output(k)] = clone->output(k);
    }
    std::vector<Value*> outs;
    for (Value* v : to) outs.push_back(env.at(v));
    seg->registerOutput(seg->insertNode(seg->createTuple(outs))->output());
    segments.push_back(std::make_unique<torch::jit::GraphFunction>(
        c10::QualifiedName("roundlab_segment_" + std::to_string(u)), seg, nullptr));
    frontiers.push_back(to);
    from = std::move(to);
  }
  return {};
}

QuantizedInputPropagation::QuantizedInputPropagation(std::unique_ptr<Impl> impl) : d(std::move(impl)) {}
QuantizedInputPropagation::~QuantizedInputPropagation() = default;

std::unique_ptr<QuantizedInputPropagation> QuantizedInputPropagation::build(const Model& model,
                                                                            const std::vector<PropagationUnit>& units,
                                                                            std::string* reason) {
  auto impl = std::make_unique<Impl>();
  impl->units = units;
  impl->graph = model.module().get_method("forward").graph()->copy();
  std::string why = impl->graph->inputs().size() == 2 ? impl->locate(model) : "forward takes more than one input";
  if (why.empty()) why = impl->cut();
  if (!why.empty()) {
    if (reason) *reason = why;
    return nullptr;
  }
  return std::unique_ptr<QuantizedInputPropagation>(new QuantizedInputPropagation(std::move(impl)));
}

void QuantizedInputPropagation::start(const Model& model, const Dataset& data, int64_t batch,
                                      const CancelToken& cancel) {
  d->state.clear();
  d->next = 0;
  for (int64_t b = 0; b < data.info().samples; b += batch) {
    cancel.throwIfCancelled("propagating quantized inputs");
    const at::Tensor x = data.read(b, std::min(batch, data.info().samples - b)).inputs;
    std::vector<c10::IValue> inputs;
    for (Value* v : d->graphInputs)
      inputs.push_back(v->offset() == 0 ? c10::IValue(model.module()._ivalue()) : c10::IValue(x));
    d->state.push_back(std::move(inputs));
  }
}

CalibrationActivations QuantizedInputPropagation::advance(size_t u, const Model& model, const CancelToken& cancel) {
  if (u != d->next || u >= d->units.size())
    throw Error(ErrorCode::InvalidArgument, "quantized-input propagation advanced out of order");
  ++d->next;
  LearnedActivationScope scope({}, 1.0, 0);
  scope.setMixing(false);
  scope.setFixed(model.activationQuantization());
  torch::NoGradGuard noGrad;
  const std::vector<Value*>& frontier = d->frontiers[u];
  const UnitSite& site = d->sites[u];
  const PropagationUnit& unit = d->units[u];
  std::vector<size_t> positions;  // of the unit's inputs in the frontier
  for (Value* v : site.values)
    positions.push_back(static_cast<size_t>(std::find(frontier.begin(), frontier.end(), v) - frontier.begin()));
  std::vector<std::vector<at::Tensor>> parts(site.values.size());
  std::map<std::string, std::vector<at::Tensor>> recorded;
  for (std::vector<c10::IValue>& state : d->state) {
    cancel.throwIfCancelled("propagating quantized inputs");
    torch::jit::Stack stack(state.begin(), state.end());
    d->segments[u]->run(stack);
    state = stack.back().toTupleRef().elements().vec();
    for (size_t k = 0; k < positions.size(); ++k) parts[k].push_back(state[positions[k]].toTensor());
    if (unit.isBlock && unit.layerInputs) {  // a look ahead through the block, as it is now, for its layers' inputs
      scope.setRecorder(&recorded);
      torch::jit::Stack ahead(state.begin(), state.end());
      d->segments[u + 1]->run(ahead);
      scope.setRecorder(nullptr);
    }
  }
  CalibrationActivations out;
  if (!unit.isBlock) {
    out.layers[unit.name].inputs = at::cat(parts.at(0));
    return out;
  }
  BlockData& block = out.blocks[unit.name];
  block.args = site.argTemplate;
  for (size_t k = 0; k < site.tensorArgs.size(); ++k) block.args[site.tensorArgs[k]] = at::cat(parts[k]);
  for (const std::string& layer : unit.layers) {
    auto r = recorded.find(layer);
    if (r == recorded.end()) continue;
    std::vector<at::Tensor> same;  // calls at another input shape are left out, as in capture
    for (const at::Tensor& t : r->second)
      if (t.sizes().slice(1).equals(r->second.front().sizes().slice(1))) same.push_back(t);
    out.layers[layer].inputs = at::cat(same);
  }
  return out;
}

}  // namespace roundlab
