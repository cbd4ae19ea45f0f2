// roundlab-cli eval: accuracy of a model on a data file; KL, agreement and per-layer SQNR
// against a reference model.
#include <cmath>

#include "app/cli/CliSupport.h"

namespace roundlab::cli {

QJsonObject evalReportToJson(const EvalReport& r) {
  QJsonObject o{{"task", evalTaskTable().name(r.task)},
                {"samples", static_cast<qint64>(r.samples)},
                {"top1", r.hasLabels ? QJsonValue(r.top1) : QJsonValue()},
                {"correct", r.hasLabels ? QJsonValue(static_cast<qint64>(r.correct)) : QJsonValue()},
                {"wall_s", r.wallSeconds}};
  if (r.languageModel() && r.hasLabels) {
    o["tokens"] = static_cast<qint64>(r.scored);
    o["loss"] = r.loss;
    o["perplexity"] = r.perplexity();
    o["token_top1"] = r.top1;
  }
  if (r.hasReference) {
    o["kl"] = r.kl;
    o["agreement"] = r.agreement;
    o["reference_top1"] = r.hasLabels ? QJsonValue(r.referenceTop1) : QJsonValue();
    if (r.languageModel() && r.hasLabels) {
      o["reference_loss"] = r.referenceLoss;
      o["reference_perplexity"] = r.referencePerplexity();
    }
  }
  return o;
}

void addLanguageModelKeys(QJsonObject& o, const EvalReport& r) {
  if (!r.languageModel() || !r.hasLabels) return;
  o["task"] = evalTaskTable().name(r.task);
  o["loss_quantized"] = r.loss;
  o["perplexity_quantized"] = r.perplexity();
  if (r.hasReference) {
    o["loss_fp"] = r.referenceLoss;
    o["perplexity_fp"] = r.referencePerplexity();
  }
}

QString perplexityLine(const EvalReport& r) {
  if (!r.languageModel() || !r.hasLabels) return {};
  const QString q = QString::number(r.perplexity(), 'f', 3);
  return r.hasReference ? QString("perplexity: FP %1, quantized %2").arg(r.referencePerplexity(), 0, 'f', 3).arg(q)
                        : QString("perplexity: quantized %1").arg(q);
}

QString labelsNote(const DatasetInfo& data) {
  return data.labelsShifted ? QString(
                                  "labels: the next token of each position (the file has no /labels; the last "
                                  "position of each sequence is not scored)")
                            : QString();
}

// Options shared by commands that read data files.
void addDataOptions(QCommandLineParser& p, bool subset) {
  if (subset) {
    p.addOption({"count", "Use a subset of N samples (default: all).", "N", "0"});
    p.addOption({"seed", "Seed of the subset (default 0).", "N", "0"});
  }
  p.addOption({"mean", "Per-channel mean to subtract after scaling to [0,1] (overrides the file's).", "M[,M..]"});
  p.addOption({"std", "Per-channel std to divide by (overrides the file's).", "S[,S..]"});
  p.addOption({"labels", "IDX labels file (default: found next to the images file).", "FILE"});
  p.addOption({"normalize",
               QString::fromStdString("How the file's mean/std attributes are used: " +
                                      normalizationTable().namesWithDescriptions() + ". Default auto."),
               "HOW", "auto"});
}

DataSource dataSourceFromOptions(const QCommandLineParser& p, const QString& path, bool subset) {
  DataSource s;
  s.path = path.toStdString();
  if (p.isSet("mean")) s.options.mean = parseFloatList(p.value("mean"), "--mean");
  if (p.isSet("std")) s.options.std = parseStdList(p.value("std"));
  s.options.labelsPath = p.value("labels").toStdString();
  s.options.normalization = parseChoice(normalizationTable(), p.value("normalize"), "--normalize");
  if (subset) {
    s.count = parseInt(p.value("count"), "--count", 0);
    s.seed = static_cast<uint64_t>(parseInt(p.value("seed"), "--seed", 0, std::numeric_limits<int64_t>::max()));
  }
  return s;
}

int runEval(const QStringList& args) {
  QCommandLineParser p;
  p.addOption({"data", "Data file: RoundLab HDF5 (.h5) or IDX images (.gz).", "DATA"});
  p.addOption({"reference", "Reference (FP) model for KL divergence and top-1 agreement.", "FP.pt"});
  p.addOption({"per-layer", "With --reference: per-layer output MSE, SQNR and cosine similarity."});
  p.addOption({"batch", "Batch size (default 256; smaller where a batch's logits would pass 128 MiB).", "N", "256"});
  p.addOption(
      {"task", QString::fromStdString(evalTaskTable().namesWithDescriptions() + ". Default auto."), "TASK", "auto"});
  addModelOutputOption(p);
  addDataOptions(p);
  if (!parseCommand(p, args, "Evaluate a TorchScript model on a data set.", "MODEL.pt", "TorchScript model")) return 0;
  if (p.positionalArguments().size() != 1) throw UsageError{"expects exactly one MODEL.pt"};
  if (!p.isSet("data")) throw UsageError{"--data DATA is required"};
  if (p.isSet("per-layer") && !p.isSet("reference")) throw UsageError{"--per-layer needs --reference FP.pt"};

  Workspace ws;
  loadModelArgument(ws, p);
  const DatasetInfo& data = ws.setEvaluation(dataSourceFromOptions(p, p.value("data")));
  EvaluationSettings settings;
  settings.task = parseChoice(evalTaskTable(), p.value("task"), "--task");
  settings.batch = parseInt(p.value("batch"), "--batch", 1);
  settings.reference = p.isSet("reference") ? EvaluationSettings::Reference::File : EvaluationSettings::Reference::None;
  settings.referencePath = p.value("reference").toStdString();
  if (p.isSet("per-layer")) settings.perLayerSamples = 512;
  const EvaluationResult result = ws.evaluate(settings);
  const EvalReport& r = result.report;
  const std::vector<LayerComparison>& perLayer = result.layers;

  if (p.isSet("json")) {
    QJsonObject o = evalReportToJson(r);
    o["model"] = p.positionalArguments()[0];
    o["data"] = p.value("data");
    if (p.isSet("reference")) o["reference"] = p.value("reference");
    if (data.labelsShifted) o["note"] = labelsNote(data);
    if (const std::string n = ws.outputNote(); !n.empty()) o["output_note"] = QString::fromStdString(n);
    if (!perLayer.empty()) {
      QJsonArray layers;
      for (const auto& c : perLayer)
        layers.append(QJsonObject{{"name", QString::fromStdString(c.layer)},
                                  {"mse", c.mse},
                                  {"sqnr_db", std::isfinite(c.sqnrDb) ? QJsonValue(c.sqnrDb) : QJsonValue()},
                                  {"cosine", c.cosine}});
      o["layers"] = layers;
    }
    printJson(o);
    return 0;
  }
  printLine(QString("model     %1").arg(p.positionalArguments()[0]));
  printLine(QString("data      %1 (%2 %3)")
                .arg(p.value("data"))
                .arg(r.samples)
                .arg(r.languageModel() ? "sequences" : "samples"));
  if (data.labelsShifted) printLine("note      " + labelsNote(data));
  if (const std::string n = ws.outputNote(); !n.empty()) printLine("note      " + QString::fromStdString(n));
  if (r.hasLabels && r.languageModel()) {
    printLine(QString("loss      %1 nats per token (%2 tokens)").arg(r.loss, 0, 'f', 4).arg(r.scored));
    printLine(QString("perplexity %1").arg(r.perplexity(), 0, 'f', 3));
    printLine(QString("token top-1 %1 %  (%2 correct)").arg(r.top1, 0, 'f', 2).arg(r.correct));
  } else if (r.hasLabels) {
    printLine(QString("top-1     %1 %  (%2 correct)").arg(r.top1, 0, 'f', 2).arg(r.correct));
  }
  if (r.hasReference) {
    if (r.hasLabels && r.languageModel())
      printLine(QString("ref perplexity %1").arg(r.referencePerplexity(), 0, 'f', 3));
    else if (r.hasLabels)
      printLine(QString("ref top-1 %1 %").arg(r.referenceTop1, 0, 'f', 2));
    printLine(QString("KL        %1 nats").arg(r.kl, 0, 'g', 6));
    printLine(QString("agreement %1 %").arg(r.agreement, 0, 'f', 2));
  }
  printLine(QString("time      %1 s").arg(r.wallSeconds, 0, 'f', 2));
  if (!perLayer.empty()) {
    QList<QStringList> rows;
    for (const auto& c : perLayer)
      rows << QStringList{QString::fromStdString(c.layer), QString::number(c.mse, 'g', 4),
                          std::isfinite(c.sqnrDb) ? QString::number(c.sqnrDb, 'f', 2) : "inf",
                          QString::number(c.cosine, 'f', 6)};
    printLine("\n" + formatTable({"layer", "mse", "sqnr_db", "cosine"}, rows));
  }
  return 0;
}

}  // namespace roundlab::cli
