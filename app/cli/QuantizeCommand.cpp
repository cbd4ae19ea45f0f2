// roundlab-cli quantize: learned-rounding (or RTN) weight quantization of a model, with
// evaluation and TorchScript export.
#include <cmath>

#include "app/cli/CliSupport.h"
#include "engine/pipeline/RequestFields.h"

namespace roundlab::cli {

int runQuantize(const QStringList& args) {
  QCommandLineParser p;
  p.addOption({"calib", "Calibration data (RoundLab HDF5 or IDX).", "CALIB.h5"});
  addQuantizationOptions(p);
  p.addOption({"eval", "Evaluate FP and quantized models on this data.", "DATA"});
  p.addOption({"export-torchscript", "Write the quantized model as TorchScript (validated by reloading).", "OUT.pt"});
  p.addOption({"export-h5", "Write integer codes and grids per layer (HDF5, validated by reading back).", "OUT.h5"});
  p.addOption(
      {"export-encodings", "Write per-tensor encodings (bitwidth, scale, offset, min, max) as JSON.", "OUT.json"});
  p.addOption({"export-csv", "Write the per-layer result table as CSV.", "OUT.csv"});
  p.addOption({"session", "Save the run as a session (settings, hashes, codes, curves).", "OUT.rlab"});
  addModelOutputOption(p);
  addDataOptions(p, /*subset=*/false);  // --calib-count and --seed choose the calibration subset
  if (!parseCommand(p, args, "Quantize a model's weights with learned rounding.", "MODEL.pt", "TorchScript model"))
    return 0;
  if (p.positionalArguments().size() != 1) throw UsageError{"expects exactly one MODEL.pt"};
  if (!p.isSet("calib")) throw UsageError{"--calib CALIB.h5 is required"};
  const QuantizationRequest request = quantizationRequestFromOptions(p);
  const QStringList inputs{p.positionalArguments()[0], p.value("calib"), p.value("eval")};
  for (const char* output : {"export-torchscript", "export-h5", "export-encodings", "export-csv", "session"})
    checkOutputOption(p, output, inputs);

  Workspace ws;
  loadModelArgument(ws, p);
  const int64_t calibSamples = ws.setCalibration(dataSourceFromOptions(p, p.value("calib"), false)).samples;
  warnAboutCalibration(ws);
  if (p.isSet("eval")) ws.setEvaluation(dataSourceFromOptions(p, p.value("eval"), false));

  const RunPtr run = ws.quantize(request, stderrHooks());
  const QuantizationResult& result = run->result;
  QJsonObject phases;
  for (const auto& [name, s] : result.phases) phases[QString::fromStdString(name)] = s;

  QJsonValue top1Fp, top1Q, kl, agreement;
  if (run->evaluated) {
    const EvalReport& r = run->evaluation;
    if (r.hasLabels) top1Fp = r.referenceTop1, top1Q = r.top1;
    kl = r.kl;
    agreement = r.agreement;
    phases["eval"] = r.wallSeconds;
  }
  QJsonObject exportInfo;
  if (p.isSet("export-torchscript")) {
    const ExportOutcome e = ws.exportRun(ExportKind::TorchScript, p.value("export-torchscript").toStdString());
    exportInfo = {{"torchscript", QString::fromStdString(e.path)},
                  {"validated", true},
                  {"max_abs_diff", e.maxAbsDiff},
                  {"probe_samples", static_cast<qint64>(e.probeSamples)}};
  }
  struct File {
    const char *key, *option;
    ExportKind kind;
  };
  for (const File& f : {File{"h5", "export-h5", ExportKind::QuantizedHdf5},
                        File{"encodings", "export-encodings", ExportKind::Encodings},
                        File{"csv", "export-csv", ExportKind::ResultsCsv}}) {
    if (!p.isSet(f.option)) continue;
    ws.exportRun(f.kind, p.value(f.option).toStdString());
    exportInfo[f.key] = p.value(f.option);
  }
  if (p.isSet("session")) {
    ws.saveSession(p.value("session").toStdString());
    exportInfo["session"] = p.value("session");
  }

  if (p.isSet("json")) {
    QJsonArray layers;
    for (const LayerOutcome& l : result.layers)
      layers.append(QJsonObject{{"name", QString::fromStdString(l.layer)},
                                {"bits", l.bits},
                                {"exponent", l.exponent},
                                {"weights", static_cast<qint64>(l.weights)},
                                {"flip_rate", l.flipRate},
                                {"flips_up", static_cast<qint64>(l.flipsUp)},
                                {"flips_down", static_cast<qint64>(l.flipsDown)},
                                {"loss_before", l.lossBefore},
                                {"loss_after", l.lossAfter},
                                {"input_bits", l.activation.bits},
                                {"input_scale", l.activation.enabled() ? QJsonValue(l.activation.scale) : QJsonValue()},
                                {"sqnr_db", std::isfinite(l.sqnrDb) ? QJsonValue(l.sqnrDb) : QJsonValue()},
                                {"seconds", l.seconds},
                                // The unit's optimisation steps (fewer than iters where it settled).
                                {"iterations_run", l.curve.empty() ? 0 : l.curve.back().first + 1},
                                {"unit", QString::fromStdString(l.unit)}});
    QJsonArray tables;
    for (const TableOutcome& t : result.tables)
      tables.append(QJsonObject{{"parameter", QString::fromStdString(t.parameter)},
                                {"bits", t.bits},
                                {"rows", static_cast<qint64>(t.rows)},
                                {"columns", static_cast<qint64>(t.columns)},
                                {"sqnr_db", std::isfinite(t.sqnrDb) ? QJsonValue(t.sqnrDb) : QJsonValue()}});
    QJsonObject o{
        {"model", p.positionalArguments()[0]},
        {"method", quantMethodName(request.method)},
        {"wbits", request.weights.bits},
        {"grid", gridKindName(request.weights.grid)},
        {"abits", request.activations.bits},
        {"qdrop_p", request.activations.enabled() ? QJsonValue(effectiveDropProbability(request)) : QJsonValue()},
        {"seed", static_cast<qint64>(request.seed)},
        {"calib_count", static_cast<qint64>(std::min(request.calibrationCount, calibSamples))},
        {"iters", request.method == QuantMethod::Rtn ? 0 : request.adaround.iterations},
        {"top1_fp", top1Fp},
        {"top1_quantized", top1Q},
        {"kl", kl},
        {"agreement", agreement},
        {"wall_s", result.wallSeconds},
        {"phases", phases},
        {"activation_spill_bytes", static_cast<qint64>(result.spilledBytes)},
        {"layers", layers},
        {"embedding_bits", request.embeddingBits},
        {"embedding_tables", tables}};
    QJsonObject settings;  // every setting of the run, as sessions and job files name them
    for (const auto& [key, value] : requestToText(request)) settings[QString::fromStdString(key)] = value.c_str();
    o["settings"] = settings;
    if (run->evaluated) addLanguageModelKeys(o, run->evaluation);
    if (!exportInfo.isEmpty()) o["export"] = exportInfo;
    QJsonArray notes;
    if (const std::string n = ws.outputNote(); !n.empty()) notes.append(QString::fromStdString(n));
    for (const std::string& n : result.notes) notes.append(QString::fromStdString(n));
    o["notes"] = notes;
    if (!result.settlement.empty()) o["stopping"] = QString::fromStdString(result.settlement);
    printJson(o);
    return 0;
  }
  QList<QStringList> rows;
  for (const LayerOutcome& l : result.layers)
    rows << QStringList{QString::fromStdString(l.layer),
                        QString::number(l.bits),
                        l.activation.enabled() ? QString::number(l.activation.bits) : QString("fp"),
                        QString::number(l.flipRate * 100, 'f', 2),
                        QString::number(l.lossBefore, 'g', 4),
                        QString::number(l.lossAfter, 'g', 4),
                        std::isfinite(l.sqnrDb) ? QString::number(l.sqnrDb, 'f', 1) : QString("inf"),
                        QString::number(l.seconds, 'f', 2)};
  printLine(QString("%1, W%2A%3, %4 calibration samples, seed %5")
                .arg(quantMethodName(request.method))
                .arg(request.weights.bits)
                .arg(request.activations.enabled() ? QString::number(request.activations.bits) : QString("32"))
                .arg(std::min(request.calibrationCount, calibSamples))
                .arg(request.seed));
  printLine(formatTable({"layer", "bits", "input_bits", "flips_%", "loss_rtn", "loss_final", "sqnr_db", "s"}, rows));
  if (!result.tables.empty()) {
    QList<QStringList> tableRows;
    for (const TableOutcome& t : result.tables)
      tableRows << QStringList{QString::fromStdString(t.parameter), QString("%1x%2").arg(t.rows).arg(t.columns),
                               QString::number(t.bits),
                               std::isfinite(t.sqnrDb) ? QString::number(t.sqnrDb, 'f', 1) : QString("inf")};
    printLine(formatTable({"embedding table", "shape", "bits", "sqnr_db"}, tableRows));
  }
  if (run->evaluated && !perplexityLine(run->evaluation).isEmpty()) printLine(perplexityLine(run->evaluation));
  if (top1Q.isDouble())
    printLine(QString("%1top-1: FP %2 %, quantized %3 %")
                  .arg(run->evaluated && run->evaluation.languageModel() ? "next-token " : "")
                  .arg(top1Fp.toDouble(), 0, 'f', 2)
                  .arg(top1Q.toDouble(), 0, 'f', 2));
  if (kl.isDouble())
    printLine(
        QString("KL to FP %1, agreement %2 %").arg(kl.toDouble(), 0, 'g', 4).arg(agreement.toDouble(), 0, 'f', 2));
  if (exportInfo.contains("torchscript"))
    printLine("exported " + exportInfo["torchscript"].toString() + " (reloaded: identical outputs)");
  for (const char* key : {"h5", "encodings", "csv", "session"})
    if (exportInfo.contains(key)) printLine("exported " + exportInfo[key].toString());
  if (const std::string n = ws.outputNote(); !n.empty()) printLine("note: " + QString::fromStdString(n));
  if (!result.settlement.empty()) printLine("stopping rule: " + QString::fromStdString(result.settlement));
  for (const std::string& n : result.notes) printLine("note: " + QString::fromStdString(n));
  printLine(QString("wall %1 s").arg(result.wallSeconds, 0, 'f', 2));
  return 0;
}

}  // namespace roundlab::cli
