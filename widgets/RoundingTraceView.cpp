#include "widgets/RoundingTraceView.h"

#include <QGridLayout>

#include <algorithm>

#include "widgets/PlotStyle.h"
#include "widgets/QCustomPlotInclude.h"

namespace roundlab::widgets {

namespace {

const QString kNoRun =
    "Run a learned-rounding method (AdaRound, BRECQ, QDrop: Ctrl+R) to watch how the selected "
    "layer's rounding is learned.";

// h's axis: 0 is the floor, 1 the ceiling, ½ undecided.
void roundingAxis(QCPAxis* axis) {
  auto ticker = QSharedPointer<QCPAxisTickerText>::create();
  ticker->addTick(0, "floor 0");
  ticker->addTick(0.5, "½");
  ticker->addTick(1, "ceil 1");
  axis->setTicker(ticker);
  axis->setRange(-0.03, 1.03);
}

}  // namespace

RoundingTraceView::RoundingTraceView(QWidget* parent)
    : QWidget(parent), heat_(new QCustomPlot), undecided_(new QCustomPlot), paths_(new QCustomPlot) {
  stylePlot(heat_, "iteration", "soft rounding h");
  stylePlot(undecided_, "iteration", "undecided weights %");
  stylePlot(paths_, "iteration", "h");
  showLegendWhenFilled(paths_);
  for (QCustomPlot* p : {heat_, undecided_, paths_}) p->setMinimumSize(280, 220);
  auto* layout = new QGridLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(heat_, 0, 0, 2, 1);
  layout->addWidget(undecided_, 0, 1);
  layout->addWidget(paths_, 1, 1);
  layout->setColumnStretch(0, 3);
  layout->setColumnStretch(1, 2);
  clear(kNoRun);
}

void RoundingTraceView::refreshPalette() {
  for (QCustomPlot* p : {heat_, undecided_, paths_}) {
    applyPalette(p);
    p->replot();
  }
}

void RoundingTraceView::clear(const QString& why) {
  clearPlot(heat_, "Soft rounding values over the iterations");
  clearPlot(undecided_, "Still undecided");
  clearPlot(paths_, "The most undecided weights");
  // The heat map's colour scale goes with its data.
  for (QCPLayoutElement* e : heat_->plotLayout()->elements(false))
    if (auto* scale = qobject_cast<QCPColorScale*>(e)) heat_->plotLayout()->remove(scale);
  heat_->plotLayout()->simplify();
  setEmptyHint(heat_, why.isEmpty() ? kNoRun : why);
  setEmptyHint(undecided_, "The share of weights with 0.1 < h < 0.9 at each iteration.");
  setEmptyHint(paths_, "h of the weights that started nearest ½, on their way to floor or ceil.");
  for (QCustomPlot* p : {heat_, undecided_, paths_}) p->replot();
}

void RoundingTraceView::setTrace(const RoundingTraceSeries& t) {
  clear({});
  const auto n = static_cast<int>(t.iterations.size());
  if (n == 0 || t.bins <= 0) return;
  const double first = t.iterations.front(), last = std::max<double>(t.iterations.back(), first + 1);

  auto* cells = new QCPColorMap(heat_->xAxis, heat_->yAxis);
  cells->data()->setSize(n, t.bins);
  cells->data()->setRange(QCPRange(first, last), QCPRange(0.5 / t.bins, 1 - 0.5 / t.bins));
  for (int s = 0; s < n; ++s)
    for (int b = 0; b < t.bins; ++b)
      cells->data()->setCell(s, b, 100.0 * t.histogram[static_cast<size_t>(s * t.bins + b)]);
  cells->setInterpolate(false);
  auto* scale = new QCPColorScale(heat_);
  heat_->plotLayout()->addElement(1, 1, scale);
  scale->setLabel("weights %");
  applyPlotFonts(heat_);
  applyPalette(heat_);
  cells->setColorScale(scale);
  cells->setGradient(QCPColorGradient::gpThermal);
  cells->rescaleDataRange();
  heat_->xAxis->setRange(first, last);
  roundingAxis(heat_->yAxis);
  setPlotTitle(heat_, t.layer + ": soft rounding values over the iterations");

  QVector<double> x, undecided;
  for (int s = 0; s < n; ++s) {
    x << t.iterations[static_cast<size_t>(s)];
    undecided << 100.0 * t.undecided[static_cast<size_t>(s)];
  }
  QCPGraph* share = undecided_->addGraph();
  share->setData(x, undecided, true);
  share->setPen(QPen(quantizedColor(), 2));
  undecided_->xAxis->setRange(first, last);
  undecided_->yAxis->setRange(0, std::max(1.0, *std::max_element(undecided.begin(), undecided.end())));
  addHeadroom(undecided_->yAxis);
  setPlotTitle(
      undecided_,
      QString("Still undecided: %1 % → %2 %").arg(undecided.front(), 0, 'f', 1).arg(undecided.back(), 0, 'f', 1));

  const size_t k = t.tracked.size();
  for (size_t j = 0; j < k; ++j) {
    QVector<double> h;
    for (int s = 0; s < n; ++s) h << t.trajectories[static_cast<size_t>(s) * k + j];
    QCPGraph* g = paths_->addGraph();
    g->setData(x, h, true);
    // Ending up (ceil) or down (floor): the flip map's colours.
    g->setPen(QPen(h.back() >= 0.5 ? upColor() : downColor(), 1.5));
    g->setName(QString("weight %1").arg(t.tracked[j]));
    if (j >= 2) g->removeFromLegend();  // two names say what a line is; the colours say the rest
  }
  paths_->xAxis->setRange(first, last);
  roundingAxis(paths_->yAxis);
  setPlotTitle(paths_, QString("The %1 weights that started nearest ½ (red: to ceil, blue: to floor)").arg(k));
  for (QCustomPlot* p : {heat_, undecided_, paths_}) p->replot();
}

}  // namespace roundlab::widgets
