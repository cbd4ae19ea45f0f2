#include "widgets/RunComparisonView.h"

#include <QComboBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>

#include <algorithm>
#include <cmath>

#include "widgets/DataFileBar.h"
#include "widgets/PlotStyle.h"
#include "widgets/QCustomPlotInclude.h"
#include "widgets/RunHistoryTable.h"
#include "widgets/TableExport.h"

namespace roundlab::widgets {

namespace {

QString accuracy(const RunSummary& r) {
  if (r.languageModel && r.perplexity > 0) {  // perplexity first: next-token top-1 says less
    QString text = r.perplexityFp > 0 ? QString("%1: perplexity %2 → %3 (FP → quantized, %4)")
                                            .arg(r.label)
                                            .arg(r.perplexityFp, 0, 'f', 2)
                                            .arg(r.perplexity, 0, 'f', 2)
                                            .arg(QString::asprintf("%+.2f", r.perplexity - r.perplexityFp))
                                      : QString("%1: perplexity %2").arg(r.label).arg(r.perplexity, 0, 'f', 2);
    if (r.top1 >= 0)
      text += r.top1Fp >= 0
                  ? QString("; next-token top-1 %1 % (FP %2 %)").arg(r.top1, 0, 'f', 2).arg(r.top1Fp, 0, 'f', 2)
                  : QString("; next-token top-1 %1 %").arg(r.top1, 0, 'f', 2);
    return text;
  }
  if (r.top1 < 0) return QString("%1: not evaluated (no validation set)").arg(r.label);
  return QString("%1: top-1 %2 % (FP %3 %, %4 points)")
      .arg(r.label)
      .arg(r.top1, 0, 'f', 2)
      .arg(r.top1Fp, 0, 'f', 2)
      .arg(r.top1 - r.top1Fp, 0, 'f', 2);
}

}  // namespace

RunComparisonView::RunComparisonView(QWidget* parent)
    : QWidget(parent),
      a_(new QComboBox),
      b_(new QComboBox),
      summary_(new QLabel),
      model_(new RunComparisonModel(this)),
      table_(new QTableView),
      plot_(new QCustomPlot),
      validation_(new DataFileBar("Validation set")),
      history_(new RunHistoryTable) {
  a_->setObjectName("compareRunA");
  b_->setObjectName("compareRunB");
  a_->setToolTip("The reference run (A)");
  b_->setToolTip("The run compared with A (B); deltas are B − A");
  summary_->setObjectName("compareSummary");
  summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  summary_->setWordWrap(true);
  auto* proxy = new QSortFilterProxyModel(this);
  proxy->setSourceModel(model_);
  proxy->setSortRole(RunComparisonModel::SortRole);
  table_->setModel(proxy);
  table_->setSortingEnabled(true);
  table_->sortByColumn(-1, Qt::AscendingOrder);
  table_->verticalHeader()->hide();
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  addCsvExportMenu(table_);
  stylePlot(plot_, "output SQNR dB", "");
  setPlotTitle(plot_, "Output SQNR per layer");
  setEmptyHint(plot_, "Run a quantization (Ctrl+R) to see each layer's output SQNR; two runs compare here.");
  showLegendWhenFilled(plot_);
  auto* controls = new QHBoxLayout;
  controls->addWidget(new QLabel("Run A"));
  controls->addWidget(a_, 1);
  controls->addWidget(new QLabel("Run B"));
  controls->addWidget(b_, 1);
  auto* comparison = new QWidget;
  auto* comparisonLayout = new QVBoxLayout(comparison);
  comparisonLayout->setContentsMargins(0, 0, 0, 0);
  comparisonLayout->addLayout(controls);
  comparisonLayout->addWidget(summary_);
  comparisonLayout->addWidget(table_, 1);
  auto* split = new QSplitter(Qt::Vertical);
  split->addWidget(history_);
  split->addWidget(comparison);
  split->addWidget(plot_);
  // A bar per layer and run: the plot gets half the height.
  history_->setMinimumHeight(110);
  plot_->setMinimumHeight(260);
  split->setStretchFactor(0, 1);
  split->setStretchFactor(1, 2);
  split->setStretchFactor(2, 3);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(validation_);
  layout->addWidget(split, 1);
  connect(history_, &RunHistoryTable::compareRequested, this, &RunComparisonView::compareRuns);
  connect(a_, &QComboBox::currentIndexChanged, this, [this] { compare(); });
  connect(b_, &QComboBox::currentIndexChanged, this, [this] { compare(); });
  compare();
}

void RunComparisonView::refreshPalette() {
  applyPalette(plot_);
  plot_->replot();
}

void RunComparisonView::setRuns(std::vector<RunSummary> runs) {
  auto numberAt = [this](int i) { return i >= 0 && i < static_cast<int>(runs_.size()) ? runs_[i].number : 0; };
  const int keptA = numberAt(a_->currentIndex()), keptB = numberAt(b_->currentIndex() - 1);
  const bool added = !runs.empty() && indexOfRun(runs.back().number) < 0;  // a new run: compare the last two
  runs_ = std::move(runs);
  history_->setRuns(runs_);
  {
    const QSignalBlocker ba(a_), bb(b_);
    a_->clear();
    b_->clear();
    b_->addItem("(none)");
    for (const RunSummary& r : runs_) {
      a_->addItem(r.label);
      b_->addItem(r.label);
    }
  }
  const int n = static_cast<int>(runs_.size());
  const int latest = n ? runs_[n - 1].number : 0, previous = n >= 2 ? runs_[n - 2].number : 0;
  if (added || !keptA) {
    compareRuns(previous ? previous : latest, previous ? latest : 0);
    return;
  }
  // The pair compared so far; a deleted one is replaced by the latest other run (never a run
  // compared with itself).
  int a = indexOfRun(keptA) >= 0 ? keptA : 0, b = indexOfRun(keptB) >= 0 ? keptB : 0;
  if (!a)
    for (auto r = runs_.rbegin(); r != runs_.rend() && !a; ++r)
      if (r->number != b) a = r->number;
  if (!a) std::swap(a, b);
  if (a == b) b = 0;
  compareRuns(a, b);
}

int RunComparisonView::indexOfRun(int number) const {
  for (size_t i = 0; i < runs_.size(); ++i)
    if (runs_[i].number == number) return static_cast<int>(i);
  return -1;
}

void RunComparisonView::compareRuns(int a, int b) {
  const QSignalBlocker ba(a_), bb(b_);
  const int ia = indexOfRun(a);
  a_->setCurrentIndex(ia >= 0 ? ia : static_cast<int>(runs_.size()) - 1);
  b_->setCurrentIndex(indexOfRun(b) + 1);  // index 0 is "(none)"
  compare();
}

void RunComparisonView::compare() {
  const int ia = a_->currentIndex(), ib = b_->currentIndex() - 1;
  const RunSummary* a = ia >= 0 && ia < static_cast<int>(runs_.size()) ? &runs_[static_cast<size_t>(ia)] : nullptr;
  const RunSummary* b = ib >= 0 && ib < static_cast<int>(runs_.size()) ? &runs_[static_cast<size_t>(ib)] : nullptr;
  model_->setRuns(a, b);
  table_->resizeColumnsToContents();
  if (!a) {
    summary_->setText("Run a quantization to see its accuracy and per-layer results here.");
  } else {
    QString text = "A — " + accuracy(*a);
    if (b) {
      text += "\nB — " + accuracy(*b);
      if (a->languageModel && b->languageModel) {
        if (a->perplexity > 0 && b->perplexity > 0)
          text += QString("\nB − A: %1 perplexity (lower is better)")
                      .arg(QString::asprintf("%+.2f", b->perplexity - a->perplexity));
      } else if (a->top1 >= 0 && b->top1 >= 0) {
        text += QString("\nB − A: %1 points top-1").arg(b->top1 - a->top1, 0, 'f', 2);
      }
    }
    summary_->setText(text);
  }
  clearPlot(plot_, "Output SQNR per layer");
  if (a) {
    QStringList names;
    for (const RunLayerResult& r : a->layers) names << r.layer;
    auto* group = new QCPBarsGroup(plot_);
    // An exact layer (+inf dB) is drawn at the top of the finite ones.
    double top = 0;
    for (const RunSummary* run : {a, b})
      if (run)
        for (const RunLayerResult& r : run->layers)
          if (std::isfinite(r.sqnrDb)) top = std::max(top, r.sqnrDb);
    int series = 0;
    for (const RunSummary* run : {a, b}) {
      if (!run) continue;
      std::vector<double> x, y;
      for (const RunLayerResult& r : run->layers) {
        const int i = names.indexOf(r.layer);
        if (i < 0) continue;
        x.push_back(i);
        y.push_back(std::isfinite(r.sqnrDb) ? r.sqnrDb : top);
      }
      addLayerBars(plot_, (series == 0 ? "A: " : "B: ") + run->label, x, y, b ? 0.4 : 0.75,
                   series == 0 ? fpColor() : quantizedColor())
          ->setBarsGroup(group);
      ++series;
    }
    fitLayerBars(plot_, names, 0);
  }
  plot_->replot();
}

}  // namespace roundlab::widgets
