// roundlab-cli demo: the headless main job. On the bundled Fashion-MNIST models it quantizes the
// weights to 4, 3 and 2 bits (and weights and activations to 4 bits) twice — rounding to nearest,
// then learned rounding — and once at a mixed-precision allocation of 3 average bits, and prints
// what each keeps of the FP model's accuracy. Every seed is fixed: the table is the same on every
// run (the wall times aside); the README records it. The bundled character-level GPT follows:
// per-group grids at 4 and 3 bits, rounding to nearest then GPTQ, scored by perplexity.
#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>

#include <cmath>

#include "app/cli/CliSupport.h"
#include "app/common/DemoAssets.h"

namespace roundlab::cli {

namespace {

// How much work the demo does: the full one (about a minute on one core) or --quick.
struct DemoPlan {
  int64_t calibrationSamples;
  int iterations;
  int64_t evaluationSamples;  // 0: the whole validation set
  std::vector<int> weightBits;
  bool activationRow;
  int64_t importanceSamples;           // 0: no mixed-precision row
  std::vector<int> languageModelBits;  // the character GPT's rows (group size kLanguageModelGroup)
  int64_t languageModelEvaluation;     // validation sequences (0: all)
};

const DemoPlan kFull{128, 150, 0, {4, 3, 2}, true, 128, {4, 3}, 0};
const DemoPlan kQuick{64, 80, 500, {4, 2}, false, 0, {4}, 64};
constexpr int64_t kLanguageModelGroup = 128;
constexpr double kMixedBudgetBits = 3.0;
constexpr uint64_t kSeed = 0;

struct DemoRow {
  QString setting;
  int weightBits = 0;  // 0: mixed
  int activationBits = 0;
  QString method;                       // of the learned run
  double rtnTop1 = 0, learnedTop1 = 0;  // perplexity for a language model
  double flippedShare = 0;              // of the learned run's weights
  double averageBits = 0;               // weight bits per weight, the 8-bit first and last layers included
  double seconds = 0;                   // both runs of the row
};

struct DemoModel {
  QString file;
  QString description;
  bool languageModel = false;
  int64_t evaluationSamples = 0;  // the language model's validation sequences
  double fpTop1 = 0;              // perplexity for a language model
  std::vector<DemoRow> rows;
  QString session;
};

QuantizationRequest request(QuantMethod method, int weightBits, int activationBits, const DemoPlan& plan) {
  QuantizationRequest r;
  r.method = method;
  r.weights.bits = weightBits;
  r.activations.bits = activationBits;
  r.adaround.iterations = plan.iterations;
  r.calibrationCount = plan.calibrationSamples;
  r.seed = kSeed;
  return r;
}

double averageBits(const RunRecord& run) {
  double bits = 0, weights = 0;
  for (const LayerOutcome& o : run.result.layers) {
    bits += static_cast<double>(o.bits) * static_cast<double>(o.weights);
    weights += static_cast<double>(o.weights);
  }
  return weights > 0 ? bits / weights : 0;
}

double flippedShare(const RunRecord& run) {
  double flipped = 0, weights = 0;
  for (const LayerOutcome& o : run.result.layers) {
    flipped += static_cast<double>(o.flipsUp + o.flipsDown);
    weights += static_cast<double>(o.weights);
  }
  return weights > 0 ? flipped / weights : 0;
}

// Rounding to nearest, then learned rounding, with the same settings.
DemoRow compare(Workspace& ws, QuantizationRequest base, QuantMethod learned, const QString& setting) {
  DemoRow row;
  row.setting = setting;
  row.weightBits = base.bits.empty() ? base.weights.bits : 0;
  row.activationBits = base.activations.bits;
  row.method = quantMethodName(learned);
  note("demo: " + setting + ", rounding to nearest");
  base.method = QuantMethod::Rtn;
  const RunPtr rtn = ws.quantize(base, stderrHooks());
  note("demo: " + setting + ", " +
       (learned == QuantMethod::Gptq ? QString("GPTQ")
                                     : "learned rounding (" + row.method + ", " +
                                           QString::number(base.adaround.iterations) + " iterations per block)"));
  base.method = learned;
  const RunPtr run = ws.quantize(base, stderrHooks());
  const auto score = [](const RunRecord& r) {
    return r.evaluation.languageModel() ? r.evaluation.perplexity() : r.top1();
  };
  row.rtnTop1 = score(*rtn);
  row.learnedTop1 = score(*run);
  row.flippedShare = flippedShare(*run);
  row.averageBits = averageBits(*run);
  row.seconds = rtn->result.wallSeconds + run->result.wallSeconds;
  return row;
}

// Mixed precision: measured importance of every layer at every width, the exact allocation of at
// most kMixedBudgetBits average bits, then the same two runs at that allocation.
DemoRow mixedPrecision(Workspace& ws, const DemoPlan& plan) {
  note("demo: importance of every layer at 2-8 bits (measured)");
  ImportanceRequest ir;
  ir.calibrationCount = plan.importanceSamples;
  ir.seed = kSeed;
  ws.estimateImportance(ir, stderrHooks());
  const Allocation a = ws.allocate(BudgetKind::AverageBits, kMixedBudgetBits);
  QuantizationRequest mixed = request(QuantMethod::Rtn, 4, 0, plan);
  mixed.bits = a.bits;
  mixed.firstLastEightBit = false;  // the allocation decides every layer
  return compare(ws, mixed, QuantMethod::Brecq, QString("mixed <=%1").arg(kMixedBudgetBits, 0, 'f', 0));
}

DemoModel runModel(Workspace& ws, const QString& path, const QString& description, const DemoPlan& plan,
                   const QString& sessionDir) {
  DemoModel m;
  m.file = QFileInfo(path).fileName();
  m.description = description;
  note("demo: " + m.file);
  ws.loadModel(path.toStdString());
  EvaluationSettings alone;
  alone.reference = EvaluationSettings::Reference::None;
  m.fpTop1 = ws.evaluate(alone).report.top1;
  for (int bits : plan.weightBits)
    m.rows.push_back(
        compare(ws, request(QuantMethod::Rtn, bits, 0, plan), QuantMethod::Brecq, QString("W%1A32").arg(bits)));
  if (plan.activationRow)
    m.rows.push_back(compare(ws, request(QuantMethod::Rtn, 4, 4, plan), QuantMethod::Qdrop, "W4A4"));

  if (plan.importanceSamples > 0) m.rows.push_back(mixedPrecision(ws, plan));
  // The last learned run, with the importance tables when there are any.
  QDir().mkpath(sessionDir);
  m.session = QDir(sessionDir).filePath(QFileInfo(path).completeBaseName() + "-demo.rlab");
  ws.saveSession(m.session.toStdString());
  return m;
}

// The character GPT on its own token sets: per-group grids, rounding to nearest then GPTQ (the
// language-model baseline; seconds where learned rounding takes minutes), scored by perplexity.
DemoModel runLanguageModel(Workspace& ws, const app::DemoAssets& demo, const DemoPlan& plan,
                           const QString& sessionDir) {
  DemoModel m;
  m.file = QFileInfo(demo.languageModel).fileName();
  m.description = "character-level GPT";
  m.languageModel = true;
  note("demo: " + m.file);
  DataSource calibration, validation;
  calibration.path = demo.lmCalibration.toStdString();
  validation.path = demo.lmValidation.toStdString();
  validation.count = plan.languageModelEvaluation;
  ws.loadModel(demo.languageModel.toStdString());
  ws.setCalibration(calibration);
  m.evaluationSamples = ws.setEvaluation(validation).samples;
  EvaluationSettings alone;
  alone.reference = EvaluationSettings::Reference::None;
  m.fpTop1 = ws.evaluate(alone).report.perplexity();
  for (int bits : plan.languageModelBits) {
    QuantizationRequest r = request(QuantMethod::Rtn, bits, 0, plan);
    r.weights.granularity = Granularity::PerGroup;
    r.weights.groupSize = kLanguageModelGroup;
    m.rows.push_back(compare(ws, r, QuantMethod::Gptq, QString("W%1 g%2").arg(bits).arg(kLanguageModelGroup)));
  }
  QDir().mkpath(sessionDir);
  m.session = QDir(sessionDir).filePath(QFileInfo(demo.languageModel).completeBaseName() + "-demo.rlab");
  ws.saveSession(m.session.toStdString());
  return m;
}

QString percent(double v) { return QString::number(v, 'f', 2); }

// What the numbers show, in words, from the 2-bit and the mixed rows.
QStringList findings(const DemoModel& m) {
  QStringList lines;
  if (m.languageModel) {
    for (const DemoRow& r : m.rows)
      if (r.weightBits == 3 && r.rtnTop1 > m.fpTop1)
        lines << QString("At 3 bits GPTQ takes back %1 % of the perplexity rounding to nearest adds (%2 -> %3; FP %4).")
                     .arg(100 * (r.rtnTop1 - r.learnedTop1) / (r.rtnTop1 - m.fpTop1), 0, 'f', 0)
                     .arg(r.rtnTop1, 0, 'f', 3)
                     .arg(r.learnedTop1, 0, 'f', 3)
                     .arg(m.fpTop1, 0, 'f', 3);
    return lines;
  }
  for (const DemoRow& r : m.rows) {
    if (r.weightBits == 2 && r.activationBits == 0)
      lines << QString("At 2 bits rounding to nearest keeps %1 % of FP's %2 %; learned rounding keeps %3 %.")
                   .arg(percent(r.rtnTop1), percent(m.fpTop1), percent(r.learnedTop1));
    if (r.weightBits == 0) {
      QString line = QString("Mixed precision at %1 average bits: %2 % with learned rounding")
                         .arg(r.averageBits, 0, 'f', 2)
                         .arg(percent(r.learnedTop1));
      for (const DemoRow& u : m.rows)
        if (u.weightBits == 3 && u.activationBits == 0)
          line += QString(", against %1 % for W3 at %2 average bits")
                      .arg(percent(u.learnedTop1))
                      .arg(u.averageBits, 0, 'f', 2);
      lines << line + ".";
    }
  }
  return lines;
}

QJsonObject toJson(const DemoModel& m) {
  const bool lm = m.languageModel;  // perplexity where an image model has top-1
  QJsonArray rows;
  for (const DemoRow& r : m.rows) {
    QJsonObject row{{"setting", r.setting},
                    {"wbits", r.weightBits > 0 ? QJsonValue(r.weightBits) : QJsonValue()},
                    {"avg_bits", r.averageBits},
                    {"method", r.method},
                    {lm ? "rtn_perplexity" : "rtn_top1", r.rtnTop1},
                    {lm ? "learned_perplexity" : "learned_top1", r.learnedTop1},
                    {"flipped_share", r.flippedShare},
                    {"wall_s", r.seconds}};
    if (lm)
      row["group_size"] = static_cast<qint64>(kLanguageModelGroup);
    else
      row["abits"] = r.activationBits;
    rows.append(row);
  }
  QJsonObject o{
      {"model", m.file}, {lm ? "perplexity_fp" : "top1_fp", m.fpTop1}, {"rows", rows}, {"session", m.session}};
  if (lm) o["validation_sequences"] = static_cast<qint64>(m.evaluationSamples);
  return o;
}

}  // namespace

int runDemo(const QStringList& args) {
  QCommandLineParser p;
  p.addOption({"quick", "A shorter demo (about 10 seconds): fewer widths, samples and iterations."});
  p.addOption({"sessions", "Folder for the sessions the demo saves (default: RoundLab's data folder).", "DIR"});
  if (!parseCommand(p, args, "Quantize the bundled demo models and print what learned rounding keeps.")) return 0;
  const app::DemoAssets demo = app::findDemoAssets();
  if (demo.dir.isEmpty()) throw UsageError{"the bundled demo was not found (set ROUNDLAB_DEMO_DIR to resources/demo)"};
  const DemoPlan& plan = p.isSet("quick") ? kQuick : kFull;
  const QString sessionDir =
      p.isSet("sessions") ? p.value("sessions")
                          : QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) + "/roundlab/demo";

  WorkspaceOptions options;
  options.evaluateAgainstFp = false;  // top-1 is what the table shows
  Workspace ws(options);
  DataSource calibration, validation;
  calibration.path = demo.calibration.toStdString();
  validation.path = demo.validation.toStdString();
  validation.count = plan.evaluationSamples;
  ws.setCalibration(calibration);
  const int64_t samples = ws.setEvaluation(validation).samples;
  const std::vector<std::pair<QString, QString>> models = {{demo.resnet, "residual CNN"},
                                                           {demo.transformer, "vision transformer"}};
  std::vector<DemoModel> results;
  double wall = 0;
  for (const auto& [path, description] : models) {
    results.push_back(runModel(ws, path, description, plan, sessionDir));
    for (const DemoRow& r : results.back().rows) wall += r.seconds;
  }
  if (!demo.languageModel.isEmpty()) {
    results.push_back(runLanguageModel(ws, demo, plan, sessionDir));
    for (const DemoRow& r : results.back().rows) wall += r.seconds;
  }

  if (p.isSet("json")) {
    QJsonArray all;
    for (const DemoModel& m : results) all.append(toJson(m));
    printJson({{"validation", demo.validation},
               {"validation_samples", static_cast<qint64>(samples)},
               {"calibration_samples", static_cast<qint64>(plan.calibrationSamples)},
               {"iterations", plan.iterations},
               {"seed", static_cast<qint64>(kSeed)},
               {"quick", p.isSet("quick")},
               {"models", all}});
    return 0;
  }
  printLine(QString("RoundLab demo: Fashion-MNIST, top-1 on %1 validation images; %2 calibration images, "
                    "%3 iterations per block, seed %4.")
                .arg(samples)
                .arg(plan.calibrationSamples)
                .arg(plan.iterations)
                .arg(kSeed));
  printLine(
      "W<w>A<a>: weight and activation bits, the first and last layers at 8 bits (avg_bits counts them); "
      "mixed: bits per layer from measured importance.\nnearest: rounding to nearest; learned: learned "
      "rounding (BRECQ, or QDrop with quantized activations); flipped: weights it rounds the other way.\n");
  for (const DemoModel& m : results) {
    const bool lm = m.languageModel;  // perplexity (3 decimals) where an image model has top-1 %
    const auto score = [lm](double v) { return lm ? QString::number(v, 'f', 3) : percent(v); };
    if (lm)
      printLine(QString("%1 (%2): FP perplexity %3 on %4 validation sequences; W<w> g%5: weight bits, a scale per "
                        "%5 inputs; learned: GPTQ.")
                    .arg(m.file, m.description, score(m.fpTop1))
                    .arg(m.evaluationSamples)
                    .arg(kLanguageModelGroup));
    else
      printLine(QString("%1 (%2): FP top-1 %3 %").arg(m.file, m.description, score(m.fpTop1)));
    QList<QStringList> rows;
    for (const DemoRow& r : m.rows)
      rows << QStringList{r.setting,
                          QString::number(r.averageBits, 'f', 2),
                          score(r.rtnTop1),
                          score(r.learnedTop1),
                          r.method,
                          QString::number(100 * r.flippedShare, 'f', 1),
                          QString::number(r.seconds, 'f', 1) + " s"};
    printLine(formatTable({"bits", "avg_bits", lm ? "nearest_ppl" : "nearest_%", lm ? "learned_ppl" : "learned_%",
                           "method", "flipped_%", "both_runs"},
                          rows)
                  .trimmed());
    for (const QString& line : findings(m)) printLine(line);
    printLine("Session: " + m.session + " (open it in the workbench: roundlab " + m.session + ")\n");
  }
  printLine(QString("Quantization took %1 s in all.").arg(wall, 0, 'f', 1));
  return 0;
}

}  // namespace roundlab::cli
