// Widgets over engine value types: the table models (QAbstractItemModelTester), the weight
// histogram against direct counts, the importance, Pareto and run comparison views.
#include <QAbstractItemModelTester>
#include <QApplication>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QTest>

#include <cmath>
#include <limits>
#include <random>

#include <QComboBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>

#include "widgets/ImportanceView.h"
#include "widgets/LayerTableModel.h"
#include "widgets/LogConsole.h"
#include "widgets/ParetoPlot.h"
#include "widgets/QCustomPlotInclude.h"
#include "widgets/RoundingFlipsView.h"
#include "widgets/RunComparisonView.h"
#include "widgets/RunHistoryTable.h"
#include "widgets/TableExport.h"
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

  // Shading by a column ranks the rows by its values; rows without a value stay unshaded.
  void layerTableShadesByRankAndShowsImportance() {
    widgets::LayerTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setLayers(sampleLayers());
    model.setImportance({{"layer1.0.conv1", 0.5}, {"fc", 2e-4}});
    QCOMPARE(model.index(2, widgets::LayerTableModel::Importance).data().toString(), QString("0.0002"));
    QCOMPARE(model.index(1, widgets::LayerTableModel::Importance).data().toString(), QString("—"));
    QVERIFY(!model.index(0, 0).data(Qt::BackgroundRole).isValid());
    model.setShadeColumn(widgets::LayerTableModel::Importance);
    QCOMPARE(model.shade(0), 1.0);
    QCOMPARE(model.shade(2), 0.0);
    QCOMPARE(model.shade(1), -1.0);
    QVERIFY(model.index(0, 0).data(Qt::BackgroundRole).value<QColor>().alpha() >
            model.index(2, 0).data(Qt::BackgroundRole).value<QColor>().alpha());
    QVERIFY(!model.index(1, 0).data(Qt::BackgroundRole).isValid());
    model.setShadeColumn(widgets::LayerTableModel::Params);  // 1152, 288, 640
    QCOMPARE(model.shade(0), 1.0);
    QCOMPARE(model.shade(1), 0.0);
    QCOMPARE(model.shade(2), 0.5);
    model.setShadeColumn(-1);
    QCOMPARE(model.shade(0), -1.0);
  }

  // Two runs side by side: the deltas are B − A per layer, matched by name; a layer only A has
  // shows no B values.
  void runComparisonDeltas() {
    widgets::RunSummary a{"#1", 92.35, 91.6,        {{"conv1", 8, 49.0, 0.02, 1e-4}, {"fc", 3, 20.0, 0.03, 2e-3}},
                          1,    "",    "rtn W3A32", 1.5};
    widgets::RunSummary b{"#2", 92.35, 90.9, {{"fc", 5, 31.5, 0.01, 5e-4}}, 2, "", "adaround W5A32", 7.25};
    widgets::RunComparisonModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setRuns(&a, &b);
    QCOMPARE(model.rowCount(), 2);
    using M = widgets::RunComparisonModel;
    QCOMPARE(model.index(1, M::Layer).data().toString(), QString("fc"));
    QCOMPARE(model.index(1, M::BitsB).data().toInt(), 5);
    QCOMPARE(model.index(1, M::SqnrDelta).data(M::SortRole).toDouble(), 31.5 - 20.0);
    QCOMPARE(model.index(1, M::SqnrDelta).data().toString(), QString("+11.5"));
    QCOMPARE(model.index(1, M::MseA).data(M::SortRole).toDouble(), std::pow(10.0, -2.0));
    QCOMPARE(model.index(0, M::BitsB).data().toString(), QString("—"));
    QCOMPARE(model.index(0, M::SqnrDelta).data().toString(), QString("—"));
    QCOMPARE(widgets::relativeMse(std::numeric_limits<double>::infinity()), 0.0);
    widgets::RunComparisonView view;
    view.setRuns({a, b});
    QCOMPARE(view.runA()->currentText(), QString("#1"));
    QCOMPARE(view.runB()->currentText(), QString("#2"));
    QVERIFY(view.summary()->text().contains("-0.70 points top-1"));
    QCOMPARE(view.sqnrPlot()->plottableCount(), 2);
    view.runB()->setCurrentIndex(0);  // none: A alone
    QCOMPARE(view.sqnrPlot()->plottableCount(), 1);
    QCOMPARE(view.model()->index(1, M::SqnrB).data().toString(), QString("—"));
  }

  // The run history lists every run with its own numbers, marks the shown one, names a run in
  // place, compares any two selected rows, and keeps the compared pair when a run is renamed.
  void runHistoryListsComparesAndRenames() {
    std::vector<widgets::RunSummary> runs;
    for (int n = 1; n <= 3; ++n) {
      widgets::RunSummary r;
      r.number = n;
      r.label = QString("#%1 rtn W%2A32").arg(n).arg(n + 1);
      r.settings = QString("rtn W%1A32").arg(n + 1);
      r.top1Fp = 92.0;
      r.top1 = 80.0 + n;
      r.seconds = 0.5 * n;
      r.layers = {{"fc", n + 1, 10.0 * n, 0.0, 0.0}};
      runs.push_back(r);
    }
    runs[2].shown = true;
    runs[0].canShow = false;
    widgets::RunComparisonView view;
    widgets::RunHistoryTable* history = view.history();
    view.setRuns(runs);
    QTableWidget* table = history->table();
    QCOMPARE(table->rowCount(), 3);
    QCOMPARE(table->item(2, widgets::RunHistoryTable::Number)->text(), QString("▶ #3"));
    QVERIFY(table->item(2, widgets::RunHistoryTable::Number)->font().bold());
    QCOMPARE(table->item(0, widgets::RunHistoryTable::Top1Change)->text(), QString("-11.00"));
    QCOMPARE(table->item(1, widgets::RunHistoryTable::Settings)->text(), QString("rtn W3A32"));
    QCOMPARE(view.runA()->currentText(), runs[1].label);  // a new run: the last two
    QCOMPARE(view.runB()->currentText(), runs[2].label);
    // Two rows: compared, the older as A.
    table->selectRow(2);
    table->selectionModel()->select(table->model()->index(0, 0),
                                    QItemSelectionModel::Select | QItemSelectionModel::Rows);
    QCOMPARE(view.runA()->currentText(), runs[0].label);
    QCOMPARE(view.runB()->currentText(), runs[2].label);
    QVERIFY(!history->showButton()->isEnabled());  // two rows: nothing to show or delete alone
    // One row whose weights were dropped cannot be shown; another can.
    table->selectRow(0);
    QVERIFY(!history->showButton()->isEnabled());
    QVERIFY(history->deleteButton()->isEnabled());
    table->selectRow(1);
    QSignalSpy shown(history, &widgets::RunHistoryTable::showRequested);
    history->showButton()->click();
    QCOMPARE(shown.size(), 1);
    QCOMPARE(shown.first().first().toInt(), 2);
    QSignalSpy deleted(history, &widgets::RunHistoryTable::deleteRequested);
    history->deleteButton()->click();
    QCOMPARE(deleted.first().first().toInt(), 2);
    // Naming in place asks for the rename; the renamed history keeps the pair compared.
    QSignalSpy renamed(history, &widgets::RunHistoryTable::renameRequested);
    table->item(0, widgets::RunHistoryTable::Name)->setText("  baseline ");
    QTRY_COMPARE(renamed.size(), 1);
    QCOMPARE(renamed.first().at(0).toInt(), 1);
    QCOMPARE(renamed.first().at(1).toString(), QString("baseline"));
    view.compareRuns(1, 3);
    runs[0].name = "baseline";
    runs[0].label = "#1 baseline";
    view.setRuns(runs);
    QTest::qWait(10);
    QCOMPARE(renamed.size(), 1);  // refilling the table is no rename
    QCOMPARE(view.runA()->currentText(), QString("#1 baseline"));
    QCOMPARE(view.runB()->currentText(), runs[2].label);
    QCOMPARE(history->currentRun(), 2);  // the selected row stays selected
    // The compared A deleted: the latest other run takes its place, never B itself.
    std::vector<widgets::RunSummary> left{runs[1], runs[2]};
    view.setRuns(left);
    QCOMPARE(view.runA()->currentText(), runs[1].label);
    QCOMPARE(view.runB()->currentText(), runs[2].label);
    view.setRuns({runs[2]});  // one run left: A alone
    QCOMPARE(view.runA()->currentText(), runs[2].label);
    QCOMPARE(view.runB()->currentIndex(), 0);
    view.setRuns(runs);
    // The table exports as numbers.
    QTemporaryDir dir;
    QVERIFY(widgets::saveTableCsv(table->model(), dir.filePath("runs.csv")));
    QFile csv(dir.filePath("runs.csv"));
    QVERIFY(csv.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = csv.readAll().split('\n');
    QCOMPARE(lines[1].trimmed(), QByteArray("1,baseline,rtn W2A32,81,-11,0.5"));
  }

  // The heat map holds log10 of the chosen estimator's values; the bars compare every estimator
  // at one width; the agreement table has one row per pair.
  void importanceViewShowsEveryEstimator() {
    widgets::ImportanceSeries m{"measured", {"a", "b", "c"}, {2, 4}, {{1.0, 0.01}, {0.5, -0.002}, {0.1, 0.001}}};
    widgets::ImportanceSeries h{"Hessian trace", {"a", "b", "c"}, {2, 4}, {{0.2, 0.02}, {0.4, 0.003}, {0.3, 0.0004}}};
    widgets::RankAgreement agree{"measured", "Hessian trace", {2, 4}, {-0.5, 1.0}, 0.25};
    widgets::ImportanceView view;
    view.setEstimates({m, h}, {agree}, 0);
    auto* map = qobject_cast<QCPColorMap*>(view.heatMapPlot()->plottable(0));
    QVERIFY(map);
    QCOMPARE(map->data()->keySize(), 2);
    QCOMPARE(map->data()->valueSize(), 3);
    QCOMPARE(map->data()->cell(1, 0), std::log10(0.01));
    // A negative loss change has no logarithm: NaN, drawn in the gradient's own NaN colour (not the
    // colour of any importance), and named with its meaning under the plots.
    QVERIFY(std::isnan(map->data()->cell(1, 1)));
    QCOMPARE(map->gradient().nanHandling(), QCPColorGradient::nhNanColor);
    QVERIFY(map->gradient().nanColor() != map->gradient().color(map->dataRange().lower, map->dataRange()));
    QVERIFY(map->gradient().nanColor() != map->gradient().color(map->dataRange().upper, map->dataRange()));
    QCOMPARE(map->dataRange().lower, std::log10(0.001));  // the colour scale spans the finite cells only
    const QString note = widgets::lossDecreaseNote({m, h});
    QVERIFY2(note.contains("b at 4 bits") && note.contains("-0.002") && note.contains("measured"), qPrintable(note));
    QVERIFY(widgets::lossDecreaseNote({h}).isEmpty());
    auto* noteLabel = view.findChild<QLabel*>("lossDecreaseNote");
    QVERIFY(noteLabel && !noteLabel->isHidden() && noteLabel->text() == note);
    // In the bars at 4 bits: no bar for b from "measured", a marker in its slot instead.
    QCOMPARE(view.barsPlot()->plottableCount(), 3);
    auto* measuredBars = qobject_cast<QCPBars*>(view.barsPlot()->plottable(0));
    QCOMPARE(measuredBars->dataCount(), 2);
    auto* marks = qobject_cast<QCPGraph*>(view.barsPlot()->plottable(2));
    QVERIFY(marks && marks->dataCount() == 1);
    QVERIFY(marks->data()->at(0)->key > 0.5 && marks->data()->at(0)->key < 1.0);  // layer b (x = 1), left slot
    view.estimatorBox()->setCurrentIndex(1);
    map = qobject_cast<QCPColorMap*>(view.heatMapPlot()->plottable(0));
    QCOMPARE(map->data()->cell(0, 2), std::log10(0.3));
    view.bitsBox()->setCurrentIndex(view.bitsBox()->findData(2));
    auto* bars = qobject_cast<QCPBars*>(view.barsPlot()->plottable(1));
    QCOMPARE(bars->data()->at(1)->value, 0.4);
    QCOMPARE(view.agreementTable()->rowCount(), 1);
    QCOMPARE(view.agreementTable()->item(0, 1)->text(), QString("-0.50"));
    QCOMPARE(view.agreementTable()->item(0, 3)->text(), QString("0.25"));
    view.clear();
    QCOMPARE(view.heatMapPlot()->plottableCount(), 0);
  }

  // Values with 95 % intervals: error bars on their bars (an interval reaching zero ends at the
  // log axis's floor), and the note tells a value within its noise from one really below zero.
  void importanceViewShowsIntervals() {
    widgets::ImportanceSeries m{"measured",
                                {"a", "b", "c"},
                                {2, 4},
                                {{1.0, 0.01}, {0.5, -0.002}, {0.1, -0.05}},
                                {{0.1, 0.004}, {0.05, 0.003}, {0.5, 0.01}}};
    widgets::ImportanceView view;
    view.setEstimates({m}, {}, 0);
    const QString note = widgets::lossDecreaseNote({m});
    QVERIFY2(
        note.startsWith("2 values") && note.contains("b at 4 bits (-0.002 ± 0.003") &&
            note.contains("1 is within its 95 % interval of zero") &&
            note.contains("1 is below zero by more than its interval: quantizing the layer alone lowered the loss"),
        qPrintable(note));
    view.bitsBox()->setCurrentIndex(view.bitsBox()->findData(2));
    QCPErrorBars* errors = nullptr;
    for (int i = 0; i < view.barsPlot()->plottableCount(); ++i)
      if (auto* e = qobject_cast<QCPErrorBars*>(view.barsPlot()->plottable(i))) errors = e;
    QVERIFY(errors && errors->dataCount() == 3);
    QVERIFY(!view.barsPlot()->legend->hasItemWithPlottable(errors));
    QCOMPARE(errors->data()->at(0).errorPlus, 0.1);
    QCOMPARE(errors->data()->at(0).errorMinus, 0.1);
    const double floor = 0.01 / 10;  // a tenth of the smallest positive value
    QVERIFY(std::abs(errors->data()->at(2).errorMinus - (0.1 - floor)) < 1e-12);  // 0.1 ± 0.5 ends at the floor
    QCOMPARE(errors->data()->at(2).errorPlus, 0.5);
    view.bitsBox()->setCurrentIndex(view.bitsBox()->findData(4));  // only a is positive at 4 bits
    errors = nullptr;
    for (int i = 0; i < view.barsPlot()->plottableCount(); ++i)
      if (auto* e = qobject_cast<QCPErrorBars*>(view.barsPlot()->plottable(i))) errors = e;
    QVERIFY(errors && errors->dataCount() == 1);
    QCOMPARE(errors->data()->at(0).errorPlus, 0.004);
  }

  // A table as CSV: header first, fields with commas quoted, one line per row; a directory that
  // does not exist is an error, not a partial file.
  void tableExportsAsCsv() {
    widgets::LayerTableModel model;
    model.setLayers(sampleLayers());
    QTemporaryDir dir;
    const QString path = dir.filePath("layers.csv");
    QString error;
    QVERIFY2(widgets::saveTableCsv(&model, path, &error), qPrintable(error));
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QStringList lines = QString::fromUtf8(f.readAll()).split("\r\n", Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), model.rowCount() + 1);
    QVERIFY(lines[0].startsWith("Layer,Kind,Weight shape,Weights,Block,Bits"));
    const QString attributes = model.index(0, widgets::LayerTableModel::Attributes).data().toString();
    QVERIFY(attributes.contains(','));
    QVERIFY(lines[1].endsWith(",\"" + attributes + "\""));
    QVERIFY(lines[1].startsWith("layer1.0.conv1,Conv2d,\"[16,8,3,3]\","));
    QVERIFY(!widgets::saveTableCsv(&model, dir.filePath("missing/layers.csv"), &error));
    QVERIFY(!error.isEmpty());
  }

  // CSV fields are plain numbers whatever the view shows ("1.152" with German grouping, "—",
  // rounded digits): a missing value is an empty field, a number reads back exactly as the model's.
  void csvHoldsPlainNumbers() {
    QLocale::setDefault(QLocale(QLocale::German));
    widgets::LayerTableModel model;
    const std::vector<LayerInfo> layers = sampleLayers();
    model.setLayers(layers);
    model.setMetrics({{layers[0].name, {3, 0.123456789, 17.0625}}});
    QCOMPARE(model.index(0, widgets::LayerTableModel::Params).data().toString(), QString("1.152"));  // as shown
    QTemporaryDir dir;
    const QString path = dir.filePath("layers.csv");
    QVERIFY(widgets::saveTableCsv(&model, path, nullptr));
    QLocale::setDefault(QLocale::c());
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QStringList lines = QString::fromUtf8(f.readAll()).split("\r\n", Qt::SkipEmptyParts);
    const auto fields = [](const QString& line) {  // RFC 4180: quoted fields may hold commas
      QStringList out{QString()};
      bool quoted = false;
      for (QChar c : line) {
        if (c == '"')
          quoted = !quoted;
        else if (c == ',' && !quoted)
          out << QString();
        else
          out.last() += c;
      }
      return out;
    };
    const QStringList first = fields(lines[1]), second = fields(lines[2]);
    using M = widgets::LayerTableModel;
    bool ok = false;
    QCOMPARE(first[M::Params].toLongLong(&ok), static_cast<qlonglong>(layers[0].params));
    QVERIFY(ok);
    QCOMPARE(first[M::Bits].toInt(), 3);
    QCOMPARE(first[M::FlipRate].toDouble(&ok), model.index(0, M::FlipRate).data(M::SortRole).toDouble());
    QVERIFY(ok);
    QCOMPARE(first[M::Sqnr].toDouble(), 17.0625);
    QVERIFY(second[M::Bits].isEmpty() && second[M::FlipRate].isEmpty() && second[M::Sqnr].isEmpty());
    QCOMPARE(second[M::Params].toLongLong(), static_cast<qlonglong>(layers[1].params));
  }

  // Clicking a point of the front reports its index.
  void paretoPlotReportsClickedPoint() {
    widgets::ParetoPlot plot;
    plot.resize(600, 400);
    plot.show();
    QVERIFY(QTest::qWaitForWindowExposed(&plot));
    plot.setFront({2.0, 3.0, 4.0, 8.0}, {1.0, 0.1, 0.01, 0.0});
    plot.plot()->replot();
    QSignalSpy clicked(&plot, &widgets::ParetoPlot::pointClicked);
    QTest::mouseClick(plot.plot(), Qt::LeftButton, {}, plot.pointPosition(2));
    QCOMPARE(clicked.count(), 1);
    QCOMPARE(clicked.first().at(0).toInt(), 2);
    plot.setCurrent(4.0, 0.01);
    QCOMPARE(plot.plot()->graph(1)->dataCount(), 1);
  }
};

QTEST_MAIN(WidgetsTests)
#include "WidgetsTests.moc"
