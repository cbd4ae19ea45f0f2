#include "engine/model/ActivationFakeQuant.h"

#include <torch/csrc/jit/passes/inliner.h>

#include "engine/activation/ActivationQuantizer.h"
#include "engine/model/GraphPaths.h"

namespace roundlab {

using torch::jit::Graph;
using torch::jit::Node;
using torch::jit::Value;

namespace {

at::Tensor learnedActQuant(const at::Tensor& x, std::string layer) { return applyLearnedActivationQuant(x, layer); }

const c10::Symbol learnedActQuantSymbol = c10::Symbol::fromQualString("roundlab::learned_act_quant");

}  // namespace

// Registered as a catch-all kernel (composite): autograd flows through the ops apply() uses.
TORCH_LIBRARY(roundlab, m) { m.def("learned_act_quant(Tensor x, str layer) -> Tensor", &learnedActQuant); }

std::map<std::string, std::string> layersByWeightPath(const ModelSummary& summary, const std::string& prefix) {
  std::map<std::string, std::string> out;
  const std::string head = prefix.empty() ? "" : prefix + ".";
  for (const LayerInfo& l : summary.layers)
    if (l.weightPath.compare(0, head.size(), head) == 0) out[l.weightPath.substr(head.size())] = l.name;
  return out;
}

void insertActivationFakeQuant(Graph& g, const std::map<std::string, std::string>& layersByWeight,
                               const std::map<std::string, ActivationQuantParams>& params) {
  forEachLayerOp(g, layersByWeight, [&](Node* n, const std::string& layer) {
    const auto p = params.find(layer);
    if (p == params.end() || !p->second.enabled()) return;
    torch::jit::WithInsertPoint guard(n);
    const ActivationQuantParams& q = p->second;
    Value* fq =
        g.insert(c10::aten::fake_quantize_per_tensor_affine, {layerInput(n), q.scale, int64_t{0}, q.qmin, q.qmax});
    n->replaceInput(layerOperands(n)->input, fq);
  });
}

void insertLearnedActivationQuant(Graph& g, const std::map<std::string, std::string>& layersByWeight,
                                  const std::set<std::string>& layers) {
  forEachLayerOp(g, layersByWeight, [&](Node* n, const std::string& layer) {
    if (!layers.count(layer)) return;
    torch::jit::WithInsertPoint guard(n);
    n->replaceInput(layerOperands(n)->input, g.insert(learnedActQuantSymbol, {layerInput(n), layer}));
  });
}

void avoidFusedAttention(Graph& g) {
  // The fused call sits in a branch of an If whose condition says "fast path possible"; the
  // early-return lowering passes that same value out as the "returned already" flag. Replacing
  // the condition value everywhere by a constant selects the plain ops consistently.
  std::vector<Node*> fused;
  forEachNode(g.block(), [&](Node* n) {
    if (isFusedAttentionOp(n)) fused.push_back(n);
  });
  for (Node* n : fused) {
    Node* branch = n->owningBlock()->owningNode();
    if (!branch || branch->kind() != c10::prim::If) continue;
    const bool inThen = n->owningBlock() == branch->blocks()[0];
    torch::jit::WithInsertPoint guard(g.block()->nodes().front());
    branch->input(0)->replaceAllUsesWith(g.insertConstant(!inThen));
  }
}

std::shared_ptr<Graph> activationQuantizedForward(const torch::jit::Module& module, const ModelSummary& summary,
                                                  const std::map<std::string, ActivationQuantParams>& params) {
  std::shared_ptr<Graph> g = module.get_method("forward").graph()->copy();
  quantizeActivationsInGraph(*g, summary, params);
  return g;
}

void quantizeActivationsInGraph(Graph& g, const ModelSummary& summary,
                                const std::map<std::string, ActivationQuantParams>& params) {
  torch::jit::Inline(g);
  avoidFusedAttention(g);
  insertActivationFakeQuant(g, layersByWeightPath(summary), params);
}

}  // namespace roundlab
