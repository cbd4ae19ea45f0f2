#include "widgets/LayerTableModel.h"

#include <QColor>
#include <QLocale>

#include <algorithm>
#include <cmath>

#include "widgets/TableExport.h"

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

void LayerTableModel::setShapes(const ModelSummary& shaped) {
  for (LayerInfo& l : layers_) {
    const LayerInfo* s = shaped.findLayer(l.name);
    l.inputShape = s ? s->inputShape : std::vector<int64_t>();
    l.outputShape = s ? s->outputShape : std::vector<int64_t>();
    l.macs = s ? s->macs : -1;
  }
  updateShades();
}

void LayerTableModel::setMetrics(std::map<std::string, LayerMetrics> metrics) {
  metrics_ = std::move(metrics);
  updateShades();
}

void LayerTableModel::setLayerMetrics(const std::string& layer, const LayerMetrics& metrics) {
  metrics_[layer] = metrics;
  updateShades();
}

void LayerTableModel::setImportance(std::map<std::string, double> importance) {
  importance_ = std::move(importance);
  updateShades();
}

QColor LayerTableModel::shadeColor(double shade) {
  QColor c(245, 121, 0);  // the plots' "quantized" orange, faint to strong
  c.setAlpha(static_cast<int>(20 + 140 * std::clamp(shade, 0.0, 1.0)));
  return c;
}

void LayerTableModel::setShadeColumn(int column) {
  shadeColumn_ = column;
  updateShades();
}

double LayerTableModel::shade(int row) const {
  return row >= 0 && row < static_cast<int>(shades_.size()) ? shades_[static_cast<size_t>(row)] : -1.0;
}

void LayerTableModel::updateShades() {
  // By rank, not value: importance and parameter counts span decades.
  shades_.assign(layers_.size(), -1.0);
  std::vector<std::pair<double, size_t>> values;
  for (size_t r = 0; r < layers_.size(); ++r) {
    const QVariant v = shadeColumn_ >= 0 ? number(layers_[r], shadeColumn_) : QVariant();
    if (!v.isNull()) values.emplace_back(v.toDouble(), r);
  }
  std::sort(values.begin(), values.end());
  for (size_t i = 0; i < values.size(); ++i)
    shades_[values[i].second] = values.size() > 1 ? static_cast<double>(i) / static_cast<double>(values.size() - 1) : 1;
  if (!layers_.empty()) Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
}

QVariant LayerTableModel::number(const LayerInfo& l, int column) const {
  if (column == Params) return static_cast<double>(l.params);
  if (column == Macs) return l.macs >= 0 ? QVariant(static_cast<double>(l.macs)) : QVariant();
  if (column == Importance) {
    const auto it = importance_.find(l.name);
    return it == importance_.end() ? QVariant() : QVariant(it->second);
  }
  if (column < Bits || column > Sqnr) return {};
  const auto m = metrics_.find(l.name);
  if (m == metrics_.end()) return {};
  return column == Bits ? m->second.bits : column == FlipRate ? 100 * m->second.flipRate : m->second.sqnrDb;
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
  const bool result = index.column() >= Bits && index.column() <= Importance;
  if (role == CsvRole) {
    if (result) {
      const QVariant v = number(*l, index.column());
      return v.isNull() ? QVariant(QString()) : v;
    }
    if (index.column() == Params) return static_cast<qlonglong>(l->params);
    if (index.column() == Macs) return l->macs >= 0 ? QVariant(static_cast<qlonglong>(l->macs)) : QVariant(QString());
    if (index.column() == Block && l->block.empty()) return QString();
    return {};
  }
  if ((role == Qt::DisplayRole || role == SortRole) && result) {
    const QVariant v = number(*l, index.column());
    if (v.isNull()) return role == SortRole ? QVariant(-1e300) : QVariant(QString("—"));
    if (role == SortRole) return v;
    switch (index.column()) {
      case Bits:
        return QString::number(v.toInt());
      case Sqnr:
        return std::isinf(v.toDouble()) ? QString("∞") : QString::number(v.toDouble(), 'f', 1);
      case Importance:
        return QString::number(v.toDouble(), 'g', 3);
      default:
        return QString::number(v.toDouble(), 'f', 2);
    }
  }
  if (role == Qt::BackgroundRole && shade(index.row()) >= 0) return shadeColor(shade(index.row()));
  if (role == Qt::DisplayRole || role == SortRole) {
    switch (index.column()) {
      case Name:
        return QString::fromStdString(l->name);
      case Kind:
        return QString::fromStdString(layerKindText(*l));
      case Shape:
        return QString::fromStdString(formatShape(l->weightShape));
      case Params:
        return role == SortRole ? QVariant(static_cast<qlonglong>(l->params))
                                : QVariant(QLocale().toString(static_cast<qlonglong>(l->params)));
      case Macs:
        if (l->macs < 0) return role == SortRole ? QVariant(-1e300) : QVariant(QString("—"));
        return role == SortRole ? QVariant(static_cast<qlonglong>(l->macs))
                                : QVariant(QLocale().toString(static_cast<qlonglong>(l->macs)));
      case Block:
        return l->block.empty() ? QString("—") : QString::fromStdString(l->block);
      case Attributes:
        return attributes(*l);
    }
  }
  if (role == Qt::TextAlignmentRole && (index.column() == Params || index.column() == Macs || result))
    return QVariant(Qt::AlignRight | Qt::AlignVCenter);
  if (role == Qt::ToolTipRole) {
    QString tip = QString("%1\nweight %2 %3\nmodule type %4")
                      .arg(QString::fromStdString(l->name), QString::fromStdString(l->weightPath),
                           QString::fromStdString(formatShape(l->weightShape)), QString::fromStdString(l->moduleType));
    if (!l->inputShape.empty() && !l->outputShape.empty())
      tip += QString("\none sample: reads %1, writes %2")
                 .arg(QString::fromStdString(formatShape(l->inputShape)),
                      QString::fromStdString(formatShape(l->outputShape)));
    return tip;
  }
  return {};
}

QVariant LayerTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation == Qt::Horizontal && role == Qt::ToolTipRole && section == Importance)
    return "Predicted loss increase of quantizing this layer alone at its allocated width (Mixed precision)";
  if (orientation == Qt::Horizontal && role == Qt::ToolTipRole && section == Macs)
    return "Multiply-accumulates of this layer for one sample (half its FLOPs), from the shapes one sample of the "
           "calibration set makes flow";
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
    return QAbstractTableModel::headerData(section, orientation, role);
  static const char* names[] = {"Layer",   "Kind",    "Weight shape", "Weights", "Block",     "Bits",
                                "Flips %", "SQNR dB", "Importance",   "MACs",    "Attributes"};
  return section >= 0 && section < ColumnCount ? QString(names[section]) : QVariant();
}

}  // namespace roundlab::widgets
