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

namespace {

QuantizationRequest requestFromOptions(const QCommandLineParser& p) {
  QuantizationRequest r;
  r.method = parseQuantMethod(p.value("method").toStdString());
  r.weights.bits = static_cast<int>(parseInt(p.value("wbits"), "--wbits", 2));
  r.weights.symmetric = p.isSet("symmetric");
  const QString gran = p.value("granularity");
  if (gran == "channel")
    r.weights.granularity = Granularity::PerChannel;
  else if (gran == "tensor")
    r.weights.granularity = Granularity::PerTensor;
  else if (gran == "group")
    r.weights.granularity = Granularity::PerGroup;
  else
    throw UsageError{"--granularity expects channel, tensor or group"};
  r.weights.groupSize = parseInt(p.value("group-size"), "--group-size", 1);
  const QString range = p.value("range");
  if (range != "lp" && range != "minmax") throw UsageError{"--range expects lp or minmax"};
  r.weights.rangeInit = range == "lp" ? RangeInit::Lp : RangeInit::MinMax;
  r.weights.lpNorm = parseFloatList(p.value("p"), "--p").at(0);
  const QString grid = p.value("grid");
  if (grid == "uniform")
    r.weights.grid = GridKind::Uniform;
  else if (grid == "power")
    r.weights.grid = GridKind::PowerSearched;
  else if (grid == "power-learned")
    r.weights.grid = GridKind::PowerLearned;
  else
    throw UsageError{"--grid expects uniform, power or power-learned"};
  for (const QString& spec : p.values("bits")) {
    const int eq = spec.lastIndexOf('=');
    if (eq <= 0) throw UsageError{"--bits expects LAYER=N, got '" + spec + "'"};
    r.bits[spec.left(eq).toStdString()] = static_cast<int>(parseInt(spec.mid(eq + 1), "--bits " + spec.left(eq), 2));
  }
  r.firstLastEightBit = !p.isSet("no-first-last-8bit");
  r.adaround.iterations = static_cast<int>(parseInt(p.value("iters"), "--iters", 1));
  r.adaround.batch = parseInt(p.value("batch"), "--batch", 1);
  r.adaround.learningRate = parseFloatList(p.value("lr"), "--lr").at(0);
  r.adaround.lambda = parseFloatList(p.value("lambda"), "--lambda").at(0);
  r.adaround.warmup = parseFloatList(p.value("warmup"), "--warmup").at(0);
  const QString input = p.value("input");
  if (input != "quantized" && input != "fp") throw UsageError{"--input expects quantized or fp"};
  r.input = input == "fp" ? ReconInput::FloatingPoint : ReconInput::Quantized;
  r.calibrationCount = parseInt(p.value("calib-count"), "--calib-count", 1);
  r.seed = static_cast<uint64_t>(parseInt(p.value("seed"), "--seed", 0));
  return r;
}

// Progress on stderr, at most twice a second, with an ETA.
ProgressFn stderrProgress() {
  auto timer = std::make_shared<QElapsedTimer>();
  auto last = std::make_shared<qint64>(-1000);
  timer->start();
  return [timer, last](const Progress& p) {
    const qint64 now = timer->elapsed();
    if (now - *last < 500 && p.fraction < 1) return;
    *last = now;
    const double eta = p.fraction > 0 ? (now / 1000.0) * (1 - p.fraction) / p.fraction : 0;
    QString line = QString("[%1 %2%] %3")
                       .arg(QString::fromStdString(p.stage))
                       .arg(int(p.fraction * 100), 3)
                       .arg(QString::fromStdString(p.message));
    if (p.hasMetric) line += QString(" loss %1").arg(p.metric, 0, 'g', 4);
    line += QString(" ETA %1 s").arg(eta, 0, 'f', 0);
    note(line);
  };
}

}  // namespace

int runQuantize(const QStringList& args) {
  QCommandLineParser p;
  p.addOption({"calib", "Calibration data (RoundLab HDF5 or IDX).", "CALIB.h5"});
  p.addOption({"method", "rtn, adaround, brecq or gptq (default adaround).", "METHOD", "adaround"});
  p.addOption({"wbits", "Weight bits, 2..8 (default 4).", "N", "4"});
  p.addOption({"bits", "Per-layer bits, repeatable.", "LAYER=N"});
  p.addOption({"no-first-last-8bit", "Do not keep the first and last layers at 8 bits."});
  p.addOption({"symmetric", "Symmetric grid (zero point 0) instead of asymmetric."});
  p.addOption({"granularity", "channel, tensor or group (default channel).", "G", "channel"});
  p.addOption({"group-size", "Input columns per group for --granularity group (default 128).", "N", "128"});
  p.addOption({"range", "Range initialisation: lp or minmax (default lp).", "R", "lp"});
  p.addOption(
      {"grid", "uniform, or power (symmetric power-exponent grid, exponent searched per layer).", "G", "uniform"});
  p.addOption({"p", "p of the L_p range search (default 2.4).", "P", "2.4"});
  p.addOption({"iters", "AdaRound iterations per layer (default 2000).", "N", "2000"});
  p.addOption({"batch", "AdaRound batch size (default 32).", "N", "32"});
  p.addOption({"lr", "AdaRound learning rate (default 1e-3).", "LR", "0.001"});
  p.addOption({"lambda", "AdaRound regulariser weight (default 0.01).", "L", "0.01"});
  p.addOption({"warmup", "Fraction of iterations without regulariser (default 0.2).", "F", "0.2"});
  p.addOption({"input", "Reconstruct on the quantized model's inputs (quantized, default) or the FP model's (fp).", "I",
               "quantized"});
  p.addOption({"calib-count", "Calibration samples used (default 1024).", "N", "1024"});
  p.addOption({"seed", "Seed of the calibration subset and of the optimisation (default 0).", "N", "0"});
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
  const QuantizationRequest request = requestFromOptions(p);

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
                                {"sqnr_db", std::isfinite(l.sqnrDb) ? QJsonValue(l.sqnrDb) : QJsonValue()},
                                {"seconds", l.seconds}});
    QJsonObject o{{"model", p.positionalArguments()[0]},
                  {"method", quantMethodName(request.method)},
                  {"wbits", request.weights.bits},
                  {"grid", gridKindName(request.weights.grid)},
                  {"abits", QJsonValue()},
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
    printJson(o);
    return 0;
  }
  QList<QStringList> rows;
  for (const LayerOutcome& l : result.layers)
    rows << QStringList{QString::fromStdString(l.layer),
                        QString::number(l.bits),
                        QString::number(l.flipRate * 100, 'f', 2),
                        QString::number(l.lossBefore, 'g', 4),
                        QString::number(l.lossAfter, 'g', 4),
                        std::isfinite(l.sqnrDb) ? QString::number(l.sqnrDb, 'f', 1) : QString("inf"),
                        QString::number(l.seconds, 'f', 2)};
  printLine(QString("%1, W%2, %3 calibration samples, seed %4")
                .arg(quantMethodName(request.method))
                .arg(request.weights.bits)
                .arg(std::min(request.calibrationCount, calib->info().samples))
                .arg(request.seed));
  printLine(formatTable({"layer", "bits", "flips_%", "loss_rtn", "loss_final", "sqnr_db", "s"}, rows));
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
  printLine(QString("wall %1 s").arg(result.wallSeconds, 0, 'f', 2));
  return 0;
}

}  // namespace roundlab::cli
