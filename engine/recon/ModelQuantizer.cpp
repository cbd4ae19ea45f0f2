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

// What one run shares across its units.
struct RunContext {
  Model& model;
  const QuantizationRequest& request;
  const std::shared_ptr<const Dataset>& calibration;  // the subset (augmented) actually used
  const CalibrationActivations& fp;
  const CancelToken& cancel;
  const std::map<std::string, at::Tensor>* fisher = nullptr;
  double recaptureSeconds = 0, reconSeconds = 0;

  // The unit's inputs from the partially quantized model (outputs stay the FP targets).
  CalibrationActivations recapture(const std::vector<std::string>& layers, const std::vector<std::string>& blocks) {
    const auto t = Clock::now();
    CalibrationActivations q =
        captureActivations(model, *calibration, request.captureBatch, layers, blocks, false, cancel);
    recaptureSeconds += since(t);
    return q;
  }
};

std::map<std::string, RoundingResult> quantizeBlock(RunContext& ctx, const BlockInfo& block,
                                                    const std::map<std::string, WeightGrid>& grids,
                                                    const AdaRoundConfig& config, bool requantize,
                                                    const ProgressFn& progress) {
  BlockData data = ctx.fp.blocks.at(block.name);
  if (auto f = ctx.fisher->find(block.name); f != ctx.fisher->end()) data.fisher = f->second;
  if (requantize) data.args = ctx.recapture({}, {block.name}).blocks.at(block.name).args;
  std::map<std::string, WeightGrid> blockGrids;
  for (const auto& l : block.layers) blockGrids[l] = grids.at(l);
  const auto t = Clock::now();
  BlockRoundingResult r = BlockReconstructor(ctx.model, block, blockGrids, config).run(data, progress, ctx.cancel);
  ctx.reconSeconds += since(t);
  return std::move(r.layers);
}

RoundingResult quantizeLayer(RunContext& ctx, const std::string& name, const WeightGrid& grid,
                             const AdaRoundConfig& config, bool requantize, const ProgressFn& progress) {
  const LayerInfo& info = ctx.model.layer(name);
  const at::Tensor w = ctx.model.weight(name).detach();
  const at::Tensor bias = ctx.model.bias(name);
  auto data = ctx.fp.layers.find(name);
  if (data == ctx.fp.layers.end() || ctx.request.method == QuantMethod::Rtn) {
    // RTN, or a layer never executed on the calibration data (nothing to reconstruct against).
    RoundingResult r;
    r.codes = r.rtnCodes = quantizeToCodes(w, grid);
    r.weight = dequantize(r.codes, grid);
    if (data != ctx.fp.layers.end()) {
      torch::NoGradGuard g;
      r.lossBefore = r.lossAfter =
          reconstructionLoss(applyLayer(info, data->second.inputs, r.weight, bias), data->second.outputs)
              .item<double>();
    }
    return r;
  }
  at::Tensor inputs = data->second.inputs;
  if (requantize) {
    const CalibrationActivations q = ctx.recapture({name}, {});
    if (q.layers.count(name)) inputs = q.layers.at(name).inputs;
  }
  const auto t = Clock::now();
  RoundingResult r =
      ctx.request.method == QuantMethod::Gptq
          ? gptqLayer(info, w, bias, grid, inputs, data->second.outputs)
          : AdaRoundReconstructor(info, w, bias, grid, config).run(inputs, data->second.outputs, progress, ctx.cancel);
  ctx.reconSeconds += since(t);
  return r;
}

// Output SQNR of a quantized layer on its FP calibration inputs.
double layerSqnr(const Model& model, const std::string& name, const LayerData& fp) {
  torch::NoGradGuard g;
  const at::Tensor y = fp.outputs.to(at::kDouble);
  const at::Tensor yq = applyLayer(model.layer(name), fp.inputs, model.weight(name), model.bias(name)).to(at::kDouble);
  const double noise = (y - yq).pow(2).sum().item<double>();
  return noise > 0 ? 10 * std::log10(y.pow(2).sum().item<double>() / noise) : std::numeric_limits<double>::infinity();
}

}  // namespace

QuantizationResult quantizeModel(Model& model, const Dataset& calibration, const QuantizationRequest& request,
                                 QuantizedWeights* weightsOut, const ProgressFn& progress, const CancelToken& cancel) {
  const auto t0 = Clock::now();
  validate(request.weights);
  validate(request.adaround);
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

  std::map<std::string, at::Tensor> fisher;
  if (brecq && request.blockLoss == BlockLoss::Fisher) {
    const auto ft = Clock::now();
    Model rtn = model.clone();  // BRECQ takes the gradients on the round-to-nearest model
    for (const std::string& name : layerNames) rtn.setWeight(name, fakeQuantize(model.weight(name), grids.at(name)));
    fisher = blockFisherWeights(model, rtn, *subset, request.captureBatch, blockNames, cancel);
    result.phases.emplace_back("fisher", since(ft));
  }

  RunContext ctx{model, request, subset, fp, cancel};
  ctx.fisher = &fisher;
  const std::vector<Unit> units = unitsOf(summary, request.method);
  for (size_t u = 0; u < units.size(); ++u) {
    const Unit& unit = units[u];
    const auto ut = Clock::now();
    const double done = static_cast<double>(u) / static_cast<double>(units.size());
    const ProgressFn unitProgress = [&](const Progress& p) {
      if (progress) progress({"reconstruct", done + p.fraction / units.size(), unit.name, p.metric, p.hasMetric});
    };
    AdaRoundConfig ac = request.adaround;
    ac.seed = request.seed * 1000003ull + u;  // an independent, reproducible stream per unit
    // Inputs come from the partially quantized model unless FP inputs are asked for: one
    // calibration pass per unit, simple and exact; block-by-block propagation is the planned speed-up.
    const bool requantize = request.input == ReconInput::Quantized && u > 0 && request.method != QuantMethod::Rtn;
    std::map<std::string, RoundingResult> rounded;
    if (unit.block && fp.blocks.count(unit.name)) {
      rounded = quantizeBlock(ctx, *unit.block, grids, ac, requantize, unitProgress);
    } else {
      // A single layer, or a block whose call could not be captured: its layers one by one.
      for (const std::string& name : unit.layers)
        rounded[name] = quantizeLayer(ctx, name, grids.at(name), ac, requantize, unitProgress);
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
      if (auto d = fp.layers.find(name); d != fp.layers.end()) o.sqnrDb = layerSqnr(model, name, d->second);
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
  if (ctx.recaptureSeconds > 0) result.phases.emplace_back("recapture", ctx.recaptureSeconds);
  if (request.method == QuantMethod::Rtn)
    result.phases.emplace_back("rtn", since(t0) - result.phases[0].second);
  else
    result.phases.emplace_back("reconstruct", ctx.reconSeconds);
  result.wallSeconds = since(t0);
  return result;
}

}  // namespace roundlab
