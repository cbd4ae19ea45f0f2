// Widgets over engine value types: the layer table model (QAbstractItemModelTester) and the
// weight histogram, against direct counts.
#include <QAbstractItemModelTester>
#include <QApplication>
#include <QSortFilterProxyModel>
#include <QTest>

#include <random>

#include "widgets/LayerTableModel.h"
#include "widgets/QCustomPlotInclude.h"
#include "widgets/WeightHistogramView.h"

using namespace roundlab;

namespace {

std::vector<LayerInfo> sampleLayers() {
  LayerInfo conv;
  conv.name = "layer1.0.conv1";
  conv.kind = LayerKind::Conv2d;
  conv.weightShape = {16, 8, 3, 3};
  conv.params = 1152;
  conv.block = "layer1.0";
  conv.conv = ConvAttributes{{2, 2}, {1, 1}, "", {1, 1}, 1, false};
  LayerInfo dw = conv;
  dw.name = "block.depthwise";
  dw.weightShape = {32, 1, 3, 3};
  dw.params = 288;
  dw.conv->groups = 32;
  dw.conv->depthwise = true;
  LayerInfo fc;
  fc.name = "fc";
  fc.kind = LayerKind::Linear;
  fc.weightShape = {10, 64};
  fc.params = 640;
  return {conv, dw, fc};
}

}  // namespace

class WidgetsTests : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void layerTableModelIsConsistent() {
    widgets::LayerTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(model.rowCount(), 0);
    model.setLayers(sampleLayers());
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(model.columnCount(), int(widgets::LayerTableModel::ColumnCount));
    QCOMPARE(model.index(0, widgets::LayerTableModel::Name).data().toString(), QString("layer1.0.conv1"));
    QCOMPARE(model.index(0, widgets::LayerTableModel::Shape).data().toString(), QString("[16,8,3,3]"));
    QCOMPARE(model.index(2, widgets::LayerTableModel::Kind).data().toString(), QString("Linear"));
    QVERIFY(model.index(1, widgets::LayerTableModel::Attributes).data().toString().contains("depthwise"));
    QCOMPARE(model.index(2, widgets::LayerTableModel::Block).data().toString(), QString("—"));
    model.setLayers({});
    QCOMPARE(model.rowCount(), 0);
  }

  void sortsParamsNumerically() {
    widgets::LayerTableModel model;
    model.setLayers(sampleLayers());
    QSortFilterProxyModel proxy;
    proxy.setSourceModel(&model);
    proxy.setSortRole(widgets::LayerTableModel::SortRole);
    proxy.sort(widgets::LayerTableModel::Params, Qt::AscendingOrder);
    QCOMPARE(proxy.index(0, 0).data().toString(), QString("block.depthwise"));  // 288 < 640 < 1152
    QCOMPARE(proxy.index(2, 0).data().toString(), QString("layer1.0.conv1"));
  }

  void histogramCountsEveryValueOnce() {
    std::mt19937 rng(5);
    std::normal_distribution<float> dist(0.f, 0.1f);
    std::vector<float> v(5000);
    for (float& x : v) x = dist(rng);
    const auto [centres, counts] = widgets::histogram(v, 21);
    double total = 0;
    for (double c : counts) total += c;
    QCOMPARE(total, 5000.0);
    const float lo = *std::min_element(v.begin(), v.end()), hi = *std::max_element(v.begin(), v.end());
    const double width = (hi - lo) / 21.0;
    // Direct count for the middle bin.
    int mid = 0;
    for (float x : v) mid += (x >= lo + 10 * width && x < lo + 11 * width) ? 1 : 0;
    QVERIFY(std::abs(counts[10] - mid) <= 1);
    QVERIFY(std::abs(centres[0] - (lo + width / 2)) < 1e-6);
  }

  void histogramViewPlotsBars() {
    widgets::WeightHistogramView view;
    view.resize(600, 400);
    view.setWeights("fc", {0.f, 0.1f, 0.1f, 0.2f}, 3);
    QCOMPARE(view.plot()->plottableCount(), 1);
    auto* bars = qobject_cast<QCPBars*>(view.plot()->plottable(0));
    QVERIFY(bars);
    QCOMPARE(bars->data()->size(), 3);
    double sum = 0;
    for (auto it = bars->data()->constBegin(); it != bars->data()->constEnd(); ++it) sum += it->value;
    QCOMPARE(sum, 4.0);
    view.clear();
    QCOMPARE(view.plot()->plottableCount(), 0);
  }
};

QTEST_MAIN(WidgetsTests)
#include "WidgetsTests.moc"
