#include "app/cli/ImportanceOptions.h"

namespace roundlab::cli {

void addImportanceOptions(QCommandLineParser& p, bool several, bool standalone) {
  p.addOption({"estimator",
               several ? "measured, ig (integrated gradients) or hessian; a comma list computes several side by side "
                         "and compares their layer rankings with measured."
                       : "measured, ig (integrated gradients) or hessian.",
               "E", "measured"});
  p.addOption({"ig-points", "Integrated gradients: points along the quantization path (default 16).", "K", "16"});
  p.addOption(
      {"ig-share", "Integrated gradients: share of the calibration samples a path sees (default 0.25).", "F", "0.25"});
  p.addOption({"ig-full-set", "Integrated gradients: every path point on every sample (K times the cost)."});
  p.addOption({"probes", "Hessian: Hutchinson probe vectors (default 16).", "N", "16"});
  if (!standalone) return;
  p.addOption({"bits", "Candidate bit-widths, comma separated (default 2,3,4,5,6,8).", "B,...", "2,3,4,5,6,8"});
  p.addOption({"calib-count", "Calibration samples used (default 256).", "N", "256"});
  p.addOption({"batch", "Batch size of the passes (default 64).", "N", "64"});
  p.addOption({"seed", "Seed of the calibration subset and the probes.", "N", "0"});
}

std::vector<int> parseBitList(const QString& text, const QString& option) {
  std::vector<int> bits;
  for (const QString& b : text.split(',', Qt::SkipEmptyParts)) {
    const int64_t v = parseInt(b.trimmed(), option, 2, 8);
    bits.push_back(static_cast<int>(v));
  }
  if (bits.empty()) throw UsageError{option + " needs at least one bit-width"};
  return bits;
}

std::vector<ImportanceRequest> importanceRequestsFromOptions(const QCommandLineParser& p, bool standalone) {
  ImportanceRequest r;
  if (standalone) {
    r.bits = parseBitList(p.value("bits"), "--bits");
    r.calibrationCount = parseInt(p.value("calib-count"), "--calib-count", 1);
    r.batch = parseInt(p.value("batch"), "--batch", 1);
    r.seed = static_cast<uint64_t>(parseInt(p.value("seed"), "--seed", 0, std::numeric_limits<int64_t>::max()));
  }
  r.pathPoints = static_cast<int>(parseInt(p.value("ig-points"), "--ig-points", 1));
  r.fullSetPerPoint = p.isSet("ig-full-set");
  r.pathSampleShare = parseNumber(p.value("ig-share"), "--ig-share", 0, 1, true);
  r.hutchinsonSamples = static_cast<int>(parseInt(p.value("probes"), "--probes", 1));
  std::vector<ImportanceRequest> out;
  for (const QString& e : p.value("estimator").split(',', Qt::SkipEmptyParts)) {
    try {
      r.estimator = parseImportanceEstimator(e.trimmed().toStdString());
    } catch (const Error& err) {
      throw UsageError{QString("--estimator: ") + err.what()};
    }
    out.push_back(r);
  }
  if (out.empty()) throw UsageError{"--estimator needs a value"};
  return out;
}

}  // namespace roundlab::cli
