#include "widgets/RoundingFlipsView.h"

#include <QApplication>
#include <QGridLayout>
#include <QPalette>

#include <algorithm>
#include <tuple>

#include "widgets/PlotStyle.h"
#include "widgets/QCustomPlotInclude.h"

namespace roundlab::widgets {

std::pair<std::vector<double>, std::vector<double>> fractionalHistogram(const std::vector<float>& fractional,
                                                                        const std::vector<int8_t>& flips, int bins) {
  std::vector<double> kept(static_cast<size_t>(std::max(bins, 0)), 0.0), flipped(kept.size(), 0.0);
  for (size_t i = 0; i < fractional.size() && i < flips.size() && bins > 0; ++i) {
    const int b = std::clamp(static_cast<int>(fractional[i] * static_cast<float>(bins)), 0, bins - 1);
    (flips[i] != 0 ? flipped : kept)[static_cast<size_t>(b)] += 1;
  }
  return {kept, flipped};
}

namespace {

// Down, kept, up: kept weights in the plot's background colour (light or dark).
QCPColorGradient flipGradient() {
  QCPColorGradient g;
  g.clearColorStops();
  g.setColorStopAt(0, downColor());
  g.setColorStopAt(0.5, QApplication::palette().color(QPalette::Base));
  g.setColorStopAt(1, upColor());
  g.setLevelCount(3);
  return g;
}

}  // namespace

RoundingFlipsView::RoundingFlipsView(QWidget* parent)
    : QWidget(parent),
      rates_(new QCustomPlot),
      map_(new QCustomPlot),
      fraction_(new QCustomPlot),
      loss_(new QCustomPlot) {
  stylePlot(rates_, "flipped weights %", "");
  stylePlot(map_, "input (column)", "output channel");
  stylePlot(fraction_, "fractional part of w / s", "weights");
  stylePlot(loss_, "iteration", "reconstruction loss");
  setEmptyHint(rates_, "Run a quantization (Ctrl+R) to see how many weights each layer rounds away from nearest.");
  setEmptyHint(map_, "Select a quantized layer in the layer table to see which of its weights flipped.");
  setEmptyHint(fraction_, "Select a quantized layer to compare the fractional parts of flipped and kept weights.");
  setEmptyHint(loss_, "Select a layer reconstructed by a run to see its loss curve.");
  loss_->yAxis->setScaleType(QCPAxis::stLogarithmic);
  loss_->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
  for (QCustomPlot* p : {rates_, fraction_, loss_}) showLegendWhenFilled(p);
  // Room for the bars above their slanted layer names: on a small screen the view scrolls instead.
  for (QCustomPlot* p : {rates_, map_, fraction_, loss_}) p->setMinimumHeight(280);
  clear();
  auto* grid = new QGridLayout(this);
  grid->setContentsMargins(0, 0, 0, 0);
  grid->addWidget(rates_, 0, 0);
  grid->addWidget(map_, 0, 1);
  grid->addWidget(fraction_, 1, 0);
  grid->addWidget(loss_, 1, 1);
}

void RoundingFlipsView::refreshPalette() {
  for (int i = 0; i < map_->plottableCount(); ++i)
    if (auto* cells = qobject_cast<QCPColorMap*>(map_->plottable(i))) cells->setGradient(flipGradient());
  for (QCustomPlot* p : {rates_, map_, fraction_, loss_}) {
    applyPalette(p);
    p->replot();
  }
}

void RoundingFlipsView::clear() {
  clearPlot(rates_, "Flip rate per layer");
  clearPlot(map_, "Flip map");
  clearPlot(fraction_, "Fractional parts: flipped vs kept");
  clearPlot(loss_, "Loss curve");
}

void RoundingFlipsView::setLayers(const QStringList& names, const std::vector<double>& upRate,
                                  const std::vector<double>& downRate) {
  rates_->clearPlottables();
  std::vector<double> x, up, down;
  for (int i = 0; i < names.size(); ++i) {
    x.push_back(i);
    up.push_back(100 * upRate.at(static_cast<size_t>(i)));
    down.push_back(100 * downRate.at(static_cast<size_t>(i)));
  }
  QCPBars* downBars = addLayerBars(rates_, "rounded down", x, down, 0.75, downColor());
  addLayerBars(rates_, "rounded up", x, up, 0.75, upColor())->moveAbove(downBars);
  fitLayerBars(rates_, names, 0);
  rates_->replot();
}

void RoundingFlipsView::setLayer(const QString& name, const std::vector<int8_t>& flips, int64_t rows, int64_t columns,
                                 const std::vector<float>& fractional, const std::vector<std::pair<int, double>>& curve,
                                 double lossBefore, double lossAfter) {
  // Flip map: one cell per weight.
  map_->clearPlottables();
  auto* cells = new QCPColorMap(map_->xAxis, map_->yAxis);
  cells->data()->setSize(static_cast<int>(columns), static_cast<int>(rows));
  cells->data()->setRange(QCPRange(0, static_cast<double>(std::max<int64_t>(columns - 1, 1))),
                          QCPRange(0, static_cast<double>(std::max<int64_t>(rows - 1, 1))));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < columns; ++c)
      cells->data()->setCell(static_cast<int>(c), static_cast<int>(r), flips.at(static_cast<size_t>(r * columns + c)));
  cells->setGradient(flipGradient());
  cells->setDataRange(QCPRange(-1, 1));
  cells->setInterpolate(false);
  int64_t up = 0, down = 0;
  for (int8_t f : flips) {
    up += f > 0;
    down += f < 0;
  }
  setPlotTitle(map_, QString("%1: %2 up (red), %3 down (blue)").arg(name).arg(up).arg(down));
  map_->rescaleAxes();
  map_->replot();

  // Fractional parts, flipped stacked on kept.
  fraction_->clearPlottables();
  const int bins = 20;
  const auto [kept, flipped] = fractionalHistogram(fractional, flips, bins);
  std::vector<double> x;
  for (int i = 0; i < bins; ++i) x.push_back((i + 0.5) / bins);
  QCPBars* keptBars = addBars(fraction_, "kept nearest", x, kept, 1.0 / bins, fpColor());
  addBars(fraction_, "flipped", x, flipped, 1.0 / bins, upColor())->moveAbove(keptBars);
  fraction_->rescaleAxes();
  fraction_->xAxis->setRange(0, 1);
  fraction_->yAxis->setRangeLower(0);
  addHeadroom(fraction_->yAxis);
  fraction_->replot();

  // Loss curve with the losses of nearest rounding and of the result.
  loss_->clearPlottables();
  loss_->clearItems();
  QVector<double> it, value;
  for (const auto& [i, v] : curve) {
    it << i;
    value << std::max(v, 1e-12);
  }
  auto* g1 = loss_->addGraph();
  g1->setName("batch loss (soft rounding)");
  g1->setData(it, value, true);
  g1->setPen(QPen(fpColor(), 2));
  for (const auto& [v, label, color] :
       {std::tuple<double, const char*, QColor>{lossBefore, "nearest rounding", downColor()},
        {lossAfter, "learned rounding", upColor()}}) {
    if (!(v > 0)) continue;
    auto* line = loss_->addGraph();
    line->setName(QString("%1, all samples: %2").arg(label).arg(v, 0, 'g', 4));
    const double end = it.isEmpty() ? 1 : it.back();
    line->setData(QVector<double>{0, end}, QVector<double>{v, v}, true);
    line->setPen(QPen(color, 1.5, Qt::DashLine));
  }
  setPlotTitle(loss_, curve.empty() ? QString("%1 — no reconstruction (round to nearest)").arg(name)
                                    : QString("%1 — loss curve").arg(name));
  loss_->rescaleAxes();
  loss_->replot();
}

}  // namespace roundlab::widgets
