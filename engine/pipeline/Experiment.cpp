#include "engine/pipeline/Experiment.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <sstream>

#include "engine/core/EnumTable.h"
#include "engine/core/Error.h"
#include "engine/pipeline/RequestFields.h"

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
      "seed",     "input",   "stop",   "layer-target"};
  return axes;
}

void setAxis(QuantizationRequest& r, const std::string& axis, const std::string& v) {
  if (axis == "method") {
    r.method = parseQuantMethod(v);
    if (r.method == QuantMethod::Recommended) r = recommendedSettings(r);  // the method is its settings
  } else if (axis == "wbits")
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
  else if (axis == "stop")
    r.adaround.stopWhenSettled = parseStopRule(v);
  else if (axis == "layer-target")
    r.adaround.targetAfterActivation = parseLayerTarget(v);
  else if (axis == "bits") {
    if (v.find_first_of("\t\n\r\v\f") != std::string::npos)
      throw Error(ErrorCode::InvalidArgument, "axis bits expects LAYER=BITS pairs separated by spaces");
    std::istringstream in(v);
    std::map<std::string, int> bits;
    for (std::string pair; in >> pair;) {
      const size_t eq = pair.rfind('=');
      if (eq == std::string::npos || eq == 0)
        throw Error(ErrorCode::InvalidArgument, "axis bits expects LAYER=BITS pairs, got '" + pair + "'");
      bits[pair.substr(0, eq)] = static_cast<int>(toInt(axis, pair.substr(eq + 1)));
    }
    r.bits = bits;
  } else {
    std::string names;
    for (const auto& a : experimentAxes()) names += (names.empty() ? "" : ", ") + a;
    throw Error(ErrorCode::InvalidArgument, "unknown experiment axis '" + axis + "' (axes: " + names + ")");
  }
}

std::string layerBitsText(const std::map<std::string, int>& bits) {
  std::string text;
  for (const auto& [layer, b] : bits) text += (text.empty() ? "" : " ") + layer + "=" + std::to_string(b);
  return text;
}

std::string ExperimentCell::label() const {
  if (!title.empty()) return title;
  if (settings.empty()) return "base";
  std::string text;
  for (const auto& [axis, value] : settings) text += (text.empty() ? "" : " ") + axis + "=" + value;
  return text;
}

std::string ExperimentCell::runLabel() const { return seeded ? label() + " seed=" + std::to_string(seed) : label(); }

namespace {
const EnumTable<ExperimentKind> kinds{"experiment kind",
                                      {{ExperimentKind::Sweep, "sweep", "one axis"},
                                       {ExperimentKind::Grid, "grid", "two axes crossed"},
                                       {ExperimentKind::Study, "study", "the founding paper's study"},
                                       {ExperimentKind::Pareto, "pareto", "measured Pareto points"}}};
}  // namespace

const char* experimentKindName(ExperimentKind kind) { return kinds.name(kind); }
ExperimentKind parseExperimentKind(const std::string& name) { return kinds.parse(name); }

QuantizationRequest ExperimentPlan::request(size_t cell) const {
  QuantizationRequest r = base;
  const ExperimentCell& c = cells.at(cell);
  try {
    // The method first: the recommended one sets its own settings, which the cell's other axes then change.
    for (const auto& [axis, value] : c.settings)
      if (axis == "method") setAxis(r, axis, value);
    for (const auto& [axis, value] : c.settings)
      if (axis != "method") setAxis(r, axis, value);
    if (c.seeded) r.seed = c.seed;
    roundlab::validate(r);
  } catch (const Error& e) {
    throw Error(e.code(), "experiment cell " + c.runLabel() + ": " + e.what());
  }
  return r;
}

std::vector<size_t> ExperimentPlan::firstEqualCell() const {
  std::vector<std::map<std::string, std::string>> texts;
  std::vector<size_t> first;
  for (size_t i = 0; i < cells.size(); ++i) {
    const QuantizationRequest r = request(i);
    std::map<std::string, std::string> text = requestToText(r);
    for (const auto& [layer, bits] : r.bits) text["bits:" + layer] = std::to_string(bits);
    const auto same = std::find(texts.begin(), texts.end(), text);
    first.push_back(same == texts.end() ? i : static_cast<size_t>(same - texts.begin()));
    texts.push_back(std::move(text));
  }
  return first;
}

void validate(const ExperimentPlan& plan) {
  if (plan.cells.empty()) throw Error(ErrorCode::InvalidArgument, "the experiment has no cell to run");
  for (size_t i = 0; i < plan.cells.size(); ++i) plan.request(i);
  // Seeded plans: the cells come in blocks, one per setting, each repeating it with the plan's
  // seeds in order (what seededCells pools).
  const size_t n = plan.seeds.size();
  for (size_t i = 0; i < plan.cells.size(); ++i) {
    const ExperimentCell& c = plan.cells[i];
    const ExperimentCell& first = plan.cells[n > 0 ? i - i % n : i];
    const bool fits = n == 0 ? !c.seeded
                             : c.seeded && plan.cells.size() % n == 0 && c.seed == plan.seeds[i % n] &&
                                   c.settings == first.settings && c.group == first.group && c.title == first.title;
    if (!fits)
      throw Error(ErrorCode::InvalidArgument, "experiment cell " + c.runLabel() + " does not match the plan's seeds");
  }
}

ExperimentPlan withSeeds(ExperimentPlan plan, const std::vector<uint64_t>& seeds) {
  if (!plan.seeds.empty()) throw Error(ErrorCode::InvalidArgument, "the experiment is already repeated over seeds");
  std::vector<uint64_t> distinct = seeds;
  std::sort(distinct.begin(), distinct.end());
  if (std::adjacent_find(distinct.begin(), distinct.end()) != distinct.end())
    throw Error(ErrorCode::InvalidArgument, "the seeds repeat a value: each repetition needs its own seed");
  if (!seeds.empty() && distinct.back() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    throw Error(ErrorCode::InvalidArgument,
                "a seed must be at most " + std::to_string(std::numeric_limits<int64_t>::max()));
  if (seeds.size() < 2)
    throw Error(ErrorCode::InvalidArgument, "a spread over seeds needs at least two seeds (e.g. 0,1,2)");
  for (const ExperimentCell& c : plan.cells)
    for (const auto& [axis, value] : c.settings)
      if (axis == "seed")
        throw Error(ErrorCode::InvalidArgument,
                    "the experiment varies the seed itself: repeat it over seeds or vary the seed, not both");
  std::vector<ExperimentCell> cells;
  for (const ExperimentCell& c : plan.cells)
    for (const uint64_t s : seeds) {
      ExperimentCell repeated = c;
      repeated.seeded = true;
      repeated.seed = s;
      cells.push_back(std::move(repeated));
    }
  plan.cells = std::move(cells);
  plan.seeds = seeds;
  validate(plan);
  return plan;
}

ExperimentPlan sweepPlan(const QuantizationRequest& base, const std::string& axis,
                         const std::vector<std::string>& values) {
  ExperimentPlan plan;
  plan.kind = ExperimentKind::Sweep;
  plan.title = axis;
  plan.base = base;
  plan.axes = {axis};
  for (const std::string& v : values) plan.cells.push_back({"", {{axis, v}}, ""});
  validate(plan);
  return plan;
}

ExperimentPlan gridPlan(const QuantizationRequest& base, const std::string& rowAxis,
                        const std::vector<std::string>& rowValues, const std::string& columnAxis,
                        const std::vector<std::string>& columnValues) {
  if (rowAxis == columnAxis) throw Error(ErrorCode::InvalidArgument, "the two axes must differ (both " + rowAxis + ")");
  ExperimentPlan plan;
  plan.kind = ExperimentKind::Grid;
  plan.title = rowAxis + " x " + columnAxis;
  plan.base = base;
  plan.axes = {rowAxis, columnAxis};
  for (const std::string& r : rowValues)
    for (const std::string& c : columnValues) plan.cells.push_back({"", {{rowAxis, r}, {columnAxis, c}}, ""});
  validate(plan);
  return plan;
}

ExperimentPlan paperStudyPlan(QuantizationRequest base, int iterations, const DatasetInfo& calibration) {
  if (iterations < 1) throw Error(ErrorCode::InvalidArgument, "the study needs at least one iteration per unit");
  // Every axis below acts on learned rounding; a study around RTN or GPTQ would measure nothing.
  if (base.method == QuantMethod::Rtn || base.method == QuantMethod::Gptq) base.method = QuantMethod::Brecq;
  base.adaround.iterations = iterations;
  ExperimentPlan plan;
  plan.kind = ExperimentKind::Study;
  plan.title = "the founding paper's study";
  plan.base = base;
  const std::string block =
      base.method == QuantMethod::Qdrop || (base.method == QuantMethod::Recommended && base.activations.enabled())
          ? "qdrop"
          : "brecq";
  auto add = [&plan](const std::string& group, std::vector<AxisSetting> settings) {
    if (plan.axes.empty() || plan.axes.back() != group) plan.axes.push_back(group);
    plan.cells.push_back({group, std::move(settings), ""});
  };
  // algorithms.md §3, in its order.
  add("loss", {{"method", "adaround"}});
  add("loss", {{"method", block}});
  add("loss", {{"method", block}, {"output-kl", "0.1"}});
  add("loss weighting", {{"method", block}, {"block-loss", "mse"}});
  add("loss weighting", {{"method", block}, {"block-loss", "fisher"}});
  for (const char* f : {"rounding", "step", "bias"}) add("degrees of freedom", {{"freedom", f}});
  add("degrees of freedom", {{"freedom", "free"}, {"variable", "offset"}});
  for (const char* g : {"uniform", "power", "power-learned"}) add("grid", {{"grid", g}});
  if (base.adaround.freedom != DegreesOfFreedom::FreeIntegers) add("variable", {{"variable", "sigmoid"}});
  add("variable", {{"variable", "offset"}});
  for (const char* o : {"adam", "sgd"}) add("optimizer", {{"optimizer", o}});
  add("weight selection", {{"select", "all"}, {"select-fraction", "1"}});
  add("weight selection", {{"select", "boundary"}, {"select-fraction", "0.5"}});
  add("weight selection", {{"select", "magnitude"}, {"select-fraction", "0.5"}});
  if (!calibration.tokenIds) {
    add("augmentation", {{"augment", "none"}});
    add("augmentation", {{"augment", "flip+crop"}});
    add("augmentation", {{"augment", "noise"}});
  }
  for (const int64_t n : {128, 256, 512, 1024, 2048, 4096})
    if (n <= calibration.samples) add("calibration size", {{"calib-count", std::to_string(n)}});
  validate(plan);
  return plan;
}

ExperimentPlan paretoPlan(const QuantizationRequest& base, const std::vector<std::map<std::string, int>>& allocations,
                          const std::vector<double>& averageBits) {
  if (allocations.size() != averageBits.size())
    throw Error(ErrorCode::InvalidArgument, "each Pareto point needs its average bits");
  ExperimentPlan plan;
  plan.kind = ExperimentKind::Pareto;
  plan.title = "Pareto front, measured";
  plan.base = base;
  plan.base.firstLastEightBit = false;  // the allocation decides every layer
  plan.axes = {"average bits"};
  for (size_t i = 0; i < allocations.size(); ++i) {
    char title[32];
    std::snprintf(title, sizeof title, "%.3f bits", averageBits[i]);
    plan.cells.push_back({"", {{"bits", layerBitsText(allocations[i])}}, title});
  }
  validate(plan);
  return plan;
}

const ExperimentRow* ExperimentRecord::row(size_t cell) const {
  for (const ExperimentRow& r : rows)
    if (r.cell == cell) return &r;
  return nullptr;
}

}  // namespace roundlab
