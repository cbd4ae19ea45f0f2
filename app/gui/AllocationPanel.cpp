#include "app/gui/AllocationPanel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QEvent>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QScopedValueRollback>
#include <QSignalBlocker>
#include <QSlider>
#include <QSpinBox>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

#include "engine/core/Error.h"
#include "engine/workspace/Workspace.h"
#include "widgets/ParetoPlot.h"
#include "widgets/TableExport.h"

namespace roundlab::app {

QString importanceEstimatorTitle(ImportanceEstimator e) { return importanceEstimatorTable().description(e); }

QString uniformGuardSummary(const GuardedAllocation& guard) {
  const auto label = [&](int i) {  // -1: the allocation the user asked for
    return i < 0 ? QString("this allocation") : QString::fromStdString(guard.uniform[size_t(i)].label);
  };
  QStringList kl{QString("this allocation %1").arg(guard.mixedKl, 0, 'g', 3)};
  for (const UniformCandidate& c : guard.uniform)
    kl << QString("%1 %2 (this allocation − it: %3 ± %4)")
              .arg(QString::fromStdString(c.label))
              .arg(c.kl, 0, 'g', 3)
              .arg(c.klOfMixedMinusThis.mean, 0, 'g', 2)
              .arg(c.klOfMixedMinusThis.interval(), 0, 'g', 2);
  QString text = "KL to FP on the calibration set: " + kl.join("; ") + ".\n";
  if (guard.uniform.empty()) return text + "Kept this allocation: no other uniform allocation fits its average bits.";
  text += guard.keptUniform < 0 ? "Kept this allocation: closer to FP than every uniform one beyond the 95 % interval."
                                : "Kept " + label(guard.keptUniform) +
                                      ": this allocation is not closer to FP beyond the 95 % interval. "
                                      "Every run is in the run history.";
  QStringList top1;
  for (int i = -1; i < static_cast<int>(guard.uniform.size()); ++i) {
    const RunPtr run = i < 0 ? guard.mixedRun : guard.uniform[size_t(i)].run;
    if (const std::optional<PairedDifference> d = guard.keptTop1Minus(run))
      top1 << QString("%1 %2 % (kept − it: %3 ± %4 points)")
                  .arg(label(i))
                  .arg(run->top1(), 0, 'f', 2)
                  .arg(d->mean, 0, 'f', 2)
                  .arg(d->interval(), 0, 'f', 2);
  }
  if (!top1.isEmpty())
    text += QString("\nValidation top-1: kept %1 %; ").arg(guard.keptRun()->top1(), 0, 'f', 2) + top1.join("; ") + ".";
  return text;
}

AllocationTableModel::AllocationTableModel(AllocationDocument* doc, QObject* parent)
    : QAbstractTableModel(parent), doc_(doc) {
  connect(doc_, &AllocationDocument::reset, this, [this] {
    beginResetModel();
    endResetModel();
  });
  connect(doc_, &AllocationDocument::changed, this, [this] {
    if (rowCount() > 0) Q_EMIT dataChanged(index(0, Bits), index(rowCount() - 1, Importance));
  });
}

int AllocationTableModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() || !doc_->ready() ? 0 : static_cast<int>(doc_->model()->layers().size());
}

int AllocationTableModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant AllocationTableModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || !doc_->ready() || index.row() >= rowCount() || index.column() >= ColumnCount) return {};
  const std::string& layer = doc_->model()->layers()[static_cast<size_t>(index.row())];
  const int bits = doc_->bits().at(layer);
  if (role == Qt::DisplayRole || role == Qt::EditRole) {
    switch (index.column()) {
      case Layer:
        return QString::fromStdString(layer);
      case Weights:
        return QLocale().toString(static_cast<qlonglong>(doc_->model()->layerCost(layer).weights));
      case Bits:
        return bits;
      case Importance:
        return QString::number(doc_->model()->importance(layer, bits), 'g', 4);
    }
  }
  if (role == Qt::ToolTipRole && index.column() == Bits) return "Double-click to change this layer's bits (2–8).";
  return {};
}

bool AllocationTableModel::setData(const QModelIndex& index, const QVariant& value, int role) {
  if (role != Qt::EditRole || index.column() != Bits || !doc_->ready()) return false;
  bool ok = false;
  const int bits = value.toInt(&ok);
  if (!ok || bits < 2 || bits > 8) return false;
  doc_->setBits(doc_->model()->layers()[static_cast<size_t>(index.row())], bits);
  return true;
}

Qt::ItemFlags AllocationTableModel::flags(const QModelIndex& index) const {
  Qt::ItemFlags f = QAbstractTableModel::flags(index);
  if (index.isValid() && index.column() == Bits) f |= Qt::ItemIsEditable;
  return f;
}

QVariant AllocationTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation == Qt::Horizontal && role == Qt::ToolTipRole && section == Importance)
    return "The loss increase the importance estimate predicts for this layer at its width";
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
    return QAbstractTableModel::headerData(section, orientation, role);
  static const char* names[] = {"Layer", "Weights", "Bits", "Loss increase"};
  return section >= 0 && section < ColumnCount ? QString(names[section]) : QVariant();
}

AllocationPanel::AllocationPanel(AllocationDocument* doc, QWidget* parent)
    : QWidget(parent),
      doc_(doc),
      model_(new AllocationTableModel(doc, this)),
      table_(new QTableView),
      totals_(new QLabel),
      budgetLabel_(new QLabel),
      budget_(new QSlider(Qt::Horizontal)),
      kind_(new QComboBox),
      estimator_(new QComboBox),
      kindBits_(new QSpinBox),
      estimate_(new QPushButton("Estimate importance")),
      quantize_(new QPushButton("Quantize with this allocation")),
      setSelected_(new QPushButton("Set selected")),
      measure_(new QPushButton("Measure the front")),
      refine_(new QPushButton("Refine with measurements")),
      pareto_(new widgets::ParetoPlot),
      runSettings_(new QLabel),
      job_(new QLabel),
      guardResult_(new QLabel),
      guard_(new QCheckBox("Compare with uniform")),
      progress_(new QProgressBar),
      cancel_(new QPushButton("Cancel")) {
  table_->setModel(model_);
  table_->horizontalHeader()->setStretchLastSection(true);
  table_->verticalHeader()->hide();
  table_->setWordWrap(false);  // "layer2.0.downsample.0" on one line, never broken at its dots
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setSelectionMode(QAbstractItemView::ExtendedSelection);
  connect(model_, &QAbstractItemModel::modelReset, table_, [this] { table_->resizeColumnsToContents(); });
  widgets::addCsvExportMenu(table_);
  budget_->setRange(200, 800);  // average bits × 100
  budget_->setValue(800);
  budget_->setToolTip("Budget in average bits per weight: the exact allocation (DP) for it; a drag is one undo step.");
  estimate_->setToolTip("Measure each layer's importance at 2–8 bits on the calibration set (a background job).");
  quantize_->setToolTip("Quantize the model with these per-layer bits and the Run view's method and settings.");
  for (LayerKind k : {LayerKind::Conv2d, LayerKind::Conv1d, LayerKind::Linear, LayerKind::MatmulWeight})
    kind_->addItem(layerKindName(k), static_cast<int>(k));
  estimator_->setObjectName("estimator");
  estimator_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
  estimator_->setSizePolicy(QSizePolicy::Fixed, QSizePolicy::Fixed);  // its names whole, never "measure"
  for (const auto& e : importanceEstimatorTable().entries())
    estimator_->addItem(e.description, static_cast<int>(e.value));
  estimator_->setToolTip(
      "Measured: the calibration loss with each layer alone quantized (exact, one pass per layer and width).\n"
      "Integrated gradients: the same loss change along the quantization path (cheaper on large models).\n"
      "Hessian trace: HAWQ-v2's ½·Tr(H)/n·‖W − Q(W)‖² (second order, fastest).\n"
      "Each estimate is kept; the Importance view compares them, the allocation uses the latest.");
  kindBits_->setRange(2, 8);
  kindBits_->setValue(4);
  kindBits_->setSuffix(" bits");
  kindBits_->setToolTip("The width the two buttons beside set");
  setSelected_->setToolTip("Set the selected layers to this width (or type 2–8 in the table)");
  auto* setKind = new QPushButton("Set all of this kind");
  setKind->setToolTip("Set every layer of the chosen kind to this width");
  auto* kindRow = new QHBoxLayout;
  kindRow->addWidget(kindBits_);
  kindRow->addWidget(setSelected_);
  kindRow->addSpacing(16);
  kindRow->addWidget(kind_);
  kindRow->addWidget(setKind);
  kindRow->addStretch(1);
  auto* budgetRow = new QHBoxLayout;
  budgetRow->addWidget(new QLabel("Budget"));
  budgetRow->addWidget(budget_, 1);
  budgetRow->addWidget(budgetLabel_);
  budgetRow->addWidget(refine_);
  refine_->setObjectName("refineAllocation");
  refine_->setToolTip(
      "The importance predicts each layer's loss with every other layer FP, so it misses how several narrow\n"
      "layers add up. Refining measures the importance again around this allocation (the other layers at\n"
      "their widths), chooses again at the same average bits and keeps the choice only when the combined\n"
      "model's calibration loss is lower; up to 3 rounds (a background job; one undo step).");
  auto* buttons = new QHBoxLayout;
  buttons->addWidget(estimator_);
  buttons->addWidget(estimate_);
  buttons->addWidget(quantize_);
  buttons->addWidget(measure_);
  buttons->addStretch(1);
  measure_->setToolTip(
      "Quantize at every point of the Pareto front with the Run view's settings and evaluate each: measured "
      "accuracy beside the predicted loss (an experiment: its runs and table are in Experiments)");
  guard_->setObjectName("uniformGuard");
  guard_->setChecked(true);
  guard_->setToolTip(
      "Also quantize the widest uniform allocations of no more average bits (every layer at one width; and\n"
      "the first and last layers at 8) and keep the one closest to FP on the calibration set: this\n"
      "allocation only when it is closer beyond the 95 % interval. Every run stays in the run history.");
  guardResult_->setObjectName("uniformGuardResult");
  guardResult_->setWordWrap(true);
  guardResult_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  guardResult_->hide();
  runSettings_->setObjectName("allocationRunSettings");
  runSettings_->setWordWrap(true);
  job_->setObjectName("allocationJob");
  job_->setWordWrap(true);  // a long result wraps instead of widening the view past its window
  progress_->setRange(0, 1000);
  progress_->setValue(0);
  progress_->setFormat("%p%");
  cancel_->setEnabled(false);
  cancel_->setToolTip("Stop the running job (Esc); nothing of it is kept");
  auto* jobRow = new QHBoxLayout;
  jobRow->addWidget(progress_, 1);
  jobRow->addWidget(cancel_);
  jobRow->addWidget(job_, 2);
  // The width editors under the table and the plot, not beside the plot: side by side their
  // minimum widths would make the view wider than its window at 1440 pixels.
  auto* split = new QSplitter(Qt::Horizontal);
  split->addWidget(table_);
  split->addWidget(pareto_);
  split->setStretchFactor(0, 3);
  split->setStretchFactor(1, 2);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(buttons);
  // What "Quantize with this allocation" will run, and whether it compares with uniform.
  auto* quantizeRow = new QHBoxLayout;
  quantizeRow->addWidget(runSettings_, 1);
  quantizeRow->addWidget(guard_);
  layout->addLayout(quantizeRow);
  layout->addLayout(jobRow);
  layout->addWidget(guardResult_);
  layout->addWidget(split, 1);
  layout->addLayout(kindRow);
  layout->addLayout(budgetRow);
  layout->addWidget(totals_);
  totals_->setObjectName("allocationTotals");
  table_->installEventFilter(this);
  connect(setSelected_, &QPushButton::clicked, this,
          [this] { doc_->setBitsOfLayers(selectedLayers(), kindBits_->value()); });
  connect(pareto_, &widgets::ParetoPlot::pointClicked, this, [this](int i) {
    if (i < 0 || i >= static_cast<int>(front_.size())) return;
    const Allocation& a = front_[static_cast<size_t>(i)];
    doc_->load(a.bits, QString("Pareto point at %1 average bits").arg(a.totals.averageBits, 0, 'f', 2));
  });
  connect(doc_, &AllocationDocument::reset, this, &AllocationPanel::rebuildFront);
  // An edit makes it another allocation than the one compared.
  connect(doc_, &AllocationDocument::changed, this, [this] { showGuard({}); });
  connect(estimate_, &QPushButton::clicked, this, &AllocationPanel::estimateRequested);
  connect(quantize_, &QPushButton::clicked, this, &AllocationPanel::quantizeRequested);
  connect(measure_, &QPushButton::clicked, this, &AllocationPanel::measureRequested);
  connect(refine_, &QPushButton::clicked, this, &AllocationPanel::refineRequested);
  connect(cancel_, &QPushButton::clicked, this, &AllocationPanel::cancelRequested);
  connect(setKind, &QPushButton::clicked, this, [this] {
    if (summary_)
      doc_->setBitsOfKind(static_cast<LayerKind>(kind_->currentData().toInt()), kindBits_->value(), *summary_);
  });
  connect(budget_, &QSlider::sliderPressed, this, [this] { drag_ = ++drags_; });
  connect(budget_, &QSlider::sliderReleased, this, [this] { drag_ = 0; });
  connect(budget_, &QSlider::valueChanged, this, [this](int v) {
    budgetLabel_->setText(QString("%1 bits").arg(v / 100.0, 0, 'f', 2));
    // The slider drives this change: it stays where the user put it (the exact allocation's
    // average may sit just below), rather than following the result.
    const QScopedValueRollback<bool> driving(sliderDriving_, true);
    try {
      doc_->autoAllocate(v / 100.0, drag_);  // 0 outside a drag: a step of its own
    } catch (const Error& e) {
      totals_->setText(QString::fromStdString(e.what()));
    }
  });
  connect(doc_, &AllocationDocument::changed, this, &AllocationPanel::refresh);
  refresh();
}

ImportanceEstimator AllocationPanel::estimator() const {
  return static_cast<ImportanceEstimator>(estimator_->currentData().toInt());
}

void AllocationPanel::refreshPalette() { pareto_->refreshPalette(); }

void AllocationPanel::setRunSettings(std::function<QString()> summary) {
  runSettingsText_ = std::move(summary);
  updateRunSettings();
}

void AllocationPanel::updateRunSettings() {
  runSettings_->setText(runSettingsText_ ? "Quantize with this allocation runs " + runSettingsText_() +
                                               " (the Run view's settings: change them there)."
                                         : QString());
}

void AllocationPanel::showEvent(QShowEvent* event) {
  QWidget::showEvent(event);
  updateRunSettings();  // the Run view's form may have changed while this view was hidden
}

void AllocationPanel::setBusy(bool busy) {
  busy_ = busy;
  estimate_->setEnabled(!busy_);
  refresh();
}

void AllocationPanel::jobStarted(const QString& what) {
  setBusy(true);
  cancel_->setEnabled(true);
  progress_->setValue(0);
  job_->setText(what + " …");
  clock_.start();
}

void AllocationPanel::onProgress(const QString& stage, double fraction, const QString& unit) {
  progress_->setValue(static_cast<int>(1000 * fraction));
  const double elapsed = clock_.elapsed() / 1000.0;
  QString text = stage + (unit.isEmpty() ? QString() : " — " + unit);
  if (fraction > 0.01) text += QString(" · about %1 s left").arg(elapsed * (1 - fraction) / fraction, 0, 'f', 0);
  job_->setText(text);
}

void AllocationPanel::jobEnded(const QString& message, bool completed) {
  setBusy(false);
  cancel_->setEnabled(false);
  progress_->setValue(completed ? progress_->maximum() : 0);
  job_->setText(QString("%1 (%2 after %3 s)")
                    .arg(message, completed ? "finished" : "stopped")
                    .arg(clock_.elapsed() / 1000.0, 0, 'f', 1));
}

std::vector<std::string> AllocationPanel::selectedLayers() const {
  std::vector<std::string> layers;
  for (const QModelIndex& i : table_->selectionModel()->selectedRows(AllocationTableModel::Layer))
    layers.push_back(i.data().toString().toStdString());
  return layers;
}

bool AllocationPanel::eventFilter(QObject* watched, QEvent* event) {
  // An open bit editor gets its own key events; these are keys on the table itself.
  if (watched == table_ && event->type() == QEvent::KeyPress && doc_->ready()) {
    const int key = static_cast<QKeyEvent*>(event)->key();
    if (key >= Qt::Key_2 && key <= Qt::Key_8) {
      doc_->setBitsOfLayers(selectedLayers(), key - Qt::Key_0);
      return true;
    }
  }
  return QWidget::eventFilter(watched, event);
}

bool AllocationPanel::uniformGuard() const { return guard_->isChecked(); }

void AllocationPanel::showGuard(const QString& summary) {
  guardResult_->setText(summary);
  guardResult_->setVisible(!summary.isEmpty());
}

void AllocationPanel::rebuildFront() {
  showGuard({});  // new importance (or none): the last comparison was of another allocation
  front_.clear();
  if (!doc_->ready()) {
    pareto_->clear();
    return;
  }
  front_ = doc_->model()->paretoFront(BudgetKind::AverageBits, 25);
  std::vector<double> x, y;
  for (const Allocation& a : front_) {
    x.push_back(a.totals.averageBits);
    y.push_back(a.totals.predictedLoss);
  }
  pareto_->setFront(x, y);
  refresh();
}

void AllocationPanel::refresh() {
  const bool ready = doc_->ready();
  budget_->setEnabled(ready);
  quantize_->setEnabled(ready && !busy_);
  measure_->setEnabled(ready && !busy_ && !front_.empty());
  refine_->setEnabled(ready && !busy_);
  setSelected_->setEnabled(ready);
  const AllocationTotals t = doc_->totals();
  if (!sliderDriving_) {  // any other change (a Pareto point, an edit, undo, new importance) moves it
    const QSignalBlocker quiet(budget_);
    budget_->setValue(ready ? qRound(t.averageBits * 100) : budget_->maximum());
    budgetLabel_->setText(QString("%1 bits").arg(budget_->value() / 100.0, 0, 'f', 2));
  }
  if (!ready) {
    totals_->setText("Estimate the layers' importance to edit the allocation.");
    return;
  }
  pareto_->setCurrent(t.averageBits, t.predictedLoss);
  totals_->setText(QString("average %1 bits · %2 · %3 GBOPs per sample · predicted loss increase %4")
                       .arg(t.averageBits, 0, 'f', 3)
                       .arg(QLocale().formattedDataSize(t.bytes))
                       .arg(t.bops / 1e9, 0, 'f', 3)
                       .arg(t.predictedLoss, 0, 'g', 4));
}

}  // namespace roundlab::app
