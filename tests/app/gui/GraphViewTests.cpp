// The Structure view's dataflow graph on the real window: one node per quantizable layer of each
// demo model (and of a depthwise model), every dataflow edge the engine found, labelled with the
// shape of the tensor it carries (clear of the nodes), a click on a node selects that layer
// everywhere and a selection in the table shows in the graph, colouring by a metric (parameters,
// multiply-accumulates) orders the nodes' colours like the metric, blocks collapse, and the export
// writes files.
#include <QComboBox>
#include <QFile>
#include <QLineEdit>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QWheelEvent>

#include "app/gui/MainWindow.h"
#include "widgets/LayerTableModel.h"
#include "widgets/ModelGraphView.h"

using namespace roundlab;

namespace {

// "1×16×28×28": how an edge shows a shape (written here independently of the view).
QString shapeLabel(const std::vector<int64_t>& shape) {
  QStringList parts;
  for (int64_t d : shape) parts << QString::number(d);
  return parts.join(QChar(0x00D7));
}

QString selectedLayer(const app::MainWindow& w) {
  const QModelIndexList rows = w.layerView()->selectionModel()->selectedRows(widgets::LayerTableModel::Name);
  return rows.isEmpty() ? QString() : rows.first().data().toString();
}

// Shows the window on the Structure view, opens `path` and waits for its graph to be drawn.
bool openAndLayOut(app::MainWindow& w, const QString& path) {
  w.resize(1280, 800);
  w.show();
  w.showView(w.graphView());
  QSignalSpy loaded(&w, &app::MainWindow::modelLoaded);
  QSignalSpy laidOut(w.graphView(), &widgets::ModelGraphView::laidOut);
  w.openModel(path);
  return loaded.wait(120000) && (laidOut.size() > 0 || laidOut.wait(60000));
}

}  // namespace

class GraphViewTests : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
  void init() { QSettings().remove("runForm"); }

  void everyLayerAndEdgeIsDrawn_data() {
    QTest::addColumn<QString>("model");
    QTest::newRow("resnet") << QString(ROUNDLAB_DEMO_DIR) + "/fmnist_resnet.pt";
    QTest::newRow("transformer") << QString(ROUNDLAB_DEMO_DIR) + "/fmnist_transformer.pt";
    QTest::newRow("depthwise") << QString(ROUNDLAB_TEST_DATA_DIR) + "/depthwise_scripted.pt";
  }
  void everyLayerAndEdgeIsDrawn() {
    QFETCH(QString, model);
    app::MainWindow w;
    QVERIFY(openAndLayOut(w, model));
    const ModelSummary& s = w.snapshot()->summary;
    QStringList layers{kModelInput, kModelOutput}, edges;
    for (const LayerInfo& l : s.layers) layers << QString::fromStdString(l.name);
    for (const DataflowEdge& e : s.dataflow) edges << QString::fromStdString(e.from + " -> " + e.to);
    QStringList nodes = w.graphView()->nodeNames(), drawn = w.graphView()->edgeNames();
    layers.sort();
    nodes.sort();
    edges.sort();
    drawn.sort();
    QCOMPARE(nodes, layers);
    QCOMPARE(drawn, edges);
    // Each layer is reached, and reaches the output: nothing dangles.
    for (const LayerInfo& l : s.layers) {
      const QString name = QString::fromStdString(l.name);
      QVERIFY2(std::any_of(edges.begin(), edges.end(), [&](const QString& e) { return e.endsWith(" -> " + name); }),
               qPrintable(name));
      QVERIFY2(std::any_of(edges.begin(), edges.end(), [&](const QString& e) { return e.startsWith(name + " -> "); }),
               qPrintable(name));
    }
    // Every edge carries a tensor whose shape it shows, one sample of the calibration set (the
    // window's default, the demo's): what its head reads, from the input the sample, into the
    // output the logits; no label lies on a node.
    QVERIFY(s.hasShapes());
    QCOMPARE(s.inputShape, (std::vector<int64_t>{1, 1, 28, 28}));
    QCOMPARE(s.outputShape, (std::vector<int64_t>{1, 10}));
    for (const DataflowEdge& e : s.dataflow) {
      const QString edge = QString::fromStdString(e.from + " -> " + e.to);
      const LayerInfo* head = s.findLayer(e.to);
      const std::vector<int64_t>& carried = e.from == kModelInput ? s.inputShape
                                            : head                ? head->inputShape
                                                                  : s.outputShape;
      QVERIFY2(!carried.empty(), qPrintable(edge));
      QCOMPARE(w.graphView()->edgeLabel(edge), shapeLabel(carried));
      const QRectF label = w.graphView()->edgeLabelRect(edge);
      QVERIFY2(label.isValid(), qPrintable(edge));
      for (const QString& node : w.graphView()->nodeNames())
        QVERIFY2(!label.intersects(w.graphView()->nodeRect(node)), qPrintable(edge + " over " + node));
    }
  }

  void clickSelectsAndColoursFollowTheMetric() {
    app::MainWindow w;
    QVERIFY(openAndLayOut(w, QString(ROUNDLAB_DEMO_DIR) + "/fmnist_resnet.pt"));
    widgets::ModelGraphView* g = w.graphView();
    // A click on a node selects the layer in the table (and so in every view) ...
    for (const QString layer : {"layer2.0.conv1", "fc"}) {
      w.selectLayer("conv1");
      g->setSelectedLayer(layer);  // brought into view
      const QPoint at = g->nodeCenter(layer);
      QWidget* canvas = g->findChild<QWidget*>("graphCanvas");
      QTest::mouseClick(static_cast<QAbstractScrollArea*>(canvas)->viewport(), Qt::LeftButton, {}, at);
      QCOMPARE(selectedLayer(w), layer);
    }
    // ... and searching selects the first match.
    QTest::keyClicks(g->searchBox(), "downsample");  // as typed: the first match
    QCOMPARE(selectedLayer(w), QString("layer2.0.downsample.0"));
    QTest::keyClick(g->searchBox(), Qt::Key_Return);  // the next one
    QCOMPARE(selectedLayer(w), QString("layer3.0.downsample.0"));

    // Colour by parameters: the more weights, the stronger the fill (rank order, as the table).
    g->colorBox()->setCurrentIndex(g->colorBox()->findData(widgets::LayerTableModel::Params));
    QCOMPARE(w.shadeBox()->currentData().toInt(), int(widgets::LayerTableModel::Params));
    const ModelSummary& s = w.snapshot()->summary;
    for (const LayerInfo& a : s.layers)
      for (const LayerInfo& b : s.layers)
        if (a.params < b.params)
          QVERIFY2(g->nodeColor(QString::fromStdString(a.name)).alpha() <
                       g->nodeColor(QString::fromStdString(b.name)).alpha(),
                   qPrintable(QString::fromStdString(a.name + " vs " + b.name)));
    // The edges show the shapes of the architecture (tools/train_demo_models.py): the stem at
    // 28×28, stride 2 into layer2 and layer3, global pooling before fc.
    QCOMPARE(g->edgeLabel("(input) -> conv1"), QString("1×1×28×28"));
    QCOMPARE(g->edgeLabel("conv1 -> layer1.0.conv1"), QString("1×16×28×28"));
    QCOMPARE(g->edgeLabel("layer2.0.conv1 -> layer2.0.conv2"), QString("1×32×14×14"));
    QCOMPARE(g->edgeLabel("layer3.0.conv1 -> layer3.0.conv2"), QString("1×64×7×7"));
    QCOMPARE(g->edgeLabel("layer3.0.conv2 -> fc"), QString("1×64"));
    QCOMPARE(g->edgeLabel("fc -> (output)"), QString("1×10"));

    // Colour by multiply-accumulates: the more work a layer does per sample, the stronger its fill;
    // the table shows the same numbers, out_h·out_w·out_c·in_c·kh·kw for a conv.
    g->colorBox()->setCurrentIndex(g->colorBox()->findData(widgets::LayerTableModel::Macs));
    QCOMPARE(w.shadeBox()->currentData().toInt(), int(widgets::LayerTableModel::Macs));
    QCOMPARE(s.findLayer("layer2.0.conv2")->macs, int64_t(14 * 14 * 32 * 32 * 3 * 3));
    for (const LayerInfo& a : s.layers) {
      QVERIFY2(a.macs > 0, a.name.c_str());
      for (const LayerInfo& b : s.layers)
        if (a.macs < b.macs)
          QVERIFY2(g->nodeColor(QString::fromStdString(a.name)).alpha() <
                       g->nodeColor(QString::fromStdString(b.name)).alpha(),
                   qPrintable(QString::fromStdString(a.name + " vs " + b.name)));
    }
    QAbstractItemModel* table = w.layerView()->model();
    for (int row = 0; row < table->rowCount(); ++row) {
      const LayerInfo* l =
          s.findLayer(table->index(row, widgets::LayerTableModel::Name).data().toString().toStdString());
      QVERIFY(l);
      QCOMPARE(table->index(row, widgets::LayerTableModel::Macs).data(widgets::LayerTableModel::SortRole).toLongLong(),
               qlonglong(l->macs));
    }

    // The table's box sets the graph's too; no colouring leaves the plain fill.
    w.shadeBox()->setCurrentIndex(0);
    QCOMPARE(g->colorBox()->currentIndex(), 0);
    QCOMPARE(g->nodeColor("conv1"), g->nodeColor("fc"));
  }

  void blocksCollapseAndTheGraphExports() {
    app::MainWindow w;
    QVERIFY(openAndLayOut(w, QString(ROUNDLAB_DEMO_DIR) + "/fmnist_resnet.pt"));
    widgets::ModelGraphView* g = w.graphView();
    // A run replaces the window's snapshot of the model: the graph keeps its own.
    QSignalSpy done(&w, &app::MainWindow::quantized);
    QuantizationRequest r;
    r.method = QuantMethod::Rtn;
    w.startQuantization(r);
    QVERIFY(done.wait(120000));
    QSignalSpy laidOut(g, &widgets::ModelGraphView::laidOut);
    g->setBlockCollapsed("layer2.0", true);
    QVERIFY(laidOut.wait(60000));
    QVERIFY(g->nodeNames().contains("block:layer2.0"));
    QVERIFY(!g->nodeNames().contains("layer2.0.conv1"));
    // Its inputs and outputs go to the block: layer1.0.conv2 feeds it, it feeds layer3.0.conv1.
    QVERIFY(g->edgeNames().contains("layer1.0.conv2 -> block:layer2.0"));
    QVERIFY(g->edgeNames().contains("block:layer2.0 -> layer3.0.conv1"));
    QTemporaryDir dir;
    for (const char* suffix : {"svg", "png", "pdf"}) {
      const QString path = dir.filePath(QString("graph.") + suffix);
      QString error;
      QVERIFY2(g->saveAs(path, &error), qPrintable(error));
      QFile f(path);
      QVERIFY(f.open(QIODevice::ReadOnly));
      const QByteArray head = f.read(8);
      QVERIFY2(head.contains(suffix == QString("svg")   ? "<?xml"
                             : suffix == QString("png") ? "PNG"
                                                        : "%PDF"),
               head.constData());
    }
    // Zoomed in, the minimap shows where the view is.
    g->setBlockCollapsed("layer2.0", false);
    QVERIFY(laidOut.wait(60000));
    QWidget* canvas = g->findChild<QWidget*>("graphCanvas");
    for (int i = 0; i < 8; ++i) {
      QWheelEvent wheel(QPointF(50, 50), canvas->mapToGlobal(QPointF(50, 50)), {}, {0, 240}, Qt::NoButton, {},
                        Qt::NoScrollPhase, false);
      QApplication::sendEvent(static_cast<QAbstractScrollArea*>(canvas)->viewport(), &wheel);
    }
    QVERIFY(g->minimapShown());
  }
};

QTEST_MAIN(GraphViewTests)
#include "GraphViewTests.moc"
