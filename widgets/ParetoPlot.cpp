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

QPoint ParetoPlot::pointPosition(int i) const {
  if (plot_->graphCount() == 0 || i < 0 || i >= plot_->graph(0)->dataCount()) return {};
  const auto it = plot_->graph(0)->data()->at(i);
  return QPoint(static_cast<int>(plot_->xAxis->coordToPixel(it->key)),
                static_cast<int>(plot_->yAxis->coordToPixel(it->value)));
}

}  // namespace roundlab::widgets
