// The main window's result views: the Importance view and the layer table's importance column
// (from the engine's importance tables), and the Evaluate view's run history. Engine results
// become the widgets' plain value types here.
#include <QComboBox>
#include <QFileInfo>

#include "app/gui/AllocationDocument.h"
#include "app/gui/MainWindow.h"
#include "widgets/ImportanceView.h"
#include "widgets/LayerTableModel.h"
#include "widgets/RunComparisonView.h"

namespace roundlab::app {

namespace {

QString estimatorTitle(ImportanceEstimator e) {
  switch (e) {
    case ImportanceEstimator::Measured:
      return "measured";
    case ImportanceEstimator::IntegratedGradients:
      return "integrated gradients";
    case ImportanceEstimator::Hessian:
      return "Hessian trace";
  }
  return {};
}

widgets::ImportanceSeries series(const ImportanceTable& t) {
  widgets::ImportanceSeries s;
  s.estimator = estimatorTitle(t.estimator);
  s.bits = t.bits;
  for (const std::string& layer : t.layers) {
    s.layers << QString::fromStdString(layer);
    std::vector<double> row;
    for (int b : t.bits) row.push_back(t.values.at(layer).at(b));
    s.values.push_back(std::move(row));
  }
  return s;
}

QString runLabel(const RunReport& r, int number) {
  const QuantizationRequest& q = r.result.request;
  QString label = QString("#%1 %2 ").arg(number).arg(quantMethodName(q.method));
  label += q.bits.empty() ? QString("W%1").arg(q.weights.bits) : QString("mixed W/");
  label += q.activations.bits > 0 ? QString("A%1").arg(q.activations.bits) : QString("A32");
  if (!r.sessionPath.isEmpty()) label += " (" + QFileInfo(r.sessionPath).fileName() + ")";
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

void MainWindow::addRunToComparison(const RunReport& report) {
  widgets::RunSummary s;
  s.label = runLabel(report, static_cast<int>(runs_.size()) + 1);
  s.top1Fp = report.top1Fp;
  s.top1 = report.top1;
  for (const LayerOutcome& o : report.result.layers)
    s.layers.push_back({QString::fromStdString(o.layer), o.bits, o.sqnrDb, o.flipRate, o.lossAfter});
  runs_.push_back(std::move(s));
  compare_->setRuns(runs_);
}

}  // namespace roundlab::app
