// roundlab-cli session / rerun: inspect a saved session, and rerun it to check it reproduces
// the same integer codes bit for bit.
#include <cmath>

#include "app/cli/CliSupport.h"
#include "app/cli/ExperimentTable.h"
#include "app/cli/ImportanceOptions.h"

namespace roundlab::cli {

namespace {

QJsonObject sessionJson(const SessionInfo& s) {
  QJsonArray experiments, importance;
  for (const ExperimentRecord& e : s.experiments) experiments.append(experimentToJson(e));
  for (const ImportanceTable& t : s.importance) importance.append(importanceToJson(t));
  QJsonArray layers;
  for (const LayerOutcome& l : s.result.layers)
    layers.append(QJsonObject{{"name", QString::fromStdString(l.layer)},
                              {"bits", l.bits},
                              {"flip_rate", l.flipRate},
                              {"loss_before", l.lossBefore},
                              {"loss_after", l.lossAfter}});
  QJsonArray tables;
  for (const TableOutcome& t : s.result.tables)
    tables.append(QJsonObject{{"parameter", QString::fromStdString(t.parameter)},
                              {"bits", t.bits},
                              {"sqnr_db", std::isfinite(t.sqnrDb) ? QJsonValue(t.sqnrDb) : QJsonValue()}});
  return {{"model", QString::fromStdString(s.modelPath)},
          {"model_sha256", QString::fromStdString(s.modelSha256)},
          {"calibration", QString::fromStdString(s.calibrationPath)},
          {"calibration_sha256", QString::fromStdString(s.calibrationSha256)},
          {"method", quantMethodName(s.result.request.method)},
          {"wbits", s.result.request.weights.bits},
          {"seed", static_cast<qint64>(s.result.request.seed)},
          {"roundlab_version", QString::fromStdString(s.versions.roundlab)},
          {"torch_version", QString::fromStdString(s.versions.torch)},
          {"layers", layers},
          {"embedding_tables", tables},
          {"experiments", experiments},
          {"importance", importance}};
}

}  // namespace

int runSession(const QStringList& args) {
  QCommandLineParser p;
  if (!parseCommand(p, args, "Show a saved RoundLab session.", "SESSION.rlab", "session file")) return 0;
  if (p.positionalArguments().size() != 1) throw UsageError{"expects exactly one SESSION.rlab"};
  const SessionInfo s = Workspace::readSession(p.positionalArguments()[0].toStdString());
  if (p.isSet("json")) {
    printJson(sessionJson(s));
    return 0;
  }
  printLine(QString("model        %1 (sha256 %2)")
                .arg(QString::fromStdString(s.modelPath), QString::fromStdString(s.modelSha256)));
  printLine(QString("calibration  %1 (sha256 %2)")
                .arg(QString::fromStdString(s.calibrationPath), QString::fromStdString(s.calibrationSha256)));
  printLine(QString("run          %1, W%2, seed %3, RoundLab %4, LibTorch %5")
                .arg(quantMethodName(s.result.request.method))
                .arg(s.result.request.weights.bits)
                .arg(s.result.request.seed)
                .arg(QString::fromStdString(s.versions.roundlab), QString::fromStdString(s.versions.torch)));
  QList<QStringList> rows;
  for (const LayerOutcome& l : s.result.layers)
    rows << QStringList{QString::fromStdString(l.layer), QString::number(l.bits),
                        QString::number(l.flipRate * 100, 'f', 2), QString::number(l.lossBefore, 'g', 4),
                        QString::number(l.lossAfter, 'g', 4)};
  printLine("\n" + formatTable({"layer", "bits", "flips_%", "loss_rtn", "loss_final"}, rows));
  QList<QStringList> tableRows;
  for (const TableOutcome& t : s.result.tables)
    tableRows << QStringList{QString::fromStdString(t.parameter), QString::number(t.bits),
                             std::isfinite(t.sqnrDb) ? QString::number(t.sqnrDb, 'f', 1) : QString("inf")};
  if (!tableRows.isEmpty()) printLine("\n" + formatTable({"embedding table", "bits", "sqnr_db"}, tableRows));
  for (const ExperimentRecord& e : s.experiments) printLine("\n" + experimentToText(e));
  return 0;
}

int runRerun(const QStringList& args) {
  QCommandLineParser p;
  if (!parseCommand(p, args, "Rerun a saved session and compare its integer codes bit for bit.", "SESSION.rlab",
                    "session file"))
    return 0;
  if (p.positionalArguments().size() != 1) throw UsageError{"expects exactly one SESSION.rlab"};
  Workspace ws;
  JobHooks hooks = stderrHooks();
  hooks.progress = [progress = hooks.progress, &ws, started = false](const Progress& p) mutable {
    if (!started) {  // the inputs' hashes were checked: the rerun begins
      started = true;
      note("rerun: the inputs hash as recorded; quantizing " + QString::fromStdString(ws.modelPath()) + " again");
    }
    progress(p);
  };
  const RerunOutcome r = ws.rerunSession(p.positionalArguments()[0].toStdString(), hooks);
  QJsonArray differing;
  for (const std::string& name : r.differing) differing.append(QString::fromStdString(name));
  const bool identical = r.identical;
  if (p.isSet("json"))
    printJson({{"identical", identical},
               {"layers", static_cast<qint64>(r.layers)},
               {"embedding_tables", static_cast<qint64>(r.tables)},
               {"differing", differing}});
  else
    printLine(identical ? QString("identical: all %1 layers%2 reproduce the saved codes bit for bit")
                              .arg(r.layers)
                              .arg(r.tables ? QString(" and %1 embedding tables").arg(r.tables) : QString())
                        : QString("DIFFERENT: %1 differ: %2").arg(differing.size()).arg(QString::fromStdString([&] {
                            std::string all;
                            for (const std::string& n : r.differing) all += (all.empty() ? "" : ", ") + n;
                            return all;
                          }())));
  return identical ? 0 : kExitError;
}

int runCompare(const QStringList& args) {
  QCommandLineParser p;
  if (!parseCommand(p, args, "Compare two saved runs layer by layer (B minus A).", "A.rlab B.rlab", "two sessions"))
    return 0;
  if (p.positionalArguments().size() != 2) throw UsageError{"expects two sessions, A.rlab B.rlab"};
  RunRecord a, b;
  for (auto [run, number] : {std::pair{&a, 0}, std::pair{&b, 1}}) {
    const SessionInfo s = Workspace::readSession(p.positionalArguments()[number].toStdString());
    run->number = number + 1;
    run->result = s.result;
    run->modelPath = s.modelPath;
  }
  if (a.modelPath != b.modelPath)
    note("note: the sessions quantize different model files (" + QString::fromStdString(a.modelPath) + ", " +
         QString::fromStdString(b.modelPath) + ")");
  const RunComparison c = compareRuns(a, b);
  auto number = [](bool has, double v, char format, int precision) {
    return has ? (std::isfinite(v) ? QString::number(v, format, precision) : QString("inf")) : QString("-");
  };
  if (p.isSet("json")) {
    QJsonArray layers;
    auto value = [](bool has, double v) { return has && std::isfinite(v) ? QJsonValue(v) : QJsonValue(); };
    for (const LayerDelta& d : c.layers)
      layers.append(QJsonObject{{"name", QString::fromStdString(d.layer)},
                                {"bits_a", d.hasA ? QJsonValue(d.bitsA) : QJsonValue()},
                                {"bits_b", d.hasB ? QJsonValue(d.bitsB) : QJsonValue()},
                                {"sqnr_db_a", value(d.hasA, d.sqnrA)},
                                {"sqnr_db_b", value(d.hasB, d.sqnrB)},
                                {"sqnr_delta_db", value(d.hasA && d.hasB, d.sqnrDelta)},
                                {"flip_rate_a", value(d.hasA, d.flipRateA)},
                                {"flip_rate_b", value(d.hasB, d.flipRateB)}});
    printJson({{"a", p.positionalArguments()[0]}, {"b", p.positionalArguments()[1]}, {"layers", layers}});
    return 0;
  }
  QList<QStringList> rows;
  for (const LayerDelta& d : c.layers)
    rows << QStringList{QString::fromStdString(d.layer),           number(d.hasA, d.bitsA, 'f', 0),
                        number(d.hasB, d.bitsB, 'f', 0),           number(d.hasA, d.sqnrA, 'f', 1),
                        number(d.hasB, d.sqnrB, 'f', 1),           number(d.hasA && d.hasB, d.sqnrDelta, 'f', 1),
                        number(d.hasA, 100 * d.flipRateA, 'f', 2), number(d.hasB, 100 * d.flipRateB, 'f', 2)};
  printLine(QString("A: %1 (%2)\nB: %3 (%4)\n")
                .arg(p.positionalArguments()[0], QString::fromStdString(c.labelA), p.positionalArguments()[1],
                     QString::fromStdString(c.labelB)));
  printLine(formatTable({"layer", "bits_a", "bits_b", "sqnr_a", "sqnr_b", "sqnr_b-a", "flips_a_%", "flips_b_%"}, rows));
  return 0;
}

}  // namespace roundlab::cli
