#include "app/cli/ExperimentTable.h"

#include <QJsonArray>

#include <algorithm>
#include <cmath>

#include "app/cli/CliSupport.h"
#include "engine/pipeline/ExperimentStatistics.h"

namespace roundlab::cli {

namespace {

QJsonObject meanStdJson(const MeanStd& s) { return {{"mean", s.mean}, {"std", s.std}, {"n", s.count}}; }

// Per setting, mean and sample standard deviation over the seeds finished so far.
QJsonArray perSettingJson(const ExperimentRecord& e) {
  QJsonArray out;
  for (const SeededCell& s : seededCells(e)) {
    const ExperimentCell& cell = e.plan.cells.at(s.cells.front());
    QJsonObject o{{"label", QString::fromStdString(cell.label())}, {"seeds", static_cast<qint64>(s.finished)}};
    if (s.finished > 0) {
      o["mean_loss_after"] = meanStdJson(s.lossAfter);
      o["wall_s"] = meanStdJson(s.seconds);
    }
    if (!cell.group.empty()) o["group"] = QString::fromStdString(cell.group);
    if (s.evaluated) o["top1"] = meanStdJson(s.top1);
    if (s.compared) o["kl"] = meanStdJson(s.kl);
    if (s.languageModel && s.evaluated) o["loss_quantized"] = meanStdJson(s.loss);
    out.append(o);
  }
  return out;
}

// "91.20 ± 0.15" (the spread of the seeds), or the value alone for one run.
QString withSpread(const MeanStd& s, char format, int precision) {
  const QString mean = QString::number(s.mean, format, precision);
  return s.count < 2 ? mean : mean + " ± " + QString::number(s.std, format, format == 'g' ? 2 : precision);
}

QStringList settingsColumns(const ExperimentPlan& plan, const ExperimentCell& cell) {
  QStringList line;
  if (plan.kind == ExperimentKind::Study)
    line << QString::fromStdString(cell.group) << QString::fromStdString(cell.label());
  else if (plan.kind == ExperimentKind::Pareto)
    line << QString::fromStdString(cell.label());
  else
    for (const auto& [axis, value] : cell.settings) line << QString::fromStdString(value);
  return line;
}

}  // namespace

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
    if (cell.seeded) row["seed"] = static_cast<qint64>(cell.seed);
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
  if (!e.plan.seeds.empty()) {
    QJsonArray seeds;
    for (const uint64_t seed : e.plan.seeds) seeds.append(static_cast<qint64>(seed));  // at most 2^63 - 1
    out["seeds"] = seeds;
    out["per_setting"] = perSettingJson(e);
  }
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
  if (!e.plan.seeds.empty()) header.insert(header.indexOf(lm ? "perplexity" : "top1_%"), "seeds");
  for (const SeededCell& s : e.plan.seeds.empty() ? std::vector<SeededCell>{} : seededCells(e)) {
    if (s.finished == 0) continue;
    const ExperimentCell& cell = e.plan.cells.at(s.cells.front());
    QStringList line = settingsColumns(e.plan, cell);
    line << QString("%1/%2").arg(s.finished).arg(s.cells.size());
    if (lm) {
      // Perplexity per seed, then pooled: exp of each seed's mean cross-entropy.
      std::vector<double> perplexity;
      for (const size_t c : s.cells)
        if (const ExperimentRow* r = e.row(c); r && r->languageModel && r->evaluated)
          perplexity.push_back(std::exp(r->loss));
      line << (perplexity.empty() ? "-" : withSpread(meanStd(perplexity), 'f', 3));
    }
    line << (s.evaluated ? withSpread(s.top1, 'f', 2) : "-") << (s.compared ? withSpread(s.kl, 'g', 4) : "-")
         << withSpread(s.lossBefore, 'g', 4) << withSpread(s.lossAfter, 'g', 4) << withSpread(s.seconds, 'f', 1);
    table << line;
  }
  for (const ExperimentRow& r : e.plan.seeds.empty() ? e.rows : std::vector<ExperimentRow>{}) {
    QStringList line = settingsColumns(e.plan, e.plan.cells.at(r.cell));
    if (lm) line << (r.evaluated && r.languageModel ? QString::number(std::exp(r.loss), 'f', 3) : "-");
    line << (r.evaluated ? QString::number(r.top1, 'f', 2) : "-") << (r.compared ? QString::number(r.kl, 'g', 4) : "-")
         << QString::number(r.meanLossBefore, 'g', 4) << QString::number(r.meanLossAfter, 'g', 4)
         << QString::number(r.seconds, 'f', 1);
    table << line;
  }
  auto seedsText = [](const ExperimentPlan& plan) {
    if (plan.seeds.empty()) return "seed " + QString::number(plan.base.seed);
    QStringList seeds;
    for (const uint64_t s : plan.seeds) seeds << QString::number(s);
    return "seeds " + seeds.join(",") + ", mean ± std over them";
  };
  const QString title = e.plan.kind == ExperimentKind::Study
                            ? QString("%1: %2, %3 iterations per unit, %4, other settings fixed")
                                  .arg(QString::fromStdString(e.plan.title), quantMethodName(e.plan.base.method))
                                  .arg(e.plan.base.adaround.iterations)
                                  .arg(seedsText(e.plan))
                            : QString("experiment over %1 (other settings fixed, %2)")
                                  .arg(QString::fromStdString(e.plan.title))
                                  .arg(seedsText(e.plan));
  QString text = title + "\n" + formatTable(header, table);
  if (!e.complete()) text += QString("\n(%1 of %2 cells finished)").arg(e.rows.size()).arg(e.plan.cells.size());
  return text;
}

}  // namespace roundlab::cli
