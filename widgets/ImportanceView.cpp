#include "widgets/ImportanceView.h"

#include <QComboBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>

#include <algorithm>
#include <cmath>
#include <limits>

#include "widgets/PlotStyle.h"
#include "widgets/QCustomPlotInclude.h"
#include "widgets/TableExport.h"

namespace roundlab::widgets {

namespace {

QColor seriesColor(size_t i) {
  const QColor colors[] = {fpColor(), quantizedColor(), upColor(), QColor(78, 154, 6)};
  return colors[i % 4];
}

// The 95 % half-width of series s's value at layer l and width index b; 0 when it has none.
double interval(const ImportanceSeries& s, size_t l, size_t b) {
  return l < s.intervals.size() && b < s.intervals[l].size() ? s.intervals[l][b] : 0.0;
}

// Each drawn bar's 95 % interval as an error bar; on the log axis an interval that reaches zero
// ends at the plot's floor.
void addIntervalBars(QCPBars* bars, const ImportanceSeries& s, int bits, double floor) {
  const auto column = static_cast<size_t>(std::find(s.bits.begin(), s.bits.end(), bits) - s.bits.begin());
  QVector<double> minus, plus;
  for (int l = 0; l < s.layers.size(); ++l) {
    const double v = s.values[static_cast<size_t>(l)][column];
    if (!(v > 0)) continue;  // the bars hold the positive values only, in this order
    const double ci = interval(s, static_cast<size_t>(l), column);
    minus << std::min(ci, std::max(v, floor) - floor);
    plus << ci;
  }
  auto* errors = new QCPErrorBars(bars->keyAxis(), bars->valueAxis());
  errors->setName(s.estimator + ": 95 % interval");
  errors->setDataPlottable(bars);
  errors->setData(minus, plus);
  errors->setPen(QPen(bars->pen().color().darker(160), 1.5));
  errors->removeFromLegend();
}

// A tenth of the smallest positive value of every series: where non-positive values are drawn.
double logFloor(const std::vector<ImportanceSeries>& series) {
  double smallest = std::numeric_limits<double>::infinity();
  for (const ImportanceSeries& s : series)
    for (const auto& row : s.values)
      for (double v : row)
        if (v > 0) smallest = std::min(smallest, v);
  return std::isfinite(smallest) ? std::log10(smallest) - 1 : -9;
}

}  // namespace

double logImportance(double value, double floor) {
  return value > 0 ? std::max(std::log10(value), floor) : std::numeric_limits<double>::quiet_NaN();
}

QColor lossDecreaseColor() { return {0, 158, 115}; }  // green: on no log scale, apart from the thermal gradient

QString lossDecreaseNote(const std::vector<ImportanceSeries>& series) {
  QStringList where;
  int count = 0, noise = 0, real = 0;
  for (const ImportanceSeries& s : series)
    for (size_t l = 0; l < s.values.size(); ++l)
      for (size_t b = 0; b < s.values[l].size() && b < s.bits.size(); ++b) {
        const double v = s.values[l][b], ci = interval(s, l, b);
        if (v > 0) continue;
        if (ci > 0) ++(std::abs(v) <= ci ? noise : real);
        if (++count <= 3)
          where << QString("%1 at %2 bits (%3%4, %5)")
                       .arg(s.layers.value(static_cast<int>(l)))
                       .arg(s.bits[b])
                       .arg(v, 0, 'g', 2)
                       .arg(ci > 0 ? QString(" ± %1").arg(ci, 0, 'g', 2) : QString())
                       .arg(s.estimator);
      }
  if (count == 0) return {};
  QString why;
  if (noise > 0)
    why += QString(
               " %1 within %2 95 % interval of zero: the calibration samples cannot tell the change from "
               "nothing (more samples narrow the interval by 1/√n).")
               .arg(noise == count ? QString(count > 1 ? "All are" : "It is")
                                   : QString("%1 %2").arg(noise).arg(noise > 1 ? "are" : "is"))
               .arg(noise > 1 ? "their" : "its");
  if (real > 0)
    why += QString(
               " %1 below zero by more than %2 interval: quantizing the layer alone lowered the loss on these samples "
               "(the FP "
               "weights are not an exact minimum for a finite sample; another sample would not repeat it).")
               .arg(real == count ? QString(count > 1 ? "All are" : "It is")
                                  : QString("%1 %2").arg(real).arg(real > 1 ? "are" : "is"))
               .arg(real > 1 ? "their" : "its");
  if (noise + real == 0)
    why =
        " Quantizing the layer alone did not raise the calibration loss (its noise happened to lower it, "
        "within the estimate's noise).";
  return QString(
             "%1 value%2 at or below zero: %3%4.%5 Drawn green in the heat map and as ▼ at the foot of the "
             "bars, and treated as the least important.")
      .arg(count)
      .arg(count > 1 ? "s" : "")
      .arg(where.join("; "))
      .arg(count > 3 ? QString(" and %1 more").arg(count - 3) : QString())
      .arg(why);
}

ImportanceView::ImportanceView(QWidget* parent)
    : QWidget(parent),
      heat_(new QCustomPlot),
      bars_(new QCustomPlot),
      agreement_(new QTableWidget),
      estimator_(new QComboBox),
      bits_(new QComboBox),
      decreaseNote_(new QLabel) {
  stylePlot(heat_, "bits", "");
  stylePlot(bars_, "predicted loss increase", "");
  setPlotTitle(heat_, "Importance per layer and width");
  setPlotTitle(bars_, "Importance per layer");
  heat_->yAxis->setRangeReversed(true);  // model order, top down
  bars_->xAxis->setScaleType(QCPAxis::stLogarithmic);
  bars_->xAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
  setEmptyHint(heat_,
               "Estimate importance (Mixed precision ▸ Estimate importance) to see each layer's loss "
               "increase at each bit-width.");
  setEmptyHint(bars_, "Estimate importance to compare the layers (and the estimators) at one bit-width.");
  showLegendWhenFilled(bars_);
  estimator_->setObjectName("importanceEstimator");
  estimator_->setToolTip("The estimator whose table the heat map shows");
  bits_->setObjectName("importanceBits");
  bits_->setToolTip("The bit-width the per-layer bars compare the estimators at");
  agreement_->setObjectName("rankAgreement");
  agreement_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  agreement_->verticalHeader()->hide();
  addCsvExportMenu(agreement_);
  agreement_->setToolTip(
      "Spearman's rank correlation between two estimators' layer rankings at each width: 1 means they order the "
      "layers identically (what a bit allocation depends on), 0 unrelated");
  auto* controls = new QHBoxLayout;
  controls->addWidget(new QLabel("Heat map of"));
  controls->addWidget(estimator_);
  controls->addSpacing(24);
  controls->addWidget(new QLabel("Bars at"));
  controls->addWidget(bits_);
  controls->addStretch(1);
  auto* grid = new QGridLayout(this);
  grid->setContentsMargins(0, 0, 0, 0);
  grid->addLayout(controls, 0, 0, 1, 2);
  grid->addWidget(heat_, 1, 0);
  grid->addWidget(bars_, 1, 1);
  decreaseNote_->setObjectName("lossDecreaseNote");
  decreaseNote_->setWordWrap(true);
  decreaseNote_->hide();
  grid->addWidget(decreaseNote_, 2, 0, 1, 2);
  grid->addWidget(new QLabel("Ranking agreement between estimators (Spearman ρ)"), 3, 0, 1, 2);
  grid->addWidget(agreement_, 4, 0, 1, 2);
  grid->setColumnStretch(0, 1);  // the bars as wide as the heat map: their layer names need it
  grid->setColumnStretch(1, 1);
  grid->setRowStretch(1, 3);
  grid->setRowStretch(4, 1);
  connect(estimator_, &QComboBox::currentIndexChanged, this, [this] { showHeatMap(); });
  connect(bits_, &QComboBox::currentIndexChanged, this, [this] { showBars(); });
}

void ImportanceView::refreshPalette() {
  for (QCustomPlot* p : {heat_, bars_}) {
    applyPalette(p);
    p->replot();
  }
}

void ImportanceView::clear() { setEstimates({}, {}); }

void ImportanceView::setEstimates(std::vector<ImportanceSeries> series, std::vector<RankAgreement> agreement,
                                  int current) {
  series_ = std::move(series);
  const QSignalBlocker b1(estimator_), b2(bits_);
  const QString bitsBefore = bits_->currentText();
  estimator_->clear();
  bits_->clear();
  for (const ImportanceSeries& s : series_) estimator_->addItem(s.estimator);
  if (!series_.empty()) {
    for (int b : series_.front().bits) bits_->addItem(QString("%1 bits").arg(b), b);
    estimator_->setCurrentIndex(std::clamp(current, 0, static_cast<int>(series_.size()) - 1));
    const int keep = bits_->findText(bitsBefore);
    bits_->setCurrentIndex(keep >= 0 ? keep : std::min(2, bits_->count() - 1));  // 4 bits in the default widths
  }
  std::vector<int> widths = agreement.empty() ? std::vector<int>{} : agreement.front().bits;
  agreement_->clear();
  agreement_->setRowCount(static_cast<int>(agreement.size()));
  agreement_->setColumnCount(static_cast<int>(widths.size()) + 2);
  QStringList header{"Estimators"};
  for (int w : widths) header << QString("%1 bits").arg(w);
  header << "mean";
  agreement_->setHorizontalHeaderLabels(header);
  for (int r = 0; r < static_cast<int>(agreement.size()); ++r) {
    const RankAgreement& a = agreement[static_cast<size_t>(r)];
    agreement_->setItem(r, 0, new QTableWidgetItem(a.first + " vs " + a.second));
    for (size_t c = 0; c < a.rho.size() && c < widths.size(); ++c)
      agreement_->setItem(r, static_cast<int>(c) + 1, new QTableWidgetItem(QString::number(a.rho[c], 'f', 2)));
    agreement_->setItem(r, static_cast<int>(widths.size()) + 1, new QTableWidgetItem(QString::number(a.mean, 'f', 2)));
  }
  agreement_->resizeColumnsToContents();
  const QString note = lossDecreaseNote(series_);
  decreaseNote_->setText(note);
  decreaseNote_->setVisible(!note.isEmpty());
  showHeatMap();
  showBars();
}

void ImportanceView::showHeatMap() {
  heat_->clearPlottables();
  for (int i = heat_->plotLayout()->elementCount() - 1; i >= 0; --i)
    if (auto* scale = qobject_cast<QCPColorScale*>(heat_->plotLayout()->elementAt(i)))
      heat_->plotLayout()->remove(scale);
  heat_->plotLayout()->simplify();
  const int current = estimator_->currentIndex();
  if (current < 0 || current >= static_cast<int>(series_.size())) {
    clearPlot(heat_, "Importance per layer and width");
    return;
  }
  const ImportanceSeries& s = series_[static_cast<size_t>(current)];
  const double floor = logFloor(series_);
  const int nb = static_cast<int>(s.bits.size()), nl = static_cast<int>(s.layers.size());
  auto* cells = new QCPColorMap(heat_->xAxis, heat_->yAxis);
  cells->data()->setSize(nb, nl);
  cells->data()->setRange(QCPRange(0, std::max(nb - 1, 1)), QCPRange(0, std::max(nl - 1, 1)));
  double lowest = std::numeric_limits<double>::infinity(), highest = -lowest;  // over the finite cells
  for (int l = 0; l < nl; ++l)
    for (int b = 0; b < nb; ++b) {
      const double v = logImportance(s.values[static_cast<size_t>(l)][static_cast<size_t>(b)], floor);
      cells->data()->setCell(b, l, v);
      if (std::isfinite(v)) {
        lowest = std::min(lowest, v);
        highest = std::max(highest, v);
      }
    }
  cells->setInterpolate(false);
  QCPColorGradient gradient(QCPColorGradient::gpThermal);
  gradient.setNanHandling(QCPColorGradient::nhNanColor);  // a loss that went down: no log, its own colour
  gradient.setNanColor(lossDecreaseColor());
  auto* scale = new QCPColorScale(heat_);
  heat_->plotLayout()->addElement(1, 1, scale);
  scale->setLabel("log₁₀ loss increase");
  applyPlotFonts(heat_);  // the new scale's text at the plots' size and in the palette's colours
  applyPalette(heat_);
  cells->setColorScale(scale);
  cells->setGradient(gradient);  // after the scale: joining a scale takes the scale's gradient
  // The colour scale over the finite cells only (QCustomPlot's own rescale would see the NaNs).
  if (!std::isfinite(lowest)) lowest = highest = floor;
  cells->setDataRange(QCPRange(highest > lowest ? lowest : lowest - 1, highest));
  QStringList widths;
  for (int b : s.bits) widths << QString::number(b);
  setNameTicks(heat_->xAxis, widths);
  setNameTicks(heat_->yAxis, s.layers);
  setPlotTitle(heat_, s.estimator + ": importance per layer and width");
  heat_->rescaleAxes();
  heat_->xAxis->setRange(-0.5, nb - 0.5);
  heat_->yAxis->setRange(-0.5, nl - 0.5);
  applyPalette(heat_);
  heat_->replot();
}

void ImportanceView::showBars() {
  bars_->clearPlottables();
  const int bits = bits_->currentData().toInt();
  if (series_.empty() || bits_->currentIndex() < 0) {
    clearPlot(bars_, "Importance per layer");
    return;
  }
  const double floor = std::pow(10.0, logFloor(series_));
  auto* group = new QCPBarsGroup(bars_);
  const double n = static_cast<double>(series_.size()), width = 0.8 / n;
  std::vector<double> decreaseX;
  std::vector<std::pair<QCPBars*, size_t>> withIntervals;  // bars whose values have intervals
  const QStringList& layers = series_.front().layers;
  for (size_t i = 0; i < series_.size(); ++i) {
    const ImportanceSeries& s = series_[i];
    const auto column = std::find(s.bits.begin(), s.bits.end(), bits);
    if (column == s.bits.end()) continue;  // this estimator did not measure the width
    std::vector<double> x, y;
    for (int l = 0; l < s.layers.size(); ++l) {
      const double v = s.values[static_cast<size_t>(l)][static_cast<size_t>(column - s.bits.begin())];
      if (v > 0) {
        x.push_back(layers.indexOf(s.layers[l]));
        y.push_back(std::max(v, floor));
      } else {  // no bar on a log axis: a marker at its foot, in the estimator's slot of the group
        decreaseX.push_back(layers.indexOf(s.layers[l]) + width * (static_cast<double>(i) - 0.5 * (n - 1)));
      }
    }
    QCPBars* drawn = addLayerBars(bars_, s.estimator, x, y, width, seriesColor(i));
    drawn->setBarsGroup(group);
    if (!s.intervals.empty()) withIntervals.emplace_back(drawn, i);
  }
  if (!decreaseX.empty()) {
    QCPGraph* marks = bars_->addGraph(bars_->yAxis, bars_->xAxis);  // keys: layers, like the bars
    marks->setName("measured loss went down (≤ 0)");
    marks->setLineStyle(QCPGraph::lsNone);
    marks->setScatterStyle(
        QCPScatterStyle(QCPScatterStyle::ssTriangleInverted, lossDecreaseColor(), lossDecreaseColor(), 11));
    std::sort(decreaseX.begin(), decreaseX.end());
    marks->setData(QVector<double>(decreaseX.begin(), decreaseX.end()),
                   QVector<double>(static_cast<qsizetype>(decreaseX.size()), floor * 1.6), true);
  }
  for (const auto& [drawn, i] : withIntervals) addIntervalBars(drawn, series_[i], bits, floor);
  setPlotTitle(bars_, QString("Importance per layer at %1").arg(bits_->currentText()));
  fitLayerBars(bars_, layers, floor);
  bars_->replot();
}

}  // namespace roundlab::widgets
