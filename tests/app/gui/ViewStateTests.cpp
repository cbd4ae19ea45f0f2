// Every view is right after every action: after another model opens, no view shows the first
// model's layers; the budget slider follows the allocation however it changed; a re-estimate
// keeps a hand-edited allocation.
#include <QAbstractItemModel>
#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QRegularExpression>
#include <QSettings>
#include <QSignalSpy>
#include <QSlider>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QTest>

#include <algorithm>
#include <cmath>

#include "app/gui/AllocationDocument.h"
#include "app/gui/AllocationPanel.h"
#include "app/gui/GridPlayground.h"
#include "app/gui/LessonsPanel.h"
#include "app/gui/MainWindow.h"
#include "app/gui/RunPanel.h"
#include "engine/workspace/GridPreview.h"
#include "tests/app/gui/ViewTexts.h"
#include "widgets/ImportanceView.h"
#include "widgets/LogConsole.h"
#include "widgets/ParetoPlot.h"
#include "widgets/PlotStyle.h"
#include "widgets/QCustomPlotInclude.h"
#include "widgets/RoundingFlipsView.h"
#include "widgets/RoundingTraceView.h"
#include "widgets/RunComparisonView.h"
#include "widgets/WeightHistogramView.h"

using namespace roundlab;

namespace {
// What an empty plot says to do (empty while it shows data).
QString hint(QCustomPlot* plot) {
  auto* label = plot->findChild<QLabel*>("emptyPlotHint");
  return label && !label->isHidden() ? label->text() : QString();
}
}  // namespace

class ViewStateTests : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void initTestCase() { QStandardPaths::setTestModeEnabled(true); }  // settings and autosave apart

  // A layer too large to refit at every slider move on the GUI thread is shown by every k-th
  // output channel, and the title says so: each row here holds its own index, so the rows shown
  // are recognisable after quantization (a constant row sits exactly on its grid's top level).
  void playgroundSamplesTheChannelsOfALargeLayer() {
    app::GridPlayground g;
    g.show();                                 // it refits only while visible
    const int64_t rows = 300, perRow = 1000;  // 300,000 weights: one channel in 5 is 60,000
    std::vector<float> weights(static_cast<size_t>(rows * perRow));
    for (int64_t r = 0; r < rows; ++r) std::fill_n(weights.begin() + r * perRow, perRow, static_cast<float>(r + 1));
    g.setLayer("big", weights, {rows, perRow});
    QCOMPARE(g.sourceBox()->currentText(), QString("Selected layer: big (one output channel in 5, of 300)"));
    QVERIFY(g.preview());
    QCOMPARE(g.preview()->dequantized.size(), size_t(60 * perRow));
    for (int64_t shown : {0, 1, 59})
      QVERIFY2(std::abs(g.preview()->dequantized[static_cast<size_t>(shown * perRow)] - float(5 * shown + 1)) <
                   1e-3f * float(5 * shown + 1),
               qPrintable(QString::number(shown)));
    g.setLayer("small", std::vector<float>(64 * 64, 0.5f), {64, 64});  // small layers whole
    QCOMPARE(g.sourceBox()->currentText(), QString("Selected layer: small"));
    QCOMPARE(g.preview()->dequantized.size(), size_t(64 * 64));
  }
  // The Run form remembers the last run started, and preferences persist: each test starts from
  // the defaults, also when the suite runs again.
  void init() {
    QSettings().remove("runForm");
    QSettings().remove("preferences");
  }

  // Open the demo, estimate importance, run, look at a layer; then open the other demo model:
  // no view may still name a layer of the first.
  void noViewKeepsThePreviousModel() {
    app::MainWindow w;
    w.resize(1280, 720);
    w.show();
    QSignalSpy loaded(&w, &app::MainWindow::modelLoaded);
    QSignalSpy ready(&w, &app::MainWindow::importanceReady);
    QSignalSpy done(&w, &app::MainWindow::quantized);
    w.openDemo();
    QVERIFY(loaded.wait(120000));
    QStringList first;
    for (const LayerInfo& l : w.snapshot()->summary.layers) first << QString::fromStdString(l.name);
    w.estimateImportance();
    QVERIFY(ready.wait(300000));
    w.allocationPanel()->budgetSlider()->setValue(400);
    QuantizationRequest r = app::RunPanel::referenceRequest();  // AdaRound as the reference runs it
    r.method = QuantMethod::AdaRound;
    r.adaround.iterations = 20;
    r.calibrationCount = 32;
    w.startQuantization(r);
    QVERIFY(done.wait(300000));
    QVERIFY2(!widgets::plotTitle(w.runPanel()->lossPlot()).contains("now"),
             qPrintable(widgets::plotTitle(w.runPanel()->lossPlot())));  // nothing runs now
    w.layerView()->selectRow(3);
    // The log keeps history by design; the lessons are texts about the demo model, not a view of
    // the open one.
    const auto skipLog = [](QWidget* v) {
      return qobject_cast<widgets::LogConsole*>(v) != nullptr || qobject_cast<app::LessonsPanel*>(v) != nullptr;
    };
    const auto mentions = [&](const QStringList& names) {
      QStringList where, found;
      const QStringList texts = testing::viewTexts(&w, skipLog, &where);
      // A name as a whole token: "fc" in "fc: 3 bits", not inside a hash such as "…10fca70".
      for (qsizetype i = 0; i < texts.size(); ++i)
        for (const QString& n : names)
          if (texts[i].contains(QRegularExpression("(?<![\\w.])" + QRegularExpression::escape(n) + "(?![\\w])")))
            found << QString("\"%1\" in %2").arg(texts[i], where[i]);
      found.removeDuplicates();
      return found;
    };
    // The check itself sees the first model where it is shown.
    QVERIFY(!mentions(first).isEmpty());

    w.openModel(QString(ROUNDLAB_DEMO_DIR) + "/fmnist_transformer.pt");
    QVERIFY(loaded.wait(120000));
    QStringList second, onlyFirst;
    for (const LayerInfo& l : w.snapshot()->summary.layers) second << QString::fromStdString(l.name);
    for (const QString& n : first) {
      bool inSecond = false;
      for (const QString& s : second) inSecond = inSecond || s.contains(n);
      if (!inSecond) onlyFirst << n;
    }
    QVERIFY(onlyFirst.size() >= 8);
    const QStringList stale = mentions(onlyFirst);
    for (const QString& s : stale) qWarning("stale: %s", qPrintable(s));
    QVERIFY(stale.isEmpty());
    // Nor the quantized side of the first model's layer (the channel ranges are checked below); the
    // grid playground quantizes the new model's selected layer by itself.
    const auto skipLogAndPlayground = [&w](QWidget* v) {
      return qobject_cast<widgets::LogConsole*>(v) != nullptr || v == w.playground() || w.playground()->isAncestorOf(v);
    };
    for (const QString& t : testing::viewTexts(&w, skipLogAndPlayground))
      QVERIFY2(!t.contains("distinct values"), qPrintable(t));
    QCOMPARE(w.allocationPanel()->budgetSlider()->isEnabled(), false);
    // The emptied plots say what to do; a plot with data does not.
    QVERIFY(hint(w.flipsView()->ratesPlot()).contains("Run a quantization"));
    QVERIFY(hint(w.importanceView()->heatMapPlot()).contains("Estimate importance"));
    QVERIFY(hint(w.compareView()->sqnrPlot()).contains("Run a quantization"));
    QVERIFY(hint(w.runPanel()->lossPlot()).contains("Start a run"));
    QVERIFY(hint(w.histogram()->plot()).isEmpty());  // the selected layer's weights
    QVERIFY(hint(w.histogram()->quantizedPlot()).contains("Run a quantization"));
    QVERIFY(hint(w.histogram()->rangesPlot()).isEmpty());  // FP ranges need no run
    QCOMPARE(widgets::plotTitle(w.histogram()->rangesPlot()),
             QString("Per-channel ranges — %1 channels").arg(w.snapshot()->summary.layers.front().weightShape.front()));
  }

  // The slider shows the allocation's average however it changed: a Pareto click, undo, a
  // re-estimate (which keeps a hand-edited allocation, undoably).
  void budgetSliderFollowsTheAllocation() {
    app::MainWindow w;
    w.show();
    QSignalSpy loaded(&w, &app::MainWindow::modelLoaded);
    QSignalSpy ready(&w, &app::MainWindow::importanceReady);
    w.openDemo();
    QVERIFY(loaded.wait(120000));
    app::AllocationPanel* panel = w.allocationPanel();
    app::AllocationDocument* doc = w.allocation();
    QSlider* slider = panel->budgetSlider();
    QTest::mouseClick(panel->estimateButton(), Qt::LeftButton);
    QVERIFY(ready.wait(300000));
    QCOMPARE(slider->value(), 800);
    const auto sliderShowsAverage = [&] { return slider->value() == qRound(doc->totals().averageBits * 100); };
    // A Pareto point well below the slider's position.
    const std::vector<Allocation>& front = panel->paretoFront();
    QVERIFY(front.size() > 3);
    const int pick = 1;
    QTest::mouseClick(panel->paretoPlot()->plot(), Qt::LeftButton, {}, panel->paretoPlot()->pointPosition(pick));
    QVERIFY(doc->bits() == front[pick].bits);
    QVERIFY2(sliderShowsAverage(), qPrintable(QString::number(slider->value())));
    QVERIFY(slider->value() < 800);
    // Undo goes back to 8 bits, and the slider with it.
    doc->undoStack()->undo();
    QCOMPARE(slider->value(), 800);
    // Moving the slider allocates for its value and stays where the user put it.
    slider->setValue(350);
    QCOMPARE(slider->value(), 350);
    QVERIFY(doc->totals().averageBits <= 3.5 + 1e-9);
    // A hand edit, then a re-estimate: the edited allocation stays, the slider shows it, undo works.
    const std::string layer = doc->bits().begin()->first;
    const int edited = doc->bits().begin()->second == 2 ? 3 : 2;
    doc->setBits(layer, edited);
    const std::map<std::string, int> handEdited = doc->bits();
    const int steps = doc->undoStack()->count();
    w.estimateImportance();
    QVERIFY(ready.wait(300000));
    QVERIFY(doc->bits() == handEdited);
    QVERIFY(sliderShowsAverage());
    QCOMPARE(doc->undoStack()->count(), steps);
    doc->undoStack()->undo();
    QVERIFY(doc->bits().at(layer) != edited);
    QVERIFY(sliderShowsAverage());
    bool logged = false;
    for (const auto& e : w.logConsole()->entries()) logged = logged || e.text.contains("allocation is kept");
    QVERIFY(logged);
  }

  // The grid playground quantizes the selected layer (or a synthetic distribution) as its
  // controls say and redraws at once: the levels drawn are the preview's, fewer bits cost error,
  // min/max never clips, a small p does, a power exponent is used or searched.
  void gridPlaygroundFollowsEveryControl() {
    app::MainWindow w;
    w.show();
    QSignalSpy loaded(&w, &app::MainWindow::modelLoaded);
    w.openDemo();
    QVERIFY(loaded.wait(120000));
    QAbstractItemModel* layers = w.layerView()->model();
    for (int row = 0; row < layers->rowCount(); ++row)
      if (layers->index(row, 0).data().toString() == "layer3.0.conv2") w.layerView()->selectRow(row);
    app::GridPlayground* g = w.playground();
    w.showView(g);
    QCOMPARE(g->sourceBox()->currentIndex(), 0);
    QCOMPARE(g->sourceBox()->currentText(), QString("Selected layer: layer3.0.conv2"));
    QCOMPARE(g->preview()->dequantized.size(), w.snapshot()->weights.at("layer3.0.conv2").size());
    auto levelsShown = [g] { return g->view()->shownLevels(); };
    g->bitsSlider()->setValue(4);
    const double mse4 = g->preview()->mse;
    QCOMPARE(levelsShown(), gridLevels(g->preview()->grid, g->view()->channelBox()->value()));
    QCOMPARE(levelsShown().size(), size_t(16));
    g->bitsSlider()->setValue(2);
    QCOMPARE(levelsShown().size(), size_t(4));
    QVERIFY(g->preview()->mse > mse4);
    QVERIFY(g->stats()->text().contains("4 levels"));
    QVERIFY(g->lastUpdateMs() > 0);
    g->rangeBox()->setCurrentText("minmax");
    QCOMPARE(g->preview()->clippedShare, 0.0);
    QVERIFY(!g->pSlider()->isEnabled());
    g->rangeBox()->setCurrentText("lp");
    g->pSlider()->setValue(10);  // p = 1: a tight range
    QVERIFY(g->preview()->clippedShare > 0);
    g->exponentSlider()->setValue(50);
    QCOMPARE(g->preview()->grid.exponent, 0.5);
    QVERIFY(!g->symmetricBox()->isEnabled());  // a power grid is symmetric
    g->searchBox()->setChecked(true);
    QVERIFY(!g->exponentSlider()->isEnabled());
    const double searched = g->preview()->grid.exponent;
    QVERIFY(searched >= 0.3 && searched <= 1.0);
    // A synthetic distribution, then another model: the source names the new layer.
    g->sourceBox()->setCurrentIndex(4);  // Gaussian with outliers
    QVERIFY(widgets::plotTitle(g->view()->plot()).startsWith("Synthetic outliers"));
    g->sourceBox()->setCurrentIndex(0);
    w.openModel(QString(ROUNDLAB_DEMO_DIR) + "/fmnist_transformer.pt");
    QVERIFY(loaded.wait(120000));
    const QString first = QString::fromStdString(w.snapshot()->summary.layers.front().name);
    QCOMPARE(g->sourceBox()->itemText(0), "Selected layer: " + first);
  }

  // Learning: during a learned-rounding run each finished layer's trace is drawn at once; after it,
  // the selected layer's (a cell per snapshot and bin, the undecided share, the tracked weights);
  // after round to nearest the view says the layer was not learned.
  void roundingLearnedViewDrawsTheTrace() {
    app::MainWindow w;
    w.show();
    QSignalSpy loaded(&w, &app::MainWindow::modelLoaded);
    QSignalSpy done(&w, &app::MainWindow::quantized);
    w.openDemo();
    QVERIFY(loaded.wait(120000));
    widgets::RoundingTraceView* view = w.traceView();
    QVERIFY(hint(view->heatPlot()).contains("Run a learned-rounding method"));
    // While the run goes on, the selected first layer's trace shows as soon as that layer is done.
    w.layerView()->selectRow(0);
    QuantizationRequest r = app::RunPanel::referenceRequest();  // AdaRound as the reference runs it
    r.method = QuantMethod::AdaRound;
    r.adaround.iterations = 200;
    r.calibrationCount = 32;
    w.startQuantization(r);
    QVERIFY(hint(view->heatPlot()).contains("still to come"));
    QTRY_VERIFY_WITH_TIMEOUT(view->heatPlot()->plottableCount() == 1 || !done.isEmpty(), 300000);
    QVERIFY2(done.isEmpty(), "the first layer's trace came only with the whole run");
    QVERIFY(done.wait(300000));
    w.layerView()->selectRow(2);
    w.showView(view);
    const QString layer = w.layerView()->model()->index(2, 0).data().toString();
    const RoundingTrace& trace = w.lastRun()->outcome(layer.toStdString())->trace;
    auto* cells = qobject_cast<QCPColorMap*>(view->heatPlot()->plottable(0));
    QVERIFY(cells);
    QCOMPARE(cells->data()->keySize(), static_cast<int>(trace.iterations.size()));
    QCOMPARE(cells->data()->valueSize(), RoundingTrace::kBins);
    QCOMPARE(cells->data()->cell(0, 3), 100.0 * trace.histogram[3]);
    QCOMPARE(view->undecidedPlot()->graph(0)->dataCount(), static_cast<int>(trace.iterations.size()));
    QCOMPARE(view->pathsPlot()->graphCount(), static_cast<int>(trace.tracked.size()));
    QVERIFY(widgets::plotTitle(view->heatPlot()).startsWith(layer));
    QVERIFY(hint(view->heatPlot()).isEmpty());
    r.method = QuantMethod::Rtn;
    w.startQuantization(r);
    QVERIFY(done.wait(300000));
    QCOMPARE(view->heatPlot()->plottableCount(), 0);
    QVERIFY2(hint(view->heatPlot()).contains("without learning"), qPrintable(hint(view->heatPlot())));
  }

  // The shortcut sheet lists every action that has a shortcut, with its keys; Ctrl+R starts a
  // run from any view, not only the Run view.
  void shortcutSheetListsEveryShortcut() {
    app::MainWindow w;
    w.show();
    QVERIFY(QTest::qWaitForWindowActive(&w));
    const QList<app::MainWindow::Shortcut> sheet = w.shortcuts();
    int withKeys = 0;
    for (QAction* a : w.findChildren<QAction*>()) {
      if (a->shortcuts().isEmpty()) continue;
      ++withKeys;
      const QString keys = a->shortcut().toString(QKeySequence::NativeText);
      bool listed = false;
      for (const auto& s : sheet) listed = listed || (s.action == a->text().remove('&') && s.keys.startsWith(keys));
      QVERIFY2(listed, qPrintable(a->text() + " " + keys));
    }
    QCOMPARE(sheet.size(), withKeys);
    QStringList keys;
    for (const auto& s : sheet) keys << s.keys;
    for (const char* k : {"Ctrl+R", "Esc", "Ctrl+Shift+S", "Ctrl+O", "Ctrl+Z"})
      QVERIFY2(keys.contains(QKeySequence(k).toString(QKeySequence::NativeText)), k);

    QSignalSpy loaded(&w, &app::MainWindow::modelLoaded);
    QSignalSpy done(&w, &app::MainWindow::quantized);
    w.openDemo();
    QVERIFY(loaded.wait(120000));
    QuantizationRequest r = w.runPanel()->request();
    r.method = QuantMethod::Rtn;
    r.calibrationCount = 32;
    w.runPanel()->setRequest(r);
    w.views()->setCurrentIndex(0);  // Weights, not Run
    QVERIFY(!w.runPanel()->isVisible());
    QTest::keyClick(&w, Qt::Key_R, Qt::ControlModifier);
    QVERIFY(done.wait(120000));
  }
};

QTEST_MAIN(ViewStateTests)
#include "ViewStateTests.moc"
