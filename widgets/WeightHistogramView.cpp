#include "widgets/WeightHistogramView.h"

#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

#include "widgets/QCustomPlotInclude.h"

namespace roundlab::widgets {

std::pair<std::vector<double>, std::vector<double>> histogram(const std::vector<float>& values, int bins) {
  std::vector<double> centres(static_cast<size_t>(bins)), counts(static_cast<size_t>(bins), 0.0);
  if (values.empty() || bins <= 0) return {centres, counts};
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  const double a = *lo, b = *hi > *lo ? *hi : *lo + 1e-6;
  const double w = (b - a) / bins;
  for (int i = 0; i < bins; ++i) centres[static_cast<size_t>(i)] = a + (i + 0.5) * w;
  for (float v : values) {
    const int i = std::clamp(static_cast<int>((v - a) / w), 0, bins - 1);
    counts[static_cast<size_t>(i)] += 1;
  }
  return {centres, counts};
}

WeightHistogramView::WeightHistogramView(QWidget* parent) : QWidget(parent), plot_(new QCustomPlot(this)) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(plot_);
  plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  plot_->xAxis->setLabel("weight value");
  plot_->yAxis->setLabel("count");
  QFont f = plot_->xAxis->labelFont();
  f.setPointSize(f.pointSize() + 2);
  plot_->xAxis->setLabelFont(f);
  plot_->yAxis->setLabelFont(f);
  plot_->plotLayout()->insertRow(0);
  plot_->plotLayout()->addElement(
      0, 0, new QCPTextElement(plot_, "", QFont(font().family(), font().pointSize() + 3, QFont::Bold)));
}

void WeightHistogramView::clear() {
  plot_->clearPlottables();
  plot_->replot();
}

void WeightHistogramView::setWeights(const QString& title, const std::vector<float>& values, int bins) {
  plot_->clearPlottables();
  if (bins <= 0) bins = std::clamp(static_cast<int>(std::sqrt(static_cast<double>(values.size()))), 10, 101);
  const auto [centres, counts] = histogram(values, bins);
  auto* bars = new QCPBars(plot_->xAxis, plot_->yAxis);
  bars->setData(QVector<double>(centres.begin(), centres.end()), QVector<double>(counts.begin(), counts.end()), true);
  bars->setWidth(centres.size() > 1 ? centres[1] - centres[0] : 1.0);
  bars->setPen(Qt::NoPen);
  bars->setBrush(QColor(52, 101, 164));
  if (auto* t = qobject_cast<QCPTextElement*>(plot_->plotLayout()->element(0, 0)))
    t->setText(QString("%1 — %2 weights").arg(title).arg(values.size()));
  plot_->rescaleAxes();
  plot_->yAxis->setRangeLower(0);
  plot_->replot();
}

}  // namespace roundlab::widgets
