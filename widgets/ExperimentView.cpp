#include "widgets/ExperimentView.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QSplitter>
#include <QStandardItemModel>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <limits>

#include "widgets/PlotStyle.h"
#include "widgets/QCustomPlotInclude.h"
#include "widgets/TableExport.h"

namespace roundlab::widgets {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// `spread` > 0 or `seeded`: "mean ± std" (the item sorts by the mean).
QStandardItem* numberItem(double value, int decimals, bool shown, bool seeded = false, double spread = 0) {
  QString text = shown ? QString::number(value, 'f', decimals) : QString("–");
  if (shown && seeded) text += " ± " + QString::number(spread, 'f', decimals);
  auto* item = new QStandardItem(text);
  item->setData(shown ? QVariant(value) : QVariant(), Qt::UserRole);
  item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
  return item;
}
}  // namespace

ExperimentView::ExperimentView(QWidget* parent)
    : QWidget(parent),
      empty_(new QLabel),
      metric_(new QComboBox),
      table_(new QTableView),
      model_(new QStandardItemModel(this)),
      plot_(new QCustomPlot) {
  offerMetrics(false);
  metric_->setToolTip("What the plot shows per cell");
  empty_->setWordWrap(true);
  empty_->setText(
      "No experiment yet. Choose one setting to vary (or two, crossed), or the founding paper's study, and press "
      "Run experiment: every cell becomes a run you can open in every view.");
  table_->setModel(model_);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->horizontalHeader()->setSortIndicator(-1, Qt::AscendingOrder);  // plan order until the user sorts
  table_->setSortingEnabled(true);
  table_->verticalHeader()->hide();
  table_->setToolTip("Double-click a row (or press Enter) to open its run in every view");
  addCsvExportMenu(table_);
  table_->setMinimumSize(160, 160);  // a few rows always show, however tall the plot
  plot_->setMinimumWidth(160);
  stylePlot(plot_, "", "");
  setEmptyHint(plot_, "Run an experiment to see its cells here.");

  auto* top = new QHBoxLayout;
  top->addWidget(new QLabel("Plot:"));
  top->addWidget(metric_);
  top->addStretch(1);
  auto* split = new QSplitter(Qt::Vertical);
  split->addWidget(table_);
  split->addWidget(plot_);
  split->setStretchFactor(0, 2);
  split->setStretchFactor(1, 3);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(empty_);
  layout->addLayout(top);
  layout->addWidget(split, 1);

  connect(metric_, &QComboBox::currentIndexChanged, this, [this] { drawPlot(); });
  connect(table_, &QTableView::activated, this, [this](const QModelIndex& index) {  // double-click or Enter
    const int run = model_->item(index.row(), 0)->data(Qt::UserRole + 1).toInt();
    if (run > 0) Q_EMIT runActivated(run);
  });
  setExperiment(nullptr);
}

void ExperimentView::offerMetrics(bool languageModel) {
  const bool first = metric_->count() == 0;
  if (!first && languageModel == languageModel_) return;
  // The headline metric follows (top-1 ↔ perplexity); the others stay chosen.
  Metric chosen = first ? Top1 : metric();
  if (!first && chosen == (languageModel ? Top1 : Perplexity)) chosen = languageModel ? Perplexity : Top1;
  languageModel_ = languageModel;
  const QSignalBlocker block(metric_);
  metric_->clear();
  if (languageModel) {
    metric_->addItem("Perplexity (lower is better)", Perplexity);
    metric_->addItem("Next-token top-1 (%)", Top1);
    metric_->addItem("KL to the FP model (per token)", Kl);
  } else {
    metric_->addItem("Top-1 accuracy (%)", Top1);
    metric_->addItem("KL to the FP model", Kl);
  }
  metric_->addItem("Reconstruction loss (final)", Loss);
  metric_->addItem("Quantization time (s)", Seconds);
  metric_->setCurrentIndex(std::max(0, metric_->findData(chosen)));
}

void ExperimentView::setExperiment(const ExperimentData* data) {
  hasData_ = data != nullptr;
  data_ = data ? *data : ExperimentData{};
  empty_->setVisible(!hasData_);
  offerMetrics(
      std::any_of(data_.cells.begin(), data_.cells.end(), [](const ExperimentCellData& c) { return c.languageModel; }));
  fillTable();
  drawPlot();
}

void ExperimentView::setMetric(Metric metric) { metric_->setCurrentIndex(metric_->findData(metric)); }
ExperimentView::Metric ExperimentView::metric() const { return static_cast<Metric>(metric_->currentData().toInt()); }

void ExperimentView::refreshPalette() {
  applyPalette(plot_);
  drawPlot();
}

double ExperimentView::valueOf(const ExperimentCellData& c) const {
  if (!c.finished) return kNaN;
  switch (metric()) {
    case Top1:
      return c.evaluated ? c.top1 : kNaN;
    case Perplexity:
      return c.evaluated && c.languageModel && c.perplexity > 0 ? c.perplexity : kNaN;
    case Kl:
      return c.compared ? c.kl : kNaN;
    case Loss:
      return c.lossAfter;
    case Seconds:
      return c.seconds;
  }
  return kNaN;
}

double ExperimentView::spreadOf(const ExperimentCellData& c) const {
  if (std::isnan(valueOf(c))) return kNaN;
  switch (metric()) {
    case Top1:
      return c.top1Std;
    case Perplexity:
      return c.perplexityStd;
    case Kl:
      return c.klStd;
    case Loss:
      return c.lossAfterStd;
    case Seconds:
      return c.secondsStd;
  }
  return 0;
}

bool ExperimentView::seeded() const {
  return std::any_of(data_.cells.begin(), data_.cells.end(), [](const ExperimentCellData& c) { return c.seeds > 0; });
}

QString ExperimentView::valueText(const ExperimentCellData& c) const {
  const bool headline = metric() == Top1 || metric() == Perplexity;
  const QString value = QString::number(valueOf(c), 'g', headline ? 4 : 3);
  if (c.seedsFinished < 2) return value;
  return value + " ± " + QString::number(spreadOf(c), 'g', 2);
}

QString ExperimentView::metricTitle() const { return metric_->currentText(); }

QString ExperimentView::plotTitle() const {
  QString title = data_.title + ": " + metricTitle();
  if (metric() == Perplexity)
    for (const ExperimentCellData& c : data_.cells)
      if (c.finished && c.languageModel && c.perplexityFp > 0)
        return title + QString(" (FP model %1)").arg(c.perplexityFp, 0, 'f', 2);
  return title;
}

QList<double> ExperimentView::plottedValues() const {
  QList<double> out;
  for (const ExperimentCellData& c : data_.cells) out << valueOf(c);
  return out;
}

QList<double> ExperimentView::plottedSpreads() const {
  QList<double> out;
  for (const ExperimentCellData& c : data_.cells) out << spreadOf(c);
  return out;
}

void ExperimentView::fillTable() {
  table_->setSortingEnabled(false);
  model_->clear();
  QStringList header;
  if (data_.kind == ExperimentData::Kind::Study)
    header << "axis"
           << "setting";
  else
    header << data_.axes;
  const bool seeds = seeded();
  if (seeds) header << "seeds";
  if (languageModel_)
    header << "perplexity"
           << "next-token top-1 %";
  else
    header << "top-1 %";
  header << "KL"
         << "loss (nearest)"
         << "loss (final)"
         << "time s"
         << "run";
  model_->setHorizontalHeaderLabels(header);
  if (languageModel_) {
    const int column = static_cast<int>(header.indexOf("perplexity"));
    QString tip = "Perplexity on the validation set (exp of the mean cross-entropy per token): lower is better";
    for (const ExperimentCellData& c : data_.cells)
      if (c.finished && c.languageModel && c.perplexityFp > 0) {
        tip += QString("; the FP model's: %1").arg(c.perplexityFp, 0, 'f', 2);
        break;
      }
    model_->horizontalHeaderItem(column)->setToolTip(tip);
  }
  int row = 0;
  for (const ExperimentCellData& c : data_.cells) {
    QList<QStandardItem*> items;
    if (data_.kind == ExperimentData::Kind::Study) items << new QStandardItem(c.group);
    for (const QString& v : c.values) items << new QStandardItem(v);
    if (seeds) {
      auto* count = new QStandardItem(QString("%1/%2").arg(c.seedsFinished).arg(c.seeds));
      count->setToolTip("Seeds finished of those planned: the values are their mean ± standard deviation");
      items << count;
    }
    const bool s = c.seedsFinished >= 2;  // one finished seed has no spread yet
    if (languageModel_)
      items << numberItem(c.perplexity, 2, c.finished && c.evaluated && c.languageModel && c.perplexity > 0, s,
                          c.perplexityStd);
    items << numberItem(c.top1, 2, c.finished && c.evaluated, s, c.top1Std)
          << numberItem(c.kl, 4, c.finished && c.compared, s, c.klStd)
          << numberItem(c.lossBefore, 4, c.finished, s, c.lossBeforeStd)
          << numberItem(c.lossAfter, 4, c.finished, s, c.lossAfterStd)
          << numberItem(c.seconds, 1, c.finished, s, c.secondsStd);
    auto* run = new QStandardItem(c.run > 0 ? QString("#%1").arg(c.run) : (c.finished ? "–" : "pending"));
    items << run;
    items.front()->setData(c.run, Qt::UserRole + 1);
    items.front()->setData(row++, Qt::UserRole + 2);  // the cell's place in the plan
    if (!c.finished)
      for (QStandardItem* i : items) i->setForeground(palette().color(QPalette::Disabled, QPalette::Text));
    model_->appendRow(items);
  }
  table_->setSortingEnabled(true);
  table_->resizeColumnsToContents();
}

void ExperimentView::drawPlot() {
  plot_->clearItems();
  for (int i = plot_->plotLayout()->elementCount() - 1; i >= 0; --i)
    if (auto* scale = qobject_cast<QCPColorScale*>(plot_->plotLayout()->elementAt(i)))
      plot_->plotLayout()->remove(scale);
  plot_->plotLayout()->simplify();
  if (!hasData_ || data_.cells.isEmpty()) {
    clearPlot(plot_, "Experiment");
    plot_->xAxis->setLabel("");
    plot_->yAxis->setLabel("");
    plot_->replot();
    return;
  }
  if (data_.kind == ExperimentData::Kind::Grid)
    drawHeatMap();
  else
    drawBars();
  applyPalette(plot_);
  plot_->replot();
}

void ExperimentView::drawBars() {
  clearPlot(plot_, plotTitle());
  // Horizontal bars, the cells down the left in plan order: long study labels stay readable.
  QStringList names;
  std::vector<double> position, value, spread;
  QStringList texts;
  for (int i = 0; i < data_.cells.size(); ++i) {
    const ExperimentCellData& c = data_.cells[i];
    names << (data_.kind == ExperimentData::Kind::Study ? c.group + ": " + c.values.join(" ") : c.values.join(" "));
    const double v = valueOf(c);
    if (std::isnan(v)) continue;
    position.push_back(i);
    value.push_back(v);
    spread.push_back(spreadOf(c));
    texts << valueText(c);
  }
  if (!value.empty()) {
    double lower = *std::min_element(value.begin(), value.end());
    for (size_t i = 0; i < value.size(); ++i) lower = std::min(lower, value[i] - spread[i]);
    // Accuracy and perplexity bars start near the lowest value (differences of tenths are the
    // point); the others at 0.
    lower = metric() == Top1 || metric() == Perplexity ? std::max(0.0, std::floor(lower - 1)) : 0.0;
    QCPBars* bars = addLayerBars(plot_, metricTitle(), position, value, 0.7, quantizedColor());
    if (seeded()) {  // ± one standard deviation over the seeds, along the value axis
      auto* errors = new QCPErrorBars(plot_->yAxis, plot_->xAxis);
      errors->setName("± std over seeds");
      errors->setDataPlottable(bars);
      errors->setData(QVector<double>(spread.begin(), spread.end()));
      errors->setPen(QPen(palette().color(QPalette::Text), 1.5));
      errors->setWhiskerWidth(8);
      errors->removeFromLegend();
    }
    fitLayerBars(plot_, names, lower);
    // The labels sit past the error bar's end, so neither hides the other.
    double highest = -std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < value.size(); ++i) highest = std::max(highest, value[i] + spread[i]);
    if (seeded() && highest > *std::max_element(value.begin(), value.end())) {
      plot_->xAxis->setRangeUpper(highest);
      addHeadroom(plot_->xAxis);
    }
    // A label past a long bar would run off the plot's right edge: those sit inside their bar,
    // before its error bar.
    const QCPRange range = plot_->xAxis->range();
    for (size_t i = 0; i < value.size(); ++i) {
      auto* label = new QCPItemText(plot_);
      const bool inside = value[i] - spread[i] - range.lower > 0.6 * range.size();
      label->position->setCoords(inside ? value[i] - spread[i] : value[i] + spread[i], position[i]);
      label->setPositionAlignment((inside ? Qt::AlignRight : Qt::AlignLeft) | Qt::AlignVCenter);
      label->setText(inside ? texts[static_cast<int>(i)] + " " : " " + texts[static_cast<int>(i)]);
      label->setFont(plotFont(-1));
      label->setColor(palette().color(QPalette::Text));
      label->setClipToAxisRect(false);
    }
  } else {
    setNameTicks(plot_->yAxis, names);
    plot_->yAxis->setRange(-0.5, names.size() - 0.5);
  }
  plot_->yAxis->setRangeReversed(true);
  plot_->xAxis->setLabel(metricTitle());
  plot_->yAxis->setLabel("");
  // A row per cell, readable: the plot grows with the study rather than squeezing its labels.
  plot_->setMinimumHeight(std::min(900, 60 + 22 * static_cast<int>(data_.cells.size())));
}

void ExperimentView::drawHeatMap() {
  clearPlot(plot_, plotTitle());
  plot_->yAxis->setRangeReversed(false);
  QStringList rows, columns;
  for (const ExperimentCellData& c : data_.cells) {
    if (c.values.size() < 2) continue;
    if (!rows.contains(c.values[0])) rows << c.values[0];
    if (!columns.contains(c.values[1])) columns << c.values[1];
  }
  auto* cells = new QCPColorMap(plot_->xAxis, plot_->yAxis);
  cells->data()->setSize(columns.size(), rows.size());
  // A single row or column spans -0.5..0.5 like the axis (QCustomPlot needs a range of non-zero width).
  auto span = [](qsizetype n) { return n > 1 ? QCPRange(0, static_cast<double>(n - 1)) : QCPRange(-0.5, 0.5); };
  cells->data()->setRange(span(columns.size()), span(rows.size()));
  double lowest = std::numeric_limits<double>::infinity(), highest = -lowest;
  for (int r = 0; r < rows.size(); ++r)
    for (int c = 0; c < columns.size(); ++c) cells->data()->setCell(c, r, kNaN);
  for (const ExperimentCellData& cell : data_.cells) {
    if (cell.values.size() < 2) continue;
    const int r = static_cast<int>(rows.indexOf(cell.values[0])), c = static_cast<int>(columns.indexOf(cell.values[1]));
    const double v = valueOf(cell);
    cells->data()->setCell(c, r, v);
    if (std::isnan(v)) continue;
    lowest = std::min(lowest, v);
    highest = std::max(highest, v);
    auto* label = new QCPItemText(plot_);
    label->position->setCoords(c, r);
    label->setText(valueText(cell));
    label->setFont(plotFont(0, true));
    label->setColor(Qt::white);
    label->setBrush(QColor(0, 0, 0, 110));
    label->setPadding(QMargins(3, 1, 3, 1));
  }
  cells->setInterpolate(false);
  QCPColorGradient gradient(QCPColorGradient::gpThermal);
  // Dark: the worse cells, whichever the metric (higher perplexity, KL, loss and time are worse).
  if (metric() != Top1) gradient = gradient.inverted();
  gradient.setNanHandling(QCPColorGradient::nhTransparent);
  auto* scale = new QCPColorScale(plot_);
  plot_->plotLayout()->addElement(1, 1, scale);
  scale->setLabel(metricTitle());
  applyPlotFonts(plot_);
  cells->setColorScale(scale);
  cells->setGradient(gradient);
  if (!std::isfinite(lowest)) lowest = highest = 0;
  cells->setDataRange(QCPRange(highest > lowest ? lowest : lowest - 1, highest > lowest ? highest : lowest + 1));
  setNameTicks(plot_->xAxis, columns);
  setNameTicks(plot_->yAxis, rows);
  plot_->xAxis->setLabel(data_.axes.value(1));
  plot_->yAxis->setLabel(data_.axes.value(0));
  plot_->xAxis->setRange(-0.5, columns.size() - 0.5);
  plot_->yAxis->setRange(-0.5, rows.size() - 0.5);
  plot_->setMinimumHeight(200);
}

}  // namespace roundlab::widgets
