// The report's result sections: per-layer results, bit allocations, the run history, experiments
// and importance tables, each a table with units and, where it helps, a plot.
#include <algorithm>
#include <cmath>
#include <limits>

#include "app/report/ReportMarkup.h"
#include "engine/pipeline/ExperimentStatistics.h"

namespace roundlab::report {

namespace {

constexpr double kNone = std::numeric_limits<double>::quiet_NaN();

QString q(const std::string& s) { return QString::fromStdString(s); }

void addChart(std::vector<ReportBlock>& blocks, const BarChart& chart) { blocks.push_back({{}, chart}); }

BarChart allocationChart(const ReportAllocation& a, const QString& title) {
  BarChart chart;
  chart.title = title;
  chart.axisLabel = "weight bits";
  chart.valueLabels = true;
  chart.valueDecimals = 0;
  ChartSeries bits{"bits", seriesColor(0), {}};
  for (const auto& [layer, b] : a.bits) {
    chart.categories << q(layer);
    bits.values.push_back(b);
  }
  chart.series.push_back(std::move(bits));
  return chart;
}

QString allocationTable(const ReportAllocation& a) {
  QList<QStringList> rows;
  for (size_t i = 0; i < a.bits.size(); ++i)
    rows << QStringList{q(a.bits[i].first), QString::number(a.weights[i]), QString::number(a.bits[i].second),
                        a.weights[i] > 0 ? QString::number(weightBytes(a.weights[i], a.bits[i].second)) : "–"};
  return table({{"Layer", false, true}, {"Weights (count)", true}, {"Bits", true}, {"Size (bytes)", true}}, rows);
}

QString allocationTotals(const ReportAllocation& a) {
  int64_t weights = 0;
  for (int64_t w : a.weights) weights += w;
  QString text =
      QString(
          "%1 bits per weight on average over %2 weights: %3 bytes of weights, against %4 bytes as "
          "32-bit floats (%5× smaller).")
          .arg(fixed(a.averageBits, 3))
          .arg(weights)
          .arg(a.bytes)
          .arg(weights * 4)
          .arg(a.bytes > 0 ? fixed(static_cast<double>(weights) * 4 / static_cast<double>(a.bytes), 2) : QString("–"));
  if (a.hasPredictedLoss) text += " Predicted loss increase from importance: " + significant(a.predictedLoss) + ".";
  return paragraph(esc(text));
}

// An experiment cell's label for tables and plots: its settings, or the study's setting.
QString cellLabel(const ExperimentRecord& e, const ExperimentCell& cell) {
  if (e.plan.kind == ExperimentKind::Study) return q(cell.group) + ": " + q(cell.runLabel());
  return q(cell.runLabel());
}

// "91.20 ± 0.15" over the seeds finished.
QString withSpread(const MeanStd& m, int decimals) {
  return m.count < 2 ? fixed(m.mean, decimals) : fixed(m.mean, decimals) + " ± " + fixed(m.std, decimals);
}

}  // namespace

void addLayerResults(const ReportContent& c, std::vector<ReportBlock>& blocks) {
  // Columns that say something for this run only: blocks (block methods), input bits (quantized
  // activations), flips up and down (learned rounding).
  bool anyFlip = false, anyBlock = false, anyActivation = false;
  for (const LayerOutcome& o : c.result.layers) {
    anyFlip = anyFlip || o.flipRate > 0;
    anyBlock = anyBlock || (!o.unit.empty() && o.unit != o.layer);
    anyActivation = anyActivation || o.activation.enabled();
  }
  // Two tables, so that each fits an A4 page: how each layer was quantized, and what it cost.
  QList<Column> how{{"Layer", false, true}}, cost{{"Layer", false, true}};
  if (anyBlock) how.push_back({"Block", false, true});
  how += QList<Column>{{"Weights (count)", true}, {"W bits", true}};
  if (anyActivation) how.push_back({"A bits", true});
  how.push_back({"Flip rate (%)", true});
  if (anyFlip) how.push_back({"Flips up / down (count)", true});
  how.push_back({"Time (s)", true});
  cost += QList<Column>{{"Loss nearest", true}, {"Loss final", true}, {"Loss change (%)", true}, {"SQNR (dB)", true}};
  QList<QStringList> howRows, costRows;
  BarChart loss, flips;
  loss.title = "Reconstruction loss per layer: nearest vs final rounding";
  loss.axisLabel = "reconstruction loss (output MSE)";
  loss.logScale = true;
  ChartSeries before{"round to nearest", seriesColor(1), {}},
      after{"final rounding (" + c.runLabel + ")", seriesColor(0), {}};
  flips.title = "Weights rounded the other way than nearest, per layer";
  flips.axisLabel = "flip rate (% of the layer's weights)";
  flips.valueLabels = true;
  ChartSeries flipRate{"flip rate", seriesColor(2), {}};
  for (const LayerOutcome& o : c.result.layers) {
    QStringList row{q(o.layer)};
    if (anyBlock) row << (o.unit == o.layer || o.unit.empty() ? QString("–") : q(o.unit));
    row << QString::number(o.weights) << QString::number(o.bits);
    if (anyActivation) row << (o.activation.enabled() ? QString::number(o.activation.bits) : QString("32"));
    row << fixed(100 * o.flipRate, 2);
    if (anyFlip) row << QString("%1 / %2").arg(o.flipsUp).arg(o.flipsDown);
    howRows << (row << fixed(o.seconds, 2));
    const double change = o.lossBefore != 0 ? 100 * (o.lossAfter - o.lossBefore) / o.lossBefore : kNone;
    costRows << QStringList{q(o.layer), significant(o.lossBefore), significant(o.lossAfter), fixed(change, 1),
                            fixed(o.sqnrDb, 1)};
    loss.categories << q(o.layer);
    flips.categories << q(o.layer);
    before.values.push_back(o.lossBefore);
    after.values.push_back(o.lossAfter);
    flipRate.values.push_back(100 * o.flipRate);
  }
  loss.series = {before, after};
  flips.series = {flipRate};
  blocks.push_back(
      {heading(2, "Per-layer results", "layers") +
           paragraph(esc(
               QString(
                   "%1 quantized layers in model order%2. Flip rate: the share of the layer's weights "
                   "rounded the other way than nearest. Time: of the layer's reconstruction (its block's, shared, for "
                   "block methods).")
                   .arg(c.result.layers.size())
                   .arg(anyActivation ? QString() : QString(", inputs in floating point (A32)")))) +
           table(how, howRows, "data layers") +
           paragraph(esc(QString("Loss: the reconstruction objective on the calibration data (mean squared error of "
                                 "the layer's output; of the whole block for block methods, so the layers of one "
                                 "block share it) with rounding to nearest and with the final rounding. SQNR: the "
                                 "quantized layer's output against the FP layer's on FP inputs (∞: exact)."))) +
           table(cost, costRows, "data losses"),
       {}});
  addChart(blocks, loss);
  if (anyFlip) addChart(blocks, flips);
}

void addAllocations(const ReportContent& c, std::vector<ReportBlock>& blocks) {
  blocks.push_back({heading(2, "Bit allocation", "allocation") + paragraph(esc("From " + c.allocation.source + ".")) +
                        allocationTotals(c.allocation) + allocationTable(c.allocation),
                    {}});
  addChart(blocks, allocationChart(c.allocation, "Weight bits per layer"));
  if (!c.hasPlannedAllocation) return;
  const ReportAllocation& p = c.plannedAllocation;
  blocks.push_back({heading(3, "Mixed-precision allocation") + paragraph(esc(p.source + ".")) + allocationTotals(p) +
                        allocationTable(p),
                    {}});
  addChart(blocks, allocationChart(p, "Weight bits per layer (Mixed precision)"));
}

void addRuns(const ReportContent& c, std::vector<ReportBlock>& blocks) {
  if (c.runs.size() < 2) return;
  QList<QStringList> rows;
  BarChart chart;
  chart.title = "Top-1 per run";
  chart.axisLabel = "top-1 accuracy (%)";
  chart.valueLabels = true;
  chart.dots = true;
  ChartSeries top1{"top-1", seriesColor(0), {}};
  bool anyTop1 = false;
  for (const ReportRun& r : c.runs) {
    rows << QStringList{QString::number(r.number) + (r.reported ? " (this report)" : ""),
                        r.label,
                        r.settings,
                        fixed(r.averageBits, 2),
                        r.top1 >= 0 ? fixed(r.top1, 2) : "–",
                        r.top1 >= 0 && r.top1Fp >= 0 ? fixed(r.top1 - r.top1Fp, 2) : "–",
                        fixed(r.seconds, 1)};
    chart.categories << r.label;
    top1.values.push_back(r.top1 >= 0 ? r.top1 : kNone);
    anyTop1 = anyTop1 || r.top1 >= 0;
    if (r.top1Fp >= 0) {
      chart.reference = r.top1Fp;
      chart.referenceLabel = "FP model";
    }
  }
  chart.series = {top1};
  blocks.push_back(
      {heading(2, "Runs", "runs") +
           paragraph(esc(QString("The %1 runs of the workbench's history, oldest first.").arg(c.runs.size()))) +
           table({{"#"},
                  {"Run"},
                  {"Settings"},
                  {"Average bits", true},
                  {"Top-1 (%)", true},
                  {"Change vs FP (points)", true},
                  {"Time (s)", true}},
                 rows),
       {}});
  if (anyTop1) addChart(blocks, chart);
}

namespace {
QString seedsText(const ExperimentPlan& plan) {
  if (plan.seeds.empty()) return "seed " + QString::number(plan.base.seed);
  QStringList seeds;
  for (const uint64_t s : plan.seeds) seeds << QString::number(s);
  return "each cell with seeds " + seeds.join(", ");
}
}  // namespace

void addExperiments(const ReportContent& c, std::vector<ReportBlock>& blocks) {
  if (c.experiments.empty()) return;
  blocks.push_back({heading(2, "Experiments", "experiments") +
                        paragraph("Each experiment quantizes the FP model once per cell, varying its axes around one "
                                  "base setting; equal cells share one run. Loss: mean over the layers of the "
                                  "reconstruction loss."),
                    {}});
  for (const ExperimentRecord& e : c.experiments) {
    const ExperimentPlan& plan = e.plan;
    QStringList axes;
    for (const std::string& a : plan.axes) axes << q(a);
    QString html =
        heading(3, QString("Experiment %1: %2").arg(e.number).arg(q(plan.title))) +
        paragraph(esc(QString("%1 over %2; base: %3, W%4, %5 iterations, %6; %7 of %8 cells finished.")
                          .arg(experimentKindName(plan.kind), axes.join(" × "), quantMethodName(plan.base.method))
                          .arg(plan.base.weights.bits)
                          .arg(plan.base.adaround.iterations)
                          .arg(seedsText(plan))
                          .arg(e.rows.size())
                          .arg(plan.cells.size())));
    QList<QStringList> rows;
    BarChart chart;
    chart.valueLabels = true;
    ChartSeries series{"top-1", seriesColor(0), {}};
    bool evaluated = std::any_of(e.rows.begin(), e.rows.end(), [](const ExperimentRow& r) { return r.evaluated; });
    chart.title = QString("Experiment %1: %2 per cell").arg(e.number).arg(evaluated ? "top-1" : "final loss");
    chart.axisLabel = evaluated ? "top-1 accuracy (%)" : "mean reconstruction loss (output MSE)";
    chart.logScale = !evaluated;
    chart.dots = evaluated;
    chart.valueDecimals = 2;
    const bool seeded = !plan.seeds.empty();
    for (size_t i = 0; i < plan.cells.size(); ++i) {
      const ExperimentRow* r = e.row(i);
      const QString label = cellLabel(e, plan.cells[i]);
      if (!seeded) {
        chart.categories << label;
        series.values.push_back(!r ? kNone : evaluated ? (r->evaluated ? r->top1 : kNone) : r->meanLossAfter);
      }
      if (!r) {
        rows << QStringList{label, "not run", "–", "–", "–", "–", "–", "–"};
        continue;
      }
      rows << QStringList{label,
                          r->evaluated ? fixed(r->top1, 2) : "–",
                          r->compared ? significant(r->kl) : "–",
                          r->compared ? fixed(r->agreement, 2) : "–",
                          significant(r->meanLossBefore),
                          significant(r->meanLossAfter),
                          fixed(r->seconds, 1),
                          r->run > 0 ? QString::number(r->run) : "–"};
    }
    html += table({{"Cell"},
                   {"Top-1 (%)", true},
                   {"KL to FP (nats)", true},
                   {"Agreement with FP (%)", true},
                   {"Loss nearest", true},
                   {"Loss final", true},
                   {"Time (s)", true},
                   {"Run", true}},
                  rows);
    if (seeded) {  // per setting, pooled over its seeds: the chart shows the means
      QList<QStringList> pooled;
      for (const SeededCell& s : seededCells(e)) {
        const ExperimentCell& cell = plan.cells.at(s.cells.front());
        const QString label =
            plan.kind == ExperimentKind::Study ? q(cell.group) + ": " + q(cell.label()) : q(cell.label());
        chart.categories << label;
        series.values.push_back(s.finished == 0 ? kNone
                                : evaluated     ? (s.evaluated ? s.top1.mean : kNone)
                                                : s.lossAfter.mean);
        pooled << QStringList{label,
                              QString("%1/%2").arg(s.finished).arg(s.cells.size()),
                              s.evaluated ? withSpread(s.top1, 2) : "–",
                              s.compared ? withSpread(s.kl, 4) : "–",
                              s.finished ? withSpread(s.lossAfter, 4) : "–",
                              s.finished ? withSpread(s.seconds, 1) : "–"};
      }
      chart.title += " (mean over seeds)";
      html +=
          paragraph(esc(QString("Mean ± standard deviation over the seeds of each setting (sample standard "
                                "deviation; a difference smaller than the spread is not a finding).")));
      html += table({{"Setting"},
                     {"Seeds", true},
                     {"Top-1 (%)", true},
                     {"KL to FP (nats)", true},
                     {"Loss final", true},
                     {"Time (s)", true}},
                    pooled);
    }
    chart.series = {series};  // per cell, or per setting over its seeds
    blocks.push_back({html, {}});
    if (!e.rows.empty()) addChart(blocks, chart);
  }
}

void addImportance(const ReportContent& c, std::vector<ReportBlock>& blocks) {
  if (c.importance.empty()) return;
  blocks.push_back({heading(2, "Importance", "importance") +
                        paragraph("Predicted increase of the calibration loss (cross-entropy, or KL to the FP model "
                                  "on unlabelled data; nats) when only that layer is quantized to that width, rounding "
                                  "to nearest. The first table is the one an allocation uses."),
                    {}});
  for (const ImportanceTable& t : c.importance) {
    QList<Column> columns{{"Layer", false, true}};
    for (int b : t.bits) columns.push_back({QString("%1 bits").arg(b), true});
    QList<QStringList> rows;
    for (const std::string& layer : t.layers) {
      QStringList row{q(layer)};
      const auto it = t.values.find(layer);
      for (int b : t.bits)
        row << (it != t.values.end() && it->second.count(b) ? significant(it->second.at(b), 3) : QString("–"));
      rows << row;
    }
    const QString estimator = named(importanceEstimatorTable(), t.estimator);
    blocks.push_back({heading(3, "Importance: " + estimator) +
                          paragraph(esc(QString("FP calibration loss %1 nats; estimated in %2 s.")
                                            .arg(significant(t.fpLoss), fixed(t.seconds, 1)))) +
                          table(columns, rows),
                      {}});
  }
}

}  // namespace roundlab::report
