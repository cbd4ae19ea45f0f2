// Widgets over engine value types: the layer table model (QAbstractItemModelTester) and the
// weight histogram, against direct counts.
#include <QAbstractItemModelTester>
#include <QApplication>
#include <QSortFilterProxyModel>
#include <QTest>

#include <random>

#include <QComboBox>
#include <QFile>
#include <QLineEdit>
#include <QTemporaryDir>

#include "widgets/LayerTableModel.h"
#include "widgets/LogConsole.h"
#include "widgets/QCustomPlotInclude.h"
#include "widgets/RoundingFlipsView.h"
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

  // Flipped and kept fractional parts against a direct per-bin count.
  void fractionalHistogramSplitsFlips() {
    std::mt19937 gen(3);
    std::uniform_real_distribution<float> u(0.0f, 0.999f);
    std::vector<float> frac(5000);
    std::vector<int8_t> flips(frac.size());
    for (size_t i = 0; i < frac.size(); ++i) {
      frac[i] = u(gen);
      flips[i] = static_cast<int8_t>(i % 7 == 0 ? 1 : (i % 11 == 0 ? -1 : 0));
    }
    const auto [kept, flipped] = widgets::fractionalHistogram(frac, flips, 20);
    for (int b = 0; b < 20; ++b) {
      double k = 0, f = 0;
      for (size_t i = 0; i < frac.size(); ++i)
        if (frac[i] >= b / 20.0f && frac[i] < (b + 1) / 20.0f) (flips[i] ? f : k) += 1;
      QCOMPARE(kept[static_cast<size_t>(b)], k);
      QCOMPARE(flipped[static_cast<size_t>(b)], f);
    }
    const auto [values, counts] = widgets::valueCounts({0.5f, -1.0f, 0.5f, 2.0f, 0.5f});
    QCOMPARE(values, (std::vector<double>{-1.0, 0.5, 2.0}));
    QCOMPARE(counts, (std::vector<double>{1, 3, 1}));
  }

  // The flip map has one cell per weight with its sign; the views survive empty data.
  void flipsViewDrawsEveryWeight() {
    widgets::RoundingFlipsView view;
    const std::vector<int8_t> flips{1, 0, -1, 0, 0, 1};
    view.setLayer("fc", flips, 2, 3, {0.1f, 0.5f, 0.9f, 0.2f, 0.3f, 0.6f}, {{0, 1.0}, {10, 0.5}}, 1.0, 0.4);
    auto* map = qobject_cast<QCPColorMap*>(view.mapPlot()->plottable(0));
    QVERIFY(map);
    QCOMPARE(map->data()->keySize(), 3);
    QCOMPARE(map->data()->valueSize(), 2);
    for (int r = 0; r < 2; ++r)
      for (int c = 0; c < 3; ++c) QCOMPARE(map->data()->cell(c, r), static_cast<double>(flips[r * 3 + c]));
    view.setLayer("empty", {}, 0, 0, {}, {}, 0, 0);
    view.setLayers({}, {}, {});
  }

  // Levels filter what is shown, search narrows it, saving writes every entry.
  void logConsoleFiltersAndSaves() {
    widgets::LogConsole log;
    log.log(widgets::LogConsole::Debug, "probe batch ready");
    log.log(widgets::LogConsole::Info, "Loaded demo");
    log.log(widgets::LogConsole::Error, "Failed: disk full");
    QCOMPARE(log.visibleText().count('\n') + 1, 2);  // info and above by default
    QVERIFY(!log.visibleText().contains("probe"));
    log.levelBox()->setCurrentIndex(widgets::LogConsole::Error);
    QVERIFY(log.visibleText().contains("disk full") && !log.visibleText().contains("Loaded"));
    log.levelBox()->setCurrentIndex(widgets::LogConsole::Debug);
    log.searchBox()->setText("LOADED");
    QVERIFY(log.visibleText().contains("Loaded demo") && !log.visibleText().contains("disk"));
    QTemporaryDir dir;
    QVERIFY(log.saveTo(dir.filePath("log.txt")));
    QFile f(dir.filePath("log.txt"));
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QString text = QString::fromUtf8(f.readAll());
    QCOMPARE(text.count('\n'), 3);
    QVERIFY(text.contains("error   Failed: disk full"));
    QString error;
    QVERIFY(!log.saveTo(dir.filePath("no/such/dir/log.txt"), &error));
    QVERIFY(!error.isEmpty());
  }
};

QTEST_MAIN(WidgetsTests)
#include "WidgetsTests.moc"
