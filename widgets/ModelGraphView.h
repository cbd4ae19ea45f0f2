#pragma once
// The model as a dataflow graph: one node per quantizable layer (its name, kind and weight
// shape), the model's input and output, an edge wherever a layer reads another's output (through
// activations, additions, reshapes), labelled with the shape of the tensor it carries once the
// summary holds the shapes one sample makes flow (recordShapes), and the blocks block reconstruction learns together as
// boxes around their layers — each can be collapsed to one node (double-click the box or the
// node). Laid out by Graphviz's dot on a pool thread; zoom with the wheel, pan by dragging, a
// minimap while the graph is larger than the view, search by name, nodes coloured by a metric
// (with its legend), export as SVG, PNG or PDF. Clicking a node selects that layer (layerClicked);
// the window's selection is shown with setSelectedLayer.
#include <QColor>
#include <QFutureWatcher>
#include <QHash>
#include <QSet>
#include <QWidget>

#include <atomic>
#include <memory>
#include <optional>

#include "engine/model/LayerInfo.h"
#include "widgets/GraphLayout.h"

class QComboBox;
class QGraphicsScene;
class QGraphicsView;
class QLabel;
class QLineEdit;
class QToolButton;
class QThreadPool;

namespace roundlab::widgets {

class ShadeLegend;
class GraphCanvas;

class ModelGraphView : public QWidget {
  Q_OBJECT
 public:
  explicit ModelGraphView(QWidget* parent = nullptr);
  ~ModelGraphView() override;
  // Another model (null: none), copied (a run replaces the window's snapshot); the layout starts
  // at once, laidOut follows.
  void setSummary(const ModelSummary* summary);
  // The tensor shapes `shaped` (the same model) records, drawn on the edges: laid out again when
  // they change, the collapsed blocks and the selection kept.
  void setShapes(const ModelSummary& shaped);
  // Node fills by layer name (missing: the plain fill) and the metric they show (empty: none).
  void setNodeColors(const QHash<QString, QColor>& colors, const QString& metric);
  void setSelectedLayer(const QString& layer);
  QComboBox* colorBox() const { return colorBy_; }
  QLineEdit* searchBox() const { return search_; }

  // What is drawn (tests, the bench): node names as laid out (layers, "(input)", "(output)",
  // collapsed blocks), edges as "from -> to", a node's fill, its centre in view coordinates.
  QStringList nodeNames() const;
  QStringList edgeNames() const;
  QColor nodeColor(const QString& node) const;
  QPoint nodeCenter(const QString& node) const;
  // An edge's ("from -> to") label as drawn (empty: none), and where it and a node are drawn, in
  // scene coordinates (empty when not drawn).
  QString edgeLabel(const QString& edge) const;
  QRectF edgeLabelRect(const QString& edge) const;
  QRectF nodeRect(const QString& node) const;
  bool minimapShown() const;
  double layoutMilliseconds() const { return layout_.milliseconds; }
  bool layingOut() const { return watcher_.isRunning(); }
  void setBlockCollapsed(const QString& block, bool collapsed);
  // Saves the whole graph as SVG, PNG or PDF by the suffix of `path`.
  bool saveAs(const QString& path, QString* error) const;

 Q_SIGNALS:
  void layerClicked(const QString& layer);
  void laidOut();

 private:
  friend class GraphCanvas;
  void relayout();
  void draw();
  // Whole when it fits at a readable size, else at reading size from its top.
  void placeGraph();
  void canvasResized();
  bool userZoomed_ = false;  // the user zoomed or fitted: resizes keep the view as it is
  void applyColors();
  void find(const QString& text, bool next);
  void updateMinimap();
  QString nodeAt(const QPoint& viewPos) const;
  void nodeClicked(const QString& node);
  void nodeDoubleClicked(const QString& node);
  std::optional<ModelSummary> model_;
  const ModelSummary* summary_ = nullptr;  // &*model_, or null
  QSet<QString> collapsed_;
  QHash<QString, QString> edgeLabels_;  // "from -> to" as laid out -> the shape it carries
  QHash<QString, QString> edgeTips_;    // "from -> to" -> what its tooltip says
  QHash<QString, QRectF> labelRects_;   // "from -> to" -> where its label is drawn
  QHash<QString, QColor> colors_;
  QString selected_;
  GraphLayout layout_;
  QFutureWatcher<GraphLayout> watcher_;
  int generation_ = 0;
  QGraphicsScene* scene_;
  GraphCanvas* view_;
  QGraphicsView* minimap_;
  QComboBox* colorBy_;
  QLineEdit* search_;
  QToolButton *fit_, *export_, *collapseAll_;  // tool buttons: narrower than push buttons
  ShadeLegend* legend_;
  QLabel* status_;
  QThreadPool* pool_;  // one layout at a time; a newer one makes older ones skip
  std::shared_ptr<std::atomic<int>> latest_;
};

}  // namespace roundlab::widgets
