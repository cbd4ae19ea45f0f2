// The conventions desktop users expect of the workbench window, on the real window: it opens
// within the screen and returns where it was left (no drift), View ▸ Reset layout undoes a
// squeezed dock, the title names the document and marks unsaved results, a job's progress and
// cancel sit in the view that started it (and an importance estimate leaves the last run's
// curve alone), About names the versions, Help ▸ Documentation reads the bundled guides.
#include <QCheckBox>
#include <QComboBox>
#include <QCommandLinkButton>
#include <QCryptographicHash>
#include <QDir>
#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QFile>
#include <QGuiApplication>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QLocale>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QScreen>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QStyle>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>
#include <QTimer>

#include "app/common/DemoAssets.h"
#include "app/gui/AllocationPanel.h"
#include "app/gui/DocumentationBrowser.h"
#include "app/gui/MainWindow.h"
#include "app/gui/PreferencesDialog.h"
#include "app/gui/RunPanel.h"
#include "app/gui/WelcomePage.h"
#include "engine/data/Dataset.h"
#include "engine/pipeline/RequestFields.h"
#include "widgets/DataFileBar.h"
#include "widgets/LayerTableModel.h"
#include "widgets/LogConsole.h"
#include "widgets/PlotStyle.h"
#include "widgets/QCustomPlotInclude.h"
#include "widgets/RunComparisonView.h"
#include "widgets/RunHistoryTable.h"

using namespace roundlab;

namespace {
QDockWidget* dock(app::MainWindow& w, const char* name) { return w.findChild<QDockWidget*>(name); }
}  // namespace

class WindowConventionsTests : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
  void init() { QSettings().clear(); }  // every test starts as a first start

  void firstStartFitsTheScreenAndReturnsWhereLeft() {
    const QRect area = QGuiApplication::primaryScreen()->availableGeometry();
    QRect left;
    {
      app::MainWindow w;
      w.show();
      QVERIFY(QTest::qWaitForWindowExposed(&w));
      QVERIFY2(
          area.contains(w.geometry()),
          qPrintable(QString("%1x%2 on %3x%4").arg(w.width()).arg(w.height()).arg(area.width()).arg(area.height())));
      // The lessons wait to be asked for (Help ▸ Lessons).
      QVERIFY(dock(w, "lessonsDock")->isHidden());
      // The layer table's dock opens wide enough for its columns, not at its minimum.
      QVERIFY2(dock(w, "layersDock")->width() >= 250, qPrintable(QString::number(dock(w, "layersDock")->width())));
      // Squeezed by the user, then View ▸ Reset layout.
      const int opened = dock(w, "layersDock")->width();
      w.resizeDocks({dock(w, "layersDock")}, {1}, Qt::Horizontal);
      QApplication::processEvents();
      QVERIFY(dock(w, "layersDock")->width() < opened - 50);
      dock(w, "logDock")->hide();
      QAction* reset = nullptr;
      for (QAction* a : w.findChildren<QAction*>())
        if (a->text().remove('&') == "Reset layout") reset = a;
      QVERIFY(reset);
      reset->trigger();
      QApplication::processEvents();
      QVERIFY(dock(w, "layersDock")->width() >= 250);
      QVERIFY(dock(w, "logDock")->isVisible());
      w.move(area.topLeft() + QPoint(13, 17));
      w.resize(area.width() * 3 / 4, area.height() * 3 / 4);
      QApplication::processEvents();
      left = w.geometry();
      w.close();  // saves the layout
    }
    for (int start = 0; start < 2; ++start) {  // the same place on every start: no drift
      app::MainWindow again;
      again.show();
      QVERIFY(QTest::qWaitForWindowExposed(&again));
      QCOMPARE(again.geometry(), left);
      again.close();
    }
    // A window saved larger than this screen (another monitor, a scale factor) is fitted to it.
    QSettings().setValue("window/rect", QRect(area.topLeft() + QPoint(400, 300), area.size() * 2));
    app::MainWindow big;
    big.show();
    QVERIFY(QTest::qWaitForWindowExposed(&big));
    QVERIFY2(
        area.contains(big.geometry()),
        qPrintable(
            QString("%1,%2 %3x%4").arg(big.geometry().x()).arg(big.geometry().y()).arg(big.width()).arg(big.height()) +
            QString(" min %1x%2").arg(big.minimumSizeHint().width()).arg(big.minimumSizeHint().height())));
  }

  // The title names the model, then the session; "*" marks a run no session file holds.
  // An importance estimate shows its progress and cancel in Mixed precision and leaves the Run
  // view's loss curve alone; the allocation's quantize button says which settings it runs.
  void titleProgressAndCurveFollowTheWork() {
    app::MainWindow w;
    w.show();
    QSignalSpy loaded(&w, &app::MainWindow::modelLoaded);
    QSignalSpy done(&w, &app::MainWindow::quantized);
    QSignalSpy ready(&w, &app::MainWindow::importanceReady);
    QSignalSpy saved(&w, &app::MainWindow::sessionSaved);
    w.openDemo();
    QVERIFY(loaded.wait(120000));
    QVERIFY2(w.windowTitle().startsWith("fmnist_resnet.pt"), qPrintable(w.windowTitle()));
    QVERIFY(!w.isWindowModified());
    QuantizationRequest r = app::RunPanel::referenceRequest();  // AdaRound as the reference runs it
    r.method = QuantMethod::AdaRound;
    r.adaround.iterations = 20;
    r.calibrationCount = 32;
    w.runPanel()->setRequest(r);
    w.startQuantization(r);
    QVERIFY(done.wait(300000));
    QVERIFY(w.isWindowModified());
    QCustomPlot* curve = w.runPanel()->lossPlot();
    const int curves = curve->graphCount();
    QVERIFY(curves > 0);
    QVERIFY(curve->itemCount() >= curves);  // each curve named at its start

    w.estimateImportance();
    QVERIFY(w.allocationPanel()->cancelButton()->isEnabled());
    QVERIFY(!w.runPanel()->startButton()->isEnabled());  // one job at a time, and Start says so by waiting
    QVERIFY(ready.wait(300000));
    QCOMPARE(curve->graphCount(), curves);
    QCOMPARE(w.allocationPanel()->progressBar()->value(), w.allocationPanel()->progressBar()->maximum());
    QVERIFY(!w.allocationPanel()->cancelButton()->isEnabled());
    QVERIFY(w.runPanel()->startButton()->isEnabled());
    QVERIFY2(w.allocationPanel()->jobLabel()->text().contains("Importance ready"),
             qPrintable(w.allocationPanel()->jobLabel()->text()));
    w.showView(w.allocationPanel());  // Mixed precision: the line is read when the view shows
    const QString settings = w.allocationPanel()->runSettingsLabel()->text();
    QVERIFY2(settings.contains("adaround") && settings.contains("20 iterations") && settings.contains("32 calibration"),
             qPrintable(settings));

    QTemporaryDir dir;
    w.saveSessionAs(dir.filePath("study.rlab"));
    QVERIFY(saved.wait(120000));
    QVERIFY(!w.isWindowModified());
    QVERIFY2(w.windowTitle().startsWith("study.rlab"), qPrintable(w.windowTitle()));
  }

  // Every run is in Evaluate's history: any one can be shown in every view again (the model
  // holds its weights), renamed and deleted; deleting the last leaves the FP model everywhere.
  void runHistoryShowsRenamesAndDeletesAnyRun() {
    app::MainWindow w;
    QSignalSpy loaded(&w, &app::MainWindow::modelLoaded);
    QSignalSpy done(&w, &app::MainWindow::quantized);
    QSignalSpy changed(&w, &app::MainWindow::runHistoryChanged);
    w.openDemo();
    QVERIFY(loaded.wait(120000));
    const auto fpWeights = w.snapshot()->weights;
    QuantizationRequest r = w.runPanel()->request();
    r.method = QuantMethod::Rtn;
    r.calibrationCount = 32;
    r.weights.bits = 4;
    w.startQuantization(r);
    QVERIFY(done.wait(120000));
    const auto fourBitWeights = w.snapshot()->weights;
    r.weights.bits = 2;
    w.startQuantization(r);
    QVERIFY(done.wait(120000));
    QTableWidget* table = w.compareView()->history()->table();
    QCOMPARE(table->rowCount(), 2);
    QCOMPARE(table->item(1, widgets::RunHistoryTable::Number)->text(), QString("▶ #2"));
    QVERIFY(w.snapshot()->weights != fourBitWeights);
    // The layer table's bits column and the properties follow the run shown.
    auto bitsShown = [&w] {
      const QAbstractItemModel* m = w.layerView()->model();
      return m->index(1, widgets::LayerTableModel::Bits).data().toString();  // a middle layer: not 8-bit
    };
    QCOMPARE(bitsShown(), QString("2"));

    w.showRun(1);
    QVERIFY(changed.wait(60000));
    QCOMPARE(w.lastRun()->number, 1);
    QVERIFY(w.snapshot()->weights == fourBitWeights);
    QCOMPARE(bitsShown(), QString("4"));
    QCOMPARE(table->item(0, widgets::RunHistoryTable::Number)->text(), QString("▶ #1"));
    QVERIFY(w.isWindowModified());  // a session would now hold run 1

    table->item(0, widgets::RunHistoryTable::Name)->setText("baseline");  // named in place
    QVERIFY(changed.wait(60000));
    QCOMPARE(QString::fromStdString(w.runHistory().front()->label()), QString("#1 baseline"));
    QCOMPARE(w.compareView()->runA()->currentText(), QString("#1 baseline"));

    w.deleteRun(1);  // the shown one: the latest left is shown
    QVERIFY(changed.wait(60000));
    QCOMPARE(table->rowCount(), 1);
    QCOMPARE(w.lastRun()->number, 2);
    QCOMPARE(bitsShown(), QString("2"));
    w.deleteRun(2);
    QVERIFY(changed.wait(60000));
    QVERIFY(!w.lastRun());
    QVERIFY(w.runHistory().empty());
    QVERIFY(w.snapshot()->weights == fpWeights);
    QCOMPARE(bitsShown(), QString("—"));  // no result
    QCOMPARE(w.compareView()->runA()->count(), 0);
    QVERIFY(!w.isWindowModified());
  }

  // Started without a file, RoundLab shows the welcome page: its buttons open the demo (and the
  // views), its recent list opens what was opened, its guides open in the documentation browser,
  // Help ▸ Welcome page brings it back; whether it shows at start is remembered.
  void welcomePageStartsANewcomer() {
    QFile::remove(app::MainWindow::autosavePath());  // no crashed run to recover
    app::MainWindow w;
    w.show();
    w.showWelcome();
    QVERIFY(w.welcomeShown());
    app::WelcomePage* page = w.welcomePage();
    QCOMPARE(page->recentList()->count(), 1);  // "none yet", not clickable
    QVERIFY(!(page->recentList()->item(0)->flags() & Qt::ItemIsEnabled));
    QVERIFY(!page->recoverButton()->isVisibleTo(page));
    QSignalSpy loaded(&w, &app::MainWindow::modelLoaded);
    page->demoButton()->click();
    QVERIFY(loaded.wait(120000));
    QVERIFY(!w.welcomeShown());
    QAction* welcome = nullptr;
    for (QAction* a : w.findChildren<QAction*>())
      if (a->text().remove('&') == "Welcome page") welcome = a;
    QVERIFY(welcome);
    welcome->trigger();
    QVERIFY(w.welcomeShown());
    QCOMPARE(page->recentList()->item(0)->data(Qt::UserRole).toString(), w.recentFiles().first());
    QVERIFY(w.recentFiles().first().endsWith("fmnist_resnet.pt"));
    // A view chosen from the View menu leaves the page.
    for (QAction* a : w.findChildren<QAction*>())
      if (a->text() == "Evaluate") a->trigger();
    QVERIFY(!w.welcomeShown());
    w.showWelcome();
    QListWidgetItem* recent = page->recentList()->item(0);
    page->recentList()->itemClicked(recent);
    QVERIFY(loaded.wait(120000));
    QVERIFY(!w.welcomeShown());
    // A guide from the page opens in the documentation browser at that guide.
    w.showWelcome();
    for (QCommandLinkButton* b : page->findChildren<QCommandLinkButton*>())
      if (b->text() == "Bring your own data") b->click();
    auto* docs = w.findChild<app::DocumentationBrowser*>("documentation");
    QVERIFY(docs);
    QVERIFY2(docs->page()->toPlainText().contains("calibration", Qt::CaseInsensitive),
             qPrintable(docs->page()->source().toString()));
    QVERIFY(docs->page()->source().toString().endsWith("data-format.md"));
    docs->close();
    QVERIFY(app::WelcomePage::shownAtStart());
    page->showAtStart()->setChecked(false);
    QVERIFY(!app::WelcomePage::shownAtStart());
  }

  // Presentation mode (F5): the window's and every plot's text grow by the chosen size, only the
  // layer table stays docked, high contrast if asked; F5 again puts everything back.
  void presentationModeEnlargesAndRestores() {
    app::MainWindow w;
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    const double font = QApplication::font().pointSizeF();
    const double tick = w.runPanel()->lossPlot()->xAxis->tickLabelFont().pointSizeF();
    const QColor window = QApplication::palette().color(QPalette::Window);
    QSettings().setValue("presentation/scale", 2.0);
    QSettings().setValue("presentation/highContrast", true);
    QTest::keyClick(&w, Qt::Key_F5);
    QVERIFY(w.presentationMode());
    QCOMPARE(QApplication::font().pointSizeF(), 2 * font);
    for (QCustomPlot* plot : w.findChildren<QCustomPlot*>())
      QCOMPARE(plot->xAxis->tickLabelFont().pointSizeF(), 2 * tick);
    QVERIFY(dock(w, "layersDock")->isVisible());
    QVERIFY(!dock(w, "propertiesDock")->isVisible());
    QVERIFY(!dock(w, "logDock")->isVisible());
    QCOMPARE(QApplication::palette().color(QPalette::Window), QColor(Qt::white));
    QCOMPARE(QApplication::palette().color(QPalette::Text), QColor(Qt::black));
    // A colour scheme chosen during the talk waits for its end (then it holds).
    auto scheme = [&w](int i) {
      for (QAction* a : w.findChildren<QAction*>("colorScheme"))
        if (a->data().toInt() == i) a->trigger();
    };
    scheme(2);
    QCOMPARE(QApplication::palette().color(QPalette::Window), QColor(Qt::white));
    QTest::keyClick(&w, Qt::Key_F5);
    QVERIFY(QApplication::palette().color(QPalette::Window).lightness() < 80);
    scheme(0);
    QTest::keyClick(&w, Qt::Key_F5);
    QTest::keyClick(&w, Qt::Key_F5);
    QVERIFY(!w.presentationMode());
    QCOMPARE(QApplication::font().pointSizeF(), font);
    QCOMPARE(w.runPanel()->lossPlot()->xAxis->tickLabelFont().pointSizeF(), tick);
    QVERIFY(dock(w, "propertiesDock")->isVisible() && dock(w, "logDock")->isVisible());
    QCOMPARE(QApplication::palette().color(QPalette::Window), window);
    // Quitting from presentation mode saves the user's own layout, not the talk's.
    QTest::keyClick(&w, Qt::Key_F5);
    w.close();
    QCOMPARE(QApplication::font().pointSizeF(), font);
    app::MainWindow again;
    again.show();
    QVERIFY(QTest::qWaitForWindowExposed(&again));
    QVERIFY(dock(again, "propertiesDock")->isVisible() && dock(again, "logDock")->isVisible());
  }

  // Edit ▸ Preferences: each value takes effect (plot text size, colours, the Run form's
  // defaults, activation memory, autosave, the sessions folder) and is there at the next start,
  // with the Run form as last started.
  void preferencesTakeEffectAndPersist() {
    struct Restore {
      ~Restore() {
        widgets::setPlotFontScale(1.0);
        QApplication::setPalette(QApplication::style()->standardPalette());
      }
    } restore;
    QTemporaryDir folder;
    QuantizationRequest started;
    {
      app::MainWindow w;
      app::PreferencesDialog dialog(w.preferences(), &w);
      dialog.method()->setCurrentText("brecq");
      dialog.iterations()->setValue(123);
      dialog.activationMemory()->setValue(512);
      dialog.colorScheme()->setCurrentIndex(2);
      dialog.plotFontScale()->setValue(2.0);
      dialog.autosave()->setChecked(false);
      dialog.sessionFolder()->setText(folder.path());
      w.applyPreferences(dialog.value());
      const double base = QApplication::font().pointSizeF();
      for (QCustomPlot* plot : w.findChildren<QCustomPlot*>())
        QCOMPARE(plot->xAxis->tickLabelFont().pointSizeF(), 2.0 * base);
      QVERIFY(QApplication::palette().color(QPalette::Window).lightness() < 80);
      QCOMPARE(w.proposedSessionPath(), QDir(folder.path()).filePath("run.rlab"));
      QCOMPARE(w.runPanel()->request().activationMemoryMiB, int64_t(512));
      w.runPanel()->defaultsButton()->click();
      QCOMPARE(w.runPanel()->request().method, QuantMethod::Brecq);
      QCOMPARE(w.runPanel()->request().adaround.iterations, 123);
      // Through the recommended method (its own cap) and back: the preferences' count returns.
      QComboBox* method = w.runPanel()->methodBox();
      method->setCurrentText("recommended");
      Q_EMIT method->activated(method->currentIndex());
      QCOMPARE(w.runPanel()->request().adaround.iterations, kRecommendedIterationCap);
      method->setCurrentText("qdrop");
      Q_EMIT method->activated(method->currentIndex());
      QCOMPARE(w.runPanel()->request().adaround.iterations, 123);

      QSignalSpy loaded(&w, &app::MainWindow::modelLoaded);
      QSignalSpy done(&w, &app::MainWindow::quantized);
      w.openDemo();
      QVERIFY(loaded.wait(120000));
      QFile::remove(app::MainWindow::autosavePath());
      started = w.runPanel()->request();
      started.method = QuantMethod::Rtn;
      started.weights.bits = 3;
      started.weights.symmetric = true;
      started.seed = 7;
      started.calibrationCount = 32;
      w.runPanel()->setRequest(started);
      w.runPanel()->startButton()->click();
      QVERIFY(done.wait(120000));
      QCOMPARE(w.lastRun()->result.request.activationMemoryMiB, int64_t(512));
      QVERIFY(!QFile::exists(app::MainWindow::autosavePath()));  // autosave is off
    }
    app::MainWindow again;
    QCOMPARE(again.preferences().iterations, 123);
    QCOMPARE(again.preferences().sessionFolder, folder.path());
    QCOMPARE(requestToText(again.runPanel()->request()), requestToText(started));
    {  // the saved preferences' count also comes back after a restart
      QComboBox* method = again.runPanel()->methodBox();
      method->setCurrentText("recommended");
      Q_EMIT method->activated(method->currentIndex());
      method->setCurrentText("brecq");
      Q_EMIT method->activated(method->currentIndex());
      QCOMPARE(again.runPanel()->request().adaround.iterations, 123);
      again.runPanel()->setRequest(started);
    }
    QCOMPARE(again.runPanel()->lossPlot()->yAxis->tickLabelFont().pointSizeF(),
             2.0 * QApplication::font().pointSizeF());
    // A saved form that no longer reads (edited by hand) gives the defaults and says so.
    QSettings().setValue("runForm/wbits", "four");
    app::MainWindow edited;
    QCOMPARE(edited.runPanel()->request().adaround.iterations, 123);
    QVERIFY(edited.logConsole()->visibleText().contains("setting wbits"));
  }

  // The Run view names the calibration set and Evaluate the validation set, and follow a change.
  void runAndEvaluateNameTheirData() {
    app::MainWindow w;
    const auto* calibration = w.runPanel()->calibrationBar();
    const auto* validation = w.compareView()->validationBar();
    QVERIFY2(calibration->label()->text().contains("fmnist_calib.h5"), qPrintable(calibration->label()->text()));
    QVERIFY2(validation->label()->text().contains("fmnist_val.h5"), qPrintable(validation->label()->text()));
    QCOMPARE(calibration->file(), w.calibrationPath());
    const QString other = QString(ROUNDLAB_TEST_DATA_DIR) + "/other set.h5";
    w.openAnyFile(other);  // an .h5 opened from File, recent files or a drop becomes the calibration set
    QCOMPARE(w.calibrationPath(), other);
    QVERIFY(calibration->label()->text().contains("other set.h5"));
    QVERIFY(calibration->label()->toolTip().startsWith(other));
    // The engine reads each set once: its samples and SHA-256 join the line, the whole hash its
    // tooltip (compared with a hash of the file's bytes made here).
    QTRY_VERIFY_WITH_TIMEOUT(validation->label()->text().contains("samples of 1×28×28, labelled"), 60000);
    QFile file(w.validationPath());
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QString sha = QCryptographicHash::hash(file.readAll(), QCryptographicHash::Sha256).toHex();
    QTRY_VERIFY2_WITH_TIMEOUT(validation->label()->toolTip().endsWith("SHA-256 " + sha),
                              qPrintable(validation->label()->toolTip()), 60000);
    QVERIFY(validation->label()->text().contains("SHA-256 " + sha.left(12)));
    const qlonglong samples = openDataset(w.validationPath().toStdString())->info().samples;
    QVERIFY(validation->label()->text().contains(QLocale().toString(samples) + " samples"));
    QTRY_VERIFY_WITH_TIMEOUT(calibration->label()->text().contains("does not open"), 60000);  // not a data file
    w.setValidationPath({});
    QVERIFY(validation->label()->text().contains("none"));
  }

  // Opening another model over a run no session holds asks first: Cancel keeps everything,
  // Discard opens it. (The question is a real modal box, answered by clicking its button.)
  void openingAnotherModelAsksAboutAnUnsavedRun() {
    qunsetenv("ROUNDLAB_NO_DIALOGS");
    struct Restore {
      ~Restore() { qputenv("ROUNDLAB_NO_DIALOGS", "1"); }  // also when a check fails midway
    } restore;
    app::MainWindow w;
    w.show();
    QSignalSpy loaded(&w, &app::MainWindow::modelLoaded);
    QSignalSpy done(&w, &app::MainWindow::quantized);
    w.openDemo();
    QVERIFY(loaded.wait(120000));
    QuantizationRequest r = w.runPanel()->request();
    r.method = QuantMethod::Rtn;
    r.calibrationCount = 32;
    w.startQuantization(r);
    QVERIFY(done.wait(120000));
    QVERIFY(w.isWindowModified());
    QString asked;
    const auto answer = [&asked](QMessageBox::StandardButton button) {
      QTimer::singleShot(200, [&asked, button] {
        if (auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget())) {
          asked = box->text();
          box->button(button)->click();
        }
      });
    };
    answer(QMessageBox::Cancel);
    w.openDemo();
    QVERIFY2(asked.contains("opening another model"), qPrintable(asked));
    QVERIFY(!loaded.wait(1500));  // cancelled: nothing opens, the run stays
    QVERIFY(w.lastRun() && w.isWindowModified());
    asked.clear();
    answer(QMessageBox::Discard);
    w.openDemo();
    QVERIFY(!asked.isEmpty());
    QVERIFY(loaded.wait(120000));
    QVERIFY(!w.lastRun());
    QVERIFY(!w.isWindowModified());
  }

  void aboutNamesVersionsAndKernels() {
    const QString about = app::MainWindow::aboutText();
    for (const QString& part : {QString("LibTorch"), QString("1.13"), QString(qVersion()), QString("HDF5"),
                                QString("kernels"), QString("MIT")})
      QVERIFY2(about.contains(part), qPrintable(part));
  }

  void documentationReadsTheBundledGuides() {
    const QString folder = app::findDocumentation();
    QVERIFY(!folder.isEmpty());
    app::DocumentationBrowser docs(folder);
    QVERIFY(docs.documents()->count() >= 5);
    QCOMPARE(docs.documents()->item(0)->data(Qt::UserRole).toString(), folder + "/README.md");
    QVERIFY(docs.page()->toPlainText().contains("RoundLab"));
    QVERIFY(docs.showDocument("docs/importance.md"));
    QVERIFY(docs.documents()->currentItem()->data(Qt::UserRole).toString().endsWith("docs/importance.md"));
    QVERIFY2(docs.page()->toPlainText().contains("mportance"), "the importance guide is shown");
    // Rendered, not raw Markdown: headings lose their marks (a shell comment in a code block keeps its "# ").
    const QString shown = docs.page()->toPlainText();
    QVERIFY(shown.contains("Importance and mixed precision in RoundLab"));
    QVERIFY(!shown.contains("# Importance and mixed precision"));
    QVERIFY(!shown.contains("## How sure each value is"));
    QVERIFY(!docs.showDocument("docs/no-such-guide.md"));
  }
};

QTEST_MAIN(WindowConventionsTests)
#include "WindowConventionsTests.moc"
