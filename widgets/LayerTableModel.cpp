#include "widgets/LayerTableModel.h"

#include <QLocale>

#include <algorithm>

namespace roundlab::widgets {

namespace {

QString convSummary(const ConvAttributes& c) {
  auto shape = [](const std::vector<int64_t>& v) { return QString::fromStdString(formatShape(v)); };
  QString s = "stride " + shape(c.stride) + ", pad " +
              (c.paddingString.empty() ? shape(c.padding) : QString::fromStdString(c.paddingString));
  if (std::any_of(c.dilation.begin(), c.dilation.end(), [](int64_t d) { return d != 1; }))
    s += ", dilation " + shape(c.dilation);
  if (c.groups > 1) s += QString(", groups %1").arg(c.groups);
  if (c.depthwise) s += " (depthwise)";
  return s;
}

QString attributes(const LayerInfo& l) {
  if (l.conv) return convSummary(*l.conv);
  if (l.weightShape.size() == 2) return QString("%1 → %2 features").arg(l.weightShape[1]).arg(l.weightShape[0]);
  return {};
}

}  // namespace

LayerTableModel::LayerTableModel(QObject* parent) : QAbstractTableModel(parent) {}

void LayerTableModel::setLayers(std::vector<LayerInfo> layers) {
  beginResetModel();
  layers_ = std::move(layers);
  endResetModel();
}

void LayerTableModel::setMetrics(std::map<std::string, LayerMetrics> metrics) {
  metrics_ = std::move(metrics);
  if (!layers_.empty()) Q_EMIT dataChanged(index(0, Bits), index(rowCount() - 1, Sqnr));
}

const LayerInfo* LayerTableModel::layerAt(int row) const {
  return row >= 0 && row < static_cast<int>(layers_.size()) ? &layers_[static_cast<size_t>(row)] : nullptr;
}

int LayerTableModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(layers_.size());
}

int LayerTableModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant LayerTableModel::data(const QModelIndex& index, int role) const {
  const LayerInfo* l = index.isValid() ? layerAt(index.row()) : nullptr;
  if (!l || index.column() >= ColumnCount) return {};
  if ((role == Qt::DisplayRole || role == SortRole) && index.column() >= Bits && index.column() <= Sqnr) {
    const auto m = metrics_.find(l->name);
    if (m == metrics_.end()) return role == SortRole ? QVariant(-1.0) : QVariant(QString("—"));
    const double v = index.column() == Bits       ? m->second.bits
                     : index.column() == FlipRate ? 100 * m->second.flipRate
                                                  : m->second.sqnrDb;
    if (role == SortRole) return v;
    return index.column() == Bits ? QString::number(m->second.bits)
                                  : QString::number(v, 'f', index.column() == Sqnr ? 1 : 2);
  }
  if (role == Qt::DisplayRole || role == SortRole) {
    switch (index.column()) {
      case Name:
        return QString::fromStdString(l->name);
      case Kind:
        return QString(layerKindName(l->kind));
      case Shape:
        return QString::fromStdString(formatShape(l->weightShape));
      case Params:
        return role == SortRole ? QVariant(static_cast<qlonglong>(l->params))
                                : QVariant(QLocale().toString(static_cast<qlonglong>(l->params)));
      case Block:
        return l->block.empty() ? QString("—") : QString::fromStdString(l->block);
      case Attributes:
        return attributes(*l);
    }
  }
  if (role == Qt::TextAlignmentRole && (index.column() == Params || (index.column() >= Bits && index.column() <= Sqnr)))
    return QVariant(Qt::AlignRight | Qt::AlignVCenter);
  if (role == Qt::ToolTipRole)
    return QString("%1\nweight %2 %3\nmodule type %4")
        .arg(QString::fromStdString(l->name), QString::fromStdString(l->weightPath),
             QString::fromStdString(formatShape(l->weightShape)), QString::fromStdString(l->moduleType));
  return {};
}

QVariant LayerTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
    return QAbstractTableModel::headerData(section, orientation, role);
  static const char* names[] = {"Layer", "Kind",    "Weight shape", "Weights",   "Block",
                                "Bits",  "Flips %", "SQNR dB",      "Attributes"};
  return section >= 0 && section < ColumnCount ? QString(names[section]) : QVariant();
}

}  // namespace roundlab::widgets
