#include "engine/recon/CalibrationActivations.h"

#include <algorithm>
#include <set>

#include <torch/torch.h>

#include "engine/capture/ActivationCapture.h"
#include "engine/core/Runtime.h"
#include "engine/data/DataBatch.h"
#include "engine/data/Dataset.h"
#include "engine/model/Model.h"
#include "engine/recon/ActivationCache.h"

namespace roundlab {

namespace {

std::string layerKey(const std::string& name, const char* what) { return "layer:" + name + ":" + what; }
std::string blockKey(const std::string& name, const std::string& what) { return "block:" + name + ":" + what; }

// The bytes captureToCache keeps of one capture: the wanted layers' inputs (and outputs), the
// wanted blocks' tensor arguments (and outputs).
int64_t capturedBytes(const CaptureResult& r, const std::set<std::string>& layers, const std::set<std::string>& blocks,
                      bool outputs) {
  const auto bytes = [](const at::Tensor& t) { return t.defined() ? static_cast<int64_t>(t.nbytes()) : int64_t(0); };
  int64_t total = 0;
  for (const auto& [name, calls] : r.layers)
    if (layers.count(name))
      for (const CapturedCall& c : calls) total += bytes(c.args.at(0).toTensor()) + (outputs ? bytes(c.output) : 0);
  for (const auto& [name, calls] : r.blocks)
    if (blocks.count(name))
      for (const CapturedCall& c : calls) {
        for (const c10::IValue& a : c.args) total += a.isTensor() ? bytes(a.toTensor()) : 0;
        total += outputs ? bytes(c.output) : 0;
      }
  return total;
}

}  // namespace

CachedActivations::CachedActivations() = default;
CachedActivations::CachedActivations(CachedActivations&&) noexcept = default;
CachedActivations& CachedActivations::operator=(CachedActivations&&) noexcept = default;
CachedActivations::~CachedActivations() = default;

CachedActivations captureToCache(const Model& model, const Dataset& data, int64_t batch,
                                 const std::vector<std::string>& layers, const std::vector<std::string>& blocks,
                                 bool outputs, const CancelToken& cancel, int64_t memoryBudgetBytes) {
  CaptureOptions o;
  o.layers = !layers.empty();
  o.blocks = !blocks.empty();
  o.outputs = outputs;
  ActivationCapture capture(model, o);
  const std::set<std::string> wantLayers(layers.begin(), layers.end()), wantBlocks(blocks.begin(), blocks.end());
  CachedActivations out;
  out.cache = std::make_unique<ActivationCache>(memoryBudgetBytes);
  out.cache->expectAppends((data.info().samples + batch - 1) / std::max<int64_t>(1, batch));
  out.outputs = outputs;
  std::map<std::string, std::vector<int64_t>> firstShape;  // per layer: the trailing input shape kept
  torch::NoGradGuard noGrad;
  const int64_t samples = data.info().samples;
  for (int64_t b = 0; b < samples; b += batch) {
    if (out.cache->onDisk()) releaseFreedMemory();  // the previous batch went to the file
    cancel.throwIfCancelled("activation capture");
    const CaptureResult r = capture.run(data.read(b, std::min(batch, samples - b)).inputs);
    for (const auto& [name, calls] : r.layers) {
      if (!wantLayers.count(name)) continue;
      for (const CapturedCall& c : calls) {
        const at::Tensor x = c.args.at(0).toTensor();
        const std::vector<int64_t> trailing = x.sizes().slice(1).vec();
        if (firstShape.try_emplace(name, trailing).first->second != trailing) continue;
        out.layers.insert(name);
        out.cache->append(layerKey(name, "in"), x);
        if (outputs) out.cache->append(layerKey(name, "out"), c.output);
      }
    }
    for (const auto& [name, calls] : r.blocks) {
      if (!wantBlocks.count(name)) continue;
      for (const CapturedCall& c : calls) {
        if (c.site != 0) continue;  // a block called from several places: its first call site
        if (out.blocks.insert(name).second) {
          std::vector<c10::IValue>& args = out.blockArgs[name];
          for (const c10::IValue& a : c.args) args.push_back(a.isTensor() ? c10::IValue() : a);
        }
        for (size_t i = 0; i < c.args.size(); ++i)
          if (c.args[i].isTensor()) out.cache->append(blockKey(name, "arg" + std::to_string(i)), c.args[i].toTensor());
        if (outputs) out.cache->append(blockKey(name, "out"), c.output);
      }
    }
  }
  return out;
}

int64_t boundedCaptureBatch(const Model& model, const Dataset& data, int64_t batch,
                            const std::vector<std::string>& layers, const std::vector<std::string>& blocks,
                            bool outputs) {
  if (batch <= 1 || data.info().samples < 2) return batch;
  CaptureOptions o;
  o.layers = !layers.empty();
  o.blocks = !blocks.empty();
  o.outputs = outputs;
  torch::NoGradGuard noGrad;
  const int64_t perSample = capturedBytes(ActivationCapture(model, o).run(data.read(0, 1).inputs),
                                          std::set<std::string>(layers.begin(), layers.end()),
                                          std::set<std::string>(blocks.begin(), blocks.end()), outputs);
  return std::clamp<int64_t>(kCaptureBatchBytes / std::max<int64_t>(1, perSample), 1, batch);
}

CalibrationActivations CachedActivations::load(const std::vector<std::string>& layerNames,
                                               const std::vector<std::string>& blockNames) const {
  CalibrationActivations out;
  for (const std::string& name : layerNames)
    if (layers.count(name))
      out.layers[name] = {cache->read(layerKey(name, "in")),
                          outputs ? cache->read(layerKey(name, "out")) : at::Tensor()};
  for (const std::string& name : blockNames) {
    if (!blocks.count(name)) continue;
    BlockData d;
    d.args = blockArgs.at(name);
    for (size_t i = 0; i < d.args.size(); ++i)  // tensors were cached; None stays None
      if (const std::string key = blockKey(name, "arg" + std::to_string(i)); cache->has(key))
        d.args[i] = cache->read(key);
    if (outputs) d.targets = cache->read(blockKey(name, "out"));
    out.blocks[name] = std::move(d);
  }
  return out;
}

CalibrationActivations captureActivations(const Model& model, const Dataset& data, int64_t batch,
                                          const std::vector<std::string>& layers,
                                          const std::vector<std::string>& blocks, bool outputs,
                                          const CancelToken& cancel) {
  return captureToCache(model, data, batch, layers, blocks, outputs, cancel, -1).load(layers, blocks);
}

std::map<std::string, at::Tensor> blockFisherWeights(const Model& fp, const Model& quantized, const Dataset& data,
                                                     int64_t batch, const std::vector<std::string>& blocks,
                                                     const CancelToken& cancel) {
  CaptureOptions o;
  o.layers = false;
  o.differentiable = true;
  ActivationCapture capture(quantized, o);
  const std::set<std::string> want(blocks.begin(), blocks.end());
  std::map<std::string, std::vector<at::Tensor>> parts;
  for (int64_t b = 0; b < data.info().samples; b += batch) {
    cancel.throwIfCancelled("Fisher weights");
    const at::Tensor x = data.read(b, std::min(batch, data.info().samples - b)).inputs;
    const at::Tensor logP = torch::log_softmax(fp.forward(x).to(at::kFloat), -1);
    const CaptureResult r = capture.run(x);
    std::vector<std::string> names;
    std::vector<at::Tensor> outputs;
    for (const auto& [name, calls] : r.blocks)
      if (want.count(name) && !calls.empty() && calls[0].site == 0 && calls[0].output.requires_grad()) {
        names.push_back(name);
        outputs.push_back(calls[0].output);
      }
    if (outputs.empty()) continue;
    const at::Tensor logQ = torch::log_softmax(r.modelOutput, -1);
    const at::Tensor kl = (logP.exp() * (logP - logQ)).sum();
    const auto grads = torch::autograd::grad({kl}, outputs, {}, /*retain_graph=*/false, /*create_graph=*/false,
                                             /*allow_unused=*/true);
    for (size_t i = 0; i < names.size(); ++i)
      parts[names[i]].push_back(grads[i].defined() ? grads[i].detach().abs() + 1 : at::ones_like(outputs[i]).detach());
  }
  std::map<std::string, at::Tensor> out;
  for (auto& [name, list] : parts) out[name] = at::cat(list);
  return out;
}

}  // namespace roundlab
