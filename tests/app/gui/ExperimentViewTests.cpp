// The Experiments view on the real window: the founding paper's study at a short schedule fills
// the table live and equals, cell for cell, `roundlab-cli experiment --study` with the same
// settings and seed; two settings crossed give a heat map; every cell is a run of the history
// that opens in every view; experiments are saved in the session and open again; bad values are
// one line and start nothing.
#include <QComboBox>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLineEdit>
#include <QProcess>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <set>

#include "app/gui/AllocationPanel.h"
#include "app/gui/ExperimentPanel.h"
#include "app/gui/MainWindow.h"
#include "app/gui/RunPanel.h"
#include "app/lessons/LessonRequest.h"
#include "widgets/ExperimentView.h"
#include "widgets/ParetoPlot.h"
#include "widgets/QCustomPlotInclude.h"
#include "widgets/RunComparisonView.h"
#include "widgets/RunHistoryTable.h"

using namespace roundlab;

namespace {

QString demo(const char* f) { return QString(ROUNDLAB_DEMO_DIR) + "/" + f; }

bool openResNet(app::MainWindow& w) {
  w.resize(1280, 800);
  w.show();
  QSignalSpy loaded(&w, &app::MainWindow::modelLoaded);
  w.openModel(demo("fmnist_resnet.pt"));
  if (!loaded.wait(120000)) return false;
  w.setCalibrationPath(demo("fmnist_calib.h5"));
  w.setValidationPath(demo("fmnist_val.h5"));
  return true;
}

// Runs the panel's experiment and waits for it (false: it failed or timed out).
bool runExperiment(app::MainWindow& w, QPushButton* button) {
  QSignalSpy finished(&w, &app::MainWindow::experimentFinished);
  QSignalSpy failed(&w, &app::MainWindow::jobFailed);
  button->click();
  for (int i = 0; i < 600 && finished.isEmpty() && failed.isEmpty(); ++i) finished.wait(1000);
  return !finished.isEmpty();
}

QJsonObject cliStudy(const QStringList& extra) {
  QProcess p;
  p.start(ROUNDLAB_CLI, QStringList{"experiment", demo("fmnist_resnet.pt"), "--calib", demo("fmnist_calib.h5"),
                                    "--eval", demo("fmnist_val.h5"), "--study", "--json"} +
                            extra);
  p.waitForFinished(900000);
  return QJsonDocument::fromJson(p.readAllStandardOutput()).object();
}

}  // namespace

class ExperimentViewTests : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    qputenv("ROUNDLAB_NO_DIALOGS", "1");
  }
  void init() { QSettings().remove("runForm"); }

  void studyEqualsTheCommandLine() {
    app::MainWindow w;
    QVERIFY(openResNet(w));
    app::ExperimentPanel* panel = w.experimentPanel();
    w.showView(panel);
    // Empty: the view says how to start.
    QVERIFY(panel->view()->emptyHint()->isVisibleTo(panel));
    // The Run view's settings are the base: RoundLab's defaults (the CLI's) with a short schedule.
    w.runPanel()->setRequest(app::lessonRequest(QJsonObject{{"calibration_count", 128}}));
    panel->kindBox()->setCurrentIndex(panel->kindBox()->findData(static_cast<int>(ExperimentKind::Study)));
    panel->iterationsBox()->setValue(8);
    const int before = panel->view()->table()->model()->rowCount();
    QCOMPARE(before, 0);
    QVERIFY(runExperiment(w, panel->runButton()));

    const app::ExperimentList& list = w.experimentList();
    QCOMPARE(list.size(), size_t(1));
    const ExperimentRecord& e = *list.front();
    QVERIFY(e.complete());
    QCOMPARE(int(e.plan.kind), int(ExperimentKind::Study));
    // Every cell is a row of the view; distinct cells are runs of the history.
    QAbstractItemModel* table = panel->view()->table()->model();
    QCOMPARE(table->rowCount(), static_cast<int>(e.plan.cells.size()));
    std::set<int> runs;
    for (const ExperimentRow& r : e.rows) runs.insert(r.run);
    QCOMPARE(w.runHistory().size(), runs.size());
    QVERIFY(!runs.count(0));

    // The same study from the command line, same settings and seed: the same table, bit for bit.
    const QJsonObject cli = cliStudy({"--iters", "8", "--calib-count", "128"});
    const QJsonArray rows = cli["rows"].toArray();
    QCOMPARE(rows.size(), static_cast<int>(e.rows.size()));
    for (int i = 0; i < rows.size(); ++i) {
      const QJsonObject c = rows[i].toObject();
      const ExperimentRow& g = e.rows[static_cast<size_t>(i)];
      QCOMPARE(c["group"].toString(), QString::fromStdString(e.plan.cells[g.cell].group));
      QVERIFY2(c["top1"].toDouble() == g.top1 && c["kl"].toDouble() == g.kl &&
                   c["mean_loss_after"].toDouble() == g.meanLossAfter,
               qPrintable(QString("cell %1 (%2): CLI %3 / %4, GUI %5 / %6")
                              .arg(i)
                              .arg(QString::fromStdString(e.plan.cells[g.cell].label()))
                              .arg(c["top1"].toDouble())
                              .arg(c["kl"].toDouble(), 0, 'g', 17)
                              .arg(g.top1)
                              .arg(g.kl, 0, 'g', 17)));
    }
    // The plot shows the chosen metric per cell, in plan order.
    const QList<double> plotted = panel->view()->plottedValues();
    for (size_t i = 0; i < e.rows.size(); ++i) QCOMPARE(plotted[static_cast<int>(i)], e.rows[i].top1);
    panel->view()->setMetric(widgets::ExperimentView::Kl);
    QCOMPARE(panel->view()->plottedValues()[3], e.rows[3].kl);
  }

  void gridSessionAndBadValues() {
    app::MainWindow w;
    QVERIFY(openResNet(w));
    app::ExperimentPanel* panel = w.experimentPanel();
    w.showView(panel);
    w.runPanel()->setRequest(app::lessonRequest(QJsonObject{{"method", "rtn"}, {"calibration_count", 128}}));
    // A bad value starts nothing and says what is wrong.
    panel->kindBox()->setCurrentIndex(panel->kindBox()->findData(static_cast<int>(ExperimentKind::Sweep)));
    panel->axisBox(0)->setCurrentText("wbits");
    panel->valuesEdit(0)->setText("4,banana");
    panel->runButton()->click();
    QVERIFY(w.runHistory().empty());
    bool said = false;
    for (QLabel* l : panel->findChildren<QLabel*>()) said |= l->text().contains("banana");
    QVERIFY2(said, "the wrong value is named");

    panel->kindBox()->setCurrentIndex(panel->kindBox()->findData(static_cast<int>(ExperimentKind::Grid)));
    panel->axisBox(0)->setCurrentText("wbits");
    panel->valuesEdit(0)->setText("4,3");
    panel->axisBox(1)->setCurrentText("granularity");
    panel->valuesEdit(1)->setText("channel,tensor");
    QVERIFY(runExperiment(w, panel->runButton()));
    const ExperimentRecord& e = *w.experimentList().back();
    QCOMPARE(e.rows.size(), size_t(4));
    // A heat map: 2 × 2 cells with the top-1 of each cell where its row and column meet.
    QCustomPlot* plot = panel->view()->plot();
    QCPColorMap* map = nullptr;
    for (int i = 0; i < plot->plottableCount(); ++i)
      if (auto* m = qobject_cast<QCPColorMap*>(plot->plottable(i))) map = m;
    QVERIFY(map);
    QCOMPARE(map->data()->keySize(), 2);
    QCOMPARE(map->data()->valueSize(), 2);
    QCOMPARE(map->data()->cell(1, 0), e.rows[1].top1);  // wbits 4, per tensor
    QCOMPARE(map->data()->cell(0, 1), e.rows[2].top1);  // wbits 3, per channel
    // Per channel beats per tensor at 3 bits (nearest rounding): the map says which is which.
    QVERIFY(e.rows[2].top1 > e.rows[3].top1);

    // Activating a row (double-click, Enter) opens its run in every view.
    const ExperimentRow& last = e.rows.back();
    QTableView* view = panel->view()->table();
    const QModelIndex index = view->model()->index(static_cast<int>(e.rows.size()) - 1, 0);
    QCOMPARE(view->model()->index(index.row(), view->model()->columnCount() - 1).data().toString(),
             QString("#%1").arg(last.run));  // rows in plan order
    view->scrollTo(index);
    const QRect cell = view->visualRect(index);
    QVERIFY2(view->viewport()->rect().contains(cell.center()), "the row is on screen");
    QSignalSpy activated(panel, &app::ExperimentPanel::runActivated);
    QSignalSpy changed(&w, &app::MainWindow::runHistoryChanged);
    QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, cell.center());  // selects the row
    QCOMPARE(view->currentIndex().row(), index.row());
    QTest::keyClick(view, Qt::Key_Return);
    QCOMPARE(activated.size(), 1);
    QCOMPARE(activated.front().front().toInt(), last.run);
    QVERIFY(changed.wait(60000));
    QCOMPARE(w.lastRun()->number, last.run);

    // Saved in the session, it opens again with its rows (their runs stay behind).
    QTemporaryDir dir;
    const QString path = dir.filePath("grid.rlab");
    QSignalSpy saved(&w, &app::MainWindow::sessionSaved);
    w.saveSessionAs(path);
    QVERIFY(saved.wait(60000));
    app::MainWindow again;
    again.show();
    QSignalSpy opened(&again, &app::MainWindow::sessionOpened);
    again.openSession(path);
    QVERIFY(opened.wait(120000));
    QTRY_COMPARE(again.experimentList().size(), size_t(1));
    const ExperimentRecord& reopened = *again.experimentList().front();
    QCOMPARE(reopened.rows.size(), size_t(4));
    for (size_t i = 0; i < 4; ++i) QCOMPARE(reopened.rows[i].top1, e.rows[i].top1);
    QCOMPARE(again.experimentPanel()->view()->table()->model()->rowCount(), 4);
    // ... and can be run again: the same numbers, as a new experiment with its own runs.
    again.setValidationPath(demo("fmnist_val.h5"));
    QVERIFY(runExperiment(again, again.experimentPanel()->rerunButton()));
    QCOMPARE(again.experimentList().size(), size_t(2));
    const ExperimentRecord& rerun = *again.experimentList().back();
    for (size_t i = 0; i < 4; ++i) QCOMPARE(rerun.rows[i].top1, e.rows[i].top1);
  }

  // Seeds per cell: each value runs once per seed, the table shows mean ± std with the seeds
  // finished, the bars carry error bars of that spread, and the Evaluate view's run history shows a
  // seed's run beside its setting's mean ± std.
  void seedsShowMeanAndSpread() {
    app::MainWindow w;
    QVERIFY(openResNet(w));
    app::ExperimentPanel* panel = w.experimentPanel();
    w.showView(panel);
    w.runPanel()->setRequest(
        app::lessonRequest(QJsonObject{{"method", "adaround"}, {"iterations", 4}, {"calibration_count", 32}}));
    panel->kindBox()->setCurrentIndex(panel->kindBox()->findData(static_cast<int>(ExperimentKind::Sweep)));
    panel->axisBox(0)->setCurrentText("wbits");
    panel->valuesEdit(0)->setText("4,2");
    panel->seedsEdit()->setText("5");  // one seed is no spread: said, nothing starts
    panel->runButton()->click();
    QVERIFY(w.runHistory().empty());
    bool said = false;
    for (QLabel* l : panel->findChildren<QLabel*>()) said |= l->text().contains("at least two seeds");
    QVERIFY2(said, "the user is told why");
    panel->seedsEdit()->setText("0, 1");
    QVERIFY(runExperiment(w, panel->runButton()));
    const ExperimentRecord& e = *w.experimentList().back();
    QCOMPARE(e.plan.seeds, (std::vector<uint64_t>{0, 1}));
    QCOMPARE(e.rows.size(), size_t(4));
    QCOMPARE(w.runHistory().size(), size_t(4));
    QTableView* table = panel->view()->table();
    QCOMPARE(table->model()->rowCount(), 2);  // one row per value
    QCOMPARE(table->model()->headerData(1, Qt::Horizontal).toString(), QString("seeds"));
    QList<double> spreads;
    for (int v = 0; v < 2; ++v) {
      const double a = e.rows[2 * v].top1, b = e.rows[2 * v + 1].top1;
      const double mean = (a + b) / 2, std = std::abs(a - b) / std::sqrt(2.0);  // n - 1 = 1
      spreads << std;
      QCOMPARE(table->model()->index(v, 1).data().toString(), QString("2/2"));
      QCOMPARE(table->model()->index(v, 2).data().toString(),
               QString("%1 ± %2").arg(mean, 0, 'f', 2).arg(std, 0, 'f', 2));
      QCOMPARE(panel->view()->plottedValues()[v], mean);
    }
    QVERIFY(e.rows[2].run != e.rows[3].run);  // the seeds made different runs
    const QList<double> plotted = panel->view()->plottedSpreads();
    for (int v = 0; v < 2; ++v) QVERIFY(std::abs(plotted[v] - spreads[v]) < 1e-9);
    QCPErrorBars* errors = nullptr;
    QCustomPlot* plot = panel->view()->plot();
    for (int i = 0; i < plot->plottableCount(); ++i)
      if (auto* b = qobject_cast<QCPErrorBars*>(plot->plottable(i))) errors = b;
    QVERIFY2(errors && errors->dataCount() == 2, "each bar carries its spread over seeds");
    QCOMPARE(errors->data()->at(1).errorPlus, spreads[1]);
    // Evaluate: the run of "wbits=2 seed=1" with its setting's mean ± std.
    QTableWidget* history = w.compareView()->history()->table();
    QString shown;
    for (int r = 0; r < history->rowCount(); ++r)
      if (history->item(r, widgets::RunHistoryTable::Number)->data(Qt::UserRole).toInt() == e.rows[3].run)
        shown = history->item(r, widgets::RunHistoryTable::Top1)->text();
    const double a = e.rows[2].top1, b = e.rows[3].top1;
    QCOMPARE(shown, QString("%1 (%2 ± %3 over 2 seeds)")
                        .arg(b, 0, 'f', 2)
                        .arg((a + b) / 2, 0, 'f', 2)
                        .arg(std::abs(a - b) / std::sqrt(2.0), 0, 'f', 2));
  }

  // Mixed precision ▸ Measure the front: every point of the predicted front quantized and
  // evaluated on the engine thread, the measured top-1 drawn beside the prediction (right axis),
  // the measurement an experiment like any other; a new estimate (another front) clears it.
  void measuredParetoFront() {
    app::MainWindow w;
    QVERIFY(openResNet(w));
    w.runPanel()->setRequest(app::lessonRequest(QJsonObject{{"method", "rtn"}, {"calibration_count", 128}}));
    w.showView(w.allocationPanel());
    QSignalSpy ready(&w, &app::MainWindow::importanceReady);
    w.estimateImportance();
    QVERIFY(ready.wait(300000));
    const std::vector<Allocation> front = w.allocationPanel()->paretoFront();
    QVERIFY(front.size() >= 5);
    QVERIFY(w.allocationPanel()->measureButton()->isEnabled());
    QVERIFY(w.allocationPanel()->paretoPlot()->measuredValues().empty());
    QVERIFY(runExperiment(w, w.allocationPanel()->measureButton()));
    const ExperimentRecord& e = *w.experimentList().back();
    QCOMPARE(int(e.plan.kind), int(ExperimentKind::Pareto));
    QCOMPARE(e.rows.size(), front.size());
    for (size_t i = 0; i < front.size(); ++i)
      QCOMPARE(e.plan.request(i).bits, front[i].bits);  // each point at its own widths, every layer
    const std::vector<double> measured = w.allocationPanel()->paretoPlot()->measuredValues();
    QCOMPARE(measured.size(), front.size());
    for (size_t i = 0; i < front.size(); ++i) QCOMPARE(measured[i], e.rows[i].top1);
    // More bits, better accuracy, at the ends of the front (nearest rounding at 2 bits collapses).
    QVERIFY2(e.rows.back().top1 > e.rows.front().top1 + 10,
             qPrintable(QString("%1 vs %2").arg(e.rows.back().top1).arg(e.rows.front().top1)));
    // The measurement is in the Experiments view, titled by average bits.
    QCOMPARE(w.experimentPanel()->view()->table()->model()->rowCount(), static_cast<int>(front.size()));
    QVERIFY(QString::fromStdString(e.plan.cells.front().label()).endsWith(" bits"));
    // Another estimate is another front: the old measurement no longer shows on it.
    auto* estimator = w.allocationPanel()->findChild<QComboBox*>("estimator");
    estimator->setCurrentIndex(estimator->findData(static_cast<int>(ImportanceEstimator::Hessian)));
    w.estimateImportance();
    QVERIFY(ready.wait(300000));
    QTRY_VERIFY(w.allocationPanel()->paretoPlot()->measuredValues().empty());
  }
};

QTEST_MAIN(ExperimentViewTests)
#include "ExperimentViewTests.moc"
