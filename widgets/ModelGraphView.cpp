#include "widgets/ModelGraphView.h"

#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QGraphicsPathItem>
#include <QGraphicsScene>
#include <QGraphicsSimpleTextItem>
#include <QGraphicsView>
#include <QHBoxLayout>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMouseEvent>
#include <QPainter>
#include <QPdfWriter>
#include <QSaveFile>
#include <QScrollBar>
#include <QSvgGenerator>
#include <QThreadPool>
#include <QToolButton>
#include <QVBoxLayout>
#include <QWheelEvent>
#include <QtConcurrent>

#include <cmath>
#include <map>
#include <set>

#include "widgets/ShadeLegend.h"

namespace roundlab::widgets {

namespace {

const QString kBlockPrefix = "block:";

QToolButton* toolButton(const QString& text) {
  auto* b = new QToolButton;
  b->setText(text);
  b->setToolButtonStyle(Qt::ToolButtonTextOnly);
  return b;
}
constexpr int kNodeKey = 0;  // QGraphicsItem::data key holding the node's id

QString shapeText(const std::vector<int64_t>& shape) {
  QStringList parts;
  for (int64_t d : shape) parts << QString::number(d);
  return "[" + parts.join(",") + "]";
}

// A tensor's shape as an edge shows it, e.g. "1×16×28×28" (batch dimension 1: one sample).
QString tensorText(const std::vector<int64_t>& shape) {
  QStringList parts;
  for (int64_t d : shape) parts << QString::number(d);
  return parts.join("×");
}

// Edge labels: smaller than the nodes' text, never unreadably small.
QFont labelFont(const QFont& base) {
  QFont f = base;
  if (f.pointSizeF() > 0) f.setPointSizeF(std::max(7.0, f.pointSizeF() * 0.85));
  return f;
}

QString edgeKey(const std::string& from, const std::string& to) { return QString::fromStdString(from + " -> " + to); }

}  // namespace

// The zoomable, pannable canvas: wheel zooms around the cursor, dragging pans, a click that did
// not drag picks a node.
class GraphCanvas : public QGraphicsView {
 public:
  GraphCanvas(QGraphicsScene* scene, ModelGraphView* owner) : QGraphicsView(scene), owner_(owner) {
    setDragMode(QGraphicsView::ScrollHandDrag);
    setRenderHint(QPainter::Antialiasing);
    setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
    setObjectName("graphCanvas");
  }

 protected:
  void wheelEvent(QWheelEvent* event) override {
    // Between 0.05× (or the fitted scale, if smaller) and 8×: a step is clamped, never refused.
    const double scale = transform().m11();
    const double target = std::clamp(scale * std::pow(1.0015, event->angleDelta().y()), std::min(scale, 0.05), 8.0);
    this->scale(target / scale, target / scale);
    owner_->userZoomed_ = true;
    owner_->updateMinimap();
  }
  void mousePressEvent(QMouseEvent* event) override {
    pressed_ = event->position().toPoint();
    QGraphicsView::mousePressEvent(event);
  }
  void mouseReleaseEvent(QMouseEvent* event) override {
    QGraphicsView::mouseReleaseEvent(event);
    if ((event->position().toPoint() - pressed_).manhattanLength() < 4) {
      const QString node = owner_->nodeAt(event->position().toPoint());
      if (!node.isEmpty()) owner_->nodeClicked(node);
    }
  }
  void mouseDoubleClickEvent(QMouseEvent* event) override {
    const QString node = owner_->nodeAt(event->position().toPoint());
    if (!node.isEmpty()) owner_->nodeDoubleClicked(node);
  }
  void resizeEvent(QResizeEvent* event) override {
    QGraphicsView::resizeEvent(event);
    owner_->canvasResized();
  }
  void scrollContentsBy(int dx, int dy) override {
    QGraphicsView::scrollContentsBy(dx, dy);
    owner_->updateMinimap();
  }

 private:
  ModelGraphView* owner_;
  QPoint pressed_;
};

namespace {

// The whole graph small, with the main view's visible part outlined; a click centres it there.
class Minimap : public QGraphicsView {
 public:
  Minimap(QGraphicsScene* scene, QGraphicsView* main) : QGraphicsView(scene), main_(main) {
    setObjectName("graphMinimap");
    setInteractive(false);
    setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    setFrameShape(QFrame::Box);
    setToolTip("The whole graph: click to go there");
  }

 protected:
  void drawForeground(QPainter* painter, const QRectF&) override {
    painter->setPen(QPen(palette().color(QPalette::Highlight), 0));
    painter->setBrush(Qt::NoBrush);
    painter->drawRect(main_->mapToScene(main_->viewport()->rect()).boundingRect());
  }
  void mousePressEvent(QMouseEvent* event) override { main_->centerOn(mapToScene(event->position().toPoint())); }
  // The whole graph at the minimap's size as it is now.
  void resizeEvent(QResizeEvent* event) override {
    QGraphicsView::resizeEvent(event);
    fitInView(sceneRect(), Qt::KeepAspectRatio);
  }
  void showEvent(QShowEvent* event) override {
    QGraphicsView::showEvent(event);
    fitInView(sceneRect(), Qt::KeepAspectRatio);
  }

 private:
  QGraphicsView* main_;
};

}  // namespace

ModelGraphView::ModelGraphView(QWidget* parent)
    : QWidget(parent),
      scene_(new QGraphicsScene(this)),
      view_(new GraphCanvas(scene_, this)),
      minimap_(new Minimap(scene_, view_)),
      colorBy_(new QComboBox),
      search_(new QLineEdit),
      fit_(toolButton("Fit")),
      export_(toolButton("Export…")),
      collapseAll_(toolButton("Collapse")),
      legend_(new ShadeLegend),
      status_(new QLabel),
      pool_(new QThreadPool(this)),
      latest_(std::make_shared<std::atomic<int>>(0)) {
  pool_->setMaxThreadCount(1);
  setObjectName("modelGraph");
  colorBy_->setObjectName("graphColorBy");
  colorBy_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);  // the window may be narrow
  colorBy_->setMinimumContentsLength(10);
  search_->setMinimumWidth(60);
  colorBy_->setToolTip("Colour the nodes by the rank of a metric (strongest: largest), as the layer table");
  search_->setPlaceholderText("Find a layer…");
  search_->setClearButtonEnabled(true);
  search_->setToolTip("Type part of a layer's name: the first match is selected and shown (Enter: the next)");
  fit_->setToolTip("The whole graph in the view");
  export_->setToolTip("Save the graph as SVG, PNG or PDF");
  collapseAll_->setToolTip("Show each block as one node, or every layer again (double-click a block to toggle it)");
  // Two rows, so that the view fits a narrow window beside the docks.
  auto* searchRow = new QHBoxLayout;
  searchRow->addWidget(colorBy_, 1);
  searchRow->addWidget(search_, 1);
  auto* actions = new QHBoxLayout;
  actions->addWidget(collapseAll_);
  actions->addWidget(fit_);
  actions->addWidget(export_);
  actions->addStretch(1);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addLayout(searchRow);
  layout->addLayout(actions);
  layout->addWidget(legend_);
  layout->addWidget(status_);
  layout->addWidget(view_, 1);
  minimap_->setParent(view_->viewport());  // over the canvas' lower right corner
  minimap_->hide();
  status_->setWordWrap(true);
  connect(fit_, &QToolButton::clicked, this, [this] {
    userZoomed_ = true;
    view_->fitInView(scene_->sceneRect(), Qt::KeepAspectRatio);
    updateMinimap();
  });
  connect(export_, &QToolButton::clicked, this, [this] {
    const QString path =
        QFileDialog::getSaveFileName(this, "Export graph", "model-graph.svg", "SVG (*.svg);;PNG (*.png);;PDF (*.pdf)");
    QString error;
    if (!path.isEmpty() && !saveAs(path, &error)) status_->setText("Could not save the graph: " + error);
  });
  connect(collapseAll_, &QToolButton::clicked, this, [this] {
    if (!summary_) return;
    const bool collapse = collapsed_.isEmpty();
    collapsed_.clear();
    if (collapse)
      for (const BlockInfo& b : summary_->blocks) collapsed_.insert(QString::fromStdString(b.name));
    relayout();
  });
  connect(search_, &QLineEdit::textEdited, this, [this](const QString& text) { find(text, false); });
  connect(search_, &QLineEdit::returnPressed, this, [this] { find(search_->text(), true); });
  connect(&watcher_, &QFutureWatcher<GraphLayout>::finished, this, [this] {
    if (watcher_.property("generation").toInt() != generation_) return;  // a newer layout runs
    layout_ = watcher_.result();
    if (!layout_.error.empty()) {
      status_->setText(QString("The graph could not be laid out: %1").arg(QString::fromStdString(layout_.error)));
      layout_ = {};
      return;
    }
    draw();
    Q_EMIT laidOut();
  });
  setSummary(nullptr);
}

ModelGraphView::~ModelGraphView() {
  latest_->store(-1);  // queued layouts skip
  watcher_.waitForFinished();
  pool_->waitForDone();
}

void ModelGraphView::setSummary(const ModelSummary* summary) {
  model_.reset();
  if (summary) model_ = *summary;
  summary_ = model_ ? &*model_ : nullptr;
  collapsed_.clear();
  selected_.clear();
  relayout();
}

void ModelGraphView::setShapes(const ModelSummary& shaped) {
  if (!model_) return;
  ModelSummary updated = *model_;
  updated.copyShapes(shaped);
  bool same = updated.inputShape == model_->inputShape && updated.outputShape == model_->outputShape;
  for (size_t i = 0; same && i < updated.layers.size(); ++i) {
    const LayerInfo &a = updated.layers[i], &b = model_->layers[i];
    same = a.inputShape == b.inputShape && a.outputShape == b.outputShape && a.macs == b.macs;
  }
  if (same) return;
  model_ = std::move(updated);
  summary_ = &*model_;
  relayout();
}

void ModelGraphView::relayout() {
  ++generation_;
  scene_->clear();
  layout_ = {};
  collapseAll_->setEnabled(summary_ && !summary_->blocks.empty());
  collapseAll_->setText(collapsed_.isEmpty() ? "Collapse" : "Expand");
  if (!summary_) {
    status_->setText("Open a model (Ctrl+O, or File ▸ Open demo) to see its layers as a dataflow graph.");
    minimap_->hide();
    return;
  }
  status_->setText(QString("Laying out %1 layers…").arg(summary_->layers.size()));
  // The spec: sizes from the text each node shows.
  const QFontMetricsF metrics(font());
  QFont bold = font();
  bold.setBold(true);
  const QFontMetricsF boldMetrics(bold);
  GraphSpec spec;
  std::map<std::string, std::string> nodeOf;  // layer -> the node drawing it (itself or its block)
  auto addNode = [&](const std::string& id, const QString& title, const QString& detail, const std::string& cluster) {
    const double w = std::max(boldMetrics.horizontalAdvance(title), metrics.horizontalAdvance(detail)) + 16;
    spec.nodes.push_back({id, std::max(w, 60.0), boldMetrics.height() + metrics.height() + 12, cluster});
  };
  addNode(kModelInput, "input", "", {});
  addNode(kModelOutput, "output", "", {});
  for (const BlockInfo& b : summary_->blocks) {
    if (collapsed_.contains(QString::fromStdString(b.name))) {
      const std::string id = (kBlockPrefix + QString::fromStdString(b.name)).toStdString();
      addNode(id, QString::fromStdString(b.name),
              QString("%1 · %2 layers").arg(QString::fromStdString(b.moduleType)).arg(b.layers.size()), {});
      for (const std::string& l : b.layers) nodeOf[l] = id;
    } else {
      spec.clusters.push_back({b.name, b.name + " (" + b.moduleType + ")"});
    }
  }
  for (const LayerInfo& l : summary_->layers) {
    if (nodeOf.count(l.name)) continue;
    nodeOf[l.name] = l.name;
    addNode(l.name, QString::fromStdString(l.name),
            QString("%1 %2").arg(QString::fromStdString(layerKindText(l)), shapeText(l.weightShape)), l.block);
  }
  // Each edge carries what its head reads: the data's sample from the input, the model's output
  // into the output, else the input of the layer it leads to (a collapsed block's edges: of each
  // layer inside that reads it).
  std::map<std::pair<std::string, std::string>, QStringList> edges;  // -> the shapes it carries
  edgeLabels_.clear();
  edgeTips_.clear();
  for (const DataflowEdge& e : summary_->dataflow) {
    const std::string from = nodeOf.count(e.from) ? nodeOf.at(e.from) : e.from;
    const std::string to = nodeOf.count(e.to) ? nodeOf.at(e.to) : e.to;
    if (from == to && from != e.from) continue;  // a block's inner edges are inside its node
    QStringList& shapes = edges[{from, to}];
    const LayerInfo* head = summary_->findLayer(e.to);
    const std::vector<int64_t>& carried = e.from == kModelInput  ? summary_->inputShape
                                          : e.to == kModelOutput ? summary_->outputShape
                                          : head                 ? head->inputShape
                                                                 : std::vector<int64_t>();
    if (!carried.empty() && !shapes.contains(tensorText(carried))) shapes << tensorText(carried);
    QString tip = QString::fromStdString(e.from + " → " + e.to);
    if (!carried.empty()) tip += "\ncarries " + tensorText(carried) + " (one sample)";
    if (const LayerInfo* tail = summary_->findLayer(e.from);
        tail && !tail->outputShape.empty() && tail->outputShape != carried)
      tip += QString("\n%1 writes %2").arg(QString::fromStdString(tail->name), tensorText(tail->outputShape));
    QString& tips = edgeTips_[edgeKey(from, to)];
    tips += (tips.isEmpty() ? "" : "\n\n") + tip;
  }
  const QFont small = labelFont(font());
  const QFontMetricsF smallMetrics(small);
  for (const auto& [ends, shapes] : edges) {
    GraphSpec::Edge edge{ends.first, ends.second};
    if (!shapes.isEmpty()) {
      const QString label = shapes.join(" / ");
      edgeLabels_[edgeKey(ends.first, ends.second)] = label;
      edge.labelWidth = smallMetrics.horizontalAdvance(label) + 6;
      edge.labelHeight = smallMetrics.height() + 2;
    }
    spec.edges.push_back(edge);
  }
  watcher_.setProperty("generation", generation_);
  latest_->store(generation_);
  // Errors come back in the result (an exception from a pool thread would only say "unhandled").
  watcher_.setFuture(QtConcurrent::run(pool_, [spec, latest = latest_, generation = generation_] {
    GraphLayout l;
    if (latest->load() != generation) return l;  // a newer layout is queued: this one is not wanted
    try {
      l = layoutGraph(spec);
    } catch (const std::exception& e) {
      l.error = e.what();
    }
    return l;
  }));
}

void ModelGraphView::draw() {
  scene_->clear();
  labelRects_.clear();
  const QPalette pal = palette();
  const QFont small = labelFont(font());
  QFont bold = font();
  bold.setBold(true);
  for (const GraphLayout::Cluster& c : layout_.clusters) {
    auto* box = scene_->addPath(QPainterPath(), QPen(pal.color(QPalette::Mid), 1, Qt::DashLine),
                                pal.color(QPalette::AlternateBase));
    QPainterPath path;
    path.addRoundedRect(QRectF(c.left, c.top, c.width, c.height), 6, 6);
    box->setPath(path);
    box->setZValue(-2);
    box->setData(kNodeKey, kBlockPrefix + QString::fromStdString(c.id));
    box->setToolTip("Block " + QString::fromStdString(c.id) + ": double-click to collapse it into one node");
    auto* label = scene_->addSimpleText(QString::fromStdString(c.label), font());
    label->setBrush(pal.color(QPalette::WindowText));
    label->setPos(c.left + 6, c.top + 2);
    label->setZValue(-1);
  }
  const QPen edgePen(pal.color(QPalette::WindowText), 1.2);
  for (const GraphLayout::Edge& e : layout_.edges) {
    if (e.spline.empty()) continue;
    QPainterPath path(QPointF(e.spline[0].first, e.spline[0].second));
    for (size_t i = 1; i + 2 < e.spline.size(); i += 3)
      path.cubicTo(QPointF(e.spline[i].first, e.spline[i].second),
                   QPointF(e.spline[i + 1].first, e.spline[i + 1].second),
                   QPointF(e.spline[i + 2].first, e.spline[i + 2].second));
    auto* line = scene_->addPath(path, edgePen);
    const QString key = edgeKey(e.from, e.to);
    line->setToolTip(edgeTips_.value(key, QString::fromStdString(e.from + " → " + e.to)));
    if (const QString label = edgeLabels_.value(key); !label.isEmpty() && e.hasLabel) {
      auto* text = scene_->addSimpleText(label, small);
      text->setBrush(pal.color(QPalette::WindowText));
      const QRectF r = text->boundingRect();
      text->setPos(e.labelCenter.first - r.width() / 2, e.labelCenter.second - r.height() / 2);
      text->setToolTip(line->toolTip());
      labelRects_[key] = text->sceneBoundingRect();
    }
    // The arrowhead: from the spline's end to dot's tip (or along the last segment).
    const QPointF end(e.spline.back().first, e.spline.back().second);
    QPointF tip = e.arrowAtEnd ? QPointF(e.arrowTip.first, e.arrowTip.second) : end;
    QPointF back =
        e.arrowAtEnd ? end : QPointF(e.spline[e.spline.size() - 2].first, e.spline[e.spline.size() - 2].second);
    QLineF axis(tip, back);
    if (axis.length() < 1e-6) continue;
    axis.setLength(8);
    QLineF left = axis, right = axis;
    left.setAngle(axis.angle() + 25);
    right.setAngle(axis.angle() - 25);
    scene_->addPolygon(QPolygonF({tip, left.p2(), right.p2()}), edgePen, pal.color(QPalette::WindowText));
  }
  for (const GraphLayout::Node& n : layout_.nodes) {
    const QString id = QString::fromStdString(n.id);
    const QRectF rect(n.x - n.width / 2, n.y - n.height / 2, n.width, n.height);
    QPainterPath path;
    path.addRoundedRect(rect, id.startsWith('(') ? n.height / 2 : 4, id.startsWith('(') ? n.height / 2 : 4);
    auto* box = scene_->addPath(path, QPen(pal.color(QPalette::WindowText), 1), pal.color(QPalette::Base));
    box->setData(kNodeKey, id);
    box->setZValue(1);
    QString title = id, detail;
    if (id == kModelInput) title = "input";
    if (id == kModelOutput) title = "output";
    if (const LayerInfo* l = summary_ ? summary_->findLayer(n.id) : nullptr) {
      detail = QString("%1 %2").arg(QString::fromStdString(layerKindText(*l)), shapeText(l->weightShape));
      QString tip =
          QString("%1\n%2, %3 weights").arg(id, detail, QLocale().toString(static_cast<qlonglong>(l->params)));
      if (!l->inputShape.empty() && !l->outputShape.empty())
        tip += QString("\nreads %1, writes %2").arg(tensorText(l->inputShape), tensorText(l->outputShape));
      if (l->macs >= 0)
        tip += QString("\n%1 MACs (multiply-accumulates) per sample")
                   .arg(QLocale().toString(static_cast<qlonglong>(l->macs)));
      if (!l->block.empty()) tip += "\nblock " + QString::fromStdString(l->block);
      box->setToolTip(tip);
    } else if (id.startsWith(kBlockPrefix)) {
      title = id.mid(kBlockPrefix.size());
      for (const BlockInfo& b : summary_->blocks)
        if (QString::fromStdString(b.name) == title)
          detail = QString("%1 · %2 layers").arg(QString::fromStdString(b.moduleType)).arg(b.layers.size());
      box->setToolTip("Block " + title + ": double-click to show its layers");
    }
    auto* titleItem = new QGraphicsSimpleTextItem(title, box);
    titleItem->setFont(bold);
    titleItem->setBrush(pal.color(QPalette::Text));
    const double lines = detail.isEmpty() ? 1 : 2;
    const double top = rect.center().y() - lines * QFontMetricsF(bold).height() / 2;
    titleItem->setPos(rect.center().x() - titleItem->boundingRect().width() / 2, top);
    if (!detail.isEmpty()) {
      auto* detailItem = new QGraphicsSimpleTextItem(detail, box);
      detailItem->setFont(font());
      detailItem->setBrush(pal.color(QPalette::Text));
      detailItem->setPos(rect.center().x() - detailItem->boundingRect().width() / 2,
                         top + QFontMetricsF(bold).height());
    }
  }
  scene_->setSceneRect(QRectF(-8, -8, layout_.width + 16, layout_.height + 16));
  applyColors();
  int64_t macs = 0;
  for (const LayerInfo& l : summary_ ? summary_->layers : std::vector<LayerInfo>())
    macs += std::max<int64_t>(l.macs, 0);
  status_->setText(
      QString("%1 layers, %2 edges%3 · laid out by Graphviz dot in %4 ms")
          .arg(summary_ ? summary_->layers.size() : 0)
          .arg(layout_.edges.size())
          .arg(summary_ && summary_->hasShapes()
                   ? QString(", shapes of one sample, %1 MACs").arg(QLocale().toString(static_cast<qlonglong>(macs)))
                   : QString(" · no tensor shapes (they need a calibration set that fits the model)"))
          .arg(layout_.milliseconds, 0, 'f', 0));
  userZoomed_ = false;
  placeGraph();
  updateMinimap();
}

void ModelGraphView::placeGraph() {
  // Whole when it is small enough to read, else at reading size from its top.
  view_->resetTransform();
  const QRectF area = view_->viewport()->rect();
  if (layout_.width <= area.width() && layout_.height <= area.height()) {
    // A small graph fills the view, up to 1.6× (text stays text-sized, not poster-sized).
    const double zoom = std::min({1.6, area.width() / (layout_.width + 16), area.height() / (layout_.height + 16)});
    view_->scale(zoom, zoom);
    view_->centerOn(scene_->sceneRect().center());
  } else if (layout_.width * 0.45 <= area.width() && layout_.height * 0.45 <= area.height())
    view_->fitInView(scene_->sceneRect(), Qt::KeepAspectRatio);
  else
    view_->centerOn(QPointF(layout_.width / 2, 0));
  updateMinimap();
}

void ModelGraphView::setNodeColors(const QHash<QString, QColor>& colors, const QString& metric) {
  colors_ = colors;
  legend_->setMetric(metric);
  applyColors();
}

void ModelGraphView::applyColors() {
  const QPalette pal = palette();
  for (QGraphicsItem* item : scene_->items()) {
    auto* box = dynamic_cast<QGraphicsPathItem*>(item);
    if (!box || box->zValue() != 1) continue;  // nodes only
    const QString id = box->data(kNodeKey).toString();
    box->setBrush(colors_.value(id, pal.color(QPalette::Base)));
    const bool selected = id == selected_;
    box->setPen(QPen(selected ? pal.color(QPalette::Highlight) : pal.color(QPalette::WindowText), selected ? 3 : 1));
  }
}

void ModelGraphView::setSelectedLayer(const QString& layer) {
  selected_ = layer;
  applyColors();
  for (const GraphLayout::Node& n : layout_.nodes)
    if (QString::fromStdString(n.id) == layer) {
      const QRectF r(n.x - n.width / 2, n.y - n.height / 2, n.width, n.height);
      if (!view_->mapToScene(view_->viewport()->rect()).boundingRect().contains(r)) view_->centerOn(r.center());
    }
  updateMinimap();
}

QString ModelGraphView::nodeAt(const QPoint& viewPos) const {
  for (QGraphicsItem* item : view_->items(viewPos)) {
    for (QGraphicsItem* i = item; i; i = i->parentItem()) {
      const QString id = i->data(kNodeKey).toString();
      if (!id.isEmpty()) return id;
    }
  }
  return {};
}

void ModelGraphView::nodeClicked(const QString& node) {
  if (summary_ && summary_->findLayer(node.toStdString())) Q_EMIT layerClicked(node);
}

void ModelGraphView::nodeDoubleClicked(const QString& node) {
  if (!node.startsWith(kBlockPrefix)) return;
  const QString block = node.mid(kBlockPrefix.size());
  setBlockCollapsed(block, !collapsed_.contains(block));
}

void ModelGraphView::setBlockCollapsed(const QString& block, bool collapsed) {
  if (collapsed)
    collapsed_.insert(block);
  else
    collapsed_.remove(block);
  relayout();
}

void ModelGraphView::find(const QString& text, bool next) {
  if (text.trimmed().isEmpty() || !summary_) return;
  // The first match while typing; Enter walks on to the next.
  QStringList matches;
  for (const LayerInfo& l : summary_->layers)
    if (QString::fromStdString(l.name).contains(text.trimmed(), Qt::CaseInsensitive))
      matches << QString::fromStdString(l.name);
  if (matches.isEmpty()) {
    status_->setText("No layer's name contains \"" + text.trimmed() + "\".");
    return;
  }
  const QString found = next ? matches[(matches.indexOf(selected_) + 1) % matches.size()] : matches.first();
  for (const LayerInfo& l : summary_->layers)
    if (QString::fromStdString(l.name) == found && !l.block.empty() &&
        collapsed_.contains(QString::fromStdString(l.block)))
      setBlockCollapsed(QString::fromStdString(l.block), false);  // shown inside its block
  Q_EMIT layerClicked(found);
}

void ModelGraphView::updateMinimap() {
  const QRectF visible = view_->mapToScene(view_->viewport()->rect()).boundingRect();
  const bool larger = !layout_.nodes.empty() && !visible.contains(scene_->sceneRect());
  minimap_->setVisible(larger);
  if (!larger) return;
  const QSize size(std::min(220, view_->viewport()->width() / 3), std::min(180, view_->viewport()->height() / 3));
  minimap_->setGeometry(view_->viewport()->width() - size.width() - 8, view_->viewport()->height() - size.height() - 8,
                        size.width(), size.height());
  minimap_->fitInView(scene_->sceneRect(), Qt::KeepAspectRatio);
  minimap_->viewport()->update();
}

bool ModelGraphView::minimapShown() const { return minimap_->isVisible(); }

void ModelGraphView::canvasResized() {
  if (!userZoomed_ && !layout_.nodes.empty()) placeGraph();  // laid out while hidden, or the window resized
  updateMinimap();                                           // in the corner of the viewport as it is now
}

QStringList ModelGraphView::nodeNames() const {
  QStringList names;
  for (const GraphLayout::Node& n : layout_.nodes) names << QString::fromStdString(n.id);
  return names;
}

QStringList ModelGraphView::edgeNames() const {
  QStringList names;
  for (const GraphLayout::Edge& e : layout_.edges) names << QString::fromStdString(e.from + " -> " + e.to);
  return names;
}

QColor ModelGraphView::nodeColor(const QString& node) const {
  for (QGraphicsItem* item : scene_->items())
    if (auto* box = dynamic_cast<QGraphicsPathItem*>(item); box && box->zValue() == 1 && box->data(kNodeKey) == node)
      return box->brush().color();
  return {};
}

QString ModelGraphView::edgeLabel(const QString& edge) const {
  return labelRects_.contains(edge) ? edgeLabels_.value(edge) : QString();
}

QRectF ModelGraphView::edgeLabelRect(const QString& edge) const { return labelRects_.value(edge); }

QRectF ModelGraphView::nodeRect(const QString& node) const {
  for (const GraphLayout::Node& n : layout_.nodes)
    if (QString::fromStdString(n.id) == node) return QRectF(n.x - n.width / 2, n.y - n.height / 2, n.width, n.height);
  return {};
}

QPoint ModelGraphView::nodeCenter(const QString& node) const {
  for (const GraphLayout::Node& n : layout_.nodes)
    if (QString::fromStdString(n.id) == node) return view_->mapFromScene(QPointF(n.x, n.y));
  return {-1, -1};
}

bool ModelGraphView::saveAs(const QString& path, QString* error) const {
  const QRectF source = scene_->sceneRect();
  if (layout_.nodes.empty()) {
    *error = "there is no graph yet";
    return false;
  }
  const QString suffix = QFileInfo(path).suffix().toLower();
  QSaveFile file(path);
  if (!file.open(QIODevice::WriteOnly)) {
    *error = path + ": " + file.errorString();
    return false;
  }
  if (suffix == "svg") {
    QSvgGenerator svg;
    svg.setOutputDevice(&file);
    svg.setSize(source.size().toSize());
    svg.setViewBox(QRectF(QPointF(0, 0), source.size()));
    svg.setTitle("RoundLab model graph");
    QPainter painter(&svg);
    scene_->render(&painter, QRectF(QPointF(0, 0), source.size()), source);
  } else if (suffix == "pdf") {
    QPdfWriter pdf(&file);
    // PDF viewers refuse pages over 200 inches: a larger graph is scaled down onto one.
    const QSizeF page = source.size() * std::min(1.0, 14400.0 / std::max(source.width(), source.height()));
    pdf.setPageSize(QPageSize(page, QPageSize::Point));
    pdf.setPageMargins({});
    pdf.setResolution(72);
    QPainter painter(&pdf);
    scene_->render(&painter, QRectF(QPointF(0, 0), page), source);
  } else {
    QImage image((source.size() * 2).toSize(), QImage::Format_ARGB32);
    if (image.isNull()) {
      *error = "the graph is too large for a PNG; export SVG or PDF";
      return false;
    }
    image.fill(palette().color(QPalette::Base));
    QPainter painter(&image);
    painter.setRenderHint(QPainter::Antialiasing);
    scene_->render(&painter, QRectF(QPointF(0, 0), source.size() * 2), source);
    painter.end();
    if (!image.save(&file, "PNG")) {
      *error = path + ": could not encode the PNG";
      return false;
    }
  }
  if (!file.commit()) {
    *error = path + ": " + file.errorString();
    return false;
  }
  return true;
}

}  // namespace roundlab::widgets
