// The quantization settings shared by `quantize` and `experiment`: options and their parsing.
#include <QElapsedTimer>

#include "app/cli/CliSupport.h"
#include "engine/core/Error.h"
#include "engine/pipeline/QuantizationRequest.h"
#include "engine/rounding/AdaRoundConfig.h"

namespace roundlab::cli {

namespace {

// "a (what a is), b, c" from an enum's one table.
template <typename E>
QString choices(const EnumTable<E>& table) {
  return QString::fromStdString(table.namesWithDescriptions());
}

}  // namespace

void addQuantizationOptions(QCommandLineParser& p) {
  p.addOption({"method",
               "One of " + choices(quantMethodTable()) +
                   " (default adaround). recommended sets --variable offset --freedom bias --iters 100 --stop "
                   "settled --lr 5e-3 --act-lr 4e-4 unless those are given.",
               "METHOD", "adaround"});
  p.addOption({"wbits", "Weight bits, 2..8 (default 4).", "N", "4"});
  p.addOption({"abits",
               "Activation bits: quantize every quantized layer's input, per tensor, step learned with LSQ "
               "(default 0 = full precision).",
               "N", "0"});
  p.addOption({"qdrop-p",
               "QDrop: probability that an activation takes its quantized value while reconstructing (1 = no "
               "dropping; default 0.5 for qdrop, 1 otherwise).",
               "P"});
  p.addOption({"act-lr", "Learning rate of the activation steps (Adam, cosine decay; default 4e-5).", "LR", "4e-5"});
  p.addOption({"bits", "Per-layer bits, repeatable.", "LAYER=N"});
  p.addOption({"no-first-last-8bit", "Do not keep the first and last layers at 8 bits."});
  p.addOption({"symmetric", "Symmetric grid (zero point 0) instead of asymmetric."});
  p.addOption({"granularity", "One of " + choices(granularityTable()) + " (default channel).", "G", "channel"});
  p.addOption({"group-size", "Input columns per group for --granularity group (default 128).", "N", "128"});
  p.addOption({"gptq-damping", "GPTQ: fraction of the mean Hessian diagonal added to it (default 0.01).", "F", "0.01"});
  p.addOption({"gptq-act-order", "GPTQ: quantize columns by descending Hessian diagonal (act-order)."});
  p.addOption({"embedding-bits",
               "Quantize the embedding tables that are no layer's weight (positions; an untied token table) per "
               "row, rounded to nearest, at N bits 2..8 (default 0 = floating point).",
               "N", "0"});
  p.addOption({"range", "Range initialisation, one of " + choices(rangeInitTable()) + " (default lp).", "R", "lp"});
  p.addOption({"grid", "One of " + choices(gridKindTable()) + " (default uniform).", "G", "uniform"});
  p.addOption({"p", "p of the L_p range search (default 2.4).", "P", "2.4"});
  p.addOption({"iters", "AdaRound iterations per layer (default 2000).", "N", "2000"});
  p.addOption({"stop",
               "Stopping rule of each unit's optimisation: fixed (every iteration of --iters) or settled (stop when "
               "the rounding has settled and the loss is flat; --iters is the most). Default: settled for "
               "recommended, fixed otherwise.",
               "RULE"});
  p.addOption({"layer-target",
               "What layer-wise reconstruction matches: output (the layer's own output) or activation (after the "
               "BatchNorm and activation function the model applies to it before anything else reads it; the "
               "reference implementations' target). Default output.",
               "T", "output"});
  p.addOption({"batch", "AdaRound batch size (default 32).", "N", "32"});
  p.addOption({"lr", "Learning rate of the rounding variables (default 1e-3; 5e-3 for recommended).", "LR", "0.001"});
  p.addOption({"lambda", "AdaRound regulariser weight (default 0.01).", "L", "0.01"});
  p.addOption({"warmup", "Fraction of iterations without regulariser (default 0.2).", "F", "0.2"});
  p.addOption({"input", "Reconstruct on " + choices(reconInputTable()) + " (default quantized).", "I", "quantized"});
  p.addOption({"optimizer", "Optimiser of the rounding variables: " + choices(optimizerTable()) + ".", "O", "adam"});
  p.addOption({"cosine-lr", "Cosine decay of the learning rate (constant otherwise)."});
  p.addOption({"variable", "Rounding variable: " + choices(variableTable()) + ".", "V", "sigmoid"});
  p.addOption({"freedom", "Degrees of freedom: " + choices(freedomTable()) + ".", "F", "rounding"});
  p.addOption({"select",
               "Weights that learn their rounding: " + choices(selectionTable()) + "; the rest stay round-to-nearest.",
               "RULE", "all"});
  p.addOption({"select-fraction", "Share of weights selected by --select (default 1).", "F", "1"});
  p.addOption({"block-loss", "BRECQ's block loss: " + choices(blockLossTable()) + ".", "L", "mse"});
  p.addOption({"output-kl",
               "Weight of the output-level term (PD-Quant): KL between FP and quantized predictions, the unit's "
               "output run through the rest of the model (default 0 = off; about 10 in the paper).",
               "W", "0"});
  p.addOption({"kl-temperature", "Softmax temperature of the output-level term (default 4).", "T", "4"});
  p.addOption({"calib-count", "Calibration samples used (default 1024).", "N", "1024"});
  p.addOption({"activation-memory",
               "MiB of calibration activations held in memory; beyond that they go to a temporary HDF5 file "
               "(default 2048).",
               "MIB", "2048"});
  p.addOption({"augment", "Calibration augmentation: none, or flip, crop, noise, mix joined by '+'.", "A", "none"});
  p.addOption({"seed", "Seed of the calibration subset and of the optimisation (default 0).", "N", "0"});
}

namespace {

// A named choice of an option, reported as a usage error (exit 2) when the name is unknown.
template <typename Parse>
auto asUsage(Parse parse, const QString& value, const QString& option) {
  try {
    return parse(value.toStdString());
  } catch (const Error& e) {
    throw UsageError{option + ": " + QString::fromStdString(e.what())};
  }
}

}  // namespace

QuantizationRequest quantizationRequestFromOptions(const QCommandLineParser& p) {
  QuantizationRequest r;
  r.method = asUsage(parseQuantMethod, p.value("method"), "--method");
  r.weights.bits = static_cast<int>(parseInt(p.value("wbits"), "--wbits", 2, 8));
  r.activations.bits = static_cast<int>(parseInt(p.value("abits"), "--abits", 0, 16));
  if (p.isSet("qdrop-p")) r.activations.dropProbability = parseNumber(p.value("qdrop-p"), "--qdrop-p", 0, 1, true);
  r.activations.learningRate =
      parseNumber(p.value("act-lr"), "--act-lr", 0, std::numeric_limits<double>::infinity(), true);
  r.weights.symmetric = p.isSet("symmetric");
  r.weights.granularity = asUsage(parseGranularity, p.value("granularity"), "--granularity");
  r.weights.groupSize = parseInt(p.value("group-size"), "--group-size", 1);
  r.gptqDamping = parseNumber(p.value("gptq-damping"), "--gptq-damping", 0, 1, true);
  r.gptqActOrder = p.isSet("gptq-act-order");
  if (const int64_t b = parseInt(p.value("embedding-bits"), "--embedding-bits", 0, 8); b == 1)
    throw UsageError{"--embedding-bits must be 2..8, or 0 to keep the tables in floating point"};
  else
    r.embeddingBits = static_cast<int>(b);
  r.weights.rangeInit = asUsage(parseRangeInit, p.value("range"), "--range");
  r.weights.lpNorm = parseNumber(p.value("p"), "--p", 0, std::numeric_limits<double>::infinity(), true);
  r.weights.grid = asUsage(parseGridKind, p.value("grid"), "--grid");
  for (const QString& spec : p.values("bits")) {
    const int eq = spec.lastIndexOf('=');
    if (eq <= 0) throw UsageError{"--bits expects LAYER=N, got '" + spec + "'"};
    r.bits[spec.left(eq).toStdString()] = static_cast<int>(parseInt(spec.mid(eq + 1), "--bits " + spec.left(eq), 2, 8));
  }
  r.firstLastEightBit = !p.isSet("no-first-last-8bit");
  r.adaround.iterations = static_cast<int>(parseInt(p.value("iters"), "--iters", 1));
  r.adaround.batch = parseInt(p.value("batch"), "--batch", 1);
  r.adaround.learningRate = parseNumber(p.value("lr"), "--lr", 0, std::numeric_limits<double>::infinity(), true);
  r.adaround.lambda = parseNumber(p.value("lambda"), "--lambda", 0, std::numeric_limits<double>::infinity());
  r.adaround.warmup = parseNumber(p.value("warmup"), "--warmup", 0, 1);
  r.input = asUsage(parseReconInput, p.value("input"), "--input");
  r.adaround.optimizer = asUsage(parseOptimizer, p.value("optimizer"), "--optimizer");
  r.adaround.cosineLr = p.isSet("cosine-lr");
  r.adaround.targetAfterActivation = asUsage(parseLayerTarget, p.value("layer-target"), "--layer-target");
  r.adaround.variable = asUsage(parseVariable, p.value("variable"), "--variable");
  r.adaround.freedom = asUsage(parseFreedom, p.value("freedom"), "--freedom");
  r.adaround.selection = asUsage(parseSelection, p.value("select"), "--select");
  r.adaround.selectFraction = parseNumber(p.value("select-fraction"), "--select-fraction", 0, 1, true);
  r.blockLoss = asUsage(parseBlockLoss, p.value("block-loss"), "--block-loss");
  r.outputKlWeight = parseNumber(p.value("output-kl"), "--output-kl", 0, std::numeric_limits<double>::infinity());
  r.klTemperature =
      parseNumber(p.value("kl-temperature"), "--kl-temperature", 0, std::numeric_limits<double>::infinity(), true);
  r.calibrationCount = parseInt(p.value("calib-count"), "--calib-count", 1);
  r.activationMemoryMiB = parseInt(p.value("activation-memory"), "--activation-memory", 0);
  r.augmentation = parseAugmentation(p.value("augment").toStdString());
  r.seed = static_cast<uint64_t>(parseInt(p.value("seed"), "--seed", 0, std::numeric_limits<int64_t>::max()));
  if (r.method == QuantMethod::Recommended) {  // its settings, where the user did not choose
    const QuantizationRequest recommended = recommendedSettings(r);
    if (!p.isSet("variable")) r.adaround.variable = recommended.adaround.variable;
    if (!p.isSet("freedom")) r.adaround.freedom = recommended.adaround.freedom;
    if (!p.isSet("iters")) r.adaround.iterations = recommended.adaround.iterations;
    if (!p.isSet("lr")) r.adaround.learningRate = recommended.adaround.learningRate;
    if (!p.isSet("act-lr")) r.activations.learningRate = recommended.activations.learningRate;
    r.adaround.stopWhenSettled = recommended.adaround.stopWhenSettled;
  }
  if (p.isSet("stop")) r.adaround.stopWhenSettled = asUsage(parseStopRule, p.value("stop"), "--stop");
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

JobHooks stderrHooks() {
  JobHooks h;
  h.progress = stderrProgress();
  return h;
}

}  // namespace roundlab::cli
