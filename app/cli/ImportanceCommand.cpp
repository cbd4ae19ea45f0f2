// roundlab-cli importance: per-layer, per-bit-width importance of quantization with one or more
// estimators, and how the cheap ones rank layers compared with the measured one.
#include "app/cli/ExperimentJobs.h"
#include "app/cli/ImportanceOptions.h"

namespace roundlab::cli {

QJsonObject importanceToJson(const ImportanceTable& t) {
  QJsonArray bits, layers;
  for (int b : t.bits) bits.append(b);
  for (const std::string& l : t.layers) {
    QJsonObject values;
    for (int b : t.bits) values[QString::number(b)] = t.values.at(l).at(b);
    QJsonObject layer{{"name", QString::fromStdString(l)}, {"importance", values}};
    if (t.errors.count(l)) {
      QJsonObject errors;
      for (const auto& [b, e] : t.errors.at(l)) errors[QString::number(b)] = e;
      layer["standard_error"] = errors;
    }
    layers.append(layer);
  }
  return {{"estimator", importanceEstimatorName(t.estimator)},
          {"bits", bits},
          {"layers", layers},
          {"fp_loss", t.fpLoss},
          {"wall_s", t.seconds}};
}

int runImportance(const QStringList& args) {
  QCommandLineParser p;
  p.addOption({"calib", "Calibration data (RoundLab HDF5 or IDX).", "CALIB.h5"});
  addImportanceOptions(p, /*several=*/true, /*standalone=*/true);
  addModelOutputOption(p);
  addDataOptions(p, /*subset=*/false);
  p.addOption({"jobs-dir",
               "Write one job per layer into DIR instead of estimating here (roundlab-cli run-job each, then "
               "roundlab-cli merge DIR --into RUN.rlab -o OUT.rlab).",
               "DIR"});
  if (!parseCommand(p, args, "Per-layer importance of quantization at each bit-width.", "MODEL.pt",
                    "TorchScript model"))
    return 0;
  if (p.positionalArguments().size() != 1) throw UsageError{"expects exactly one MODEL.pt"};
  if (!p.isSet("calib")) throw UsageError{"--calib CALIB.h5 is required"};
  const std::vector<ImportanceRequest> requests = importanceRequestsFromOptions(p, true);
  Workspace ws;
  loadModelArgument(ws, p);
  const DataSource calibration = dataSourceFromOptions(p, p.value("calib"), false);
  ws.setCalibration(calibration);
  warnAboutCalibration(ws);
  if (p.isSet("jobs-dir")) {
    if (requests.size() != 1) throw UsageError{"--jobs-dir writes the jobs of one estimator: give one --estimator"};
    std::vector<std::string> layers;
    for (const LayerInfo& l : ws.summary().layers) layers.push_back(l.name);
    const JobsWritten w = writeImportanceJobs(requests[0], layers, ws.modelPath(), ws.summary().outputChoice,
                                              calibration, p.value("jobs-dir"));
    if (p.isSet("json")) {
      printJson({{"jobs_dir", w.dir}, {"jobs", w.jobs}});
      return 0;
    }
    printLine(QString("wrote %1 jobs (one per layer) into %2; run them, e.g.: xargs -P 2 -n 1 roundlab-cli run-job "
                      "< %3; then: roundlab-cli merge %2 --into RUN.rlab -o OUT.rlab")
                  .arg(w.jobs)
                  .arg(w.dir, w.list));
    return 0;
  }
  std::vector<ImportanceTable> tables;
  for (const ImportanceRequest& r : requests) tables.push_back(ws.estimateImportance(r, stderrHooks())->table);
  const ImportanceTable* measured = nullptr;
  for (const ImportanceTable& t : tables)
    if (t.estimator == ImportanceEstimator::Measured) measured = &t;

  if (p.isSet("json")) {
    if (tables.size() == 1) {
      printJson(importanceToJson(tables[0]));
      return 0;
    }
    QJsonArray all;
    QJsonObject agreement;
    for (const ImportanceTable& t : tables) {
      all.append(importanceToJson(t));
      if (!measured || &t == measured) continue;
      QJsonObject perBits;
      for (const auto& [b, rho] : rankAgreement(*measured, t))
        perBits[b == 0 ? QString("mean") : QString::number(b)] = rho;
      perBits["cost_ratio"] = t.seconds / measured->seconds;
      agreement[importanceEstimatorName(t.estimator)] = perBits;
    }
    QJsonObject o{{"tables", all}};
    if (measured) o["spearman_vs_measured"] = agreement;
    printJson(o);
    return 0;
  }
  for (const ImportanceTable& t : tables) {
    QStringList header{"layer"};
    for (int b : t.bits) header << QString("%1 bit").arg(b);
    QList<QStringList> rows;
    int withinNoise = 0;
    for (const std::string& l : t.layers) {
      QStringList row{QString::fromStdString(l)};
      for (int b : t.bits) {
        QString cell = QString::number(t.values.at(l).at(b), 'g', 4);
        if (const double ci = importanceInterval(t, l, b); ci > 0) cell += " ±" + QString::number(ci, 'g', 2);
        if (importanceWithinNoise(t, l, b)) {
          cell += " ~";
          ++withinNoise;
        }
        row << cell;
      }
      rows << row;
    }
    printLine(QString("%1 importance (loss increase%2; FP loss %3), %4 s")
                  .arg(importanceEstimatorName(t.estimator))
                  .arg(t.errors.empty() ? "" : " ± 95 % interval")
                  .arg(t.fpLoss, 0, 'g', 4)
                  .arg(t.seconds, 0, 'f', 2));
    printLine(formatTable(header, rows));
    if (withinNoise > 0)
      printLine(QString("~ %1 of %2 values are within their interval of zero: quantizing the layer alone changed the "
                        "loss by less than these samples resolve (a negative one did not really lower it); more "
                        "samples (--calib-count) narrow the interval by 1/sqrt(n)")
                    .arg(withinNoise)
                    .arg(t.layers.size() * t.bits.size()));
  }
  if (measured)
    for (const ImportanceTable& t : tables) {
      if (&t == measured) continue;
      const auto rho = rankAgreement(*measured, t);
      printLine(QString("%1 ranks layers like measured: Spearman %2 (mean over widths), at %3x its time")
                    .arg(importanceEstimatorName(t.estimator))
                    .arg(rho.count(0) ? rho.at(0) : 0.0, 0, 'f', 3)
                    .arg(t.seconds / measured->seconds, 0, 'f', 2));
    }
  return 0;
}

}  // namespace roundlab::cli
