#pragma once
// Table model over a model's quantizable layers (engine value types, no Torch).
#include <QAbstractTableModel>

#include <map>
#include <string>
#include <vector>

#include "engine/LayerInfo.h"

namespace roundlab::widgets {

// A layer's results once quantized (shown as extra columns).
struct LayerMetrics {
  int bits = 0;
  double flipRate = 0;  // fraction
  double sqnrDb = 0;
};

class LayerTableModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  enum Column { Name, Kind, Shape, Params, Block, Bits, FlipRate, Sqnr, Attributes, ColumnCount };
  // Sort role: numbers sort as numbers.
  static constexpr int SortRole = Qt::UserRole + 1;

  explicit LayerTableModel(QObject* parent = nullptr);

  void setLayers(std::vector<LayerInfo> layers);
  const LayerInfo* layerAt(int row) const;
  // Results per layer name (an empty map clears them).
  void setMetrics(std::map<std::string, LayerMetrics> metrics);

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

 private:
  std::vector<LayerInfo> layers_;
  std::map<std::string, LayerMetrics> metrics_;
};

}  // namespace roundlab::widgets
