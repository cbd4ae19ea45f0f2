#pragma once
// The Importance view: how much each layer's quantization costs, per estimator. A layers × bits
// heat map of the chosen estimator (log scale: the values span decades), per-layer bars at one
// width for every estimator side by side, and how the estimators rank the layers against each
// other (Spearman's ρ per width).
#include <QWidget>

#include <vector>

class QComboBox;
class QCustomPlot;
class QLabel;
class QTableWidget;

namespace roundlab::widgets {

// One estimator's table: values[layer][bits index] is the predicted loss increase;
// intervals[layer][bits index] the half-width of its 95 % confidence interval (empty when the
// estimator has none, 0 for a value without one).
struct ImportanceSeries {
  QString estimator;
  QStringList layers;
  std::vector<int> bits;
  std::vector<std::vector<double>> values;
  std::vector<std::vector<double>> intervals = {};
};

// Spearman's ρ between two estimators' layer rankings at each width, and their mean.
struct RankAgreement {
  QString first, second;
  std::vector<int> bits;
  std::vector<double> rho;
  double mean = 0;
};

class ImportanceView : public QWidget {
  Q_OBJECT
 public:
  explicit ImportanceView(QWidget* parent = nullptr);

  // `current`: the estimator the heat map shows first (an index into `series`).
  void setEstimates(std::vector<ImportanceSeries> series, std::vector<RankAgreement> agreement, int current = 0);
  void clear();
  void refreshPalette();

  QCustomPlot* heatMapPlot() const { return heat_; }
  QCustomPlot* barsPlot() const { return bars_; }  // with error bars: each value's 95 % interval
  QTableWidget* agreementTable() const { return agreement_; }
  QComboBox* estimatorBox() const { return estimator_; }
  QComboBox* bitsBox() const { return bits_; }

 private:
  void showHeatMap();
  void showBars();
  std::vector<ImportanceSeries> series_;
  QCustomPlot *heat_, *bars_;
  QTableWidget* agreement_;
  QComboBox *estimator_, *bits_;
  QLabel* decreaseNote_;  // which measured values are at or below zero, and what that means
};

// log10 of an importance value for the log-scale plots, at least `floor`; NaN for values at or
// below zero (a measured loss that went down), which the plots mark in a colour of their own.
double logImportance(double value, double floor);
// The sentence that names the values at or below zero and explains them (within their interval
// of zero: sampling noise; beyond it: the loss really went down on these samples); empty when
// there are none.
QString lossDecreaseNote(const std::vector<ImportanceSeries>& series);

}  // namespace roundlab::widgets
