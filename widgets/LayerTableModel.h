#pragma once
// Table model over a model's quantizable layers (engine value types, no Torch).
#include <QAbstractTableModel>
#include <QColor>

#include <map>
#include <string>
#include <vector>

#include "engine/model/LayerInfo.h"

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
  // Macs: multiply-accumulates for one sample (half the FLOPs), once the layers hold their shapes.
  enum Column { Name, Kind, Shape, Params, Block, Bits, FlipRate, Sqnr, Importance, Macs, Attributes, ColumnCount };
  // Sort role: numbers sort as numbers.
  static constexpr int SortRole = Qt::UserRole + 1;

  explicit LayerTableModel(QObject* parent = nullptr);

  void setLayers(std::vector<LayerInfo> layers);
  // Takes the tensor shapes and multiply-accumulates `shaped` (the same model) records, keeping the rows.
  void setShapes(const ModelSummary& shaped);
  const LayerInfo* layerAt(int row) const;
  // Results per layer name (an empty map clears them).
  void setMetrics(std::map<std::string, LayerMetrics> metrics);
  // One layer's results (a run in progress fills the table layer by layer).
  void setLayerMetrics(const std::string& layer, const LayerMetrics& metrics);
  // Predicted loss increase per layer name at its allocated width (an empty map clears them).
  void setImportance(std::map<std::string, double> importance);
  // Shades each row's background by its rank in a numeric column (-1: no shading); the column's
  // largest value is the strongest shade.
  void setShadeColumn(int column);
  int shadeColumn() const { return shadeColumn_; }
  // The row's shade in [0, 1], or -1 where the row has no value in the shaded column.
  double shade(int row) const;
  // The background of a row with shade `shade` (what the colour legend under the table shows).
  static QColor shadeColor(double shade);

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

 private:
  std::vector<LayerInfo> layers_;
  QVariant number(const LayerInfo& l, int column) const;  // a column's numeric value, null if absent
  void updateShades();
  std::map<std::string, LayerMetrics> metrics_;
  std::map<std::string, double> importance_;
  int shadeColumn_ = -1;
  std::vector<double> shades_;
};

}  // namespace roundlab::widgets
