// roundlab-cli quantize: learned-rounding (or RTN) weight quantization of a model, with
// evaluation and TorchScript export.
#include <QElapsedTimer>

#include <cmath>

#include "app/cli/CliSupport.h"
#include "engine/Dataset.h"
#include "engine/Evaluation.h"
#include "engine/Model.h"
#include "engine/export/QuantizedModelExport.h"
#include "engine/export/TorchScriptExport.h"
#include "engine/recon/ModelQuantizer.h"
#include "engine/session/SessionFile.h"

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
  addDataOptions(p, /*subset=*/false);  // --calib-count and --seed choose the calibration subset
  if (!parseCommand(p, args, "Quantize a model's weights with learned rounding.", "MODEL.pt", "TorchScript model"))
    return 0;
  if (p.positionalArguments().size() != 1) throw UsageError{"expects exactly one MODEL.pt"};
  if (!p.isSet("calib")) throw UsageError{"--calib CALIB.h5 is required"};
  const QuantizationRequest request = quantizationRequestFromOptions(p);

  Model model = Model::load(p.positionalArguments()[0].toStdString());
  const Model fp = model.clone();
  const auto calib = openDataFromOptions(p, p.value("calib"), false);
  std::shared_ptr<const Dataset> evalData;
  if (p.isSet("eval")) evalData = openDataFromOptions(p, p.value("eval"), false);

  QuantizedWeights weights;
  const QuantizationResult result = quantizeModel(model, *calib, request, &weights, stderrProgress());
  QJsonObject phases;
  for (const auto& [name, s] : result.phases) phases[QString::fromStdString(name)] = s;

  QJsonValue top1Fp, top1Q, kl, agreement;
  if (evalData) {
    QElapsedTimer t;
    t.start();
    EvalOptions eo;
    eo.reference = &fp;
    const EvalReport r = evaluate(model, *evalData, eo);
    if (r.hasLabels) top1Fp = r.referenceTop1, top1Q = r.top1;
    kl = r.kl;
    agreement = r.agreement;
    phases["eval"] = t.elapsed() / 1000.0;
  }
  QJsonObject exportInfo;
  if (p.isSet("export-torchscript")) {
    const ExportReport e =
        exportTorchScript(model, p.value("export-torchscript").toStdString(), evalData ? *evalData : *calib);
    exportInfo = {{"torchscript", QString::fromStdString(e.path)},
                  {"validated", e.validated},
                  {"max_abs_diff", e.maxAbsDiff},
                  {"probe_samples", static_cast<qint64>(e.probeSamples)}};
  }
  if (p.isSet("export-h5")) {
    exportQuantizedHdf5(p.value("export-h5").toStdString(), model, weights,
                        {quantMethodName(request.method), request.seed, p.positionalArguments()[0].toStdString()});
    exportInfo["h5"] = p.value("export-h5");
  }
  if (p.isSet("export-encodings")) {
    exportEncodingsJson(p.value("export-encodings").toStdString(), model, weights);
    exportInfo["encodings"] = p.value("export-encodings");
  }
  if (p.isSet("session")) {
    saveSession(p.value("session").toStdString(),
                makeSession(p.positionalArguments()[0].toStdString(), p.value("calib").toStdString(), result, weights));
    exportInfo["session"] = p.value("session");
  }
  if (p.isSet("export-csv")) {
    exportResultsCsv(p.value("export-csv").toStdString(), result);
    exportInfo["csv"] = p.value("export-csv");
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
                                {"seconds", l.seconds}});
    QJsonObject o{
        {"model", p.positionalArguments()[0]},
        {"method", quantMethodName(request.method)},
        {"wbits", request.weights.bits},
        {"grid", gridKindName(request.weights.grid)},
        {"abits", request.activations.bits},
        {"qdrop_p", request.activations.enabled() ? QJsonValue(effectiveDropProbability(request)) : QJsonValue()},
        {"seed", static_cast<qint64>(request.seed)},
        {"calib_count", static_cast<qint64>(std::min(request.calibrationCount, calib->info().samples))},
        {"iters", request.method == QuantMethod::Rtn ? 0 : request.adaround.iterations},
        {"top1_fp", top1Fp},
        {"top1_quantized", top1Q},
        {"kl", kl},
        {"agreement", agreement},
        {"wall_s", result.wallSeconds},
        {"phases", phases},
        {"layers", layers}};
    if (!exportInfo.isEmpty()) o["export"] = exportInfo;
    QJsonArray notes;
    for (const std::string& n : result.notes) notes.append(QString::fromStdString(n));
    o["notes"] = notes;
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
                .arg(std::min(request.calibrationCount, calib->info().samples))
                .arg(request.seed));
  printLine(formatTable({"layer", "bits", "input_bits", "flips_%", "loss_rtn", "loss_final", "sqnr_db", "s"}, rows));
  if (top1Q.isDouble())
    printLine(
        QString("top-1: FP %1 %, quantized %2 %").arg(top1Fp.toDouble(), 0, 'f', 2).arg(top1Q.toDouble(), 0, 'f', 2));
  if (kl.isDouble())
    printLine(
        QString("KL to FP %1, agreement %2 %").arg(kl.toDouble(), 0, 'g', 4).arg(agreement.toDouble(), 0, 'f', 2));
  if (exportInfo.contains("torchscript"))
    printLine("exported " + exportInfo["torchscript"].toString() + " (reloaded: identical outputs)");
  for (const char* key : {"h5", "encodings", "csv", "session"})
    if (exportInfo.contains(key)) printLine("exported " + exportInfo[key].toString());
  for (const std::string& n : result.notes) printLine("note: " + QString::fromStdString(n));
  printLine(QString("wall %1 s").arg(result.wallSeconds, 0, 'f', 2));
  return 0;
}

}  // namespace roundlab::cli
