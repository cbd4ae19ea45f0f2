#include "engine/workspace/Workspace.h"

#include <algorithm>
#include <cstdio>
#include <optional>

#include <torch/torch.h>

#include "engine/capture/ActivationCapture.h"
#include "engine/core/Error.h"
#include "engine/data/DataBatch.h"
#include "engine/eval/Evaluation.h"
#include "engine/pipeline/Experiment.h"
#include "engine/pipeline/ModelQuantizer.h"
#include "engine/session/SessionFile.h"
#include "engine/workspace/WorkspaceState.h"

namespace roundlab {

std::shared_ptr<const Dataset> openDataSource(const DataSource& source) {
  std::shared_ptr<const Dataset> data = openDataset(source.path, source.options);
  if (source.count > 0) data = subsetDataset(data, source.count, source.seed);
  return data;
}

void Workspace::State::requireModel() const {
  if (!fp) throw Error(ErrorCode::InvalidArgument, "open a model first");
}

void Workspace::State::requireCalibration() const {
  if (!calibration) throw Error(ErrorCode::InvalidArgument, "open a calibration set first");
}

void Workspace::State::resetResults() {
  runs.clear();
  weights.clear();
  current.reset();
  importance.reset();
  allocation = {};
  experiments.clear();
  shapes.reset();
  shapesTried = false;
  nextRun = 1;
}

std::shared_ptr<RunRecord> Workspace::State::newRun(QuantizationResult result, const QuantizedWeights& w,
                                                    const Model& fpModel) const {
  auto run = std::make_shared<RunRecord>();
  run->number = nextRun;
  run->result = std::move(result);
  run->modelPath = modelPath;
  run->calibrationPath = calibrationPath;
  run->calibrationOptions = calibrationOptions;
  if (options.layerViews)
    for (const auto& [layer, codes] : w.codes)
      run->layers[layer] = layerQuantView(fpModel.weight(layer), codes, w.rtnCodes.at(layer), w.grids.at(layer));
  return run;
}

void Workspace::State::addRun(const RunPtr& run, QuantizedWeights w, bool makeCurrent) {
  nextRun = run->number + 1;
  weights[run->number] = std::move(w);
  runs.push_back(run);
  if (makeCurrent) current = run;
  trimWeights();
}

void Workspace::State::trimWeights() {
  // Memory: a run's codes (and nearest codes) are twice the model's FP size; the oldest go first.
  auto bytes = [this] {
    int64_t total = 0;
    for (const auto& [number, w] : weights)
      for (const auto* tensors : {&w.codes, &w.rtnCodes, &w.biases, &w.tableCodes})
        for (const auto& [layer, t] : *tensors) total += t.numel() * static_cast<int64_t>(t.element_size());
    return total;
  };
  while (weights.size() > 1 && (weights.size() > kKeptRunWeights || bytes() > kKeptRunWeightBytes)) {
    auto oldest = weights.begin();  // the lowest number: the oldest, never the current one or a held one
    while (oldest != weights.end() &&
           ((current && oldest->first == current->number) || heldWeights.count(oldest->first)))
      ++oldest;
    if (oldest == weights.end()) break;
    weights.erase(oldest);
  }
}

std::shared_ptr<RunRecord> Workspace::State::quantizeCopy(const QuantizationRequest& request, const JobHooks& hooks,
                                                          std::optional<Model>& work, QuantizedWeights& w) const {
  work.emplace(fp->clone());  // every run starts from the FP weights
  QuantizationResult result =
      quantizeModel(*work, *calibration, request, &w, hooks.progress, hooks.cancel, hooks.layerDone);
  std::shared_ptr<RunRecord> run = newRun(std::move(result), w, *fp);
  if (evaluation) {
    EvalOptions o;
    if (options.evaluateAgainstFp) o.reference = fp.get();
    o.cancel = hooks.cancel;
    o.perSample = true;  // runs compare pairwise (the uniform guard): a few bytes per sample (sequence)
    run->evaluation = roundlab::evaluate(*work, *evaluation, o);
    run->evaluated = true;
  }
  return run;
}

std::vector<RunPtr>::iterator Workspace::State::findRun(int number) {
  const auto it = std::find_if(runs.begin(), runs.end(), [number](const RunPtr& r) { return r->number == number; });
  if (it == runs.end()) throw Error(ErrorCode::InvalidArgument, "there is no run #" + std::to_string(number));
  return it;
}

void Workspace::State::makeCurrent(const RunPtr& run) {
  const auto w = weights.find(run->number);
  if (w == weights.end())
    throw Error(ErrorCode::InvalidArgument, "the weights of run #" + std::to_string(run->number) +
                                                " were not kept (only the last " + std::to_string(kKeptRunWeights) +
                                                " runs' are): quantize with its settings again");
  Model work = fp->clone();
  applyRun(work, run->result, w->second);
  *model = std::move(work);
  current = run;
}

Workspace::Workspace(WorkspaceOptions options) : d(std::make_unique<State>()) { d->options = options; }
Workspace::~Workspace() = default;

SnapshotPtr Workspace::loadModel(const std::string& path, const std::string& outputChoice) {
  auto model = std::make_unique<Model>(Model::load(path));
  model->setOutputChoice(outputChoice);
  auto fp = std::make_unique<Model>(model->clone());
  d->model = std::move(model);
  d->fp = std::move(fp);
  d->modelPath = path;
  d->resetResults();
  return snapshot();
}

bool Workspace::hasModel() const { return d->fp != nullptr; }

const ModelSummary& Workspace::summary() const {
  d->requireModel();
  return d->fp->summary();
}

const std::string& Workspace::modelPath() const { return d->modelPath; }

std::string Workspace::outputNote() const {
  if (!d->fp) return {};
  const std::string note = d->fp->outputNote();
  return note.empty() ? d->model->outputNote() : note;
}

SnapshotPtr Workspace::snapshot() const {
  d->requireModel();
  auto s = std::make_shared<ModelSnapshot>();
  s->path = d->modelPath;
  s->summary = d->model->summary();
  if (d->calibration && !d->shapesTried) {
    d->shapesTried = true;
    auto shaped = std::make_shared<ModelSummary>(d->fp->summary());
    if (recordShapes(*d->fp, *d->calibration, *shaped)) d->shapes = shaped;
    try {  // what the model returns, for a chooser of its outputs
      if (d->calibration->info().samples > 0) (void)d->fp->forward(d->calibration->read(0, 1).inputs);
    } catch (const std::exception&) {  // not the model's input, or no tensor at the chosen output
    }
  }
  s->outputs = d->fp->outputs();
  if (d->shapes) s->summary.copyShapes(*d->shapes);
  for (const LayerInfo& l : s->summary.layers) s->weights[l.name] = d->model->weightValues(l.name);
  return s;
}

const DatasetInfo& Workspace::setCalibration(const DataSource& source) {
  d->calibration = openDataSource(source);
  d->shapes.reset();  // recorded again on the new set's first sample
  d->shapesTried = false;
  d->calibrationPath = source.path;
  d->calibrationOptions = source.options;
  return d->calibration->info();
}

std::string Workspace::calibrationWarning() const {
  // A check of classifiers (a language model's per-token labels need no such guess).
  if (!d->fp || !d->calibration || !d->calibration->info().hasLabels || !d->calibration->info().labelShape.empty())
    return {};
  const DatasetInfo& info = d->calibration->info();
  const int64_t n = std::min<int64_t>(info.samples, 256);
  const DataBatch b = d->calibration->read(0, n);
  const at::Tensor logits = d->fp->forward(b.inputs);
  if (logits.dim() != 2 || logits.size(0) != n || logits.size(1) < 2) return {};
  const int64_t classes = logits.size(1);
  const double top1 = logits.argmax(1).eq(b.labels).to(at::kDouble).mean().item<double>();
  const double chance = 1.0 / static_cast<double>(classes);
  if (top1 >= chance + 0.2 * (1.0 - chance)) return {};
  char text[160];
  std::snprintf(text, sizeof text, "%.1f %% on the first %lld samples, near chance (%.1f %% for %lld classes)",
                100.0 * top1, static_cast<long long>(n), 100.0 * chance, static_cast<long long>(classes));
  return "the FP model scores " + std::string(text) + " on " + info.path +
         ": check the input normalisation (--normalize, --mean/--std) and the labels";
}

const DatasetInfo& Workspace::setEvaluation(const DataSource& source) {
  d->evaluation = openDataSource(source);
  d->evaluationPath = source.path;
  return d->evaluation->info();
}

void Workspace::clearEvaluation() {
  d->evaluation.reset();
  d->evaluationPath.clear();
}

bool Workspace::hasCalibration() const { return d->calibration != nullptr; }
bool Workspace::hasEvaluation() const { return d->evaluation != nullptr; }

const DatasetInfo& Workspace::calibrationInfo() const {
  d->requireCalibration();
  return d->calibration->info();
}

const DatasetInfo& Workspace::evaluationInfo() const {
  if (!d->evaluation) throw Error(ErrorCode::InvalidArgument, "open an evaluation set first");
  return d->evaluation->info();
}

RunPtr Workspace::quantize(const QuantizationRequest& request, const JobHooks& hooks) {
  d->requireModel();
  d->requireCalibration();
  std::optional<Model> work;  // the model changes only on success
  QuantizedWeights weights;
  const RunPtr run = d->quantizeCopy(request, hooks, work, weights);
  *d->model = std::move(*work);
  d->addRun(run, std::move(weights));
  return run;
}

RunPtr Workspace::currentRun() const { return d->current; }
const std::vector<RunPtr>& Workspace::runs() const { return d->runs; }

bool Workspace::hasRunWeights(int number) const { return d->weights.count(number) > 0; }

RunPtr Workspace::selectRun(int number) {
  d->requireModel();
  d->makeCurrent(*d->findRun(number));
  return d->current;
}

RunPtr Workspace::deleteRun(int number) {
  d->requireModel();
  const auto it = d->findRun(number);
  const bool wasCurrent = d->current == *it;
  // The run that becomes current is ready before anything is forgotten.
  RunPtr next;
  if (wasCurrent)
    for (auto r = d->runs.rbegin(); r != d->runs.rend() && !next; ++r)
      if (*r != *it && d->weights.count((*r)->number)) next = *r;
  if (wasCurrent && next) d->makeCurrent(next);
  if (wasCurrent && !next) {
    *d->model = d->fp->clone();
    d->current.reset();
  }
  d->weights.erase(number);
  d->runs.erase(it);
  return d->current;
}

RunPtr Workspace::renameRun(int number, const std::string& name) {
  const auto it = d->findRun(number);
  auto renamed = std::make_shared<RunRecord>(**it);  // records are immutable: a renamed copy
  renamed->name = name;
  if (d->current == *it) d->current = renamed;
  *it = renamed;
  return renamed;
}

EvaluationResult Workspace::evaluate(const EvaluationSettings& settings, const JobHooks& hooks) const {
  d->requireModel();
  if (!d->evaluation) throw Error(ErrorCode::InvalidArgument, "open an evaluation set first");
  std::optional<Model> file;
  const Model* reference = nullptr;
  if (settings.reference == EvaluationSettings::Reference::FpCopy) {
    reference = d->fp.get();
  } else if (settings.reference == EvaluationSettings::Reference::File) {
    file = Model::load(settings.referencePath);
    file->setOutputChoice(d->fp->summary().outputChoice);  // a reference returns what the model returns
    reference = &*file;
  }
  EvalOptions o;
  o.batch = settings.batch;
  o.reference = reference;
  o.task = settings.task;
  o.progress = hooks.progress;
  o.cancel = hooks.cancel;
  EvaluationResult r;
  r.report = roundlab::evaluate(*d->model, *d->evaluation, o);
  if (settings.perLayerSamples > 0 && reference) {
    CompareOptions co;
    co.maxSamples = std::min<int64_t>(d->evaluation->info().samples, settings.perLayerSamples);
    co.cancel = hooks.cancel;
    r.layers = compareLayerOutputs(*reference, *d->model, *d->evaluation, co);
  }
  return r;
}

ImportancePtr Workspace::estimateImportance(const ImportanceRequest& request, const JobHooks& hooks) {
  d->requireModel();
  d->requireCalibration();
  auto report = std::make_shared<ImportanceReport>();
  report->table = roundlab::estimateImportance(*d->fp, *d->calibration, request, hooks.progress, hooks.cancel);
  report->costs = layerCosts(*d->fp, *d->calibration);
  // Earlier estimates of the other estimators stay, for the comparison.
  report->estimates.push_back(report->table);
  if (d->importance)
    for (const ImportanceTable& t : d->importance->estimates)
      if (t.estimator != report->table.estimator) report->estimates.push_back(t);
  d->importance = report;
  return report;
}

ImportancePtr Workspace::importance() const { return d->importance; }

BitAllocationModel Workspace::allocationModel(int activationBits) const {
  if (!d->importance) throw Error(ErrorCode::InvalidArgument, "estimate the importance first");
  return BitAllocationModel(d->importance->table, d->importance->costs, activationBits);
}

Allocation Workspace::allocate(BudgetKind kind, double budget, const std::map<std::string, int>& pins, bool exact,
                               int activationBits) {
  d->allocation = allocationModel(activationBits).allocate(kind, budget, pins, exact);
  return d->allocation;
}

const Allocation& Workspace::allocation() const { return d->allocation; }

}  // namespace roundlab
