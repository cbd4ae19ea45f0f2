#pragma once
// Table model over a model's quantizable layers (engine value types, no Torch).
#include <QAbstractTableModel>

#include <vector>

#include "engine/LayerInfo.h"

namespace roundlab::widgets {

class LayerTableModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  enum Column { Name, Kind, Shape, Params, Block, Attributes, ColumnCount };
  // Sort role: numbers sort as numbers.
  static constexpr int SortRole = Qt::UserRole + 1;

  explicit LayerTableModel(QObject* parent = nullptr);

  void setLayers(std::vector<LayerInfo> layers);
  const LayerInfo* layerAt(int row) const;

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

 private:
  std::vector<LayerInfo> layers_;
};

}  // namespace roundlab::widgets
