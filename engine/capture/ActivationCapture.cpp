#include "engine/capture/ActivationCapture.h"

#include <set>

#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/passes/inliner.h>
#include <torch/csrc/jit/runtime/graph_executor.h>

#include "engine/core/Error.h"
#include "engine/data/DataBatch.h"
#include "engine/data/Dataset.h"
#include "engine/model/ActivationFakeQuant.h"
#include "engine/model/GraphPaths.h"
#include "engine/model/ModelOutput.h"
#include "engine/model/PartialInline.h"

namespace roundlab {

using torch::jit::Node;
using torch::jit::Value;

namespace {

enum class ListKind { LayerInput, LayerOutput, BlockArg, BlockOutput };

struct ListSlot {
  ListKind kind;
  std::string owner;  // layer or block name
  int site = 0;
  size_t arg = 0;  // argument index, for BlockArg
};

bool isTensor(const Value* v) { return v->type()->kind() == c10::TypeKind::TensorType; }

}  // namespace

struct ActivationCapture::Impl {
  torch::jit::Module module;
  std::shared_ptr<torch::jit::Graph> graph;
  std::unique_ptr<torch::jit::GraphFunction> function;
  std::vector<ListSlot> slots;
  std::vector<Value*> lists;  // one per slot, defined at the top of the graph
  // Block call site -> argument template: constants filled in, tensors from the lists.
  std::map<std::pair<std::string, int>, std::vector<c10::IValue>> blockArgTemplates;
  std::map<std::string, std::string> skipped;
  ModelSummary summary;  // to explain input that does not fit
  bool autogradPath = false;
  bool differentiable = false;

  Value* newList(ListSlot slot) {
    torch::jit::WithInsertPoint guard(graph->block()->param_node()->next());
    Value* list = graph->insertNode(graph->createList(c10::TensorType::get(), {}))->output();
    slots.push_back(std::move(slot));
    lists.push_back(list);
    return list;
  }
  void appendBefore(Node* n, Value* list, Value* v) {
    torch::jit::WithInsertPoint guard(n);
    graph->insert(c10::aten::append, {list, v});
  }
  void appendAfter(Node* n, Value* list, Value* v) {
    torch::jit::WithInsertPoint guard(n->next());
    graph->insert(c10::aten::append, {list, v});
  }
};

ActivationCapture::ActivationCapture(const Model& model, CaptureOptions options) : d(std::make_unique<Impl>()) {
  const ModelSummary& summary = model.summary();
  d->module = model.module();
  d->summary = summary;
  d->differentiable = options.differentiable;
  d->graph = d->module.get_method("forward").graph()->copy();
  auto& g = *d->graph;

  std::set<std::string> blockNames;
  if (options.blocks)
    for (const BlockInfo& b : summary.blocks) blockNames.insert(b.name);
  inlineCallsExcept(g, [&](const std::string& p) { return blockNames.count(p) > 0; });

  std::map<std::string, int> blockSites;
  for (Node* call : remainingCalls(g)) {
    const std::string name = calleePath(call);
    const int site = blockSites[name]++;
    std::string reason;
    if (!isTensor(call->output())) reason = "its forward returns " + call->output()->type()->str() + ", not a tensor";
    std::vector<c10::IValue> argTemplate;
    for (size_t i = 1; i < call->inputs().size() && reason.empty(); ++i) {
      Value* a = call->input(i);
      if (isTensor(a)) {
        argTemplate.emplace_back();
      } else if (auto c = torch::jit::toIValue(a)) {
        argTemplate.push_back(*c);
      } else {
        reason = "argument " + std::to_string(i) + " is a non-constant " + a->type()->str();
      }
    }
    if (!reason.empty()) {
      d->skipped[name] = reason;
      inlineCall(call);
      continue;
    }
    for (size_t i = 1; i < call->inputs().size(); ++i)
      if (isTensor(call->input(i)))
        d->appendBefore(call, d->newList({ListKind::BlockArg, name, site, i - 1}), call->input(i));
    if (options.outputs) d->appendAfter(call, d->newList({ListKind::BlockOutput, name, site, 0}), call->output());
    d->blockArgTemplates[{name, site}] = std::move(argTemplate);
    inlineCall(call);
  }
  torch::jit::Inline(g);
  // A model with quantized activations is captured as it runs: its layers see quantized inputs.
  insertActivationFakeQuant(g, layersByWeightPath(summary), model.activationQuantization());

  forEachNode(g.block(), [&](Node* n) { d->autogradPath = d->autogradPath || isFusedAttentionOp(n); });
  std::map<std::string, int> layerSites;
  if (options.layers)
    forEachLayerOp(g, layersByWeightPath(summary), [&](Node* n, const std::string& name) {
      const int site = layerSites[name]++;
      d->appendBefore(n, d->newList({ListKind::LayerInput, name, site, 0}), layerInput(n));
      if (options.outputs) d->appendAfter(n, d->newList({ListKind::LayerOutput, name, site, 0}), n->output());
    });

  std::vector<Value*> outs{g.outputs()[0]};  // read now: inlining replaced the original value
  outs.insert(outs.end(), d->lists.begin(), d->lists.end());
  {
    torch::jit::WithInsertPoint guard(g.return_node());
    Value* tuple = g.insertNode(g.createTuple(outs))->output();
    g.eraseOutput(0);
    g.registerOutput(tuple);
  }
  d->function = std::make_unique<torch::jit::GraphFunction>(c10::QualifiedName("roundlab_capture"), d->graph, nullptr);
}

ActivationCapture::~ActivationCapture() = default;

const std::map<std::string, std::string>& ActivationCapture::skippedBlocks() const { return d->skipped; }
bool ActivationCapture::usesAutogradPath() const { return d->autogradPath; }

CaptureResult ActivationCapture::run(const at::Tensor& input) {
  torch::jit::Stack stack{d->module._ivalue(), input};
  {
    c10::AutoGradMode grad(d->autogradPath || d->differentiable);
    // The optimising executor fuses ops into differentiable subgraphs whose internal values
    // (the recorded ones among them) get no gradients of their own: run unoptimised when
    // gradients with respect to recorded values are wanted.
    torch::jit::GraphOptimizerEnabledGuard plain(!d->differentiable);
    try {
      d->function->run(stack);
    } catch (const std::exception& e) {  // the interpreter rethrows c10::Errors as runtime_error
      throw Error(ErrorCode::InputShapeMismatch,
                  "input of shape " + formatShape(input.sizes().vec()) + " does not fit the model: " +
                      explainModelInput(d->summary, input, conciseTorchMessage(e.what())));
    }
  }
  const auto& elements = stack.back().toTupleRef().elements();
  CaptureResult r;
  auto keep = [&](const at::Tensor& t) { return d->differentiable ? t : t.detach(); };
  try {
    r.modelOutput = keep(selectModelOutput(elements[0], d->summary.outputChoice, d->summary.path));
  } catch (const Error&) {  // left undefined: Model::forward says why
  }
  // Per (owner, site): executions in order; inputs/outputs of one execution share an index.
  std::map<std::pair<std::string, int>, std::vector<CapturedCall>> layerCalls, blockCalls;
  for (size_t i = 0; i < d->slots.size(); ++i) {
    const ListSlot& s = d->slots[i];
    const std::vector<at::Tensor> values = elements[i + 1].toTensorVector();
    const bool isBlock = s.kind == ListKind::BlockArg || s.kind == ListKind::BlockOutput;
    auto& calls = (isBlock ? blockCalls : layerCalls)[{s.owner, s.site}];
    if (calls.size() < values.size()) {
      calls.resize(values.size());
      for (CapturedCall& c : calls) {
        c.site = s.site;
        if (isBlock && c.args.empty()) c.args = d->blockArgTemplates.at({s.owner, s.site});
      }
    }
    for (size_t k = 0; k < values.size(); ++k) {
      at::Tensor v = keep(values[k]);
      switch (s.kind) {
        case ListKind::LayerInput:
          calls[k].args = {v};
          break;
        case ListKind::BlockArg:
          calls[k].args[s.arg] = v;
          break;
        case ListKind::LayerOutput:
        case ListKind::BlockOutput:
          calls[k].output = v;
          break;
      }
    }
  }
  for (auto& [key, calls] : layerCalls)
    for (auto& c : calls) r.layers[key.first].push_back(std::move(c));
  for (auto& [key, calls] : blockCalls)
    for (auto& c : calls) r.blocks[key.first].push_back(std::move(c));
  return r;
}

void recordShapes(const Model& model, const at::Tensor& sample, ModelSummary& summary) {
  const at::Tensor one = sample.dim() > 0 && sample.size(0) > 1 ? sample.narrow(0, 0, 1) : sample;
  CaptureOptions options;
  options.blocks = false;
  ActivationCapture capture(model, options);
  const CaptureResult r = capture.run(one);
  std::vector<int64_t> outputShape;
  if (r.modelOutput.defined()) outputShape = r.modelOutput.sizes().vec();  // else unknown (no tensor chosen)
  std::vector<LayerInfo> layers = summary.layers;
  for (LayerInfo& l : layers) {
    l.inputShape.clear();
    l.outputShape.clear();
    l.macs = -1;
    const auto calls = r.layers.find(l.name);
    if (calls == r.layers.end() || calls->second.empty()) continue;
    const CapturedCall& first = calls->second.front();
    if (!first.args.empty() && first.args[0].isTensor()) l.inputShape = first.args[0].toTensor().sizes().vec();
    l.outputShape = first.output.sizes().vec();
    l.macs = 0;
    for (const CapturedCall& c : calls->second) l.macs += layerMacs(l, c.output.sizes().vec());
  }
  summary.layers = std::move(layers);
  summary.inputShape = one.sizes().vec();
  summary.outputShape = std::move(outputShape);
}

bool recordShapes(const Model& model, const Dataset& data, ModelSummary& summary) {
  if (data.info().samples < 1) return false;
  try {
    recordShapes(model, data.read(0, 1).inputs, summary);
    return true;
  } catch (const std::exception&) {  // unreadable, or not the model's input: no shapes
    return false;
  }
}

at::Tensor applyLayer(const LayerInfo& layer, const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) {
  if (!layer.conv) return at::linear(x, w, b.defined() ? c10::optional<at::Tensor>(b) : c10::nullopt);
  const ConvAttributes& c = *layer.conv;
  const c10::optional<at::Tensor> bias = b.defined() ? c10::optional<at::Tensor>(b) : c10::nullopt;
  if (!c.paddingString.empty()) {
    return layer.kind == LayerKind::Conv1d ? at::conv1d(x, w, bias, c.stride, c.paddingString, c.dilation, c.groups)
                                           : at::conv2d(x, w, bias, c.stride, c.paddingString, c.dilation, c.groups);
  }
  return layer.kind == LayerKind::Conv1d ? at::conv1d(x, w, bias, c.stride, c.padding, c.dilation, c.groups)
                                         : at::conv2d(x, w, bias, c.stride, c.padding, c.dilation, c.groups);
}

}  // namespace roundlab
