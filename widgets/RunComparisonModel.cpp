#include "widgets/RunComparisonModel.h"

#include <QColor>

#include <cmath>

#include "widgets/TableExport.h"

namespace roundlab::widgets {

double relativeMse(double sqnrDb) { return std::isinf(sqnrDb) && sqnrDb > 0 ? 0.0 : std::pow(10.0, -sqnrDb / 10); }

RunComparisonModel::RunComparisonModel(QObject* parent) : QAbstractTableModel(parent) {}

void RunComparisonModel::setRuns(const RunSummary* a, const RunSummary* b) {
  beginResetModel();
  a_ = a ? *a : RunSummary{};
  b_ = b ? *b : RunSummary{};
  rows_.clear();
  for (const RunLayerResult& r : a_.layers) {
    Row row{r.layer, &r, nullptr};
    for (const RunLayerResult& o : b_.layers)
      if (o.layer == r.layer) row.b = &o;
    rows_.push_back(row);
  }
  endResetModel();
}

int RunComparisonModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

int RunComparisonModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant RunComparisonModel::value(const Row& row, int column) const {
  const RunLayerResult* r = column == BitsA || column == SqnrA || column == MseA || column == FlipsA ? row.a : row.b;
  switch (column) {
    case BitsA:
    case BitsB:
      return r ? QVariant(r->bits) : QVariant();
    case SqnrA:
    case SqnrB:
      return r ? QVariant(r->sqnrDb) : QVariant();
    case MseA:
    case MseB:
      return r ? QVariant(relativeMse(r->sqnrDb)) : QVariant();
    case FlipsA:
    case FlipsB:
      return r ? QVariant(100 * r->flipRate) : QVariant();
    case SqnrDelta:
      if (!row.a || !row.b || std::isinf(row.a->sqnrDb) || std::isinf(row.b->sqnrDb)) return {};
      return row.b->sqnrDb - row.a->sqnrDb;
  }
  return {};
}

QVariant RunComparisonModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= rowCount() || index.column() >= ColumnCount) return {};
  const Row& row = rows_[static_cast<size_t>(index.row())];
  if (index.column() == Layer) return role == Qt::DisplayRole || role == SortRole ? QVariant(row.layer) : QVariant();
  const QVariant v = value(row, index.column());
  if (role == SortRole) return v.isNull() ? QVariant(-1e300) : v;
  if (role == CsvRole) return v.isNull() ? QVariant(QString()) : v;
  if (role == Qt::TextAlignmentRole) return QVariant(Qt::AlignRight | Qt::AlignVCenter);
  if (role == Qt::DisplayRole) {
    if (v.isNull()) return QString("—");
    const double x = v.toDouble();
    switch (index.column()) {
      case BitsA:
      case BitsB:
        return v.toInt();
      case SqnrA:
      case SqnrB:
        return std::isinf(x) ? QString("∞") : QString::number(x, 'f', 1);
      case SqnrDelta:
        return QString("%1%2").arg(x > 0 ? "+" : "").arg(x, 0, 'f', 1);
      case MseA:
      case MseB:
        return QString::number(x, 'e', 2);
      default:
        return QString::number(x, 'f', 2);
    }
  }
  if (role == Qt::ForegroundRole && index.column() == SqnrDelta && !v.isNull() && std::abs(v.toDouble()) >= 0.05)
    return v.toDouble() > 0 ? QColor(78, 154, 6) : QColor(204, 0, 0);  // B better / worse than A
  return {};
}

QVariant RunComparisonModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal) return QAbstractTableModel::headerData(section, orientation, role);
  static const char* names[] = {"Layer",     "Bits A",     "Bits B",     "SQNR A dB", "SQNR B dB",
                                "Δ SQNR dB", "Rel. MSE A", "Rel. MSE B", "Flips A %", "Flips B %"};
  if (role == Qt::DisplayRole) return section >= 0 && section < ColumnCount ? QString(names[section]) : QVariant();
  if (role == Qt::ToolTipRole) {
    if (section == SqnrDelta) return "SQNR of run B minus run A: positive where B reproduces the layer's output better";
    if (section == MseA || section == MseB) return "Output MSE of the quantized layer over its output power";
  }
  return {};
}

}  // namespace roundlab::widgets
