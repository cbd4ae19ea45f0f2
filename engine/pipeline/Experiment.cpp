#include "engine/pipeline/Experiment.h"

#include <cstdlib>

#include "engine/core/EnumTable.h"
#include "engine/core/Error.h"
#include "engine/data/Dataset.h"
#include "engine/eval/Evaluation.h"
#include "engine/model/Model.h"
#include "engine/pipeline/ModelQuantizer.h"

namespace roundlab {

namespace {

double toDouble(const std::string& axis, const std::string& v) {
  char* end = nullptr;
  const double d = std::strtod(v.c_str(), &end);
  if (v.empty() || *end) throw Error(ErrorCode::InvalidArgument, "axis " + axis + " expects numbers, got '" + v + "'");
  return d;
}

int64_t toInt(const std::string& axis, const std::string& v) {
  const double d = toDouble(axis, v);
  if (d != static_cast<double>(static_cast<int64_t>(d)))
    throw Error(ErrorCode::InvalidArgument, "axis " + axis + " expects whole numbers, got '" + v + "'");
  return static_cast<int64_t>(d);
}

const EnumTable<bool> yesNo{"symmetric", {{true, "yes", ""}, {false, "no", ""}}};

}  // namespace

const std::vector<std::string>& experimentAxes() {
  static const std::vector<std::string> axes = {
      "method",   "wbits",   "abits",  "qdrop-p",         "act-lr",     "grid",      "granularity", "symmetric",
      "range",    "p",       "iters",  "batch",           "lr",         "lambda",    "warmup",      "optimizer",
      "variable", "freedom", "select", "select-fraction", "block-loss", "output-kl", "calib-count", "augment",
      "seed",     "input"};
  return axes;
}

void setAxis(QuantizationRequest& r, const std::string& axis, const std::string& v) {
  if (axis == "method")
    r.method = parseQuantMethod(v);
  else if (axis == "wbits")
    r.weights.bits = static_cast<int>(toInt(axis, v));
  else if (axis == "abits")
    r.activations.bits = static_cast<int>(toInt(axis, v));
  else if (axis == "qdrop-p")
    r.activations.dropProbability = toDouble(axis, v);
  else if (axis == "act-lr")
    r.activations.learningRate = toDouble(axis, v);
  else if (axis == "output-kl")
    r.outputKlWeight = toDouble(axis, v);
  else if (axis == "grid")
    r.weights.grid = parseGridKind(v);
  else if (axis == "granularity")
    r.weights.granularity = parseGranularity(v);
  else if (axis == "symmetric")
    r.weights.symmetric = yesNo.parse(v);
  else if (axis == "range")
    r.weights.rangeInit = parseRangeInit(v);
  else if (axis == "p")
    r.weights.lpNorm = toDouble(axis, v);
  else if (axis == "iters")
    r.adaround.iterations = static_cast<int>(toInt(axis, v));
  else if (axis == "batch")
    r.adaround.batch = toInt(axis, v);
  else if (axis == "lr")
    r.adaround.learningRate = toDouble(axis, v);
  else if (axis == "lambda")
    r.adaround.lambda = toDouble(axis, v);
  else if (axis == "warmup")
    r.adaround.warmup = toDouble(axis, v);
  else if (axis == "calib-count")
    r.calibrationCount = toInt(axis, v);
  else if (axis == "seed")
    r.seed = static_cast<uint64_t>(toInt(axis, v));
  else if (axis == "block-loss")
    r.blockLoss = parseBlockLoss(v);
  else if (axis == "augment")
    r.augmentation = parseAugmentation(v);
  else if (axis == "optimizer")
    r.adaround.optimizer = parseOptimizer(v);
  else if (axis == "variable")
    r.adaround.variable = parseVariable(v);
  else if (axis == "freedom")
    r.adaround.freedom = parseFreedom(v);
  else if (axis == "select")
    r.adaround.selection = parseSelection(v);
  else if (axis == "select-fraction")
    r.adaround.selectFraction = toDouble(axis, v);
  else if (axis == "input")
    r.input = parseReconInput(v);
  else {
    std::string names;
    for (const auto& a : experimentAxes()) names += (names.empty() ? "" : ", ") + a;
    throw Error(ErrorCode::InvalidArgument, "unknown experiment axis '" + axis + "' (axes: " + names + ")");
  }
}

std::vector<ExperimentRow> runExperiment(const Model& model, const Dataset& calibration, const Dataset* evaluation,
                                         const QuantizationRequest& base, const std::string& axis,
                                         const std::vector<std::string>& values, const ProgressFn& progress,
                                         const CancelToken& cancel) {
  // Validate every value before the first (long) run.
  std::vector<QuantizationRequest> requests;
  for (const std::string& v : values) {
    QuantizationRequest r = base;
    setAxis(r, axis, v);
    validate(r);
    requests.push_back(r);
  }
  std::vector<ExperimentRow> rows;
  for (size_t i = 0; i < requests.size(); ++i) {
    Model copy = model.clone();
    const double done = static_cast<double>(i) / static_cast<double>(requests.size());
    const QuantizationResult q = quantizeModel(
        copy, calibration, requests[i], nullptr,
        [&](const Progress& p) {
          if (progress)
            progress({"experiment", done + p.fraction / requests.size(), axis + "=" + values[i] + " " + p.message,
                      p.metric, p.hasMetric});
        },
        cancel);
    ExperimentRow row;
    row.value = values[i];
    row.seconds = q.wallSeconds;
    for (const LayerOutcome& l : q.layers) {
      row.meanLossBefore += l.lossBefore / static_cast<double>(q.layers.size());
      row.meanLossAfter += l.lossAfter / static_cast<double>(q.layers.size());
    }
    if (evaluation) {
      EvalOptions eo;
      eo.reference = &model;
      eo.cancel = cancel;
      const EvalReport e = evaluate(copy, *evaluation, eo);
      row.evaluated = e.hasLabels;
      row.top1 = e.top1;
      row.kl = e.kl;
      row.agreement = e.agreement;
    }
    rows.push_back(row);
  }
  return rows;
}

}  // namespace roundlab
