// The workbench's doors under hostile input: a bad model, damaged files through open, drop,
// session open and run (a message box and a log line each, the model kept), and float data whose
// normalisation only the user knows (the run stops and asks). Uses the bad-input corpus.
#include <QAbstractButton>
#include <QApplication>
#include <QMessageBox>
#include <QProcess>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <cmath>
#include <functional>

#include "app/gui/MainWindow.h"
#include "widgets/LogConsole.h"

using namespace roundlab;

class HostileFileTests : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void initTestCase() { QStandardPaths::setTestModeEnabled(true); }  // settings and autosave apart
  // The Run form remembers the last run started, and preferences persist: each test starts from
  // the defaults, also when the suite runs again.
  void init() {
    QSettings().remove("runForm");
    QSettings().remove("preferences");
  }

  void badFileKeepsCurrentModel() {
    app::MainWindow w;
    QSignalSpy loaded(&w, &app::MainWindow::modelLoaded);
    QSignalSpy failed(&w, &app::MainWindow::loadFailed);
    w.openDemo();
    QVERIFY(loaded.wait(120000));
    const ModelSnapshot* before = w.snapshot();
    w.openModel(QString(ROUNDLAB_TEST_DATA_DIR) + "/not_a_model.pt");
    QVERIFY(failed.wait(60000));
    QVERIFY(failed.first().first().toString().contains("not a TorchScript file"));
    QCOMPARE(w.snapshot(), before);
    QCOMPARE(w.layerView()->model()->rowCount(), 10);
  }

  // Hostile files through the workbench's doors (open, drop, session open, run, export): one
  // message box and one error line in the log for each, the window and its model unchanged.
  void hostileFilesGiveAMessageAndKeepTheModel() {
    QVERIFY(makeBadCorpus());
    const auto bad = [&](const char* name) { return corpus_.filePath(name); };

    qunsetenv("ROUNDLAB_NO_DIALOGS");  // the boxes are what this test looks for
    app::MainWindow w;
    w.show();
    QStringList boxes;  // the text of every message box, closed as soon as it shows
    QTimer closer;
    connect(&closer, &QTimer::timeout, [&] {
      if (auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget())) {
        boxes << box->text();
        box->close();
      }
    });
    closer.start(50);
    QSignalSpy loaded(&w, &app::MainWindow::modelLoaded);
    QSignalSpy loadFailed(&w, &app::MainWindow::loadFailed);
    QSignalSpy jobFailed(&w, &app::MainWindow::jobFailed);
    w.openDemo();
    QVERIFY(loaded.wait(120000));
    const ModelSnapshot* model = w.snapshot();
    const auto errorLines = [&] {
      int n = 0;
      for (const auto& e : w.logConsole()->entries()) n += e.level == widgets::LogConsole::Error;
      return n;
    };

    struct Case {
      std::function<void()> act;
      QSignalSpy* spy;
      const char* expected;
    };
    const QString h5 = bad("data-std-zero.h5");
    QuantizationRequest rtn;
    rtn.method = QuantMethod::Rtn;
    const std::vector<Case> cases{
        {[&] { w.openModel(bad("empty.pt")); }, &loadFailed, "is empty"},
        {[&] { w.openAnyFile(bad("model-corrupt-record.pt")); }, &loadFailed, "CRC-32"},
        {[&] { w.openModel(bad("model-nan-weight.pt")); }, &loadFailed, "NaN or Inf"},
        {[&] { w.openModel(bad("fifo.pt")); }, &loadFailed, "not a regular file"},
        {[&] { w.openSession(bad("session-codes-range.rlab")); }, &jobFailed, "outside the grid's range"},
        {[&] { w.openAnyFile(bad("session-truncated.rlab")); }, &jobFailed, "is damaged"},
        {[&] {
           w.openAnyFile(h5);  // a dropped .h5 becomes the calibration set; the run reads it
           w.startQuantization(rtn);
         },
         &jobFailed, "std attribute"},
    };
    for (const Case& c : cases) {
      const int boxesBefore = static_cast<int>(boxes.size()), linesBefore = errorLines();
      c.spy->clear();
      c.act();
      QVERIFY(c.spy->wait(120000));
      QTRY_COMPARE_WITH_TIMEOUT(static_cast<int>(boxes.size()), boxesBefore + 1, 5000);
      QVERIFY2(boxes.last().contains(c.expected), qPrintable(boxes.last()));
      QVERIFY2(!boxes.last().contains("internal error"), qPrintable(boxes.last()));
      QCOMPARE(errorLines(), linesBefore + 1);
      QCOMPARE(w.snapshot(), model);
    }
    // The model still runs after all that.
    QSignalSpy done(&w, &app::MainWindow::quantized);
    w.setCalibrationPath(QString(ROUNDLAB_DEMO_DIR) + "/fmnist_calib.h5");
    w.startQuantization(rtn);
    QVERIFY(done.wait(120000));
    qputenv("ROUNDLAB_NO_DIALOGS", "1");
  }

  // Float data whose mean/std attributes may or may not have been applied: the run stops and asks;
  // Cancel leaves everything as it was; "use as stored" repeats the run, which then reads the
  // file as the same images stored as uint8 (an independent file, read the usual way).
  void ambiguousNormalisationIsAskedAndTheAnswerReruns() {
    QVERIFY(makeBadCorpus());
    qunsetenv("ROUNDLAB_NO_DIALOGS");
    app::MainWindow w;
    w.show();
    QString answer, question;  // the button to press, and the text of the last question box
    QTimer answerer;
    connect(&answerer, &QTimer::timeout, [&] {
      auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
      if (!box) return;
      question = box->text();
      for (QAbstractButton* b : box->buttons())
        if (b->text().startsWith(answer)) return b->click();
      box->close();
    });
    answerer.start(50);
    QSignalSpy loaded(&w, &app::MainWindow::modelLoaded);
    w.openDemo();
    QVERIFY(loaded.wait(120000));
    QuantizationRequest request;
    request.method = QuantMethod::AdaRound;
    request.adaround.iterations = 40;
    request.calibrationCount = 64;  // the whole file, in file order
    request.weights.bits = 4;
    QSignalSpy asked(&w, &app::MainWindow::normalizationAsked);
    QSignalSpy done(&w, &app::MainWindow::quantized);
    QSignalSpy failed(&w, &app::MainWindow::jobFailed);
    const QString ambiguous = corpus_.filePath("data-float-prenormalised.h5");
    w.setCalibrationPath(ambiguous);

    answer = "Cancel";
    w.startQuantization(request);
    QVERIFY(asked.wait(120000));
    QCOMPARE(asked.last().at(0).toString(), ambiguous);
    QTRY_VERIFY_WITH_TIMEOUT(question.contains("already normalised, or to be normalised?"), 5000);
    QVERIFY2(!question.contains("--normalize"), qPrintable(question));  // the buttons are the choice
    QVERIFY(!done.wait(1000));
    QCOMPARE(failed.count(), 0);
    QVERIFY(w.lastRun() == nullptr);

    question.clear();
    answer = "Already normalised";
    w.startQuantization(request);
    QVERIFY(asked.wait(120000));
    QVERIFY(done.wait(120000));  // the answer repeated the run
    QCOMPARE(failed.count(), 0);
    const std::vector<LayerOutcome> a = w.lastRun()->result.layers;
    const double top1FromFloat = w.lastRun()->top1();

    w.setCalibrationPath(corpus_.filePath("data-good-first64.h5"));
    w.startQuantization(request);
    QVERIFY(done.wait(120000));
    QCOMPARE(asked.count(), 2);  // a uint8 file is never ambiguous
    const std::vector<LayerOutcome>& b = w.lastRun()->result.layers;
    QCOMPARE(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i)
      QVERIFY2(std::abs(a[i].flipRate - b[i].flipRate) < 5e-4, a[i].layer.c_str());  // the other reading: ~2e-3
    QVERIFY(std::abs(top1FromFloat - w.lastRun()->top1()) <= 0.5);
    qputenv("ROUNDLAB_NO_DIALOGS", "1");
  }

  // The FP model near chance on the calibration set is a warning in the log, given once per model
  // and file (the check runs the model), not before every run; the right file gets none.
  void nearChanceCalibrationIsWarnedOnce() {
    QVERIFY(makeBadCorpus());
    app::MainWindow w;
    QSignalSpy loaded(&w, &app::MainWindow::modelLoaded);
    QSignalSpy done(&w, &app::MainWindow::quantized);
    w.openDemo();
    QVERIFY(loaded.wait(120000));
    const auto warnings = [&] {
      int n = 0;
      for (const auto& e : w.logConsole()->entries())
        n += e.level == widgets::LogConsole::Warning && e.text.contains("near chance");
      return n;
    };
    QuantizationRequest rtn;
    rtn.method = QuantMethod::Rtn;
    rtn.calibrationCount = 64;
    w.setCalibrationPath(QString(ROUNDLAB_DEMO_DIR) + "/fmnist_calib.h5");
    w.startQuantization(rtn);
    QVERIFY(done.wait(120000));
    QCOMPARE(warnings(), 0);
    w.setCalibrationPath(corpus_.filePath("data-labels-shifted.h5"));
    for (int run = 0; run < 2; ++run) {
      w.startQuantization(rtn);
      QVERIFY(done.wait(120000));
    }
    QCOMPARE(warnings(), 1);
  }

 private:
  // The bad-input corpus (tests/data/bad), made once for the suite.
  bool makeBadCorpus() {
    if (corpusMade_) return true;
    QProcess make;
    make.start(QString(ROUNDLAB_SOURCE_DIR) + "/tests/data/bad/make-bad-inputs.sh",
               {corpus_.path(), ROUNDLAB_CLI, ROUNDLAB_BAD_INPUT_WRITER, ROUNDLAB_DEMO_DIR});
    corpusMade_ = make.waitForFinished(300000) && make.exitCode() == 0;
    return corpusMade_;
  }
  QTemporaryDir corpus_;
  bool corpusMade_ = false;
};

QTEST_MAIN(HostileFileTests)
#include "HostileFileTests.moc"
