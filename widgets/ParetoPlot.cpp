#include "widgets/ParetoPlot.h"

#include <QVBoxLayout>

#include <algorithm>

#include "widgets/PlotStyle.h"
#include "widgets/QCustomPlotInclude.h"

namespace roundlab::widgets {

namespace {
constexpr double kLossFloor = 1e-9;  // a log axis cannot show zero
}

ParetoPlot::ParetoPlot(QWidget* parent) : QWidget(parent), plot_(new QCustomPlot) {
  stylePlot(plot_, "average bits", "predicted loss increase");  // short: the plot is narrow
  setPlotTitle(plot_, "Pareto front — click a point to load it");
  plot_->yAxis->setScaleType(QCPAxis::stLogarithmic);
  plot_->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
  setEmptyHint(plot_, "Estimate the layers' importance to see the best allocation for every budget.");
  showLegendWhenFilled(plot_);
  plot_->setToolTip("Optimal allocations for each budget (exact knapsack on the importance table)");
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(plot_);
  connect(plot_, &QCustomPlot::plottableClick, this, [this](QCPAbstractPlottable* p, int index, QMouseEvent*) {
    if (plot_->plottableCount() > 0 && p == plot_->plottable(0)) Q_EMIT pointClicked(index);
  });
}

void ParetoPlot::clear() {
  plot_->clearPlottables();
  plot_->replot();
}

void ParetoPlot::refreshPalette() {
  applyPalette(plot_);
  plot_->replot();
}

void ParetoPlot::setFront(const std::vector<double>& averageBits, const std::vector<double>& loss) {
  plot_->clearPlottables();
  auto* front = plot_->addGraph();  // plottable 0: the front
  front->setName("Pareto front");
  QVector<double> x(averageBits.begin(), averageBits.end()), y;
  for (double v : loss) y << std::max(v, kLossFloor);
  front->setData(x, y, true);
  front->setPen(QPen(fpColor(), 2));
  front->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, fpColor(), fpColor().lighter(150), 9));
  auto* current = plot_->addGraph();
  current->setName("this allocation");
  current->setLineStyle(QCPGraph::lsNone);
  current->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(upColor(), 3), Qt::NoBrush, 16));
  plot_->yAxis2->setVisible(false);
  plot_->rescaleAxes();
  plot_->xAxis->scaleRange(1.1);
  plot_->yAxis->scaleRange(2.0);
  plot_->replot();
}

void ParetoPlot::setCurrent(double averageBits, double loss) {
  if (plot_->plottableCount() < 2) return;
  plot_->graph(1)->setData(QVector<double>{averageBits}, QVector<double>{std::max(loss, kLossFloor)});
  plot_->replot();
}

void ParetoPlot::setMeasured(const std::vector<double>& averageBits, const std::vector<double>& values,
                             bool perplexity) {
  if (plot_->graphCount() < 2) return;  // no front to measure
  while (plot_->graphCount() > 2) plot_->removeGraph(2);
  plot_->yAxis2->setVisible(!values.empty());
  measuredPerplexity_ = perplexity && !values.empty();
  if (values.empty()) {
    plot_->replot();
    return;
  }
  auto* measured = plot_->addGraph(plot_->xAxis, plot_->yAxis2);  // graph 2: measured
  measured->setName(perplexity ? "measured perplexity (right axis)" : "measured top-1 % (right axis)");
  measured->setData(QVector<double>(averageBits.begin(), averageBits.end()),
                    QVector<double>(values.begin(), values.end()), true);
  measured->setPen(QPen(quantizedColor(), 2, Qt::DashLine));
  measured->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssSquare, quantizedColor(), quantizedColor(), 9));
  plot_->yAxis2->setLabel(perplexity ? "measured perplexity (lower is better)" : "measured top-1 %");
  plot_->yAxis2->setTickLabels(true);
  measured->rescaleValueAxis(false, true);
  plot_->yAxis2->scaleRange(1.2);
  applyPlotFonts(plot_);
  applyPalette(plot_);
  plot_->replot();
}

std::vector<double> ParetoPlot::measuredValues() const {
  std::vector<double> out;
  if (plot_->graphCount() < 3) return out;
  for (auto it = plot_->graph(2)->data()->constBegin(); it != plot_->graph(2)->data()->constEnd(); ++it)
    out.push_back(it->value);
  return out;
}

QPoint ParetoPlot::pointPosition(int i) const {
  if (plot_->graphCount() == 0 || i < 0 || i >= plot_->graph(0)->dataCount()) return {};
  const auto it = plot_->graph(0)->data()->at(i);
  return QPoint(static_cast<int>(plot_->xAxis->coordToPixel(it->key)),
                static_cast<int>(plot_->yAxis->coordToPixel(it->value)));
}

}  // namespace roundlab::widgets
