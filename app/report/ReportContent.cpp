#include "app/report/ReportContent.h"

#include <QDateTime>
#include <QFileInfo>

#include <map>

#include "engine/core/Error.h"
#include "engine/core/Sha256.h"

namespace roundlab::report {

namespace {

QString q(const std::string& s) { return QString::fromStdString(s); }

// The run's bits per layer, in model order, with their weights and totals.
ReportAllocation runAllocation(const QuantizationResult& result) {
  ReportAllocation a;
  a.source =
      result.request.bits.empty() ? "the run's bit-width per layer" : "the run's bit-width per layer (mixed precision)";
  if (result.request.firstLastEightBit) a.source += ", the first and last layers at 8 bits";
  int64_t weights = 0;
  double bits = 0;
  for (const LayerOutcome& o : result.layers) {
    a.bits.emplace_back(o.layer, o.bits);
    a.weights.push_back(o.weights);
    weights += o.weights;
    bits += static_cast<double>(o.weights) * o.bits;
    a.bytes += weightBytes(o.weights, o.bits);
  }
  a.averageBits = weights > 0 ? bits / static_cast<double>(weights) : 0;
  return a;
}

QString titleOf(const QString& modelPath, const QString& runLabel) {
  return "RoundLab report: " + QFileInfo(modelPath).fileName() + (runLabel.isEmpty() ? QString() : ", " + runLabel);
}

QString now() { return QDateTime::currentDateTimeUtc().toString(Qt::ISODate); }

ReportRun runOf(const RunRecord& r, bool reported) {
  ReportRun out;
  out.number = r.number;
  out.label = q(r.label());
  out.settings = q(r.settingsLabel());
  out.reported = reported;
  out.top1 = r.top1();
  out.top1Fp = r.top1Fp();
  out.averageBits = runAllocation(r.result).averageBits;
  out.seconds = r.result.wallSeconds;
  return out;
}

// The file's SHA-256 as sessions record it, or a note saying why there is none.
QString hashOf(const std::string& path) {
  if (path.empty()) return "(no file)";
  try {
    return q(sha256File(path));
  } catch (const Error& e) {
    return "(not hashed: " + q(e.what()).simplified() + ")";
  }
}

}  // namespace

int64_t weightBytes(int64_t weights, int bits) { return (weights * bits + 7) / 8; }

ReportContent contentFromSession(const SessionInfo& s) {
  ReportContent c;
  RunRecord run;  // the session's run as a record, for its labels
  run.number = 1;
  run.result = s.result;
  run.name = s.runName;
  c.runLabel = q(s.runName.empty() ? run.settingsLabel() : run.label());
  c.title = titleOf(q(s.modelPath), c.runLabel);
  c.generated = now();
  c.origin = "session " + QFileInfo(q(s.path)).absoluteFilePath();
  c.sessionPath = QFileInfo(q(s.path)).absoluteFilePath();
  c.modelPath = q(s.modelPath);
  c.modelOutput = q(s.modelOutput);
  c.modelSha256 = q(s.modelSha256);
  c.calibrationPath = q(s.calibrationPath);
  c.calibrationSha256 = q(s.calibrationSha256);
  c.calibrationOptions = s.calibrationOptions;
  c.versions = s.versions;
  c.result = s.result;
  c.runs.push_back(runOf(run, true));
  c.experiments = s.experiments;
  c.importance = s.importance;
  c.allocation = runAllocation(s.result);
  return c;
}

ReportContent contentFromWorkbench(const WorkbenchResults& w) {
  if (!w.run) throw Error(ErrorCode::InvalidArgument, "there is no run to report: quantize first");
  const RunRecord& r = *w.run;
  ReportContent c;
  c.runLabel = q(r.label());
  c.title = titleOf(q(r.modelPath), c.runLabel);
  c.generated = now();
  c.origin = "RoundLab workbench" + (w.sessionPath.isEmpty() ? QString() : ", session " + w.sessionPath);
  c.sessionPath = w.sessionPath;
  c.modelPath = q(r.modelPath);
  c.modelSha256 = hashOf(r.modelPath);
  c.calibrationPath = q(r.calibrationPath);
  c.calibrationSha256 = hashOf(r.calibrationPath);
  c.evaluationPath = w.evaluationPath;
  c.calibrationOptions = r.calibrationOptions;
  c.versions = libraryVersions();
  c.result = r.result;
  c.evaluated = r.evaluated;
  c.evaluation = r.evaluation;
  for (const RunPtr& run : w.runs)
    if (run) c.runs.push_back(runOf(*run, run->number == r.number));
  if (c.runs.empty()) c.runs.push_back(runOf(r, true));
  for (const ExperimentPtr& e : w.experiments)
    if (e) c.experiments.push_back(*e);
  if (w.importance) {
    c.importance = w.importance->estimates;
    if (c.importance.empty()) c.importance.push_back(w.importance->table);
  }
  c.allocation = runAllocation(r.result);
  // Mixed precision's allocation, when it is not simply the run's bits.
  std::map<std::string, int> runBits;
  for (const auto& [layer, bits] : c.allocation.bits) runBits[layer] = bits;
  if (!w.allocation.bits.empty() && w.allocation.bits != runBits) {
    ReportAllocation& a = c.plannedAllocation;
    c.hasPlannedAllocation = true;
    a.source = "Mixed precision: the allocation edited from importance (not necessarily quantized)";
    std::map<std::string, int64_t> weights;
    if (w.importance)
      for (const auto& [layer, cost] : w.importance->costs) weights[layer] = cost.weights;
    for (const LayerOutcome& o : r.result.layers) weights.emplace(o.layer, o.weights);
    // In the run's layer order, then any other layer the allocation names.
    for (const LayerOutcome& o : r.result.layers)
      if (const auto it = w.allocation.bits.find(o.layer); it != w.allocation.bits.end())
        a.bits.emplace_back(it->first, it->second);
    for (const auto& [layer, bits] : w.allocation.bits)
      if (!runBits.count(layer)) a.bits.emplace_back(layer, bits);
    for (const auto& [layer, bits] : a.bits) {
      const int64_t n = weights.count(layer) ? weights.at(layer) : 0;
      a.weights.push_back(n);
      a.bytes += weightBytes(n, bits);
    }
    a.averageBits = w.allocation.totals.averageBits;
    a.hasPredictedLoss = w.importance != nullptr;
    a.predictedLoss = w.allocation.totals.predictedLoss;
  }
  return c;
}

}  // namespace roundlab::report
