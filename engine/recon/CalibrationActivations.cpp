#include "engine/recon/CalibrationActivations.h"

#include <set>

#include <torch/torch.h>

#include "engine/ActivationCapture.h"
#include "engine/DataBatch.h"
#include "engine/Dataset.h"
#include "engine/Model.h"

namespace roundlab {

namespace {

bool sameTrailingShape(const at::Tensor& a, const at::Tensor& b) {
  return a.sizes().slice(1).equals(b.sizes().slice(1));
}

}  // namespace

CalibrationActivations captureActivations(const Model& model, const Dataset& data, int64_t batch,
                                          const std::vector<std::string>& layers,
                                          const std::vector<std::string>& blocks, bool outputs,
                                          const CancelToken& cancel) {
  CaptureOptions o;
  o.layers = !layers.empty();
  o.blocks = !blocks.empty();
  o.outputs = outputs;
  ActivationCapture capture(model, o);
  const std::set<std::string> wantLayers(layers.begin(), layers.end()), wantBlocks(blocks.begin(), blocks.end());
  std::map<std::string, std::vector<at::Tensor>> layerIn, layerOut, blockOut;
  std::map<std::string, std::vector<std::vector<c10::IValue>>> blockArgs;
  torch::NoGradGuard noGrad;
  for (int64_t b = 0; b < data.info().samples; b += batch) {
    cancel.throwIfCancelled("activation capture");
    const CaptureResult r = capture.run(data.read(b, std::min(batch, data.info().samples - b)).inputs);
    for (const auto& [name, calls] : r.layers) {
      if (!wantLayers.count(name)) continue;
      for (const CapturedCall& c : calls) {
        const at::Tensor x = c.args.at(0).toTensor();
        if (!layerIn[name].empty() && !sameTrailingShape(x, layerIn[name].front())) continue;
        layerIn[name].push_back(x);
        if (outputs) layerOut[name].push_back(c.output);
      }
    }
    for (const auto& [name, calls] : r.blocks) {
      if (!wantBlocks.count(name)) continue;
      for (const CapturedCall& c : calls) {
        if (c.site != 0) continue;  // a block called from several places: its first call site
        blockArgs[name].push_back(c.args);
        if (outputs) blockOut[name].push_back(c.output);
      }
    }
  }
  CalibrationActivations out;
  for (auto& [name, ins] : layerIn) out.layers[name] = {at::cat(ins), outputs ? at::cat(layerOut[name]) : at::Tensor()};
  for (auto& [name, calls] : blockArgs) {
    BlockData d;
    for (size_t i = 0; i < calls.front().size(); ++i) {
      if (!calls.front()[i].isTensor()) {
        d.args.push_back(calls.front()[i]);
        continue;
      }
      std::vector<at::Tensor> parts;
      for (const auto& call : calls) parts.push_back(call[i].toTensor());
      d.args.push_back(at::cat(parts));
    }
    if (outputs) d.targets = at::cat(blockOut[name]);
    out.blocks[name] = std::move(d);
  }
  return out;
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
    const at::Tensor logP = torch::log_softmax(fp.forward(x).to(at::kFloat), 1);
    const CaptureResult r = capture.run(x);
    std::vector<std::string> names;
    std::vector<at::Tensor> outputs;
    for (const auto& [name, calls] : r.blocks)
      if (want.count(name) && !calls.empty() && calls[0].site == 0 && calls[0].output.requires_grad()) {
        names.push_back(name);
        outputs.push_back(calls[0].output);
      }
    if (outputs.empty()) continue;
    const at::Tensor logQ = torch::log_softmax(r.modelOutput, 1);
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
