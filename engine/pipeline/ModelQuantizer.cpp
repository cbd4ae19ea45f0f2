#include "engine/pipeline/ModelQuantizer.h"
#include "engine/quant/QuantizedWeights.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>

#include <torch/torch.h>

#include "engine/activation/ActivationQuantizer.h"
#include "engine/activation/ActivationSteps.h"
#include "engine/capture/ActivationCapture.h"
#include "engine/core/Error.h"
#include "engine/core/Runtime.h"
#include "engine/data/DataBatch.h"
#include "engine/data/Dataset.h"
#include "engine/model/LayerEpilogue.h"
#include "engine/model/Model.h"
#include "engine/model/ModelSuffix.h"
#include "engine/pipeline/EmbeddingQuantization.h"
#include "engine/quant/PowerGrid.h"
#include "engine/recon/ActivationCache.h"
#include "engine/recon/AdaRoundReconstructor.h"
#include "engine/recon/BlockReconstructor.h"
#include "engine/recon/CalibrationActivations.h"
#include "engine/recon/GptqQuantizer.h"
#include "engine/recon/LayerLoss.h"
#include "engine/recon/QuantizedInputPropagation.h"

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
    if (!reconstructsBlocks(method) || l.block.empty()) {
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
  o.trace = r.trace;
  return o;
}

// GPTQ on one layer (RTN where GPTQ does not apply), with the same losses and flips as AdaRound.
RoundingResult gptqLayer(const LayerInfo& info, const at::Tensor& w, const at::Tensor& bias, const WeightGrid& grid,
                         const at::Tensor& inputs, const at::Tensor& targets, const QuantizationRequest& request) {
  torch::NoGradGuard g;
  RoundingResult r;
  r.rtnCodes = quantizeToCodes(w, grid);
  GptqConfig config;
  config.damping = request.gptqDamping;
  config.descendingOrder = request.gptqActOrder;
  r.codes = gptqSupports(info) ? gptqCodes(info, w, inputs, grid, config) : r.rtnCodes;
  r.weight = dequantize(r.codes, grid);
  r.lossBefore = layerReconstructionLoss(info, inputs, dequantize(r.rtnCodes, grid), bias, targets);
  r.lossAfter = layerReconstructionLoss(info, inputs, r.weight, bias, targets);
  countFlips(r, w.numel());
  return r;
}

// What one run shares across its units.
struct RunContext {
  Model& model;
  const QuantizationRequest& request;
  const std::shared_ptr<const Dataset>& calibration;  // the subset (augmented) actually used
  const CalibrationActivations* fp = nullptr;         // the current unit's FP inputs and targets
  const CancelToken& cancel;
  const std::map<std::string, at::Tensor>* fisher = nullptr;
  at::Tensor modelInputs, fpLogits;  // for the output-level term
  double recaptureSeconds = 0, propagateSeconds = 0, reconSeconds = 0;
  int64_t captureBatch = 0;  // boundedCaptureBatch: every capture of the run batches alike
  // Layer-wise targets after what follows each layer (AdaRoundConfig::targetAfterActivation).
  std::map<std::string, std::unique_ptr<LayerEpilogue>> epilogues;

  // The unit's inputs from the partially quantized model (outputs stay the FP targets).
  CalibrationActivations recapture(const std::vector<std::string>& layers, const std::vector<std::string>& blocks) {
    const auto t = Clock::now();
    CalibrationActivations q = captureActivations(model, *calibration, captureBatch, layers, blocks, false, cancel);
    recaptureSeconds += since(t);
    return q;
  }
};

// What one unit reconstructs from: its layers' (and block's) inputs, from the FP model or from
// the partially quantized one, and the activation quantizers it learns.
struct UnitInputs {
  const CalibrationActivations* requantized = nullptr;  // null: the FP inputs
  ActivationSteps* activations = nullptr;               // null or empty: activations stay FP
  const OutputLoss* outputLoss = nullptr;               // null: no output-level term
};

std::map<std::string, RoundingResult> quantizeBlock(RunContext& ctx, const BlockInfo& block,
                                                    const std::map<std::string, WeightGrid>& grids,
                                                    const AdaRoundConfig& config, const UnitInputs& in,
                                                    const ProgressFn& progress) {
  BlockData data = ctx.fp->blocks.at(block.name);
  if (auto f = ctx.fisher->find(block.name); f != ctx.fisher->end()) data.fisher = f->second;
  if (in.requantized) data.args = in.requantized->blocks.at(block.name).args;
  std::map<std::string, WeightGrid> blockGrids;
  for (const auto& l : block.layers) blockGrids[l] = grids.at(l);
  const auto t = Clock::now();
  BlockReconstructor recon(ctx.model, block, blockGrids, config);
  recon.setActivations(in.activations);
  recon.setOutputLoss(in.outputLoss);
  BlockRoundingResult r = recon.run(data, progress, ctx.cancel);
  ctx.reconSeconds += since(t);
  return std::move(r.layers);
}

// A language model's linear layer is reconstructed over token positions: its calibration rows are
// the positions of every sequence ([N, T, in] flattened, or the [N*T, in] a Conv1D's addmm reads),
// drawn as many per step as `batch` sequences hold. Returns the positions per sample (1: rows are
// samples, as for every image model).
int64_t positionsPerSample(const RunContext& ctx, const LayerInfo& info, const at::Tensor& inputs) {
  if (info.conv || !ctx.calibration->info().tokenIds || !inputs.defined() || inputs.dim() < 2) return 1;
  const int64_t rows = inputs.numel() / inputs.size(-1), samples = ctx.calibration->info().samples;
  return samples > 0 && rows % samples == 0 ? rows / samples : 1;
}

RoundingResult quantizeLayer(RunContext& ctx, const std::string& name, const WeightGrid& grid,
                             const AdaRoundConfig& config, const UnitInputs& in, const ProgressFn& progress) {
  const LayerInfo& info = ctx.model.layer(name);
  const at::Tensor w = ctx.model.weight(name).detach();
  const at::Tensor bias = ctx.model.bias(name);
  auto data = ctx.fp->layers.find(name);
  at::Tensor inputs;
  if (data != ctx.fp->layers.end()) {
    inputs = data->second.inputs;
    if (in.requantized && in.requantized->layers.count(name)) inputs = in.requantized->layers.at(name).inputs;
  }
  ActivationQuantizer* aq = nullptr;
  if (in.activations)
    if (auto q = in.activations->quantizers.find(name); q != in.activations->quantizers.end()) aq = &q->second;
  const auto quantizedInputs = [&] {  // as the fixed quantizer will see them
    torch::NoGradGuard g;
    return aq ? fakeQuantizeActivation(inputs, aq->params()) : inputs;
  };
  if (data == ctx.fp->layers.end() || ctx.request.method == QuantMethod::Rtn) {
    // RTN, or a layer never executed on the calibration data (nothing to reconstruct against).
    RoundingResult r;
    r.codes = r.rtnCodes = quantizeToCodes(w, grid);
    r.weight = dequantize(r.codes, grid);
    if (data != ctx.fp->layers.end()) {
      torch::NoGradGuard g;
      r.lossBefore = r.lossAfter =
          layerReconstructionLoss(info, quantizedInputs(), r.weight, bias, data->second.outputs);
    }
    return r;
  }
  const auto t = Clock::now();
  RoundingResult r;
  if (ctx.request.method == QuantMethod::Gptq) {
    r = gptqLayer(info, w, bias, grid, quantizedInputs(), data->second.outputs, ctx.request);
  } else {
    AdaRoundConfig c = config;
    at::Tensor x = inputs, y = data->second.outputs;
    const int64_t positions = positionsPerSample(ctx, info, inputs);
    const LayerEpilogue* epilogue = nullptr;
    if (auto e = ctx.epilogues.find(name); e != ctx.epilogues.end()) {
      epilogue = e->second.get();
      torch::NoGradGuard g;
      y = epilogue->run(y);
    }
    if (positions > 1) {
      c.batch *= positions;
      x = x.reshape({-1, x.size(-1)});
      y = y.reshape({-1, y.size(-1)});
    }
    AdaRoundReconstructor recon(info, w, bias, grid, c);
    recon.setActivations(in.activations);
    recon.setOutputLoss(in.outputLoss);
    recon.setEpilogue(epilogue);
    r = recon.run(x, y, progress, ctx.cancel);
  }
  ctx.reconSeconds += since(t);
  return r;
}

// The output-level term of a unit, when asked for and applicable (the unit's calibration rows
// must be the calibration samples, one execution each); otherwise a note says why not.
std::unique_ptr<ModelSuffix> outputSuffix(RunContext& ctx, const std::string& unit, bool isBlock, int64_t rows,
                                          std::vector<std::string>& notes) {
  std::string reason;
  std::unique_ptr<ModelSuffix> s;
  if (rows != ctx.modelInputs.size(0))
    reason = unit + " does not run once per sample";
  else
    s = ModelSuffix::build(ctx.model, unit, isBlock, &reason);
  if (!s) notes.push_back("no output-level term for " + unit + ": " + reason);
  return s;
}

// What follows each layer reconstructed on its own (LayerEpilogue), for layer-wise targets after
// the activation; one note names the layers that have none (the first three of them).
std::map<std::string, std::unique_ptr<LayerEpilogue>> layerEpilogues(const Model& model,
                                                                     const std::vector<std::string>& layers,
                                                                     bool tokenRows, std::vector<std::string>& notes) {
  std::vector<std::string> reasons;
  auto epilogues = LayerEpilogue::buildAll(model, layers, &reasons);
  // A language model's layers are reconstructed over token positions as rows: a per-channel op
  // (BatchNorm) needs the layout the rows lose.
  for (auto e = epilogues.begin(); e != epilogues.end();) {
    if (tokenRows && e->second->perChannel()) {
      reasons.push_back(e->first +
                        "'s output goes to a BatchNorm, which reconstruction over token positions cannot apply");
      e = epilogues.erase(e);
    } else {
      ++e;
    }
  }
  if (!reasons.empty()) {
    std::string note = std::to_string(reasons.size()) + " of " + std::to_string(layers.size()) +
                       " layers matched on their own output, not after an activation: ";
    for (size_t i = 0; i < reasons.size() && i < 3; ++i) note += (i ? "; " : "") + reasons[i];
    notes.push_back(note + (reasons.size() > 3 ? "; ..." : ""));
  }
  return epilogues;
}

// The unit's activation quantizers, initialised by the L_p range search on its layers' inputs.
ActivationSteps activationSteps(const RunContext& ctx, const std::vector<std::string>& layers,
                                const std::map<std::string, int>& actBits, const UnitInputs& in) {
  ActivationSteps steps;
  steps.dropProbability = effectiveDropProbability(ctx.request);
  steps.learningRate = ctx.request.activations.learningRate;
  for (const std::string& name : layers) {
    if (actBits.at(name) == 0) continue;
    const CalibrationActivations& source =
        in.requantized && in.requantized->layers.count(name) ? *in.requantized : *ctx.fp;
    if (auto d = source.layers.find(name); d != source.layers.end())
      steps.quantizers.try_emplace(name, d->second.inputs, actBits.at(name), ctx.request.activations.lpNorm);
  }
  return steps;
}

// Output SQNR of a quantized layer (weights and input quantizer) on its FP calibration inputs.
double layerSqnr(const Model& model, const std::string& name, const LayerData& fp, const ActivationQuantParams& aq) {
  torch::NoGradGuard g;
  const LayerInfo& info = model.layer(name);
  const at::Tensor w = model.weight(name), bias = model.bias(name);
  // In slices of 4M output values: a language model's head output over the calibration set is a
  // GB in float (small models take a few slices). Float sums (ATen's are pairwise) per slice, in
  // double across slices: double temporaries of every output made this a tenth of a short run.
  const int64_t rows = fp.inputs.size(0);
  const int64_t perRow = std::max<int64_t>(1, fp.outputs.numel() / std::max<int64_t>(1, rows));
  const int64_t step = std::max<int64_t>(1, (int64_t(1) << 22) / perRow);
  double signal = 0, noise = 0;
  for (int64_t i = 0; i < rows; i += step) {
    const at::Tensor y = fp.outputs.slice(0, i, i + step);
    const at::Tensor yq = applyLayer(info, fakeQuantizeActivation(fp.inputs.slice(0, i, i + step), aq), w, bias);
    noise += at::mse_loss(yq.to(y.scalar_type()), y, at::Reduction::Sum).item<double>();
    signal += y.square().sum().item<double>();
  }
  return noise > 0 ? 10 * std::log10(signal / noise) : std::numeric_limits<double>::infinity();
}

}  // namespace

// What the stopping rule did: the iterations each unit ran (its loss curve's last point + 1).
std::string stoppingSummary(const QuantizationResult& result) {
  const QuantizationRequest& request = result.request;
  std::map<std::string, int> ran;  // per unit
  for (const LayerOutcome& o : result.layers)
    if (!o.curve.empty()) ran[o.unit] = o.curve.back().first + 1;
  if (ran.empty()) return "no unit was optimised";
  int lowest = request.adaround.iterations, highest = 0, stopped = 0;
  double sum = 0;
  for (const auto& [unit, n] : ran) {
    lowest = std::min(lowest, n);
    highest = std::max(highest, n);
    stopped += n < request.adaround.iterations;
    sum += n;
  }
  char text[200];
  std::snprintf(text, sizeof text,
                "%d of %zu units stopped when settled; units ran %d-%d iterations (mean %.0f) of at most %d", stopped,
                ran.size(), lowest, highest, sum / static_cast<double>(ran.size()), request.adaround.iterations);
  return text;
}

QuantizationResult quantizeModel(Model& model, const Dataset& calibration, const QuantizationRequest& request,
                                 QuantizedWeights* weightsOut, const ProgressFn& progress, const CancelToken& cancel,
                                 const LayerDoneFn& layerDone) {
  const auto t0 = Clock::now();
  validate(request);
  model.setActivationQuantization({});  // FP activations until a unit has learned its quantizers
  QuantizationResult result;
  result.request = request;
  const ModelSummary& summary = model.summary();
  std::vector<std::string> layerNames, blockNames;
  for (const LayerInfo& l : summary.layers) layerNames.push_back(l.name);
  for (const BlockInfo& b : summary.blocks) blockNames.push_back(b.name);
  const auto bits = resolveBits(request, layerNames);
  const auto actBits = resolveActivationBits(request, layerNames);
  std::map<std::string, WeightGrid> grids;
  for (const std::string& name : layerNames) {
    WeightQuantConfig wc = request.weights;
    wc.bits = bits.at(name);
    grids[name] = fitWeightGrid(model.weight(name), wc);
  }

  auto phase = Clock::now();
  std::shared_ptr<const Dataset> calib(&calibration, [](const Dataset*) {});  // not owned
  std::shared_ptr<const Dataset> subset = subsetDataset(calib, request.calibrationCount, request.seed);
  if (request.augmentation.any()) subset = augmentedDataset(subset, request.augmentation, request.seed);
  const bool brecq = reconstructsBlocks(request.method);
  if (subset->info().samples > 0)  // a bad output choice fails here, before any work
    (void)model.forward(subset->read(0, 1).inputs);
  // FP inputs and targets of every layer (and block), in one pass over the calibration set.
  // Held in memory up to the budget, then in a temporary HDF5 file; each unit loads its own part.
  const int64_t captureBatch = boundedCaptureBatch(model, *subset, request.captureBatch, layerNames,
                                                   brecq ? blockNames : std::vector<std::string>{}, true);
  const CachedActivations fp =
      captureToCache(model, *subset, captureBatch, layerNames, brecq ? blockNames : std::vector<std::string>{}, true,
                     cancel, request.activationMemoryMiB < 0 ? -1 : request.activationMemoryMiB << 20);
  if (fp.cache->onDisk()) {
    result.spilledBytes = fp.cache->bytes();
    result.notes.push_back("calibration activations (" + std::to_string(fp.cache->bytes() >> 20) +
                           " MiB) cached in a temporary file beyond the " +
                           std::to_string(request.activationMemoryMiB) + " MiB memory budget");
  }
  result.phases.emplace_back("capture", since(phase));
  releaseFreedMemory();

  std::map<std::string, at::Tensor> fisher;
  if (brecq && request.blockLoss == BlockLoss::Fisher) {
    const auto ft = Clock::now();
    Model rtn = model.clone();  // BRECQ takes the gradients on the round-to-nearest model
    for (const std::string& name : layerNames) rtn.setWeight(name, fakeQuantize(model.weight(name), grids.at(name)));
    fisher = blockFisherWeights(model, rtn, *subset, captureBatch, blockNames, cancel);
    result.phases.emplace_back("fisher", since(ft));
  }

  std::map<std::string, ActivationQuantParams> activations;  // of the units done so far
  RunContext ctx{model, request, subset, nullptr, cancel, nullptr, {}, {}, 0, 0, 0, 0, {}};
  ctx.fisher = &fisher;
  ctx.captureBatch = captureBatch;
  const bool reconstructs = request.method != QuantMethod::Rtn && request.method != QuantMethod::Gptq;
  if (request.outputKlWeight > 0 && reconstructs) {
    // The FP predictions the output-level term compares against, before any layer changes.
    ctx.modelInputs = subset->read(0, subset->info().samples).inputs;
    std::vector<at::Tensor> logits;
    for (int64_t b = 0; b < ctx.modelInputs.size(0); b += captureBatch)
      logits.push_back(model.forward(ctx.modelInputs.slice(0, b, b + captureBatch)));
    ctx.fpLogits = at::cat(logits);
  }
  // Tables first (the FP targets and predictions are taken): every unit after them reconstructs
  // on the inputs the quantized tables give.
  result.tables = quantizeEmbeddingTables(model, request, weightsOut);
  if (request.embeddingBits > 0 && summary.embeddingTables.empty())
    result.notes.push_back("embedding bits " + std::to_string(request.embeddingBits) +
                           " asked for, but every embedding table of the model is a layer's weight (or there is none): "
                           "no table quantized apart from the layers");
  if (!result.tables.empty() && request.method != QuantMethod::Rtn)
    result.notes.push_back(std::string("embedding tables rounded to nearest per row, not by ") +
                           quantMethodName(request.method) +
                           ": a lookup's output is its row, and nearest rounding already minimises each row's error");
  const std::vector<Unit> units = unitsOf(summary, request.method);
  // A block reconstructed as one (its call was captured), not layer by layer.
  const auto isBlockUnit = [&](const Unit& unit) { return unit.block && fp.blocks.count(unit.name) > 0; };
  if (request.adaround.targetAfterActivation && reconstructs) {
    std::vector<std::string> layerByLayer;
    for (const Unit& unit : units)
      if (!isBlockUnit(unit)) layerByLayer.insert(layerByLayer.end(), unit.layers.begin(), unit.layers.end());
    ctx.epilogues = layerEpilogues(model, layerByLayer, subset->info().tokenIds, result.notes);
  }
  // Quantized inputs come from one pass through the model, segment by segment, where its graph
  // can be cut at the units; otherwise from a calibration pass per unit.
  std::unique_ptr<QuantizedInputPropagation> propagation;
  if (request.input == ReconInput::Quantized && request.method != QuantMethod::Rtn && request.propagateInputs &&
      units.size() > 1) {
    std::vector<PropagationUnit> cuts;
    std::string reason;
    for (const Unit& unit : units) {
      const bool blockUnit = isBlockUnit(unit);
      if (!blockUnit && unit.layers.size() > 1) reason = "block " + unit.name + " is reconstructed layer by layer";
      const bool quantizedActivations =
          std::any_of(unit.layers.begin(), unit.layers.end(), [&](const std::string& l) { return actBits.at(l) != 0; });
      cuts.push_back({unit.name, blockUnit, unit.layers, quantizedActivations});
    }
    if (reason.empty()) propagation = QuantizedInputPropagation::build(model, cuts, &reason);
    if (propagation) {
      const auto t = Clock::now();
      propagation->start(model, *subset, captureBatch, cancel);
      ctx.propagateSeconds += since(t);
    } else {
      result.notes.push_back("quantized inputs captured in one calibration pass per unit: " + reason);
    }
  }
  for (size_t u = 0; u < units.size(); ++u) {
    releaseFreedMemory();  // the previous unit's activations, freed with its scope
    const Unit& unit = units[u];
    const auto ut = Clock::now();
    const double done = static_cast<double>(u) / static_cast<double>(units.size());
    const ProgressFn unitProgress = [&](const Progress& p) {
      if (progress) progress({"reconstruct", done + p.fraction / units.size(), unit.name, p.metric, p.hasMetric});
    };
    AdaRoundConfig ac = request.adaround;
    ac.seed = request.seed * 1000003ull + u;  // an independent, reproducible stream per unit
    ac.learnExponent = request.weights.grid == GridKind::PowerLearned;
    // Inputs come from the partially quantized model (weights and activations of the units
    // before, quantized tables) unless FP inputs are asked for.
    const bool requantize = request.input == ReconInput::Quantized && (u > 0 || !result.tables.empty()) &&
                            request.method != QuantMethod::Rtn;
    const bool blockUnit = isBlockUnit(unit);
    // A block reconstructed as one needs its layers' FP data only to set up input quantizers;
    // each layer's SQNR loads it after the block, one layer at a time (1.6 GB per GPT-2-small
    // block that would otherwise stay loaded through the reconstruction).
    const bool layerData = !blockUnit || std::any_of(unit.layers.begin(), unit.layers.end(),
                                                     [&](const std::string& l) { return actBits.at(l) != 0; });
    const CalibrationActivations unitFp =
        fp.load(layerData ? unit.layers : std::vector<std::string>{},
                blockUnit ? std::vector<std::string>{unit.name} : std::vector<std::string>{});
    ctx.fp = &unitFp;
    CalibrationActivations requantized;
    if (propagation) {
      const auto t = Clock::now();
      CalibrationActivations propagated = propagation->advance(u, model, cancel);
      ctx.propagateSeconds += since(t);
      if (requantize) requantized = std::move(propagated);
    } else if (requantize) {
      requantized =
          ctx.recapture(unit.layers, blockUnit ? std::vector<std::string>{unit.name} : std::vector<std::string>{});
    }
    UnitInputs in;
    in.requantized = requantize ? &requantized : nullptr;
    ActivationSteps steps = activationSteps(ctx, unit.layers, actBits, in);
    in.activations = &steps;
    std::unique_ptr<ModelSuffix> suffix;
    OutputLoss outputLoss;
    if (ctx.fpLogits.defined() && (blockUnit || unit.layers.size() == 1)) {
      const auto layerRows = [&](const at::Tensor& x) {  // token positions where those are the rows
        return positionsPerSample(ctx, model.layer(unit.name), x) > 1 ? x.numel() / x.size(-1) : x.size(0);
      };
      const int64_t rows = blockUnit                        ? unitFp.blocks.at(unit.name).samples()
                           : unitFp.layers.count(unit.name) ? layerRows(unitFp.layers.at(unit.name).inputs)
                                                            : -1;
      suffix = outputSuffix(ctx, unit.name, blockUnit, rows, result.notes);
      if (suffix) {
        outputLoss = {suffix.get(), ctx.modelInputs, ctx.fpLogits, request.outputKlWeight, request.klTemperature};
        in.outputLoss = &outputLoss;
      }
    }
    releaseFreedMemory();  // what loading and propagating the unit's data left in the heap
    std::map<std::string, RoundingResult> rounded;
    if (blockUnit) {
      rounded = quantizeBlock(ctx, *unit.block, grids, ac, in, unitProgress);
    } else {
      // A single layer, or a block whose call could not be captured: its layers one by one.
      for (const std::string& name : unit.layers)
        rounded[name] = quantizeLayer(ctx, name, grids.at(name), ac, in, unitProgress);
    }
    for (const auto& [name, q] : steps.quantizers) activations[name] = q.params();
    if (!steps.empty()) model.setActivationQuantization(activations);
    const double unitSeconds = since(ut) / static_cast<double>(unit.layers.size());
    for (const std::string& name : unit.layers) {
      const RoundingResult& r = rounded.at(name);
      if (r.grid.scale.defined()) grids[name] = r.grid;  // learned step sizes
      model.setWeight(name, dequantize(r.codes, grids.at(name)).to(model.weight(name).scalar_type()));
      if (r.bias.defined()) model.setBias(name, r.bias.to(model.bias(name).scalar_type()));
      if (weightsOut) {
        weightsOut->codes[name] = r.codes;
        weightsOut->rtnCodes[name] = r.rtnCodes;
        weightsOut->grids[name] = grids.at(name);
        if (r.bias.defined()) weightsOut->biases[name] = r.bias;
      }
      LayerOutcome o = outcomeOf(name, unit.name, bits.at(name), r);
      o.exponent = grids.at(name).exponent;
      if (auto a = activations.find(name); a != activations.end()) o.activation = a->second;
      if (auto d = unitFp.layers.find(name); d != unitFp.layers.end())
        o.sqnrDb = layerSqnr(model, name, d->second, o.activation);
      else if (fp.layers.count(name))
        o.sqnrDb = layerSqnr(model, name, fp.load({name}, {}).layers.at(name), o.activation);
      o.seconds = unitSeconds;
      if (layerDone) layerDone(o);
      result.layers.push_back(std::move(o));
    }
    if (progress) progress({"reconstruct", static_cast<double>(u + 1) / units.size(), unit.name, 0, false});
  }
  releaseFreedMemory();
  // Report layers in the model's order (BRECQ visits them block by block).
  std::map<std::string, size_t> order;
  for (size_t i = 0; i < layerNames.size(); ++i) order[layerNames[i]] = i;
  std::sort(result.layers.begin(), result.layers.end(),
            [&](const LayerOutcome& a, const LayerOutcome& b) { return order[a.layer] < order[b.layer]; });
  if (request.adaround.stopWhenSettled && reconstructs) result.settlement = stoppingSummary(result);
  if (ctx.recaptureSeconds > 0) result.phases.emplace_back("recapture", ctx.recaptureSeconds);
  if (ctx.propagateSeconds > 0) result.phases.emplace_back("propagate", ctx.propagateSeconds);
  if (request.method == QuantMethod::Rtn)
    result.phases.emplace_back("rtn", since(t0) - result.phases[0].second);
  else
    result.phases.emplace_back("reconstruct", ctx.reconSeconds);
  result.wallSeconds = since(t0);
  return result;
}

}  // namespace roundlab
