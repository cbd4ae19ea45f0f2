#include "widgets/WeightHistogramView.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QSpinBox>
#include <QSplitter>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <map>

#include "widgets/PlotStyle.h"
#include "widgets/QCustomPlotInclude.h"

namespace roundlab::widgets {

std::pair<std::vector<double>, std::vector<double>> histogram(const std::vector<float>& values, int bins) {
  std::vector<double> centres(static_cast<size_t>(std::max(bins, 0))), counts(centres.size(), 0.0);
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

std::pair<std::vector<double>, std::vector<double>> valueCounts(const std::vector<float>& values) {
  std::map<float, double> counts;
  for (float v : values) counts[v] += 1;
  std::pair<std::vector<double>, std::vector<double>> out;
  for (const auto& [v, n] : counts) {
    out.first.push_back(v);
    out.second.push_back(n);
  }
  return out;
}

WeightHistogramView::WeightHistogramView(QWidget* parent)
    : QWidget(parent),
      plot_(new QCustomPlot),
      quantized_(new QCustomPlot),
      ranges_(new QCustomPlot),
      channel_(new QSpinBox) {
  stylePlot(plot_, "weight value", "count");
  stylePlot(quantized_, "dequantized value", "count");
  stylePlot(ranges_, "output channel", "FP weight range");
  setEmptyHint(plot_, "Open a model (Ctrl+O, or File ▸ Open demo) and select a layer to see its weights.");
  setEmptyHint(quantized_, "Run a quantization (Ctrl+R) to see the dequantized weights on their grid.");
  setEmptyHint(ranges_, "Select a layer to see each output channel's weight range.");
  channel_->setObjectName("gridChannel");
  channel_->setToolTip("Output channel whose quantization grid is drawn over the histogram");
  channel_->setEnabled(false);
  connect(channel_, qOverload<int>(&QSpinBox::valueChanged), this, [this] { drawGrid(); });
  auto* bar = new QHBoxLayout;
  bar->addWidget(new QLabel("Grid of output channel"));
  bar->addWidget(channel_);
  bar->addStretch(1);
  auto* right = new QSplitter(Qt::Vertical);
  right->addWidget(quantized_);
  right->addWidget(ranges_);
  auto* split = new QSplitter;
  split->addWidget(plot_);
  split->addWidget(right);
  split->setStretchFactor(0, 3);
  split->setStretchFactor(1, 2);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addLayout(bar);
  layout->addWidget(split, 1);
}

void WeightHistogramView::refreshPalette() {
  for (QCustomPlot* p : {plot_, quantized_, ranges_}) {
    applyPalette(p);
    p->replot();
  }
}

void WeightHistogramView::clear() {
  clearPlot(plot_, "Weights");
  clearPlot(quantized_, "Dequantized");
  clearPlot(ranges_, "Per-channel ranges");
  levels_ = nullptr;
  shownLevels_.clear();
  channel_->setEnabled(false);
}

void WeightHistogramView::setWeights(const QString& title, const std::vector<float>& values, int bins) {
  clear();
  title_ = title;
  if (bins <= 0) bins = defaultBins(values.size());
  const auto [centres, counts] = histogram(values, bins);
  addBars(plot_, "FP weights", centres, counts, centres.size() > 1 ? centres[1] - centres[0] : 1.0, fpColor());
  setPlotTitle(plot_, QString("%1 — %2 weights").arg(title).arg(values.size()));
  plot_->rescaleAxes();
  plot_->yAxis->setRangeLower(0);
  plot_->replot();
}

void WeightHistogramView::setQuantized(const std::vector<float>& dequantized, const std::vector<float>& fp,
                                       int64_t rows, std::function<std::vector<double>(int64_t)> levels) {
  levels_ = std::move(levels);
  // The dequantized distribution on the FP histogram's bins and range, so the two compare
  // directly: the mass collects on the grid levels (each channel has its own).
  quantized_->clearPlottables();
  const auto [centres, counts] = histogram(dequantized, defaultBins(dequantized.size()));
  addBars(quantized_, "quantized", centres, counts, centres.size() > 1 ? centres[1] - centres[0] : 1.0,
          quantizedColor());
  const size_t distinct = valueCounts(dequantized).first.size();
  setPlotTitle(quantized_, QString("Dequantized — %1 distinct values").arg(distinct));
  quantized_->rescaleAxes();
  quantized_->xAxis->setRange(plot_->xAxis->range());
  quantized_->yAxis->setRangeLower(0);
  quantized_->replot();
  setChannelRanges(fp, rows);
  channel_->setRange(0, static_cast<int>(std::max<int64_t>(0, rows - 1)));
  channel_->setEnabled(rows > 0);
  drawGrid();
}

void WeightHistogramView::setChannelRanges(const std::vector<float>& fp, int64_t rows) {
  // Per-channel FP ranges as vertical bars from min to max.
  ranges_->clearPlottables();
  const int64_t cols = rows > 0 ? static_cast<int64_t>(fp.size()) / rows : 0;
  QVector<double> channel, lo, hi;
  for (int64_t r = 0; r < rows && cols > 0; ++r) {
    const auto [mn, mx] = std::minmax_element(fp.begin() + r * cols, fp.begin() + (r + 1) * cols);
    channel << static_cast<double>(r);
    lo << *mn;
    hi << *mx;
  }
  auto* range = new QCPFinancial(ranges_->xAxis, ranges_->yAxis);
  range->setChartStyle(QCPFinancial::csCandlestick);
  range->setData(channel, lo, hi, lo, hi, true);  // open=low, close=high: a bar from min to max
  range->setWidth(0.6);
  range->setTwoColored(false);
  range->setBrush(fpColor());
  range->setPen(QPen(fpColor()));
  setPlotTitle(ranges_, QString("Per-channel ranges — %1 channels").arg(rows));
  ranges_->rescaleAxes();
  // Room at both ends, so that the widest channel's bar touches neither edge.
  const QCPRange y = ranges_->yAxis->range();
  ranges_->yAxis->setRange(y.lower - 0.06 * y.size(), y.upper + 0.06 * y.size());
  ranges_->xAxis->setRange(ranges_->xAxis->range().lower - 0.7, ranges_->xAxis->range().upper + 0.7);
  ranges_->replot();
}

void WeightHistogramView::drawGrid() {
  plot_->clearItems();
  shownLevels_ = levels_ ? levels_(channel_->value()) : std::vector<double>();
  QColor c = quantizedColor();
  for (double level : shownLevels_) {
    auto* line = new QCPItemStraightLine(plot_);
    line->point1->setCoords(level, 0);
    line->point2->setCoords(level, 1);
    line->setPen(QPen(c, 1.5, Qt::DashLine));
  }
  if (!shownLevels_.empty())
    setPlotTitle(
        plot_,
        QString("%1 — grid of channel %2 (%3 levels)").arg(title_).arg(channel_->value()).arg(shownLevels_.size()));
  plot_->replot();
}

}  // namespace roundlab::widgets
