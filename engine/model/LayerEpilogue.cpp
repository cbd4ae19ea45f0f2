#include "engine/model/LayerEpilogue.h"

#include <optional>
#include <set>

#include <torch/csrc/jit/ir/constants.h>
#include <torch/csrc/jit/passes/constant_propagation.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>
#include <torch/csrc/jit/passes/inliner.h>
#include <torch/csrc/jit/runtime/operator.h>

#include "engine/model/ActivationFakeQuant.h"
#include "engine/model/GraphPaths.h"
#include "engine/model/Model.h"
#include "engine/model/ModelInternals.h"

namespace roundlab {

using torch::jit::Node;
using torch::jit::Value;

namespace {

// Ops that act on one activation element by element or channel by channel; every other argument
// must be a constant or one of the model's parameters and buffers. The in-place forms
// (nn.ReLU(inplace=True) and the like, as torchvision builds its models) are replayed out of place,
// so that the targets are never written over.
c10::Symbol outOfPlace(c10::Symbol kind) {
  const std::string name = kind.toUnqualString();
  return kind.is_aten() && name.size() > 1 && name.back() == '_' ? c10::Symbol::aten(name.substr(0, name.size() - 1))
                                                                 : kind;
}

bool chainOp(const Node* n) {
  using namespace c10;
  static const std::set<Symbol> kinds{aten::batch_norm, aten::relu,       aten::relu6,     aten::hardtanh,
                                      aten::clamp,      aten::gelu,       aten::silu,      aten::sigmoid,
                                      aten::tanh,       aten::leaky_relu, aten::hardswish, aten::hardsigmoid,
                                      aten::elu,        aten::mish,       aten::softplus,  aten::dropout};
  return kinds.count(outOfPlace(n->kind())) > 0;
}

// The operation that computes n out of place: n's own, or for an in-place op the overload of its
// out-of-place form that takes the same arguments.
std::optional<torch::jit::Operation> outOfPlaceOperation(const Node* n) {
  const c10::Symbol kind = outOfPlace(n->kind());
  if (kind == n->kind()) return n->getOperation();
  for (const auto& op : torch::jit::getAllOperatorsFor(kind)) {
    const c10::FunctionSchema& schema = op->schema();
    if (schema.arguments().size() != n->inputs().size() || !schema.overload_name().empty()) continue;
    return op->getOperation();
  }
  return std::nullopt;
}

// Reads that only look at the shape (BatchNorm's input-dimension check).
bool inspectsShape(const Node* n) { return n->kind() == c10::aten::dim || n->kind() == c10::aten::size; }

// The model runs in eval mode: every module's `training` flag is read as false, so that
// BatchNorm's and dropout's branches fold to their eval-mode calls.
void foldEvalMode(std::shared_ptr<torch::jit::Graph>& g) {
  forEachNode(g->block(), [&](Node* n) {
    if (n->kind() != c10::prim::GetAttr || n->s(c10::attr::name) != "training") return;
    torch::jit::WithInsertPoint here(n);
    n->output()->replaceAllUsesWith(g->insertConstant(false));
  });
  torch::jit::ConstantPropagation(g);
  torch::jit::EliminateDeadCode(g);
}

std::string describe(const Node* n) { return n->kind().toQualString(); }

}  // namespace

std::map<std::string, std::unique_ptr<LayerEpilogue>> LayerEpilogue::buildAll(const Model& model,
                                                                              const std::vector<std::string>& layers,
                                                                              std::vector<std::string>* reasons) {
  std::map<std::string, std::unique_ptr<LayerEpilogue>> out;
  const auto fail = [&](const std::string& why) {
    if (reasons) reasons->push_back(why);
  };
  if (layers.empty()) return out;
  if (model.module().hasattr("training") && model.module().is_training()) {
    for (const std::string& layer : layers) fail(layer + ": the model is in training mode");
    return out;
  }
  std::shared_ptr<torch::jit::Graph> g = model.module().get_method("forward").graph()->copy();
  torch::jit::Inline(*g);
  avoidFusedAttention(*g);
  foldEvalMode(g);
  std::map<std::string, std::vector<Node*>> sites;
  forEachLayerOp(*g, layersByWeightPath(model.summary()),
                 [&](Node* n, const std::string& l) { sites[l].push_back(n); });
  for (const std::string& layer : layers) {
    const std::vector<Node*>& calls = sites[layer];
    if (calls.size() != 1) {
      fail(calls.empty() ? layer + " is not applied by one op that reads its whole weight"
                         : layer + " is called at " + std::to_string(calls.size()) + " places");
      continue;
    }
    std::unique_ptr<LayerEpilogue> e(new LayerEpilogue);
    std::string stop;
    e->follow(model, calls[0], stop);
    if (e->steps_.empty())
      fail(layer + "'s output " + stop);
    else
      out[layer] = std::move(e);
  }
  return out;
}

void LayerEpilogue::follow(const Model& model, Node* op, std::string& stop) {
  Value* v = op->output();
  while (stop.empty()) {
    Node* next = nullptr;
    for (const torch::jit::Use& use : v->uses()) {
      if (inspectsShape(use.user)) continue;
      if (next) {
        stop = "is read by more than one op";
        break;
      }
      next = use.user;
    }
    if (!stop.empty()) break;
    if (!next || next == v->owningGraph()->return_node()) {
      stop = "is the model's output";
      break;
    }
    if (!chainOp(next) || next->input(0) != v || next->owningBlock() != op->owningBlock()) {
      stop = "is read by " + describe(next);
      break;
    }
    std::vector<c10::IValue> arguments;
    for (size_t i = 0; i < next->inputs().size() && stop.empty(); ++i) {
      if (i == 0) {
        arguments.emplace_back();
      } else if (auto constant = torch::jit::toIValue(next->input(i))) {
        arguments.push_back(*constant);
      } else if (auto path = attributePath(next->input(i))) {
        // A parameter the chain only reads: no gradient flows into the model's BatchNorm.
        const c10::IValue value = attributeAt(model.module(), *path);
        arguments.push_back(value.isTensor() ? c10::IValue(value.toTensor().detach()) : value);
      } else {
        stop = "goes to " + describe(next) + " with an argument computed in the forward";
      }
    }
    if (!stop.empty()) break;
    // BatchNorm and dropout only in eval mode (their `training` argument folded to false).
    const c10::Symbol kind = outOfPlace(next->kind());
    const size_t training = kind == c10::aten::batch_norm ? 5 : kind == c10::aten::dropout ? 2 : 0;
    if (training && (!arguments[training].isBool() || arguments[training].toBool())) {
      stop = "goes to " + describe(next) + " in training mode";
      break;
    }
    std::optional<torch::jit::Operation> operation = outOfPlaceOperation(next);
    if (!operation) {
      stop = "goes to " + describe(next) + ", which has no out-of-place form";
      break;
    }
    perChannel_ = perChannel_ || kind == c10::aten::batch_norm;
    names_.push_back(kind.toUnqualString());
    steps_.push_back(Step{std::move(*operation), std::move(arguments)});
    v = next->output();
  }
  if (!steps_.empty()) stop.clear();
}

LayerEpilogue::~LayerEpilogue() = default;

at::Tensor LayerEpilogue::run(const at::Tensor& layerOutput) const {
  at::Tensor y = layerOutput;
  for (const Step& step : steps_) {
    torch::jit::Stack stack = step.arguments;
    stack[0] = y;
    step.operation(stack);
    y = stack.back().toTensor();
  }
  return y;
}

}  // namespace roundlab
