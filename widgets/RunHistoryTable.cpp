#include "widgets/RunHistoryTable.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTableWidget>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>

#include "widgets/TableExport.h"

namespace roundlab::widgets {

namespace {

// A read-only cell that shows `text` and exports `csv` (a plain number, or empty).
QTableWidgetItem* cell(const QString& text, const QVariant& csv) {
  auto* item = new QTableWidgetItem(text);
  item->setData(CsvRole, csv);
  item->setFlags(item->flags() & ~Qt::ItemIsEditable);
  return item;
}

}  // namespace

RunHistoryTable::RunHistoryTable(QWidget* parent)
    : QWidget(parent),
      table_(new QTableWidget(0, ColumnCount)),
      show_(new QPushButton("Show in every view")),
      rename_(new QPushButton("Rename")),
      delete_(new QPushButton("Delete")) {
  table_->setObjectName("runHistory");
  table_->setHorizontalHeaderLabels({"Run", "Name", "Settings", "Top-1 %", "Δ vs FP", "Time s"});
  table_->horizontalHeaderItem(Name)->setToolTip("Your name for the run: double-click to edit");
  table_->horizontalHeaderItem(Top1Change)->setToolTip("Top-1 of the run minus the FP model's, in points");
  table_->verticalHeader()->hide();
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setSelectionMode(QAbstractItemView::ExtendedSelection);
  table_->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed);
  table_->setWordWrap(false);
  table_->horizontalHeader()->setSectionResizeMode(Name, QHeaderView::Stretch);
  addCsvExportMenu(table_);
  show_->setObjectName("showRun");
  show_->setToolTip("Show this run in every view; sessions and exports then write it");
  rename_->setObjectName("renameRun");
  delete_->setObjectName("deleteRun");
  auto* buttons = new QHBoxLayout;
  auto* hint = new QLabel("Select two runs to compare them.");
  hint->setEnabled(false);
  buttons->addWidget(hint, 1);
  buttons->addWidget(show_);
  buttons->addWidget(rename_);
  buttons->addWidget(delete_);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(table_);
  layout->addLayout(buttons);
  connect(show_, &QPushButton::clicked, this, [this] {
    if (const int n = currentRun()) Q_EMIT showRequested(n);
  });
  connect(rename_, &QPushButton::clicked, this, [this] {
    if (table_->currentRow() >= 0) table_->editItem(table_->item(table_->currentRow(), Name));
  });
  connect(delete_, &QPushButton::clicked, this, [this] {
    if (const int n = currentRun()) Q_EMIT deleteRequested(n);
  });
  connect(table_, &QTableWidget::itemChanged, this, [this](QTableWidgetItem* item) {
    if (filling_ || item->column() != Name) return;
    // After the edit has closed: the answer refills the table, item included.
    QTimer::singleShot(0, this, [this, number = numberAt(item->row()), name = item->text().trimmed()] {
      Q_EMIT renameRequested(number, name);
    });
  });
  connect(table_, &QTableWidget::itemSelectionChanged, this, [this] {
    updateButtons();
    QList<int> numbers;
    for (const QModelIndex& row : table_->selectionModel()->selectedRows()) numbers << numberAt(row.row());
    std::sort(numbers.begin(), numbers.end());
    if (numbers.size() == 2) Q_EMIT compareRequested(numbers[0], numbers[1]);
  });
  updateButtons();
}

int RunHistoryTable::numberAt(int row) const {
  const QTableWidgetItem* item = row >= 0 ? table_->item(row, Number) : nullptr;
  return item ? item->data(Qt::UserRole).toInt() : 0;
}

int RunHistoryTable::currentRun() const {
  const QModelIndexList rows = table_->selectionModel()->selectedRows();
  return numberAt(rows.size() == 1 ? rows.first().row() : table_->currentRow());
}

void RunHistoryTable::selectRun(int number) {
  for (int row = 0; row < table_->rowCount(); ++row)
    if (numberAt(row) == number) table_->selectRow(row);
}

void RunHistoryTable::updateButtons() {
  const int row = table_->currentRow();
  const bool one = row >= 0 && table_->selectionModel()->selectedRows().size() <= 1;
  const QTableWidgetItem* number = row >= 0 ? table_->item(row, Number) : nullptr;
  show_->setEnabled(one && number && number->data(Qt::UserRole + 1).toBool());
  show_->setToolTip(number && !number->data(Qt::UserRole + 1).toBool()
                        ? "Only the last runs keep their weights: quantize with this run's settings again"
                        : "Show this run in every view; sessions and exports then write it");
  rename_->setEnabled(one);
  delete_->setEnabled(one);
}

void RunHistoryTable::setRuns(const std::vector<RunSummary>& runs) {
  const int current = currentRun();
  filling_ = true;
  // The headers say which measure the rows hold: top-1, or a language model's perplexity.
  const bool someLm = std::any_of(runs.begin(), runs.end(), [](const RunSummary& r) { return r.languageModel; });
  const bool allLm =
      someLm && std::all_of(runs.begin(), runs.end(), [](const RunSummary& r) { return r.languageModel; });
  table_->horizontalHeaderItem(Top1)->setText(allLm ? "Perplexity" : someLm ? "Top-1 % / perplexity" : "Top-1 %");
  table_->horizontalHeaderItem(Top1)->setToolTip(
      someLm ? "A language model's perplexity on the validation set (exp of the mean cross-entropy per token): lower "
               "is better"
             : QString());
  table_->horizontalHeaderItem(Top1Change)
      ->setToolTip(allLm    ? "Perplexity of the run minus the FP model's (lower is better)"
                   : someLm ? "Top-1 of the run minus the FP model's, in points; for a language model, its perplexity "
                              "minus the FP model's (lower is better)"
                            : "Top-1 of the run minus the FP model's, in points");
  table_->setRowCount(static_cast<int>(runs.size()));
  for (int row = 0; row < table_->rowCount(); ++row) {
    const RunSummary& r = runs[static_cast<size_t>(row)];
    QTableWidgetItem* number = cell((r.shown ? "▶ #" : "#") + QString::number(r.number), r.number);
    number->setData(Qt::UserRole, r.number);
    number->setData(Qt::UserRole + 1, r.canShow);
    number->setToolTip(r.shown ? "Every view shows this run" : QString());
    table_->setItem(row, Number, number);
    auto* name = new QTableWidgetItem(r.name);
    name->setToolTip("Double-click to name the run");
    table_->setItem(row, Name, name);
    table_->setItem(row, Settings, cell(r.settings, r.settings));
    // A language model's runs: perplexity (lower is better) where others have top-1.
    const double value = r.languageModel ? r.perplexity : r.top1, fp = r.languageModel ? r.perplexityFp : r.top1Fp;
    const bool evaluated = r.languageModel ? value > 0 : value >= 0, compared = evaluated && fp >= 0;
    QString valueText = evaluated ? QString::number(value, 'f', 2) : QString("not evaluated");
    if (evaluated && r.seeds > 1)  // the run is one seed of several: the spread says what a difference means
      valueText +=
          QString(" (%1 ± %2 over %3 seeds)").arg(r.seedMean, 0, 'f', 2).arg(r.seedStd, 0, 'f', 2).arg(r.seeds);
    table_->setItem(row, Top1, cell(valueText, evaluated ? QVariant(value) : QVariant(QString())));
    table_->setItem(row, Top1Change,
                    cell(compared ? QString::asprintf("%+.2f", value - fp) : QString(),
                         compared ? QVariant(value - fp) : QVariant(QString())));
    if (r.languageModel && compared) {
      table_->item(row, Top1)->setToolTip(
          QString("Perplexity %1 (FP %2)").arg(value, 0, 'f', 3).arg(fp, 0, 'f', 3) +
          (r.top1 >= 0 ? QString("; next-token top-1 %1 %").arg(r.top1, 0, 'f', 2) : QString()));
    }
    table_->setItem(row, Seconds, cell(QString::number(r.seconds, 'f', 1), r.seconds));
    for (int c = 0; c < ColumnCount; ++c) {
      QFont font = table_->item(row, c)->font();
      font.setBold(r.shown);
      table_->item(row, c)->setFont(font);
    }
  }
  table_->resizeColumnsToContents();
  filling_ = false;
  if (current) selectRun(current);
  updateButtons();
}

}  // namespace roundlab::widgets
