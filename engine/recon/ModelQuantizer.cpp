#include "engine/recon/ModelQuantizer.h"

#include <chrono>

#include <torch/torch.h>

#include "engine/ActivationCapture.h"
#include "engine/DataBatch.h"
#include "engine/Dataset.h"
#include "engine/Error.h"
#include "engine/Model.h"
#include "engine/recon/AdaRoundReconstructor.h"

namespace roundlab {

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// One layer's calibration input and FP output, every call of it concatenated along dim 0.
struct LayerData {
  at::Tensor inputs, outputs;
};

// Captures the inputs (and, with outputs, the outputs) of the given layers over the data.
std::map<std::string, LayerData> captureLayers(const Model& model, const Dataset& data, int64_t batch,
                                               const std::vector<std::string>& layers, bool outputs,
                                               const CancelToken& cancel) {
  CaptureOptions o;
  o.blocks = false;
  o.outputs = outputs;
  ActivationCapture capture(model, o);
  std::map<std::string, std::vector<at::Tensor>> ins, outs;
  torch::NoGradGuard noGrad;
  for (int64_t b = 0; b < data.info().samples; b += batch) {
    cancel.throwIfCancelled("activation capture");
    const CaptureResult r = capture.run(data.read(b, std::min(batch, data.info().samples - b)).inputs);
    for (const std::string& name : layers) {
      auto it = r.layers.find(name);
      if (it == r.layers.end()) continue;
      for (const CapturedCall& c : it->second) {
        const at::Tensor x = c.args.at(0).toTensor();
        // Calls with another input shape (a shared layer used at two resolutions) cannot be
        // stacked with the first; the first shape's calls are used.
        if (!ins[name].empty() && !x.sizes().slice(1).equals(ins[name].front().sizes().slice(1))) continue;
        ins[name].push_back(x);
        if (outputs) outs[name].push_back(c.output);
      }
    }
  }
  std::map<std::string, LayerData> result;
  for (auto& [name, list] : ins) {
    LayerData d;
    d.inputs = at::cat(list);
    if (outputs) d.outputs = at::cat(outs[name]);
    result[name] = std::move(d);
  }
  return result;
}

}  // namespace

const char* quantMethodName(QuantMethod m) { return m == QuantMethod::Rtn ? "rtn" : "adaround"; }

QuantMethod parseQuantMethod(const std::string& name) {
  if (name == "rtn") return QuantMethod::Rtn;
  if (name == "adaround") return QuantMethod::AdaRound;
  throw Error(ErrorCode::InvalidArgument, "unknown method '" + name + "' (this build knows rtn, adaround)");
}

std::map<std::string, int> resolveBits(const QuantizationRequest& request, const std::vector<std::string>& layers) {
  std::map<std::string, int> bits;
  for (const std::string& l : layers) bits[l] = request.weights.bits;
  if (request.firstLastEightBit && !layers.empty()) {
    bits[layers.front()] = 8;
    bits[layers.back()] = 8;
  }
  for (const auto& [name, b] : request.bits) {
    if (!bits.count(name))
      throw Error(ErrorCode::UnknownLayer, "--bits names '" + name + "', which is not a quantizable layer");
    bits[name] = b;
  }
  return bits;
}

QuantizationResult quantizeModel(Model& model, const Dataset& calibration, const QuantizationRequest& request,
                                 QuantizedWeights* weightsOut, const ProgressFn& progress, const CancelToken& cancel) {
  const auto t0 = Clock::now();
  validate(request.weights);
  QuantizationResult result;
  result.request = request;
  std::vector<std::string> names;
  for (const LayerInfo& l : model.summary().layers) names.push_back(l.name);
  const auto bits = resolveBits(request, names);

  auto phase = Clock::now();
  std::shared_ptr<const Dataset> calib(&calibration, [](const Dataset*) {});
  const auto subset = subsetDataset(calib, request.calibrationCount, request.seed);
  // FP inputs and targets of every layer, in one pass over the calibration set.
  const auto fp = captureLayers(model, *subset, request.captureBatch, names, true, cancel);
  result.phases.emplace_back("capture", since(phase));

  double reconSeconds = 0, recaptureSeconds = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string& name = names[i];
    const LayerInfo& info = model.layer(name);
    const auto lt = Clock::now();
    WeightQuantConfig wc = request.weights;
    wc.bits = bits.at(name);
    const at::Tensor w = model.weight(name).detach();
    const UniformGrid grid = fitUniformGrid(w, wc);
    LayerOutcome out;
    out.layer = name;
    out.bits = wc.bits;
    out.weights = w.numel();

    auto data = fp.find(name);
    at::Tensor inputs = data == fp.end() ? at::Tensor() : data->second.inputs;
    if (data != fp.end() && request.input == ReconInput::Quantized && i > 0 && request.method != QuantMethod::Rtn) {
      // One pass of the partially quantized model per layer: simple and exact, but O(layers)
      // passes; block-wise propagation is the planned replacement.
      const auto ct = Clock::now();
      const auto q = captureLayers(model, *subset, request.captureBatch, {name}, false, cancel);
      if (q.count(name)) inputs = q.at(name).inputs;
      recaptureSeconds += since(ct);
    }
    at::Tensor codes;
    if (data == fp.end()) {
      // Never executed on the calibration data: nothing to reconstruct against.
      codes = quantizeToCodes(w, grid);
    } else if (request.method == QuantMethod::Rtn) {
      codes = quantizeToCodes(w, grid);
      torch::NoGradGuard g;
      const at::Tensor y = applyLayer(info, inputs, dequantize(codes, grid), model.bias(name));
      out.lossBefore = out.lossAfter = reconstructionLoss(y, data->second.outputs).item<double>();
    } else {
      AdaRoundConfig ac = request.adaround;
      ac.seed = request.seed * 1000003ull + i;  // independent, reproducible stream per layer
      const auto rt = Clock::now();
      AdaRoundReconstructor rec(info, w, model.bias(name), grid, ac);
      const double done = static_cast<double>(i) / names.size();
      const RoundingResult r = rec.run(
          inputs, data->second.outputs,
          [&](const Progress& p) {
            if (progress) progress({"reconstruct", done + p.fraction / names.size(), name, p.metric, p.hasMetric});
          },
          cancel);
      codes = r.codes;
      out.flipsUp = r.flipsUp;
      out.flipsDown = r.flipsDown;
      out.flipRate = r.flipRate;
      out.lossBefore = r.lossBefore;
      out.lossAfter = r.lossAfter;
      out.curve = r.curve;
      reconSeconds += since(rt);
    }
    model.setWeight(name, dequantize(codes, grid).to(w.scalar_type()));
    if (weightsOut) {
      weightsOut->codes[name] = codes;
      weightsOut->grids[name] = grid;
    }
    out.seconds = since(lt);
    result.layers.push_back(std::move(out));
    if (progress) progress({"reconstruct", static_cast<double>(i + 1) / names.size(), name, 0, false});
  }
  if (recaptureSeconds > 0) result.phases.emplace_back("recapture", recaptureSeconds);
  result.phases.emplace_back(request.method == QuantMethod::Rtn ? "rtn" : "reconstruct",
                             request.method == QuantMethod::Rtn ? since(t0) - result.phases[0].second : reconSeconds);
  result.wallSeconds = since(t0);
  return result;
}

}  // namespace roundlab
