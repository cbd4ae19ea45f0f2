#include "app/cli/ExperimentTable.h"

#include <QJsonArray>

#include <algorithm>
#include <cmath>

#include "app/cli/CliSupport.h"

namespace roundlab::cli {

QJsonObject experimentToJson(const ExperimentRecord& e) {
  QJsonArray rows;
  for (const ExperimentRow& r : e.rows) {
    const ExperimentCell& cell = e.plan.cells.at(r.cell);
    QJsonObject settings;
    for (const auto& [axis, value] : cell.settings)
      settings[QString::fromStdString(axis)] = QString::fromStdString(value);
    QJsonObject row{{"cell", static_cast<qint64>(r.cell)},
                    {"settings", settings},
                    {"top1", r.evaluated ? QJsonValue(r.top1) : QJsonValue()},
                    {"kl", r.compared ? QJsonValue(r.kl) : QJsonValue()},
                    {"agreement", r.compared ? QJsonValue(r.agreement) : QJsonValue()},
                    {"mean_loss_before", r.meanLossBefore},
                    {"mean_loss_after", r.meanLossAfter},
                    {"wall_s", r.seconds}};
    if (r.languageModel && r.evaluated) {
      row["loss_quantized"] = r.loss;
      row["perplexity_quantized"] = std::exp(r.loss);
      if (r.compared) {
        row["loss_fp"] = r.lossFp;
        row["perplexity_fp"] = std::exp(r.lossFp);
      }
    }
    if (!cell.group.empty()) row["group"] = QString::fromStdString(cell.group);
    if (!cell.title.empty()) row["title"] = QString::fromStdString(cell.title);
    if (e.plan.kind == ExperimentKind::Sweep) row["value"] = QString::fromStdString(cell.settings.at(0).second);
    if (r.run > 0) row["run"] = r.run;
    rows.append(row);
  }
  QJsonArray axes;
  for (const std::string& a : e.plan.axes) axes.append(QString::fromStdString(a));
  QJsonObject out{{"kind", experimentKindName(e.plan.kind)},
                  {"title", QString::fromStdString(e.plan.title)},
                  {"axes", axes},
                  {"seed", static_cast<qint64>(e.plan.base.seed)},
                  {"method", quantMethodName(e.plan.base.method)},
                  {"iterations", e.plan.base.adaround.iterations},
                  {"cells", static_cast<qint64>(e.plan.cells.size())},
                  {"rows", rows}};
  if (e.plan.kind == ExperimentKind::Sweep) out["axis"] = QString::fromStdString(e.plan.axes.at(0));
  return out;
}

QString experimentToText(const ExperimentRecord& e) {
  QStringList header;
  if (e.plan.kind == ExperimentKind::Study)
    header << "axis"
           << "setting";
  else
    for (const std::string& a : e.plan.axes) header << QString::fromStdString(a);
  // A language model's experiment leads with perplexity (top-1 is next-token top-1 there).
  const bool lm = std::any_of(e.rows.begin(), e.rows.end(), [](const ExperimentRow& r) { return r.languageModel; });
  if (lm) header << "perplexity";
  header << "top1_%"
         << "kl"
         << "loss_rtn"
         << "loss_final"
         << "wall_s";
  QList<QStringList> table;
  for (const ExperimentRow& r : e.rows) {
    const ExperimentCell& cell = e.plan.cells.at(r.cell);
    QStringList line;
    if (e.plan.kind == ExperimentKind::Study)
      line << QString::fromStdString(cell.group) << QString::fromStdString(cell.label());
    else if (e.plan.kind == ExperimentKind::Pareto)
      line << QString::fromStdString(cell.label());
    else
      for (const auto& [axis, value] : cell.settings) line << QString::fromStdString(value);
    if (lm) line << (r.evaluated && r.languageModel ? QString::number(std::exp(r.loss), 'f', 3) : "-");
    line << (r.evaluated ? QString::number(r.top1, 'f', 2) : "-") << (r.compared ? QString::number(r.kl, 'g', 4) : "-")
         << QString::number(r.meanLossBefore, 'g', 4) << QString::number(r.meanLossAfter, 'g', 4)
         << QString::number(r.seconds, 'f', 1);
    table << line;
  }
  const QString title = e.plan.kind == ExperimentKind::Study
                            ? QString("%1: %2, %3 iterations per unit, seed %4, other settings fixed")
                                  .arg(QString::fromStdString(e.plan.title), quantMethodName(e.plan.base.method))
                                  .arg(e.plan.base.adaround.iterations)
                                  .arg(e.plan.base.seed)
                            : QString("experiment over %1 (other settings fixed, seed %2)")
                                  .arg(QString::fromStdString(e.plan.title))
                                  .arg(e.plan.base.seed);
  QString text = title + "\n" + formatTable(header, table);
  if (!e.complete()) text += QString("\n(%1 of %2 cells finished)").arg(e.rows.size()).arg(e.plan.cells.size());
  return text;
}

}  // namespace roundlab::cli
