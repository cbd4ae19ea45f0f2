// Export ▸ Report in the workbench: two runs of the demo and an importance estimate written as an
// HTML page and a PDF beside it, read back (XML parse, text); after saving the session the report
// names the rerun command of that file.
#include <QAction>
#include <QApplication>
#include <QFile>
#include <QMenuBar>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QXmlStreamReader>

#include "app/gui/MainWindow.h"
#include "app/gui/RunPanel.h"

using namespace roundlab;

namespace {

// The page's text (every text node), or an empty string when it is not well-formed XML.
QString pageText(const QString& path, QString* error) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) {
    *error = path + ": cannot be opened";
    return {};
  }
  QXmlStreamReader xml(&f);
  QString text;
  while (!xml.atEnd())
    if (xml.readNext() == QXmlStreamReader::Characters) text += xml.text().toString() + " ";
  if (xml.hasError()) *error = QString("%1 at line %2").arg(xml.errorString()).arg(xml.lineNumber());
  return xml.hasError() ? QString() : text;
}

}  // namespace

class ReportExportTests : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

  void exportsRunsImportanceAndTheRerunCommand() {
    QTemporaryDir dir;
    app::MainWindow w;
    w.show();
    // The menu entry is there.
    QAction* entry = nullptr;
    for (QAction* menu : w.menuBar()->actions())
      if (menu->menu())
        for (QAction* a : menu->menu()->actions())
          if (a->text().remove('&').startsWith("Report (HTML and PDF)")) entry = a;
    QVERIFY(entry);
    QString error;
    QVERIFY(!w.exportReport(dir.filePath("none.html"), &error));  // nothing to report before a run
    QVERIFY(error.contains("quantize first"));
    error.clear();

    QSignalSpy loaded(&w, &app::MainWindow::modelLoaded);
    w.openDemo();
    QVERIFY(loaded.wait(120000));
    QSignalSpy done(&w, &app::MainWindow::quantized);
    for (int bits : {4, 3}) {
      QuantizationRequest r = w.runPanel()->request();
      r.method = QuantMethod::Rtn;
      r.weights.bits = bits;
      r.calibrationCount = 32;
      w.startQuantization(r);
      QVERIFY(done.wait(120000));
    }
    QTRY_COMPARE_WITH_TIMEOUT(w.runHistory().size(), size_t(2), 30000);
    QSignalSpy ready(&w, &app::MainWindow::importanceReady);
    w.estimateImportance();
    QVERIFY(ready.wait(300000));

    const QString html = dir.filePath("report.html"), pdf = dir.filePath("report.pdf");
    QVERIFY2(w.exportReport(html, &error), qPrintable(error));
    QVERIFY(QFile::exists(pdf));
    QFile head(pdf);
    QVERIFY(head.open(QIODevice::ReadOnly) && head.read(5) == "%PDF-");
    QString text = pageText(html, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    for (const RunPtr& run : w.runHistory())
      QVERIFY2(text.contains(QString::fromStdString(run->label())), qPrintable(QString::fromStdString(run->label())));
    QVERIFY(text.contains("Runs"));
    QVERIFY(text.contains("Importance: "));
    QVERIFY(text.contains(QString::number(w.lastRun()->top1(), 'f', 2)));
    QVERIFY(text.contains("not saved in a session file"));
    QVERIFY(!text.contains("roundlab-cli rerun /"));  // only the advice to save and rerun SESSION.rlab

    // Saved: the report names the rerun of that session.
    const QString session = dir.filePath("run.rlab");
    QSignalSpy saved(&w, &app::MainWindow::sessionSaved);
    w.saveSessionAs(session);
    QVERIFY(saved.wait(60000));
    QVERIFY2(w.exportReport(pdf, &error), qPrintable(error));  // the PDF chosen: the HTML beside it again
    text = pageText(html, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QVERIFY2(text.contains("roundlab-cli rerun " + session), qPrintable(text.left(2000)));
  }
};

QTEST_MAIN(ReportExportTests)
#include "ReportExportTests.moc"
