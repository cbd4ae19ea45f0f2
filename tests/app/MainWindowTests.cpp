// The main window driven offscreen: it opens the bundled demo off the GUI thread, lists every
// layer, plots the selected layer's weights and survives a bad file.
#include <QAbstractItemModelTester>
#include <QAction>
#include <QElapsedTimer>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QProgressBar>
#include <QPushButton>
#include <QSlider>
#include <QTimer>
#include <QUndoStack>

#include <QSignalSpy>
#include <QTableView>
#include <QTest>
#include <set>

#include "app/gui/AllocationDocument.h"
#include "app/gui/AllocationPanel.h"
#include "app/gui/MainWindow.h"
#include "app/gui/RunPanel.h"
#include "widgets/QCustomPlotInclude.h"
#include "widgets/WeightHistogramView.h"

using namespace roundlab;

class MainWindowTests : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void opensDemoAndShowsLayers() {
    app::MainWindow w;
    w.show();
    QSignalSpy loaded(&w, &app::MainWindow::modelLoaded);
    w.openDemo();
    QVERIFY(loaded.wait(120000));
    QVERIFY(w.snapshot());
    QCOMPARE(w.layerView()->model()->rowCount(), static_cast<int>(w.snapshot()->summary.layers.size()));
    QCOMPARE(w.layerView()->model()->rowCount(), 10);
    // The first layer is selected and its weights are plotted: bar heights sum to its size.
    auto* bars = qobject_cast<QCPBars*>(w.histogram()->plot()->plottable(0));
    QVERIFY(bars);
    double sum = 0;
    for (auto it = bars->data()->constBegin(); it != bars->data()->constEnd(); ++it) sum += it->value;
    const QString first = w.layerView()->model()->index(0, 0).data().toString();
    double params = 0;
    for (const LayerInfo& l : w.snapshot()->summary.layers)
      if (l.name == first.toStdString()) params = static_cast<double>(l.params);
    QCOMPARE(sum, params);
    // Filtering narrows the table.
    auto* filter = w.findChild<QLineEdit*>("layerFilter");
    QVERIFY(filter);
    filter->setText("layer2");
    QCOMPARE(w.layerView()->model()->rowCount(), 3);
    filter->clear();
    QCOMPARE(w.layerView()->model()->rowCount(), 10);
  }

  // Start and cancel from the Run view; results reach the layer table and the histogram; the GUI
  // thread keeps running meanwhile (its longest stall is printed).
  void runsAndCancelsOnTheEngineThread() {
    app::MainWindow w;
    w.show();
    QSignalSpy loaded(&w, &app::MainWindow::modelLoaded);
    w.openDemo();
    QVERIFY(loaded.wait(120000));
    app::RunPanel* run = w.runPanel();
    QVERIFY(run->startButton()->isEnabled());
    QuantizationRequest r = run->request();
    r.method = QuantMethod::AdaRound;
    r.weights.bits = 3;
    r.adaround.iterations = 30;
    r.calibrationCount = 64;
    run->setRequest(r);
    QCOMPARE(run->request().adaround.iterations, 30);
    // A timer on the GUI thread measures how long the event loop is ever blocked.
    QElapsedTimer tick;
    qint64 longestStall = 0;
    QTimer probe;
    probe.setInterval(5);
    QObject::connect(&probe, &QTimer::timeout, [&] {
      if (tick.isValid())
        longestStall = std::max(longestStall, tick.restart());
      else
        tick.start();
    });
    probe.start();
    QSignalSpy done(&w, &app::MainWindow::quantized);
    QTest::mouseClick(run->startButton(), Qt::LeftButton);
    QVERIFY(!run->startButton()->isEnabled() && run->cancelButton()->isEnabled());
    QVERIFY(done.wait(300000));
    probe.stop();
    qInfo("longest GUI-thread stall while quantizing: %lld ms", static_cast<long long>(longestStall));
    QVERIFY(w.lastRun());
    QCOMPARE(w.lastRun()->result.layers.size(), size_t(10));
    QVERIFY(w.lastRun()->top1 > 50);
    QCOMPARE(run->progressBar()->value(), 1000);
    // The table shows each layer's bits; the histogram the quantized weights of the selected layer.
    const QAbstractItemModel* table = w.layerView()->model();
    int bitsColumn = -1;
    for (int c = 0; c < table->columnCount(); ++c)
      if (table->headerData(c, Qt::Horizontal).toString() == "Bits") bitsColumn = c;
    QVERIFY(bitsColumn >= 0);
    for (int row = 0; row < table->rowCount(); ++row) {
      const QString name = table->index(row, 0).data().toString();
      const int expected = name == "conv1" || name == "fc" ? 8 : 3;
      QCOMPARE(table->index(row, bitsColumn).data().toString(), QString::number(expected));
    }
    w.layerView()->selectRow(1);
    const std::string selected = table->index(1, 0).data().toString().toStdString();
    const std::vector<float>& q = w.snapshot()->weights.at(selected);
    // 3 bits per output channel: at most 8 levels per channel.
    int64_t rows = 0;
    for (const LayerInfo& l : w.snapshot()->summary.layers)
      if (l.name == selected) rows = l.weightShape[0];
    const size_t perRow = q.size() / static_cast<size_t>(rows);
    for (int64_t c = 0; c < rows; ++c) {
      const std::set<float> levels(q.begin() + c * perRow, q.begin() + (c + 1) * perRow);
      QVERIFY2(levels.size() <= 8, selected.c_str());
    }
    // A long run, cancelled: the model stays as it was, and the window is ready again.
    const std::vector<float> before = w.snapshot()->weights.at(selected);
    r.adaround.iterations = 100000;
    run->setRequest(r);
    QSignalSpy failed(&w, &app::MainWindow::jobFailed);
    QTest::mouseClick(run->startButton(), Qt::LeftButton);
    QTest::qWait(1500);
    QElapsedTimer cancelClock;
    cancelClock.start();
    QTest::mouseClick(run->cancelButton(), Qt::LeftButton);
    QVERIFY(failed.wait(30000));
    qInfo("cancel took effect after %lld ms", static_cast<long long>(cancelClock.elapsed()));
    QCOMPARE(failed.first().at(1).toBool(), true);  // cancelled, not failed
    QVERIFY(w.snapshot()->weights.at(selected) == before);
    QVERIFY(run->startButton()->isEnabled());
    // An engine error (unreadable calibration set) is a message, not a crash.
    w.setCalibrationPath(QString(ROUNDLAB_TEST_DATA_DIR) + "/not_a_model.pt");
    r.adaround.iterations = 10;
    run->setRequest(r);
    QTest::mouseClick(run->startButton(), Qt::LeftButton);
    QVERIFY(failed.wait(30000));
    QCOMPARE(failed.last().at(1).toBool(), false);
    QVERIFY(!failed.last().at(0).toString().isEmpty());
  }

  // Importance on the engine thread, then allocation edits through the undo stack: a bit edit,
  // undo and redo from the Edit menu, a slider drag as one step, and a run at the allocation.
  void mixedPrecisionWithUndo() {
    app::MainWindow w;
    w.show();
    QSignalSpy loaded(&w, &app::MainWindow::modelLoaded);
    w.openDemo();
    QVERIFY(loaded.wait(120000));
    app::AllocationPanel* panel = w.allocationPanel();
    QVERIFY(!panel->budgetSlider()->isEnabled());
    QSignalSpy ready(&w, &app::MainWindow::importanceReady);
    QTest::mouseClick(panel->estimateButton(), Qt::LeftButton);
    QVERIFY(ready.wait(300000));
    QAbstractItemModelTester tester(panel->table()->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester layerTester(w.layerView()->model(),
                                         QAbstractItemModelTester::FailureReportingMode::QtTest);
    app::AllocationDocument* doc = w.allocation();
    QAbstractItemModel* table = panel->table()->model();
    QCOMPARE(table->rowCount(), 10);
    std::map<std::string, double> weights;
    double total = 0;
    for (const LayerInfo& l : w.snapshot()->summary.layers) total += (weights[l.name] = static_cast<double>(l.params));
    auto average = [&] {
      double bits = 0;
      for (const auto& [layer, b] : doc->bits()) bits += weights.at(layer) * b;
      return bits / total;
    };
    QCOMPARE(doc->totals().averageBits, 8.0);
    // Edit one layer's bits in the table: the totals follow.
    const int row = 7;
    const std::string layer = table->index(row, 0).data().toString().toStdString();
    QVERIFY(table->setData(table->index(row, app::AllocationTableModel::Bits), 3));
    QCOMPARE(doc->bits().at(layer), 3);
    QVERIFY(std::abs(doc->totals().averageBits - average()) < 1e-12);
    QVERIFY(doc->totals().averageBits < 8.0);
    QVERIFY(panel->totalsLabel()->text().contains(QString::number(doc->totals().averageBits, 'f', 3)));
    // Undo and redo through the Edit menu's actions (Ctrl+Z / Ctrl+Shift+Z).
    QAction *undo = nullptr, *redo = nullptr;
    for (QAction* a : w.findChildren<QAction*>()) {
      if (a->shortcut() == QKeySequence(QKeySequence::Undo)) undo = a;
      if (a->shortcut() == QKeySequence("Ctrl+Shift+Z")) redo = a;
    }
    QVERIFY(undo && redo);
    undo->trigger();
    QCOMPARE(doc->bits().at(layer), 8);
    redo->trigger();
    QCOMPARE(doc->bits().at(layer), 3);
    // A slider drag through several budgets is one undo step.
    const int steps = doc->undoStack()->count();
    QSlider* slider = panel->budgetSlider();
    slider->setSliderDown(true);
    for (int v : {600, 450, 300}) slider->setValue(v);
    slider->setSliderDown(false);
    QCOMPARE(doc->undoStack()->count(), steps + 1);
    QVERIFY(doc->totals().averageBits <= 3.0 + 1e-9);
    QVERIFY(std::abs(doc->totals().averageBits - average()) < 1e-12);
    const std::map<std::string, int> allocated = doc->bits();
    undo->trigger();
    QCOMPARE(doc->bits().at(layer), 3);  // back to before the drag
    QCOMPARE(doc->totals().averageBits, average());
    redo->trigger();
    QVERIFY(doc->bits() == allocated);
    // Quantize at the allocation (RTN, quick): the layer table shows the allocated bits.
    QuantizationRequest r = w.runPanel()->request();
    r.method = QuantMethod::Rtn;
    r.calibrationCount = 32;
    w.runPanel()->setRequest(r);
    QSignalSpy done(&w, &app::MainWindow::quantized);
    QTest::mouseClick(panel->quantizeButton(), Qt::LeftButton);
    QVERIFY(done.wait(120000));
    for (const LayerOutcome& o : w.lastRun()->result.layers) QCOMPARE(o.bits, allocated.at(o.layer));
  }

  void badFileKeepsCurrentModel() {
    app::MainWindow w;
    QSignalSpy loaded(&w, &app::MainWindow::modelLoaded);
    QSignalSpy failed(&w, &app::MainWindow::loadFailed);
    w.openDemo();
    QVERIFY(loaded.wait(120000));
    const app::ModelSnapshot* before = w.snapshot();
    w.openModel(QString(ROUNDLAB_TEST_DATA_DIR) + "/not_a_model.pt");
    QVERIFY(failed.wait(60000));
    QVERIFY(failed.first().first().toString().contains("not a TorchScript file"));
    QCOMPARE(w.snapshot(), before);
    QCOMPARE(w.layerView()->model()->rowCount(), 10);
  }
};

QTEST_MAIN(MainWindowTests)
#include "MainWindowTests.moc"
