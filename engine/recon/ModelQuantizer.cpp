#include "engine/recon/ModelQuantizer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <set>

#include <torch/torch.h>

#include "engine/ActivationCapture.h"
#include "engine/Dataset.h"
#include "engine/Error.h"
#include "engine/Model.h"
#include "engine/quant/PowerGrid.h"
#include "engine/recon/AdaRoundReconstructor.h"
#include "engine/recon/BlockReconstructor.h"
#include "engine/recon/CalibrationActivations.h"
#include "engine/recon/GptqQuantizer.h"

namespace roundlab {

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// What is reconstructed together: a block (BRECQ), or one layer.
struct Unit {
  std::string name;
  std::vector<std::string> layers;
  const BlockInfo* block = nullptr;
};

std::vector<Unit> unitsOf(const ModelSummary& s, QuantMethod method) {
  std::vector<Unit> units;
  std::set<std::string> seen;
  for (const LayerInfo& l : s.layers) {
    if (method != QuantMethod::Brecq || l.block.empty()) {
      units.push_back({l.name, {l.name}, nullptr});
    } else if (seen.insert(l.block).second) {
      for (const BlockInfo& b : s.blocks)
        if (b.name == l.block) units.push_back({b.name, b.layers, &b});
    }
  }
  return units;
}

LayerOutcome outcomeOf(const std::string& layer, const std::string& unit, int bits, const RoundingResult& r) {
  LayerOutcome o;
  o.layer = layer;
  o.unit = unit;
  o.bits = bits;
  o.weights = r.codes.numel();
  o.flipsUp = r.flipsUp;
  o.flipsDown = r.flipsDown;
  o.flipRate = r.flipRate;
  o.lossBefore = r.lossBefore;
  o.lossAfter = r.lossAfter;
  o.curve = r.curve;
  return o;
}

// GPTQ on one layer (RTN where GPTQ does not apply), with the same losses and flips as AdaRound.
RoundingResult gptqLayer(const LayerInfo& info, const at::Tensor& w, const at::Tensor& bias, const WeightGrid& grid,
                         const at::Tensor& inputs, const at::Tensor& targets) {
  torch::NoGradGuard g;
  RoundingResult r;
  r.rtnCodes = quantizeToCodes(w, grid);
  r.codes = gptqSupports(info) ? gptqCodes(info, w, inputs, grid) : r.rtnCodes;
  r.weight = dequantize(r.codes, grid);
  r.lossBefore =
      reconstructionLoss(applyLayer(info, inputs, dequantize(r.rtnCodes, grid), bias), targets).item<double>();
  r.lossAfter = reconstructionLoss(applyLayer(info, inputs, r.weight, bias), targets).item<double>();
  countFlips(r, w.numel());
  return r;
}

}  // namespace

QuantizationResult quantizeModel(Model& model, const Dataset& calibration, const QuantizationRequest& request,
                                 QuantizedWeights* weightsOut, const ProgressFn& progress, const CancelToken& cancel) {
  const auto t0 = Clock::now();
  validate(request.weights);
  validate(request.adaround);
  if (request.weights.grid == GridKind::PowerLearned)
    throw Error(ErrorCode::InvalidArgument,
                "the learned power exponent is not available yet; use the searched one (--grid power)");
  QuantizationResult result;
  result.request = request;
  const ModelSummary& summary = model.summary();
  std::vector<std::string> layerNames, blockNames;
  for (const LayerInfo& l : summary.layers) layerNames.push_back(l.name);
  for (const BlockInfo& b : summary.blocks) blockNames.push_back(b.name);
  const auto bits = resolveBits(request, layerNames);
  std::map<std::string, WeightGrid> grids;
  for (const std::string& name : layerNames) {
    WeightQuantConfig wc = request.weights;
    wc.bits = bits.at(name);
    grids[name] = request.weights.grid == GridKind::PowerSearched ? searchPowerGrid(model.weight(name), wc)
                                                                  : fitUniformGrid(model.weight(name), wc);
  }

  auto phase = Clock::now();
  std::shared_ptr<const Dataset> calib(&calibration, [](const Dataset*) {});  // not owned
  std::shared_ptr<const Dataset> subset = subsetDataset(calib, request.calibrationCount, request.seed);
  if (request.augmentation.any()) subset = augmentedDataset(subset, request.augmentation, request.seed);
  const bool brecq = request.method == QuantMethod::Brecq;
  // FP inputs and targets of every layer (and block), in one pass over the calibration set.
  const CalibrationActivations fp = captureActivations(model, *subset, request.captureBatch, layerNames,
                                                       brecq ? blockNames : std::vector<std::string>{}, true, cancel);
  result.phases.emplace_back("capture", since(phase));

  const std::vector<Unit> units = unitsOf(summary, request.method);
  double reconSeconds = 0, recaptureSeconds = 0;
  for (size_t u = 0; u < units.size(); ++u) {
    const Unit& unit = units[u];
    const auto ut = Clock::now();
    const double done = static_cast<double>(u) / static_cast<double>(units.size());
    const ProgressFn unitProgress = [&](const Progress& p) {
      if (progress) progress({"reconstruct", done + p.fraction / units.size(), unit.name, p.metric, p.hasMetric});
    };
    AdaRoundConfig ac = request.adaround;
    ac.seed = request.seed * 1000003ull + u;  // an independent, reproducible stream per unit
    // Re-gather this unit's inputs from the partially quantized model, unless FP inputs are asked
    // for. One pass per unit: simple and exact; propagating block by block is the planned speed-up.
    const bool requantize = request.input == ReconInput::Quantized && u > 0 && request.method != QuantMethod::Rtn;
    std::map<std::string, RoundingResult> rounded;

    if (unit.block && fp.blocks.count(unit.name)) {
      BlockData data = fp.blocks.at(unit.name);
      if (requantize) {
        const auto ct = Clock::now();
        auto q = captureActivations(model, *subset, request.captureBatch, {}, {unit.name}, false, cancel);
        data.args = q.blocks.at(unit.name).args;
        recaptureSeconds += since(ct);
      }
      std::map<std::string, WeightGrid> unitGrids;
      for (const auto& l : unit.layers) unitGrids[l] = grids.at(l);
      const auto rt = Clock::now();
      BlockReconstructor rec(model, *unit.block, unitGrids, ac);
      BlockRoundingResult br = rec.run(data, unitProgress, cancel);
      reconSeconds += since(rt);
      rounded = std::move(br.layers);
    } else {
      const std::string& name = unit.layers.front();
      const LayerInfo& info = model.layer(name);
      const at::Tensor w = model.weight(name).detach();
      RoundingResult r;
      auto data = fp.layers.find(name);
      if (data == fp.layers.end() || request.method == QuantMethod::Rtn) {
        // RTN, or a layer never executed on the calibration data (nothing to reconstruct against).
        r.codes = r.rtnCodes = quantizeToCodes(w, grids.at(name));
        r.weight = dequantize(r.codes, grids.at(name));
        if (data != fp.layers.end()) {
          torch::NoGradGuard g;
          r.lossBefore = r.lossAfter =
              reconstructionLoss(applyLayer(info, data->second.inputs, r.weight, model.bias(name)),
                                 data->second.outputs)
                  .item<double>();
        }
      } else {
        at::Tensor inputs = data->second.inputs;
        if (requantize) {
          const auto ct = Clock::now();
          auto q = captureActivations(model, *subset, request.captureBatch, {name}, {}, false, cancel);
          if (q.layers.count(name)) inputs = q.layers.at(name).inputs;
          recaptureSeconds += since(ct);
        }
        const auto rt = Clock::now();
        if (request.method == QuantMethod::Gptq) {
          r = gptqLayer(info, w, model.bias(name), grids.at(name), inputs, data->second.outputs);
        } else {
          r = AdaRoundReconstructor(info, w, model.bias(name), grids.at(name), ac)
                  .run(inputs, data->second.outputs, unitProgress, cancel);
        }
        reconSeconds += since(rt);
      }
      rounded[name] = std::move(r);
    }
    const double unitSeconds = since(ut) / static_cast<double>(unit.layers.size());
    for (const std::string& name : unit.layers) {
      const RoundingResult& r = rounded.at(name);
      if (r.grid.scale.defined()) grids[name] = r.grid;  // learned step sizes
      model.setWeight(name, dequantize(r.codes, grids.at(name)).to(model.weight(name).scalar_type()));
      if (weightsOut) {
        weightsOut->codes[name] = r.codes;
        weightsOut->rtnCodes[name] = r.rtnCodes;
        weightsOut->grids[name] = grids.at(name);
      }
      LayerOutcome o = outcomeOf(name, unit.name, bits.at(name), r);
      o.exponent = grids.at(name).exponent;
      if (auto d = fp.layers.find(name); d != fp.layers.end()) {
        torch::NoGradGuard g;
        const at::Tensor y = d->second.outputs.to(at::kDouble);
        const at::Tensor yq = applyLayer(model.layer(name), d->second.inputs, model.weight(name), model.bias(name));
        const double noise = (y - yq.to(at::kDouble)).pow(2).sum().item<double>();
        o.sqnrDb = noise > 0 ? 10 * std::log10(y.pow(2).sum().item<double>() / noise)
                             : std::numeric_limits<double>::infinity();
      }
      o.seconds = unitSeconds;
      result.layers.push_back(std::move(o));
    }
    if (progress) progress({"reconstruct", static_cast<double>(u + 1) / units.size(), unit.name, 0, false});
  }
  // Report layers in the model's order (BRECQ visits them block by block).
  std::map<std::string, size_t> order;
  for (size_t i = 0; i < layerNames.size(); ++i) order[layerNames[i]] = i;
  std::sort(result.layers.begin(), result.layers.end(),
            [&](const LayerOutcome& a, const LayerOutcome& b) { return order[a.layer] < order[b.layer]; });
  if (recaptureSeconds > 0) result.phases.emplace_back("recapture", recaptureSeconds);
  if (request.method == QuantMethod::Rtn)
    result.phases.emplace_back("rtn", since(t0) - result.phases[0].second);
  else
    result.phases.emplace_back("reconstruct", reconSeconds);
  result.wallSeconds = since(t0);
  return result;
}

}  // namespace roundlab
