// The workspace's files: sessions (save, open, read, rerun) and validated exports.
#include <filesystem>
#include <sstream>

#include <torch/torch.h>

#include "engine/core/Error.h"
#include "engine/core/Sha256.h"
#include "engine/export/QuantizedModelExport.h"
#include "engine/export/TorchScriptExport.h"
#include "engine/session/SessionBuilder.h"
#include "engine/session/SessionFile.h"
#include "engine/workspace/WorkspaceState.h"

namespace roundlab {

const EnumTable<ExportKind>& exportKindTable() {
  static const EnumTable<ExportKind> t{
      "export",
      {{ExportKind::TorchScript, "torchscript", "the quantized model as TorchScript, reloaded and compared"},
       {ExportKind::QuantizedHdf5, "h5", "integer codes and grids per layer (HDF5), read back bit for bit"},
       {ExportKind::Encodings, "encodings", "per-tensor encodings as JSON"},
       {ExportKind::ResultsCsv, "csv", "the per-layer result table"}}};
  return t;
}

void Workspace::saveSession(const std::string& path) const {
  const RunPtr run = d->current;
  if (!run) throw Error(ErrorCode::InvalidArgument, "there is no run to save yet: quantize first");
  Session s = makeSession(run->modelPath, run->calibrationPath, run->calibrationOptions, run->result,
                          d->weights.at(run->number));
  s.runName = run->name;
  s.modelOutput = d->fp->summary().outputChoice;
  if (d->importance) s.importance = d->importance->estimates;  // the latest first
  for (const ExperimentPtr& e : d->experiments) s.experiments.push_back(*e);
  roundlab::saveSession(path, s);  // atomic: a failure leaves any old file as it was
}

OpenedSession Workspace::openSession(const std::string& path) {
  // Everything is built first; the workspace changes only once nothing can fail any more.
  const Session s = loadSession(path);
  std::error_code ec;
  if (!std::filesystem::exists(s.modelPath, ec))
    throw Error(ErrorCode::BadDataFile, "the session's model " + s.modelPath + " is not there any more");
  auto fp = std::make_unique<Model>(Model::load(s.modelPath));
  fp->setOutputChoice(s.modelOutput);
  auto work = std::make_unique<Model>(fp->clone());
  applySession(*work, s);  // throws when the model does not match the session
  std::shared_ptr<RunRecord> run = d->newRun(s.result, s.weights, *fp);
  run->number = 1;
  run->calibrationPath = s.calibrationPath;
  run->calibrationOptions = s.calibrationOptions;
  run->sessionPath = path;
  run->name = s.runName;
  // The session's calibration set, for later runs and the importance tables' costs; a session
  // opens without it (moved, or no longer fitting the model), and then without those costs.
  std::shared_ptr<const Dataset> calibration;
  ImportancePtr importance;
  std::map<std::string, LayerCost> costs;
  try {
    calibration = openDataset(s.calibrationPath, s.calibrationOptions);
    if (!s.importance.empty()) costs = layerCosts(*fp, *calibration);
  } catch (const std::exception&) {
    calibration.reset();
    costs.clear();
  }
  if (!s.importance.empty()) {
    auto report = std::make_shared<ImportanceReport>();
    report->table = s.importance.front();
    report->estimates = s.importance;
    report->fromSession = true;
    report->costs = std::move(costs);
    importance = report;
  }

  d->fp = std::move(fp);
  d->model = std::move(work);
  d->modelPath = s.modelPath;
  d->resetResults();
  d->calibration = calibration;  // none rather than another model's
  d->calibrationPath = calibration ? s.calibrationPath : std::string();
  d->calibrationOptions = s.calibrationOptions;
  d->importance = importance;  // the tables stay with the session even without costs
  d->addRun(run, s.weights);
  for (ExperimentRecord e : s.experiments) {
    for (ExperimentRow& row : e.rows) row.run = 0;  // their runs are not in the file
    d->experiments.push_back(std::make_shared<const ExperimentRecord>(std::move(e)));
  }

  OpenedSession opened;
  opened.run = run;
  opened.calibrationPath = s.calibrationPath;
  if (calibration) opened.importance = importance;
  opened.snapshot = snapshot();
  return opened;
}

SessionInfo Workspace::readSession(const std::string& path) {
  const Session s = loadSession(path);
  SessionInfo info;
  info.path = path;
  info.modelPath = s.modelPath;
  info.modelSha256 = s.modelSha256;
  info.modelOutput = s.modelOutput;
  info.calibrationPath = s.calibrationPath;
  info.calibrationSha256 = s.calibrationSha256;
  info.calibrationOptions = s.calibrationOptions;
  info.runName = s.runName;
  info.versions = s.versions;
  info.result = s.result;
  info.importance = s.importance;
  info.experiments = s.experiments;
  return info;
}

RerunOutcome Workspace::rerunSession(const std::string& path, const JobHooks& hooks) {
  const Session saved = loadSession(path);
  checkRecordedHash(saved.modelPath, saved.modelSha256, "model");
  checkRecordedHash(saved.calibrationPath, saved.calibrationSha256, "calibration set");
  // In a workspace of its own, which becomes this one only when the rerun is done.
  Workspace rerun(d->options);
  rerun.loadModel(saved.modelPath, saved.modelOutput);
  DataSource calibration;
  calibration.path = saved.calibrationPath;
  calibration.options = saved.calibrationOptions;
  rerun.setCalibration(calibration);
  const RunPtr run = rerun.quantize(saved.result.request, hooks);
  std::swap(d, rerun.d);
  const QuantizedWeights& now = d->weights.at(run->number);
  RerunOutcome out;
  out.layers = static_cast<int64_t>(now.codes.size());
  out.tables = static_cast<int64_t>(now.tableCodes.size());
  for (const auto& [name, codes] : saved.weights.codes) {
    const auto it = now.codes.find(name);
    if (it == now.codes.end() || !at::equal(it->second, codes)) out.differing.push_back(name);
  }
  for (const auto& [name, codes] : saved.weights.tableCodes) {
    const auto it = now.tableCodes.find(name);
    if (it == now.tableCodes.end() || !at::equal(it->second, codes)) out.differing.push_back(name);
  }
  out.identical = out.differing.empty() && now.codes.size() == saved.weights.codes.size() &&
                  now.tableCodes.size() == saved.weights.tableCodes.size();
  return out;
}

ExportOutcome Workspace::exportRun(ExportKind kind, const std::string& path, const std::string& probePath) const {
  const RunPtr run = d->current;
  if (!run) throw Error(ErrorCode::InvalidArgument, "quantize the model before exporting it");
  const QuantizedWeights& w = d->weights.at(run->number);
  ExportOutcome out;
  out.kind = kind;
  out.path = path;
  const std::string layers = std::to_string(w.codes.size());
  switch (kind) {
    case ExportKind::TorchScript: {
      std::shared_ptr<const Dataset> probe = d->evaluation ? d->evaluation : d->calibration;
      if (!probePath.empty()) probe = openDataset(probePath);
      if (!probe) throw Error(ErrorCode::InvalidArgument, "a TorchScript export is checked on data: open a data set");
      const ExportReport e = exportTorchScript(*d->model, path, *probe);
      out.maxAbsDiff = e.maxAbsDiff;
      out.probeSamples = e.probeSamples;
      std::ostringstream text;
      text << "reloaded in LibTorch: outputs on " << e.probeSamples << " samples identical (max |Δ| = " << e.maxAbsDiff
           << ")";
      out.validation = text.str();
      break;
    }
    case ExportKind::QuantizedHdf5:
      exportQuantizedHdf5(path, *d->model, w,
                          {quantMethodName(run->result.request.method), run->result.request.seed, run->modelPath});
      out.validation = "read back: dequantized weights of " + layers + " layers identical to the model's, bit for bit";
      break;
    case ExportKind::Encodings:
      exportEncodingsJson(path, *d->model, w);
      out.validation = "encodings of " + layers + " layers";
      break;
    case ExportKind::ResultsCsv:
      exportResultsCsv(path, run->result);
      out.validation = std::to_string(run->result.layers.size()) + " layer rows";
      break;
  }
  return out;
}

}  // namespace roundlab
