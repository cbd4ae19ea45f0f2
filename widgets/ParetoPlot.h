#pragma once
// The accuracy/size trade-off of mixed precision: the Pareto front of allocations (average bits
// against predicted loss increase, log scale), the allocation being edited, and — once measured —
// each point's accuracy (a language model's perplexity) on the right axis. Clicking a point of the front asks for that
// allocation.
#include <QWidget>

#include <vector>

class QCustomPlot;

namespace roundlab::widgets {

class ParetoPlot : public QWidget {
  Q_OBJECT
 public:
  explicit ParetoPlot(QWidget* parent = nullptr);

  // x ascending; y the predicted loss increase of each point.
  void setFront(const std::vector<double>& averageBits, const std::vector<double>& loss);
  void setCurrent(double averageBits, double loss);
  // Measured top-1 (%) at average bits — or, `perplexity`, a language model's perplexity (lower
  // is better) — on the right axis; empty vectors hide it. A new front clears it (its points are
  // other allocations).
  void setMeasured(const std::vector<double>& averageBits, const std::vector<double>& values, bool perplexity = false);
  std::vector<double> measuredValues() const;  // as plotted: top-1 % or perplexity
  bool measuredPerplexity() const { return measuredPerplexity_; }
  void clear();
  void refreshPalette();
  QCustomPlot* plot() const { return plot_; }
  // The pixel position of front point i (for tests and tooltips).
  QPoint pointPosition(int i) const;

 Q_SIGNALS:
  void pointClicked(int index);

 private:
  QCustomPlot* plot_;
  bool measuredPerplexity_ = false;
};

}  // namespace roundlab::widgets
