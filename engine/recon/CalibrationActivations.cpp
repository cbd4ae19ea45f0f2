#include "engine/recon/CalibrationActivations.h"

#include <set>

#include <torch/torch.h>

#include "engine/ActivationCapture.h"
#include "engine/DataBatch.h"
#include "engine/Dataset.h"

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

}  // namespace roundlab
