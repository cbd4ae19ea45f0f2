// The workbench on the bundled character-level GPT: File ▸ Open demo ▸ Character GPT brings its
// own calibration and validation sets (and an image demo the Fashion-MNIST ones back); after a
// run, every view that tells how good the model is shows perplexity, FP → quantized (lower is
// better), where image models show top-1: the Run view, the status bar, the log, the Evaluate
// view's summary and run history (a comparison of two runs too), the Experiments view and the
// Pareto plot's measured points.
#include <QAction>
#include <QComboBox>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

#include <torch/script.h>

#include "app/common/DemoAssets.h"
#include "app/gui/ExperimentPanel.h"
#include "app/gui/MainWindow.h"
#include "app/gui/RunPanel.h"
#include "tests/app/gui/ViewTexts.h"
#include "widgets/DataFileBar.h"
#include "widgets/ExperimentView.h"
#include "widgets/LogConsole.h"
#include "widgets/ParetoPlot.h"
#include "widgets/QCustomPlotInclude.h"
#include "widgets/RunComparisonView.h"
#include "widgets/RunHistoryTable.h"

using namespace roundlab;

namespace {

constexpr double kFpPerplexity = 5.131;  // the bundled GPT on fortunes_val.h5 (roundlab-cli eval)

// Every "perplexity A → B" in `text`, as {A, B}.
QList<QPair<double, double>> perplexities(const QString& text) {
  QList<QPair<double, double>> out;
  static const QRegularExpression pattern("perplexity ([0-9]+\\.[0-9]+) → ([0-9]+\\.[0-9]+)");
  for (auto it = pattern.globalMatch(text); it.hasNext();) {
    const QRegularExpressionMatch m = it.next();
    out.append({m.captured(1).toDouble(), m.captured(2).toDouble()});
  }
  return out;
}

// An image model's accuracy line ("top-1 91.60 % (FP …", "… points"), which a language model's
// views must not show in place of perplexity.
bool imageAccuracyText(const QString& text) {
  static const QRegularExpression pattern("(?<!next-token )top-1 [0-9.]+ % \\(FP|points top-1|Top-1 %");
  return text.contains(pattern);
}

QAction* menuAction(app::MainWindow& w, const QString& text) {
  for (QAction* a : w.findChildren<QAction*>())
    if (a->text().remove('&') == text) return a;
  return nullptr;
}

}  // namespace

class LanguageModelTests : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
  void init() { QSettings().clear(); }

  void characterGptShowsPerplexityEverywhere() {
    const app::DemoAssets demo = app::findDemoAssets();
    QVERIFY2(QFileInfo::exists(demo.languageModel), qPrintable(demo.languageModel));
    app::MainWindow w;
    w.show();
    const widgets::DataFileBar* calibration = w.runPanel()->calibrationBar();
    const widgets::DataFileBar* validation = w.compareView()->validationBar();
    QSignalSpy loaded(&w, &app::MainWindow::modelLoaded);
    QSignalSpy done(&w, &app::MainWindow::quantized);
    QSignalSpy failed(&w, &app::MainWindow::jobFailed);

    // File ▸ Open demo ▸ Character GPT: the model and its own data.
    QAction* open = menuAction(w, "Character GPT (fortunes)");
    QVERIFY(open);
    open->trigger();
    QVERIFY(loaded.wait(120000));
    QVERIFY2(w.windowTitle().startsWith("fortunes_gpt.pt"), qPrintable(w.windowTitle()));
    QCOMPARE(w.calibrationPath(), demo.lmCalibration);
    QCOMPARE(w.validationPath(), demo.lmValidation);
    QVERIFY2(calibration->label()->text().contains("fortunes_calib.h5"), qPrintable(calibration->label()->text()));
    QVERIFY2(validation->label()->text().contains("fortunes_val.h5"), qPrintable(validation->label()->text()));
    QTRY_VERIFY2_WITH_TIMEOUT(validation->label()->text().contains("418 sequences of 128 token ids"),
                              qPrintable(validation->label()->text()), 60000);

    // A quick run: nearest rounding at 8 bits, evaluated on the validation set against FP.
    QuantizationRequest r = w.runPanel()->request();
    r.method = QuantMethod::Rtn;
    r.weights.bits = 8;
    r.calibrationCount = 32;
    w.runPanel()->setRequest(r);  // the experiment below varies these settings
    w.startQuantization(r);
    for (int i = 0; i < 300 && done.isEmpty() && failed.isEmpty(); ++i) done.wait(1000);
    QVERIFY2(!done.isEmpty(), failed.isEmpty() ? "timed out" : qPrintable(failed.first().first().toString()));
    const RunRecord* run = w.lastRun();
    QVERIFY(run && run->evaluated && run->evaluation.languageModel());
    const double fp = run->evaluation.referencePerplexity(), quantized = run->evaluation.perplexity();
    QVERIFY2(std::abs(fp - kFpPerplexity) < 0.005, qPrintable(QString::number(fp)));
    QVERIFY2(quantized > fp - 0.05 && quantized < fp + 0.2, qPrintable(QString::number(quantized)));  // 8 bits

    // Each line that tells how good the run is: "perplexity FP → quantized", as the run has them.
    auto checkLine = [&](const QString& where, const QString& text) {
      const auto found = perplexities(text);
      QVERIFY2(found.size() == 1, qPrintable(where + ": " + text));
      QVERIFY2(std::abs(found.first().first - fp) < 0.006 && std::abs(found.first().second - quantized) < 0.006,
               qPrintable(where + ": " + text));
      QVERIFY2(std::abs(found.first().first - kFpPerplexity) < 0.01, qPrintable(where + ": " + text));
      QVERIFY2(!imageAccuracyText(text), qPrintable(where + ": " + text));
    };
    const QLabel* status = nullptr;
    for (QLabel* l : w.statusBar()->findChildren<QLabel*>())
      if (l->text().startsWith("rtn:")) status = l;
    QVERIFY2(status, "the status bar names the finished run");
    checkLine("status bar", status->text());
    QVERIFY(status->text().contains("next-token top-1"));
    QString logged;
    for (const widgets::LogConsole::Entry& e : w.logConsole()->entries())
      if (e.text.startsWith("rtn:")) logged = e.text;
    checkLine("log", logged);
    QString runView;
    for (QLabel* l : w.runPanel()->findChildren<QLabel*>())
      if (l->text().startsWith("rtn:")) runView = l->text();
    checkLine("Run view", runView);
    // Evaluate: the summary, and the run history's perplexity and its change from FP.
    checkLine("Evaluate summary", w.compareView()->summary()->text());
    QTableWidget* history = w.compareView()->history()->table();
    QCOMPARE(history->rowCount(), 1);
    QCOMPARE(history->horizontalHeaderItem(widgets::RunHistoryTable::Top1)->text(), QString("Perplexity"));
    QVERIFY(history->horizontalHeaderItem(widgets::RunHistoryTable::Top1Change)->toolTip().contains("lower is better"));
    const double shown = history->item(0, widgets::RunHistoryTable::Top1)->text().toDouble();
    QVERIFY2(std::abs(shown - quantized) < 0.006, qPrintable(history->item(0, widgets::RunHistoryTable::Top1)->text()));
    const double change = history->item(0, widgets::RunHistoryTable::Top1Change)->text().toDouble();
    QVERIFY2(std::abs(change - (quantized - fp)) < 0.006,
             qPrintable(history->item(0, widgets::RunHistoryTable::Top1Change)->text()));
    for (const QString& text : testing::viewTexts(w.compareView(), [](QWidget*) { return false; }))
      QVERIFY2(!imageAccuracyText(text), qPrintable("Evaluate: " + text));
    qInfo("status bar: %s", qPrintable(status->text()));
    qInfo("Evaluate: %s", qPrintable(w.compareView()->summary()->text()));

    // An experiment of one cell (4 bits): its row's perplexity, plotted first, lower is better.
    app::ExperimentPanel* panel = w.experimentPanel();
    panel->kindBox()->setCurrentIndex(panel->kindBox()->findData(static_cast<int>(ExperimentKind::Sweep)));
    panel->axisBox(0)->setCurrentText("wbits");
    panel->valuesEdit(0)->setText("4");
    QSignalSpy experimentDone(&w, &app::MainWindow::experimentFinished);
    panel->runButton()->click();
    for (int i = 0; i < 300 && experimentDone.isEmpty() && failed.isEmpty(); ++i) experimentDone.wait(1000);
    QVERIFY2(!experimentDone.isEmpty(), failed.isEmpty() ? "timed out" : qPrintable(failed.last().first().toString()));
    const ExperimentRow& row = w.experimentList().back()->rows.at(0);
    QVERIFY(row.languageModel && row.evaluated);
    widgets::ExperimentView* view = panel->view();
    QCOMPARE(view->metric(), widgets::ExperimentView::Perplexity);
    QVERIFY2(view->plot()->xAxis->label().contains("lower is better"), qPrintable(view->plot()->xAxis->label()));
    QCOMPARE(view->plottedValues().size(), 1);
    QVERIFY(std::abs(view->plottedValues().front() - std::exp(row.loss)) < 1e-9);
    QVERIFY2(view->plottedValues().front() > quantized, "4 bits: worse than 8");
    const QAbstractItemModel* table = view->table()->model();
    int column = -1;
    for (int c = 0; c < table->columnCount(); ++c)
      if (table->headerData(c, Qt::Horizontal).toString() == "perplexity") column = c;
    QVERIFY(column >= 0);
    QCOMPARE(table->index(0, column).data().toString(), QString::number(std::exp(row.loss), 'f', 2));
    QStringList plotted;
    testing::plotTexts(view->plot(), plotted);
    QVERIFY2(plotted.join('\n').contains(QString("(FP model %1)").arg(fp, 0, 'f', 2)), qPrintable(plotted.join(" | ")));
    QCOMPARE(history->rowCount(), 2);                                       // the cell is a run of the history too
    QVERIFY(perplexities(w.compareView()->summary()->text()).size() == 2);  // A and B
    QVERIFY2(w.compareView()->summary()->text().contains("perplexity (lower is better)"),
             qPrintable(w.compareView()->summary()->text()));
    qInfo("Evaluate, two runs: %s", qPrintable(w.compareView()->summary()->text()));
    qInfo("Experiments: %s", qPrintable(plotted.join(" | ")));

    // An image demo again: the Fashion-MNIST sets come back (no dialog here: ROUNDLAB_NO_DIALOGS).
    w.openDemo();
    QVERIFY(loaded.wait(120000));
    QVERIFY2(w.windowTitle().startsWith("fmnist_resnet.pt"), qPrintable(w.windowTitle()));
    QCOMPARE(w.calibrationPath(), demo.calibration);
    QCOMPARE(w.validationPath(), demo.validation);
    QVERIFY2(calibration->label()->text().contains("fmnist_calib.h5"), qPrintable(calibration->label()->text()));
    QVERIFY2(validation->label()->text().contains("fmnist_val.h5"), qPrintable(validation->label()->text()));
    QCOMPARE(history->rowCount(), 0);
    QCOMPARE(history->horizontalHeaderItem(widgets::RunHistoryTable::Top1)->text(), QString("Top-1 %"));
  }

  // A model that fails to load leaves the data as they were; a set of the user's own stays when
  // an image demo opens (the GPT's own sets replace any).
  void failedLoadKeepsDataAndOwnDataStays() {
    const app::DemoAssets demo = app::findDemoAssets();
    const QString own = QString(ROUNDLAB_TEST_DATA_DIR) + "/other set.h5";
    app::MainWindow w;
    QSignalSpy loaded(&w, &app::MainWindow::modelLoaded);
    QSignalSpy loadFailed(&w, &app::MainWindow::loadFailed);
    w.setCalibrationPath(own);
    QCOMPARE(w.validationPath(), demo.validation);
    {  // a demo folder whose GPT does not load
      QTemporaryDir dir;
      for (const QString& f : {demo.resnet, demo.lmCalibration, demo.lmValidation})
        QVERIFY(QFile::link(f, dir.filePath(QFileInfo(f).fileName())));
      QFile broken(dir.filePath("fortunes_gpt.pt"));
      QVERIFY(broken.open(QIODevice::WriteOnly) && broken.write("not a model") > 0);
      broken.close();
      const QByteArray demoDir = qgetenv("ROUNDLAB_DEMO_DIR");
      qputenv("ROUNDLAB_DEMO_DIR", dir.path().toUtf8());
      w.openDemo(app::MainWindow::Demo::CharacterGpt);
      qputenv("ROUNDLAB_DEMO_DIR", demoDir);
      QVERIFY(w.calibrationPath().endsWith("fortunes_calib.h5"));  // switched as the load starts
      QVERIFY(loadFailed.wait(60000));
      QCOMPARE(w.calibrationPath(), own);
      QCOMPARE(w.validationPath(), demo.validation);
      QVERIFY(!w.snapshot());
    }
    w.openDemo(app::MainWindow::Demo::CharacterGpt);
    QVERIFY(loaded.wait(120000));
    QCOMPARE(w.calibrationPath(), demo.lmCalibration);
    QCOMPARE(w.validationPath(), demo.lmValidation);
    w.setCalibrationPath(own);
    w.openDemo(app::MainWindow::Demo::Transformer);
    QVERIFY(loaded.wait(120000));
    QCOMPARE(w.calibrationPath(), own);             // the user's own
    QCOMPARE(w.validationPath(), demo.validation);  // the GPT's: replaced
  }

  // A model returning a tuple: the log lists its outputs and the one scored; File ▸ Model output…
  // (chooseModelOutput, what its list calls) reopens it scoring another. The bundled GPT wrapped to
  // return (2·logits, logits): output 1 is the GPT's own, with the recorded FP perplexity.
  void modelOutputIsChosenInTheWorkbench() {
    const app::DemoAssets demo = app::findDemoAssets();
    QTemporaryDir dir;
    const QString wrapped = dir.filePath("tuple_gpt.pt");
    {
      torch::jit::Module m("TupleGpt");
      m.register_module("lm", torch::jit::load(demo.languageModel.toStdString()));
      m.define("def forward(self, x):\n    y = self.lm.forward(x)\n    return (y * 2.0, y)\n");
      m.save(wrapped.toStdString());
    }
    app::MainWindow w;
    w.show();
    QSignalSpy loaded(&w, &app::MainWindow::modelLoaded);
    QSignalSpy done(&w, &app::MainWindow::quantized);
    QSignalSpy failed(&w, &app::MainWindow::jobFailed);
    w.setCalibrationPath(demo.lmCalibration);
    w.setValidationPath(demo.lmValidation);
    const auto fpPerplexity = [&] {
      QuantizationRequest r = w.runPanel()->request();
      r.method = QuantMethod::Rtn;
      r.weights.bits = 8;
      r.calibrationCount = 16;
      done.clear();
      w.startQuantization(r);
      for (int i = 0; i < 300 && done.isEmpty() && failed.isEmpty(); ++i) done.wait(1000);
      return done.isEmpty() ? -1.0 : w.lastRun()->evaluation.referencePerplexity();
    };
    const auto lastOutputNote = [&] {
      QString note;
      for (const widgets::LogConsole::Entry& e : w.logConsole()->entries())
        if (e.text.contains("RoundLab scores output")) note = e.text;
      return note;
    };
    w.openModel(wrapped);
    QVERIFY(loaded.wait(120000));
    QVERIFY2(lastOutputNote().contains("returns 2 outputs (0: tensor [1,128,256], 1: tensor [1,128,256]); RoundLab "
                                       "scores output 0. File ▸ Model output… chooses another"),
             qPrintable(lastOutputNote()));
    QVERIFY(menuAction(w, "Model output…"));
    const double doubled = fpPerplexity();
    QVERIFY2(doubled > 0 && std::abs(doubled - kFpPerplexity) > 0.1, qPrintable(QString::number(doubled)));
    w.chooseModelOutput("1");
    QVERIFY(loaded.wait(120000));
    QVERIFY2(lastOutputNote().contains("scores output 1."), qPrintable(lastOutputNote()));
    QCOMPARE(w.snapshot()->summary.outputChoice, std::string("1"));
    const double own = fpPerplexity();
    QVERIFY2(std::abs(own - kFpPerplexity) < 0.005, qPrintable(QString::number(own)));
  }

  // The Experiments view and the Pareto plot given a language model's cells: a perplexity column,
  // perplexity plotted first, "lower is better" on the axis and in the title the FP model's value.
  void experimentViewsPlotPerplexity() {
    widgets::ExperimentView view;
    widgets::ExperimentData data;
    data.title = "wbits";
    data.axes = QStringList{"wbits"};
    for (const auto& [bits, ppl] : {std::pair{"8", 5.14}, std::pair{"4", 5.62}, std::pair{"3", 7.9}}) {
      widgets::ExperimentCellData c;
      c.values << bits;
      c.finished = c.evaluated = c.compared = true;
      c.top1 = 50;
      c.languageModel = true;
      c.perplexity = ppl;
      c.perplexityFp = kFpPerplexity;
      data.cells << c;
    }
    view.setExperiment(&data);
    QCOMPARE(view.metric(), widgets::ExperimentView::Perplexity);
    QCOMPARE(view.plottedValues(), (QList<double>{5.14, 5.62, 7.9}));
    QVERIFY2(view.plot()->xAxis->label().contains("lower is better"), qPrintable(view.plot()->xAxis->label()));
    QStringList headers;
    for (int c = 0; c < view.table()->model()->columnCount(); ++c)
      headers << view.table()->model()->headerData(c, Qt::Horizontal).toString();
    QVERIFY2(headers.contains("perplexity") && headers.contains("next-token top-1 %") && !headers.contains("top-1 %"),
             qPrintable(headers.join(", ")));
    QCOMPARE(view.table()->model()->index(2, static_cast<int>(headers.indexOf("perplexity"))).data().toString(),
             QString("7.90"));
    QStringList texts;
    testing::plotTexts(view.plot(), texts);
    QVERIFY2(texts.join('\n').contains("FP model 5.13"), qPrintable(texts.join(" | ")));
    // Two crossed settings: the heat map's scale says it too.
    data.kind = widgets::ExperimentData::Kind::Grid;
    data.axes = QStringList{"wbits", "granularity"};
    for (widgets::ExperimentCellData& c : data.cells) c.values << "channel";
    view.setExperiment(&data);
    QCOMPARE(view.metric(), widgets::ExperimentView::Perplexity);
    bool scaleSays = false;
    for (QCPLayoutElement* e : view.plot()->plotLayout()->elements(true))
      if (auto* scale = qobject_cast<QCPColorScale*>(e)) scaleSays = scale->label().contains("lower is better");
    QVERIFY(scaleSays);
    // An image model's cells again: top-1 as before.
    for (widgets::ExperimentCellData& c : data.cells) c.languageModel = false;
    view.setExperiment(&data);
    QCOMPARE(view.metric(), widgets::ExperimentView::Top1);
    QCOMPARE(view.metricBox()->findData(widgets::ExperimentView::Perplexity), -1);

    widgets::ParetoPlot pareto;
    pareto.setFront({3, 4, 6}, {0.5, 0.1, 0.01});
    pareto.setMeasured({3, 4, 6}, {7.9, 5.62, 5.2}, true);
    QVERIFY(pareto.measuredPerplexity());
    QCOMPARE(pareto.measuredValues(), (std::vector<double>{7.9, 5.62, 5.2}));
    QVERIFY2(pareto.plot()->yAxis2->label().contains("perplexity"), qPrintable(pareto.plot()->yAxis2->label()));
  }
};

QTEST_MAIN(LanguageModelTests)
#include "LanguageModelTests.moc"
