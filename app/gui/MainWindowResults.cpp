// The main window's result views: the selected layer's properties, weights and flips; the
// Importance view and the layer table's importance column (from the engine's importance
// tables); the Evaluate view's run history, and showing, renaming and deleting its runs. Engine results become the
// widgets' plain value types here.
#include <QComboBox>
#include <QFile>

#include <QFileInfo>
#include <QItemSelectionModel>
#include <QMessageBox>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTableWidget>
#include <algorithm>
#include <cmath>

#include "app/gui/AllocationDocument.h"
#include "app/gui/AllocationPanel.h"
#include "app/gui/GridPlayground.h"
#include "app/gui/JobController.h"
#include "app/gui/MainWindow.h"
#include "engine/pipeline/ExperimentStatistics.h"
#include "widgets/ImportanceView.h"
#include "widgets/LayerTableModel.h"
#include "widgets/ModelGraphView.h"
#include "widgets/RoundingFlipsView.h"
#include "widgets/RoundingTraceView.h"
#include "widgets/RunComparisonView.h"
#include "widgets/WeightHistogramView.h"

namespace roundlab::app {

namespace {

// A run one seed of an experiment's setting: that setting's mean ± std over its finished seeds
// (perplexity for a language model's run, top-1 otherwise).
void addSeedSpread(widgets::RunSummary& s, const ExperimentList& experiments, int run) {
  for (const ExperimentPtr& e : experiments) {
    if (e->plan.seeds.empty()) continue;
    for (const SeededCell& cell : seededCells(*e)) {
      const bool mine = std::any_of(cell.cells.begin(), cell.cells.end(), [&](size_t c) {
        const ExperimentRow* r = e->row(c);
        return r && r->run == run;
      });
      if (!mine || !cell.evaluated) continue;
      std::vector<double> values;
      for (const size_t c : cell.cells)
        if (const ExperimentRow* r = e->row(c)) values.push_back(s.languageModel ? std::exp(r->loss) : r->top1);
      const MeanStd m = meanStd(values);
      s.seeds = m.count;
      s.seedMean = m.mean;
      s.seedStd = m.std;
      return;
    }
  }
}

widgets::ImportanceSeries series(const ImportanceTable& t) {
  widgets::ImportanceSeries s;
  s.estimator = importanceEstimatorTitle(t.estimator);
  s.bits = t.bits;
  for (const std::string& layer : t.layers) {
    s.layers << QString::fromStdString(layer);
    std::vector<double> row, interval;
    for (int b : t.bits) {
      row.push_back(t.values.at(layer).at(b));
      interval.push_back(importanceInterval(t, layer, b));
    }
    s.values.push_back(std::move(row));
    if (!t.errors.empty()) s.intervals.push_back(std::move(interval));
  }
  return s;
}

// The run's label (runs of opened sessions name the session).
QString runLabel(const RunRecord& r) {
  QString label = QString::fromStdString(r.label());
  if (!r.sessionPath.empty()) label += " (" + QFileInfo(QString::fromStdString(r.sessionPath)).fileName() + ")";
  return label;
}

}  // namespace

void MainWindow::showImportance(const ImportanceReport& report) {
  std::vector<widgets::ImportanceSeries> all;
  for (const ImportanceTable& t : report.estimates) all.push_back(series(t));
  std::vector<widgets::RankAgreement> agreement;
  for (size_t i = 0; i < report.estimates.size(); ++i)
    for (size_t j = i + 1; j < report.estimates.size(); ++j) {
      const std::map<int, double> rho = rankAgreement(report.estimates[i], report.estimates[j]);
      widgets::RankAgreement a{all[i].estimator, all[j].estimator, {}, {}, rho.count(0) ? rho.at(0) : 0.0};
      for (const auto& [bits, r] : rho)
        if (bits != 0) {
          a.bits.push_back(bits);
          a.rho.push_back(r);
        }
      agreement.push_back(std::move(a));
    }
  importance_->setEstimates(std::move(all), std::move(agreement), 0);  // the latest first
}

void MainWindow::showRunMetrics() {
  std::map<std::string, widgets::LayerMetrics> metrics;
  if (report_)
    for (const LayerOutcome& o : report_->result.layers) metrics[o.layer] = {o.bits, o.flipRate, o.sqnrDb};
  layerModel_->setMetrics(std::move(metrics));
}

void MainWindow::updateLayerImportance() {
  std::map<std::string, double> values;
  if (allocation_->ready())
    for (const auto& [layer, bits] : allocation_->bits()) values[layer] = allocation_->model()->importance(layer, bits);
  layerModel_->setImportance(std::move(values));
}

bool MainWindow::selectLayer(const QString& layer) {
  QAbstractItemModel* m = layerView_->model();
  const QModelIndexList found =
      m->match(m->index(0, widgets::LayerTableModel::Name), Qt::DisplayRole, layer, 1, Qt::MatchExactly);
  if (found.isEmpty()) return false;
  layerView_->selectionModel()->setCurrentIndex(found.first(),
                                                QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
  layerView_->scrollTo(found.first());
  return true;
}

void MainWindow::colorGraph() {
  QHash<QString, QColor> colors;
  const int column = layerModel_->shadeColumn();
  for (int row = 0; row < layerModel_->rowCount(); ++row)
    if (const double shade = layerModel_->shade(row); column >= 0 && shade >= 0)
      if (const LayerInfo* l = layerModel_->layerAt(row))
        colors[QString::fromStdString(l->name)] = widgets::LayerTableModel::shadeColor(shade);
  graph_->setNodeColors(colors,
                        column < 0 ? QString() : layerModel_->headerData(column, Qt::Horizontal).toString().toLower());
}

QString MainWindow::selectedLayer() const {
  const QModelIndexList rows = layerView_->selectionModel()->selectedRows();
  return rows.isEmpty() ? QString() : rows.first().data().toString();
}

void MainWindow::showRoundingTrace(const QString& layer, const LayerOutcome* outcome) {
  if (liveTracing_) {  // a quantization runs: its own layers, as they finish
    if (const auto live = liveTraces_.find(layer); live != liveTraces_.end())
      drawRoundingTrace(layer, *live->second);
    else
      trace_->clear(layer + " is still to come in the running quantization (or is not learned in it).");
    return;
  }
  if (!outcome) {
    trace_->clear(report_ ? layer + " is not in the run shown." : QString());
    return;
  }
  const RoundingTrace& t = outcome->trace;
  if (t.empty()) {
    const QuantMethod method = report_->result.request.method;
    const QString name = QString::fromUtf8(quantMethodName(method));
    trace_->clear(method == QuantMethod::Rtn || method == QuantMethod::Gptq
                      ? QString("%1 was rounded without learning in this run (%2): run AdaRound, BRECQ or QDrop to "
                                "watch its rounding being learned.")
                            .arg(layer, name)
                      : QString("This run (%1) holds no record of how %2's rounding was learned: a session saved "
                                "before RoundLab recorded it. Run it again to watch.")
                            .arg(name, layer));
    return;
  }
  drawRoundingTrace(layer, t);
}

void MainWindow::drawRoundingTrace(const QString& layer, const RoundingTrace& t) {
  widgets::RoundingTraceSeries s;
  s.layer = layer;
  s.iterations = t.iterations;
  s.bins = RoundingTrace::kBins;
  s.histogram = t.histogram;
  s.undecided = t.undecided;
  s.tracked.assign(t.tracked.begin(), t.tracked.end());
  s.trajectories = t.trajectories;
  trace_->setTrace(s);
}

void MainWindow::refreshRunHistory() {
  std::vector<widgets::RunSummary> runs;
  for (const RunPtr& run : history_) {
    widgets::RunSummary s;
    s.label = runLabel(*run);
    s.number = run->number;
    s.name = QString::fromStdString(run->name);
    s.settings = QString::fromStdString(run->settingsLabel());
    s.seconds = run->result.wallSeconds;
    s.shown = report_ && report_->number == run->number;
    s.canShow = runsWithWeights_.contains(run->number);
    s.top1Fp = run->top1Fp();
    s.top1 = run->top1();
    if (run->evaluated && run->evaluation.languageModel()) {  // perplexity, where top-1 says less
      const EvalReport& e = run->evaluation;
      s.languageModel = true;
      s.perplexity = e.hasLabels ? e.perplexity() : -1;
      s.perplexityFp = e.hasLabels && e.hasReference ? e.referencePerplexity() : -1;
    }
    for (const LayerOutcome& o : run->result.layers)
      s.layers.push_back({QString::fromStdString(o.layer), o.bits, o.sqnrDb, o.flipRate, o.lossAfter});
    addSeedSpread(s, experimentList_, run->number);
    runs.push_back(std::move(s));
  }
  compare_->setRuns(std::move(runs));
}

void MainWindow::showRunResults() {
  allocationPanel_->setSummary(&snapshot_->summary);
  showRunMetrics();
  QStringList names;
  std::vector<double> up, down;
  if (report_)
    for (const LayerOutcome& o : report_->result.layers) {
      names << QString::fromStdString(o.layer);
      up.push_back(o.weights ? static_cast<double>(o.flipsUp) / static_cast<double>(o.weights) : 0);
      down.push_back(o.weights ? static_cast<double>(o.flipsDown) / static_cast<double>(o.weights) : 0);
    }
  flips_->clear();
  if (report_) flips_->setLayers(names, up, down);
  onLayerSelected();  // the views now show the run's layer
}

void MainWindow::onLayerSelected() {
  const QModelIndexList rows = layerView_->selectionModel()->selectedRows();
  if (!snapshot_ || rows.isEmpty()) return;
  const LayerInfo* l = layerModel_->layerAt(layerProxy_->mapToSource(rows.first()).row());
  if (!l) return;
  const QString name = QString::fromStdString(l->name);
  graph_->setSelectedLayer(name);
  const std::vector<float>& fp = *fpWeightsOf(*snapshot_, report_.get(), l->name);
  histogram_->setWeights(name, fp);
  if (!l->weightShape.empty()) histogram_->setChannelRanges(fp, l->weightShape.front());
  playground_->setLayer(name, fp, l->weightShape);
  properties_->setRowCount(0);
  auto addProperty = [this](const QString& key, const QString& value) {
    const int row = properties_->rowCount();
    properties_->insertRow(row);
    properties_->setItem(row, 0, new QTableWidgetItem(key));
    auto* item = new QTableWidgetItem(value);
    item->setToolTip(value);  // whole, where the column elides it
    properties_->setItem(row, 1, item);
  };
  addProperty("Layer", name);
  addProperty("Kind", QString::fromStdString(layerKindText(*l)));
  addProperty("Weight shape", QString::fromStdString(formatShape(l->weightShape)));
  addProperty("Parameters", QString::number(l->params));
  addProperty("Block", l->block.empty() ? QString("—") : QString::fromStdString(l->block));
  showRoundingTrace(name, report_ ? report_->outcome(l->name) : nullptr);
  if (!report_) return;
  for (const LayerOutcome& o : report_->result.layers) {
    if (o.layer != l->name) continue;
    addProperty("Bits", QString::number(o.bits));
    addProperty("Grid exponent", QString::number(o.exponent, 'g', 4));
    addProperty("Flips",
                QString("%1 up, %2 down (%3 %)").arg(o.flipsUp).arg(o.flipsDown).arg(100 * o.flipRate, 0, 'f', 2));
    addProperty("Loss RTN → learned", QString("%1 → %2").arg(o.lossBefore, 0, 'g', 4).arg(o.lossAfter, 0, 'g', 4));
    addProperty("Output SQNR", QString("%1 dB").arg(o.sqnrDb, 0, 'f', 1));
    addProperty("Input bits", o.activation.enabled() ? QString::number(o.activation.bits) : QString("FP"));
    addProperty("Reconstructed with", QString::fromStdString(o.unit));
    addProperty("Seconds", QString::number(o.seconds, 'f', 2));
    const auto it = report_->layers.find(l->name);
    if (it == report_->layers.end()) break;
    const LayerQuantView& d = it->second;
    histogram_->setQuantized(snapshot_->weights.at(l->name), d.fpWeights, d.rows,
                             [r = report_, n = l->name](int64_t row) { return gridLevels(r->layers.at(n), row); });
    flips_->setLayer(name, d.flips, d.rows, d.columns, d.fractional, o.curve, o.lossBefore, o.lossAfter);
    break;
  }
  properties_->resizeColumnToContents(0);
}

void MainWindow::showRun(int number) {
  if (jobs_->begin(QString("Showing run #%1").arg(number))) engine_.selectRun(number);
}

void MainWindow::deleteRun(int number) {
  const auto run =
      std::find_if(history_.begin(), history_.end(), [number](const RunPtr& r) { return r->number == number; });
  if (run == history_.end()) return;
  if (isVisible() && !qEnvironmentVariableIsSet("ROUNDLAB_NO_DIALOGS") &&
      QMessageBox::question(this, "RoundLab",
                            QString("Delete run %1? Its results and weights are gone for good.")
                                .arg(QString::fromStdString((*run)->label()))) != QMessageBox::Yes)
    return;
  if (jobs_->begin(QString("Deleting run #%1").arg(number))) engine_.deleteRun(number);
}

void MainWindow::renameRun(int number, const QString& name) {
  if (jobs_->begin(QString("Renaming run #%1").arg(number)))
    engine_.renameRun(number, name);
  else
    refreshRunHistory();  // the table shows the run's name as it is
}

void MainWindow::applyHistory(const RunHistory& history) {
  const RunPtr before = report_;
  history_ = history.runs;
  runsWithWeights_ = history.runsWithWeights;
  report_ = history.current;
  snapshot_ = history.snapshot;
  if (report_ != before) showRunResults();
  refreshRunHistory();
}

void MainWindow::onHistoryChanged(const RunHistory& history) {
  const RunPtr before = report_;
  applyHistory(history);
  if (report_ == before) showRunResults();  // the views as they were: redrawn anyway
  // What a session would hold (the current run, its name) changed: unsaved, and autosaved anew.
  const bool changed = report_ != before;  // a rename hands out a new record too
  if (changed) {
    setUnsaved(report_ != nullptr);
    if (!report_)
      QFile::remove(autosavePath());
    else if (preferences_.autosave)
      engine_.autosave(autosavePath());
  }
  jobs_->finish(report_ ? "Every view shows run " + QString::fromStdString(report_->label())
                        : QString("No run left: every view shows the FP model"));
  Q_EMIT runHistoryChanged();
}

}  // namespace roundlab::app
