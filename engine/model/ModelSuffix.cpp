#include "engine/model/ModelSuffix.h"

#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>
#include <torch/csrc/jit/passes/inliner.h>
#include <torch/torch.h>

#include "engine/model/ActivationFakeQuant.h"
#include "engine/model/GraphPaths.h"
#include "engine/model/Model.h"
#include "engine/model/ModelOutput.h"
#include "engine/model/PartialInline.h"

namespace roundlab {

using torch::jit::Node;

std::unique_ptr<ModelSuffix> ModelSuffix::build(const Model& model, const std::string& unit, bool isBlock,
                                                std::string* reason) {
  std::shared_ptr<torch::jit::Graph> g = model.module().get_method("forward").graph()->copy();
  std::vector<Node*> sites;
  if (isBlock) {
    inlineCallsExcept(*g, [&](const std::string& p) { return p == unit; });
    sites = remainingCalls(*g);
  } else {
    torch::jit::Inline(*g);
    avoidFusedAttention(*g);  // attention's projections run in the plain branch
    forEachLayerOp(*g, layersByWeightPath(model.summary()), [&](Node* n, const std::string& layer) {
      if (layer == unit) sites.push_back(n);
    });
  }
  // One site; the caller checks it ran once per sample (not in a loop, not skipped by a branch).
  if (sites.size() != 1) {
    if (reason) *reason = unit + " is called at " + std::to_string(sites.size()) + " places in the forward";
    return nullptr;
  }
  torch::jit::Value* replacement = g->addInput("unit_output")->setType(c10::TensorType::get());
  sites[0]->output()->replaceAllUsesWith(replacement);
  torch::jit::Inline(*g);
  torch::jit::EliminateDeadCode(g);
  avoidFusedAttention(*g);
  insertActivationFakeQuant(*g, layersByWeightPath(model.summary()), model.activationQuantization());
  std::unique_ptr<ModelSuffix> s(new ModelSuffix);
  s->module_ = model.module();
  s->outputChoice_ = model.summary().outputChoice;
  s->modelPath_ = model.summary().path;
  s->function_ = std::make_unique<torch::jit::GraphFunction>(c10::QualifiedName("roundlab_suffix"), g, nullptr);
  return s;
}

ModelSuffix::~ModelSuffix() = default;

at::Tensor ModelSuffix::run(const at::Tensor& modelInput, const at::Tensor& unitOutput) const {
  torch::jit::Stack stack{module_._ivalue(), modelInput, unitOutput};
  function_->run(stack);
  return selectModelOutput(stack.back(), outputChoice_, modelPath_);
}

at::Tensor OutputLoss::term(const at::Tensor& index, const at::Tensor& unitOutput) const {
  const at::Tensor zq = suffix->run(modelInputs.index_select(0, index), unitOutput);
  const at::Tensor logP = at::log_softmax(fpLogits.index_select(0, index) / temperature, -1);
  const at::Tensor logQ = at::log_softmax(zq / temperature, -1);
  return weight * (logP.exp() * (logP - logQ)).sum(-1).mean();
}

}  // namespace roundlab
