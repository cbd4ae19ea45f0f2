#include "engine/model/Model.h"

#include <algorithm>
#include <filesystem>
#include <sstream>

#include <torch/csrc/jit/api/function_impl.h>
#include <torch/script.h>

#include "engine/core/Error.h"
#include "engine/core/FileChecks.h"
#include "engine/model/ActivationFakeQuant.h"
#include "engine/model/ModelArchive.h"
#include "engine/model/ModelInternals.h"
#include "engine/model/ModelOutput.h"

namespace roundlab {

struct Model::Impl {
  torch::jit::Module module;
  ModelSummary summary;
  std::map<std::string, ActivationQuantParams> activations;
  std::unique_ptr<torch::jit::GraphFunction> quantizedForward;  // set when activations are quantized
  std::string outputNote;                                       // of the last forward (Model::outputNote)
  std::vector<std::pair<std::string, std::string>> outputs;     // of the last forward (Model::outputs)
};

namespace {

std::string shapeOf(const at::Tensor& t) { return formatShape(t.sizes().vec()); }

}  // namespace

// Why token ids did not fit a language model, in its own terms (the table, the id, the context),
// rather than Torch's "index out of range in self"; Torch's message where it is something else.
std::string explainModelInput(const ModelSummary& s, const at::Tensor& input, const std::string& torchMessage) {
  if (!s.tokenTable.found() || !input.defined() || input.numel() == 0) return torchMessage;
  const EmbeddingTable& t = s.tokenTable;
  if (input.is_floating_point())
    return "the model reads token ids (its input indexes the embedding table " + t.name +
           "), and the data holds float values: store /inputs as integers";
  const int64_t largest = input.max().item<int64_t>(), smallest = input.min().item<int64_t>();
  const std::string range = " of " + std::to_string(t.rows) + " rows (ids 0.." + std::to_string(t.rows - 1) + ")";
  if (largest >= t.rows)
    return "token id " + std::to_string(largest) + " (the largest in this batch) is outside the embedding table " +
           t.name + range + ": the data was made with another vocabulary";
  if (smallest < 0)
    return "token id " + std::to_string(smallest) + " is negative; the embedding table " + t.name + " has ids 0.." +
           std::to_string(t.rows - 1);
  const EmbeddingTable& p = s.positionTable;
  if (p.found() && input.dim() >= 2 && input.size(-1) > p.rows)
    return "sequences of " + std::to_string(input.size(-1)) + " tokens are longer than the model's context of " +
           std::to_string(p.rows) + " (its position table " + p.name + " has " + std::to_string(p.rows) +
           " rows): make the data with --context " + std::to_string(p.rows) + " or less";
  return torchMessage;
}

std::string conciseTorchMessage(const std::string& what) {
  std::istringstream in(what);
  std::string line, firstLine, errorLine;
  while (std::getline(in, line)) {
    if (line.empty() || line.rfind("Exception raised from", 0) == 0) continue;
    if (firstLine.empty()) firstLine = line;
    for (const char* prefix : {"RuntimeError: ", "ValueError: ", "AssertionError: ", "IndexError: "}) {
      if (line.rfind(prefix, 0) == 0) errorLine = line.substr(std::string(prefix).size());
    }
  }
  return errorLine.empty() ? firstLine : errorLine;
}

Model::Model(std::shared_ptr<Impl> impl) : d(std::move(impl)) {}

Model Model::load(const std::string& path) {
  requireReadableFile(path, "model file", ErrorCode::NotTorchScript);
  checkModelArchiveFile(path);
  torch::jit::Module module;
  try {
    module = torch::jit::load(path, torch::kCPU);
  } catch (const c10::Error& e) {
    throw Error(ErrorCode::NotTorchScript,
                path +
                    " is not a TorchScript file (save it with torch.jit.script(model).save() "
                    "or torch.jit.trace): " +
                    conciseTorchMessage(e.what_without_backtrace()));
  } catch (const std::exception& e) {
    throw Error(ErrorCode::NotTorchScript, path + " is not a TorchScript file: " + conciseTorchMessage(e.what()));
  }
  // Weights that are NaN or Inf make every output and every quantization grid meaningless.
  for (const auto& p : module.named_parameters()) {
    const at::Tensor bad = ~torch::isfinite(p.value.detach());
    if (const int64_t count = bad.sum().item<int64_t>(); count > 0)
      throw Error(ErrorCode::NonFiniteValues, path + ": parameter '" + p.name + "' holds " + std::to_string(count) +
                                                  " NaN or Inf of its " + std::to_string(p.value.numel()) +
                                                  " values; RoundLab cannot evaluate or quantize such a model "
                                                  "(export it again from a healthy checkpoint)");
  }
  return fromModule(module, path);
}

Model Model::fromModule(const torch::jit::Module& module, const std::string& origin) {
  if (!module.find_method("forward"))
    throw Error(ErrorCode::NoForwardMethod, origin +
                                                " has no forward method (a C++ torch::save archive or a module saved "
                                                "without code cannot run; save a scripted or traced module)");
  auto impl = std::make_shared<Impl>();
  impl->module = module;
  impl->module.eval();
  impl->summary = discoverLayers(impl->module, origin);
  discoverBlocks(impl->module, impl->summary);
  discoverDataflow(impl->module, impl->summary);
  discoverEmbeddings(impl->module, impl->summary);
  return Model(std::move(impl));
}

const ModelSummary& Model::summary() const { return d->summary; }
const std::string& Model::path() const { return d->summary.path; }

const LayerInfo& Model::layer(const std::string& name) const {
  if (const LayerInfo* l = d->summary.findLayer(name)) return *l;
  throw Error(ErrorCode::UnknownLayer, "model " + d->summary.path + " has no quantizable layer named '" + name + "'");
}

at::Tensor Model::forward(const at::Tensor& input) const {
  torch::NoGradGuard noGrad;
  c10::IValue out;
  try {
    if (d->quantizedForward) {
      torch::jit::Stack stack{d->module._ivalue(), input};
      d->quantizedForward->run(stack);
      out = stack.back();
    } else {
      out = d->module.forward({input});
    }
  } catch (const std::exception& e) {
    const std::string msg =
        dynamic_cast<const c10::Error*>(&e) ? static_cast<const c10::Error&>(e).what_without_backtrace() : e.what();
    throw Error(ErrorCode::InputShapeMismatch, "input of shape " + shapeOf(input) + " does not fit model " +
                                                   d->summary.path + ": " +
                                                   explainModelInput(d->summary, input, conciseTorchMessage(msg)));
  }
  if (!out.isTensor()) {
    d->outputNote = describeModelOutput(out, d->summary.outputChoice);
    d->outputs = listModelOutputs(out);
  }
  return selectModelOutput(out, d->summary.outputChoice, d->summary.path);
}

void Model::setOutputChoice(const std::string& choice) {
  d->summary.outputChoice = choice;
  d->outputNote.clear();
  d->outputs.clear();
}

std::string Model::outputNote() const { return d->outputNote; }

std::vector<std::pair<std::string, std::string>> Model::outputs() const { return d->outputs; }

at::Tensor Model::weight(const std::string& name) const {
  const LayerInfo& l = layer(name);
  const at::Tensor w = attributeAt(d->module, l.weightPath).toTensor();
  return l.weightTransposed ? w.t().contiguous() : w;  // the [out, in] layout: a copy of an [in, out] parameter
}

at::Tensor Model::bias(const std::string& name) const {
  const LayerInfo& l = layer(name);
  if (l.biasPath.empty()) return {};
  const c10::IValue v = attributeAt(d->module, l.biasPath);
  return v.isTensor() ? v.toTensor() : at::Tensor();
}

namespace {

// Copies checked values into a parameter in place (`what` of `owner`: "weight" of "layer 'conv1'").
void replaceValues(at::Tensor target, const at::Tensor& values, const std::string& owner, const char* what) {
  if (!values.sizes().equals(target.sizes()))
    throw Error(ErrorCode::WeightShapeMismatch,
                owner + " has " + what + " shape " + shapeOf(target) + ", new values have shape " + shapeOf(values));
  if (!torch::isfinite(values).all().item<bool>())
    throw Error(ErrorCode::NonFiniteValues,
                std::string("new ") + what + " values for " + owner + " contain NaN or Inf");
  torch::NoGradGuard noGrad;
  target.copy_(values);
}

}  // namespace

void Model::setWeight(const std::string& name, const at::Tensor& values) {
  const LayerInfo& l = layer(name);
  const at::Tensor stored = attributeAt(d->module, l.weightPath).toTensor();
  replaceValues(l.weightTransposed ? stored.t() : stored, values, "layer '" + name + "'",
                "weight");  // through a view: in place
}

void Model::setBias(const std::string& name, const at::Tensor& values) {
  const at::Tensor b = bias(name);
  if (!b.defined()) throw Error(ErrorCode::InvalidArgument, "layer '" + name + "' has no bias");
  replaceValues(b, values, "layer '" + name + "'", "bias");
}

at::Tensor Model::embeddingTable(const std::string& parameter) const {
  const auto& tables = d->summary.embeddingTables;
  if (std::none_of(tables.begin(), tables.end(), [&](const EmbeddingTable& t) { return t.name == parameter; }))
    throw Error(ErrorCode::UnknownLayer, "model has no embedding table '" + parameter + "'");
  return attributeAt(d->module, parameter).toTensor();
}

void Model::setEmbeddingTable(const std::string& parameter, const at::Tensor& values) {
  replaceValues(embeddingTable(parameter), values, "embedding table '" + parameter + "'", "table");
}

std::vector<float> Model::weightValues(const std::string& name) const {
  const at::Tensor w = weight(name).detach().to(torch::kFloat).contiguous();
  return std::vector<float>(w.data_ptr<float>(), w.data_ptr<float>() + w.numel());
}

void Model::setActivationQuantization(const std::map<std::string, ActivationQuantParams>& params) {
  d->activations.clear();
  for (const auto& [name, p] : params) {
    layer(name);  // throws UnknownLayer
    if (!p.enabled()) continue;
    if (!(p.scale > 0) || p.qmin > 0 || p.qmax < 0 || p.qmin >= p.qmax)
      throw Error(ErrorCode::InvalidArgument, "activation quantizer of layer '" + name + "' has an invalid grid");
    d->activations[name] = p;
  }
  d->quantizedForward.reset();
  if (d->activations.empty()) return;
  d->quantizedForward = std::make_unique<torch::jit::GraphFunction>(
      c10::QualifiedName("roundlab_activation_quantized_forward"),
      activationQuantizedForward(d->module, d->summary, d->activations), nullptr);
}

const std::map<std::string, ActivationQuantParams>& Model::activationQuantization() const { return d->activations; }

namespace {

// Module::clone copies each submodule on its own, so a tensor two modules share (an LM head tied
// to the token embedding) becomes two: point every other name back at the layer's tensor.
void tieAliases(torch::jit::Module& module, const ModelSummary& summary) {
  for (const LayerInfo& l : summary.layers)
    for (const std::string& alias : l.tiedWith) {
      const auto dot = alias.rfind('.');
      torch::jit::Module owner =
          dot == std::string::npos ? module : attributeAt(module, alias.substr(0, dot)).toModule();
      owner.setattr(dot == std::string::npos ? alias : alias.substr(dot + 1),
                    attributeAt(module, l.weightPath).toTensor());
    }
}

}  // namespace

Model Model::clone() const {
  auto impl = std::make_shared<Impl>();
  impl->module = d->module.clone();
  tieAliases(impl->module, d->summary);
  impl->module.eval();
  impl->summary = d->summary;
  Model m(std::move(impl));
  m.setActivationQuantization(d->activations);
  return m;
}

torch::jit::Module Model::exportableModule() const {
  if (d->activations.empty()) return d->module;
  torch::jit::Module copy = d->module.clone();
  tieAliases(copy, d->summary);
  copy.eval();
  // The copy's forward is its own function: rewrite its graph in place (as freezing does).
  quantizeActivationsInGraph(*copy.get_method("forward").graph(), d->summary, d->activations);
  return copy;
}

torch::jit::Module& Model::module() { return d->module; }
const torch::jit::Module& Model::module() const { return d->module; }

c10::IValue attributeAt(const torch::jit::Module& root, const std::string& path) {
  torch::jit::Module m = root;
  std::string::size_type start = 0;
  while (true) {
    const auto dot = path.find('.', start);
    const std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!m.hasattr(part)) throw Error(ErrorCode::UnknownLayer, "model has no attribute '" + path + "'");
    c10::IValue v = m.attr(part);
    if (dot == std::string::npos) return v;
    m = v.toModule();
    start = dot + 1;
  }
}

}  // namespace roundlab
