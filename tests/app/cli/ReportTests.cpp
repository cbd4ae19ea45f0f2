// roundlab-cli report end to end: real sessions made by the CLI from the shipped demo, reports
// written as HTML and PDF, read back as XML (QXmlStreamReader), as text (pdftotext) and as the
// session file's own HDF5 attributes (read with the HDF5 C++ API, not RoundLab's reader).
#include <H5Cpp.h>

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QXmlStreamReader>

#include "CliRun.h"

namespace {

using clitest::cli;
using clitest::demo;
using clitest::Run;

// What a reader of the HTML report sees, from an XML parse of the whole file.
struct Page {
  QString error;            // the XML parser's, empty when the file is well-formed
  QString text;             // every text node, space-separated
  QList<QStringList> rows;  // every table row's cells
  QStringList commands;     // the command lines (<pre class="cmd"><code>)
  QStringList svgTitles;    // one per inline SVG plot
  QStringList external;     // src/href attributes that reach outside the file
  int svgTexts = 0;         // <text> elements inside the plots
  QStringList row(const QString& first) const {
    for (const QStringList& r : rows)
      if (!r.isEmpty() && r.first() == first) return r;
    return {};
  }
};

Page readPage(const QString& path) {
  Page page;
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) {
    page.error = path + ": cannot be opened";
    return page;
  }
  QXmlStreamReader xml(&f);
  const QString svgNs = "http://www.w3.org/2000/svg";
  QStringList* row = nullptr;
  QString* cell = nullptr;
  QString* command = nullptr;
  bool cmdParagraph = false, svgTitle = false;
  int svgDepth = 0;
  while (!xml.atEnd()) {
    xml.readNext();
    if (xml.isStartElement()) {
      const QString name = xml.name().toString();
      for (const QString attribute : {"src", "href"}) {
        const QString v = xml.attributes().value(attribute).toString();
        if (!v.isEmpty() && !v.startsWith('#')) page.external << v;
      }
      if (xml.namespaceUri() == svgNs) {
        if (name == "svg") ++svgDepth;
        if (name == "title" && svgDepth > 0) {
          page.svgTitles << QString();
          svgTitle = true;
        }
        if (name == "text") ++page.svgTexts;
      } else if (name == "tr") {
        page.rows << QStringList();
        row = &page.rows.last();
      } else if ((name == "td" || name == "th") && row) {
        *row << QString();
        cell = &row->last();
      } else if (name == "pre") {
        cmdParagraph = xml.attributes().value("class") == QLatin1String("cmd");
      } else if (name == "code" && cmdParagraph) {
        page.commands << QString();
        command = &page.commands.last();
      }
    } else if (xml.isEndElement()) {
      const QString name = xml.name().toString();
      if (name == "svg" && xml.namespaceUri() == svgNs) --svgDepth;
      if (name == "title") svgTitle = false;
      if (name == "td" || name == "th") cell = nullptr;
      if (name == "tr") row = nullptr;
      if (name == "code") command = nullptr;
      if (name == "pre") cmdParagraph = false;
    } else if (xml.isCharacters()) {
      const QString t = xml.text().toString();
      page.text += t + " ";
      if (cell) *cell += t;
      if (command) *command += t;
      if (svgTitle) page.svgTitles.last() += t;
    }
  }
  if (xml.hasError())
    page.error =
        QString("%1 at line %2, column %3").arg(xml.errorString()).arg(xml.lineNumber()).arg(xml.columnNumber());
  return page;
}

QString pdfText(const QString& pdf) {
  QProcess p;
  p.start("pdftotext", {"-layout", pdf, "-"});
  p.waitForFinished(60000);
  return p.exitCode() == 0 ? QString::fromUtf8(p.readAllStandardOutput()) : QString();
}

// The attribute names of the session's /manifest/request: every setting the run recorded.
QStringList requestAttributes(const QString& session) {
  H5::H5File f(session.toStdString(), H5F_ACC_RDONLY);
  H5::Group g = f.openGroup("/manifest/request");
  QStringList names;
  for (int i = 0; i < g.getNumAttrs(); ++i) names << QString::fromStdString(g.openAttribute(i).getName());
  return names;
}

// Shell words as the report writes them: plain words, or single-quoted with '\'' inside; a
// backslash before a line break continues the command.
QStringList shellWords(const QString& line) {
  QStringList words;
  QString word;
  bool quoted = false, any = false;
  for (int i = 0; i < line.size(); ++i) {
    const QChar ch = line[i];
    if (quoted) {
      if (ch == '\'')
        quoted = false;
      else
        word += ch;
    } else if (ch == '\'') {
      quoted = any = true;
    } else if (ch == '\\' && i + 1 < line.size()) {
      if (line[++i] != '\n') {
        word += line[i];
        any = true;
      }
    } else if (ch.isSpace()) {
      if (any) words << word;
      word.clear();
      any = false;
    } else {
      word += ch;
      any = true;
    }
  }
  if (any) words << word;
  return words;
}

}  // namespace

class ReportTests : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  QString session_;
  QJsonObject quantized_, shown_;

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    session_ = dir_.filePath("S.rlab");
    const Run q = cli({"quantize", demo("fmnist_resnet.pt"), "--calib", demo("fmnist_calib.h5"), "--method", "rtn",
                       "--wbits", "4", "--eval", demo("fmnist_val.h5"), "--session", session_, "--json"});
    QVERIFY2(q.exitCode == 0, q.err.constData());
    quantized_ = q.json();
    const Run s = cli({"session", session_, "--json"});
    QVERIFY2(s.exitCode == 0, s.err.constData());
    shown_ = s.json();
    QCOMPARE(shown_["layers"].toArray().size(), 10);
  }

  void htmlReportHoldsEverythingToReproduceTheRun() {
    const QString html = dir_.filePath("r.html");
    const Run r = cli({"report", session_, "-o", html, "--json"});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(r.json()["output"].toString(), html);
    QCOMPARE(r.json()["format"].toString(), QString("html"));
    const Page page = readPage(html);
    QVERIFY2(page.error.isEmpty(), qPrintable(page.error));
    // Every layer in the per-layer table, with its bits as the session has them.
    for (const auto& v : shown_["layers"].toArray()) {
      const QJsonObject layer = v.toObject();
      const QStringList row = page.row(layer["name"].toString());
      QVERIFY2(!row.isEmpty(), qPrintable(layer["name"].toString()));
      QCOMPARE(row.value(2), QString::number(layer["bits"].toInt()));  // Layer, Weights, W bits, ...
    }
    // The inputs' hashes as the session recorded them, the seed, the versions.
    QCOMPARE(page.row("Model SHA-256").value(1), shown_["model_sha256"].toString());
    QCOMPARE(page.row("Calibration SHA-256").value(1), shown_["calibration_sha256"].toString());
    QCOMPARE(page.row("Seed").value(1), QString::number(shown_["seed"].toInteger()));
    QCOMPARE(page.row("LibTorch").value(1), shown_["torch_version"].toString());
    // Every setting the session file records, with its value and whether it is the default.
    const QStringList settings = requestAttributes(session_);
    QVERIFY(settings.size() >= 38);
    for (const QString& name : settings) QVERIFY2(page.row(name).size() == 4, qPrintable(name));
    QCOMPARE(page.row("method").value(1), QString("rtn"));
    QCOMPARE(page.row("wbits").value(1), QString("4"));
    QCOMPARE(page.row("seed").value(1), QString("0"));
    // The commands: rerun of this very file, and quantize with the same settings.
    QVERIFY(page.commands.contains("roundlab-cli rerun " + QFileInfo(session_).absoluteFilePath()));
    const QStringList quantize = shellWords(page.commands.filter("roundlab-cli quantize").value(0));
    QVERIFY(quantize.size() > 20);
    QCOMPARE(quantize.value(2), demo("fmnist_resnet.pt"));
    QVERIFY(quantize.join(' ').contains("--method rtn --wbits 4"));
    QVERIFY(quantize.join(' ').contains("--seed 0"));
    // The plots: inline SVG with text, and nothing outside the file.
    QVERIFY2(page.svgTitles.size() >= 2, qPrintable(page.svgTitles.join(", ")));
    QVERIFY(page.svgTitles.contains("Reconstruction loss per layer: nearest vs final rounding"));
    QVERIFY(page.svgTitles.contains("Weight bits per layer"));
    QVERIFY(page.svgTexts > 20);
    QVERIFY2(page.external.isEmpty(), qPrintable(page.external.join(", ")));
  }

  void pdfReportShowsTheLayerTable() {
    if (QStandardPaths::findExecutable("pdftotext").isEmpty()) QSKIP("pdftotext (poppler-utils) is not installed");
    const QString pdf = dir_.filePath("r.pdf");
    const Run r = cli({"report", session_, "-o", pdf, "--json"});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(r.json()["format"].toString(), QString("pdf"));
    QFile f(pdf);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QVERIFY(f.read(5) == "%PDF-");
    const QString text = pdfText(pdf);
    QVERIFY(text.contains("Per-layer results"));
    // Each layer's row starts with its name, whole (never broken across lines).
    for (const auto& v : shown_["layers"].toArray()) {
      const QString name = v.toObject()["name"].toString();
      QVERIFY2(QRegularExpression("(^|\\n)\\s*" + QRegularExpression::escape(name) + "\\s+\\d").match(text).hasMatch(),
               qPrintable(name));
    }
    QVERIFY(text.contains("rtn (round to nearest)"));
    QVERIFY(text.contains(shown_["model_sha256"].toString()));
    QVERIFY(text.contains("roundlab-cli rerun"));
  }

  // The report's quantize command, run as written, makes the same run (here a learned rounding
  // with settings away from the defaults).
  void quantizeCommandReproducesTheRun() {
    const QString a = dir_.filePath("A.rlab"), b = dir_.filePath("B.rlab"), html = dir_.filePath("a.html");
    const Run q = cli({"quantize", demo("fmnist_resnet.pt"), "--calib", demo("fmnist_calib.h5"), "--method", "adaround",
                       "--iters", "40", "--calib-count", "64", "--seed", "9", "--wbits", "3", "--lambda", "0.02",
                       "--symmetric", "--session", a});
    QVERIFY2(q.exitCode == 0, q.err.constData());
    QCOMPARE(cli({"report", a, "-o", html}).exitCode, 0);
    const Page page = readPage(html);
    QVERIFY2(page.error.isEmpty(), qPrintable(page.error));
    QStringList words = shellWords(page.commands.filter("roundlab-cli quantize").value(0));
    QCOMPARE(words.value(0), QString("roundlab-cli"));
    QVERIFY(words.contains("--symmetric"));
    words[words.indexOf("REPRODUCED.rlab")] = b;
    const Run again = cli(words.mid(1));
    QVERIFY2(again.exitCode == 0, again.err.constData());
    const QJsonArray la = cli({"session", a, "--json"}).json()["layers"].toArray();
    const QJsonArray lb = cli({"session", b, "--json"}).json()["layers"].toArray();
    QCOMPARE(lb, la);  // bits, flip rates and losses, layer by layer
    // A learned rounding flips weights: the report plots it.
    QVERIFY(page.svgTitles.contains("Weights rounded the other way than nearest, per layer"));
  }

  void evalAddsTheTop1() {
    const QString html = dir_.filePath("e.html");
    const Run r = cli({"report", session_, "-o", html, "--eval", demo("fmnist_val.h5")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const Page page = readPage(html);
    const QString top1 = page.row("Top-1").value(1);
    QVERIFY2(top1.startsWith(QString::number(quantized_["top1_quantized"].toDouble(), 'f', 2) + " %"),
             qPrintable(top1));
    QVERIFY2(top1.contains(QString::number(quantized_["top1_fp"].toDouble(), 'f', 2)), qPrintable(top1));
    // The validation set is known now: the quantize command evaluates too.
    QVERIFY(shellWords(page.commands.filter("roundlab-cli quantize").value(0))
                .join(' ')
                .contains("--eval " + demo("fmnist_val.h5")));
  }

  // A language model's report gives its perplexity (and the FP model's) where top-1 would be.
  void languageModelReportGivesPerplexity() {
    const QString session = dir_.filePath("lm.rlab"), html = dir_.filePath("lm.html");
    const QString model = demo("fortunes_gpt.pt"), tokens = demo("fortunes_calib.h5");
    const Run q = cli({"quantize", model, "--calib", tokens, "--method", "rtn", "--wbits", "3", "--calib-count", "16",
                       "--session", session, "--eval", tokens, "--json"});
    QVERIFY2(q.exitCode == 0, q.err.constData());
    const Run r = cli({"report", session, "-o", html, "--eval", tokens});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const Page page = readPage(html);
    const QString perplexity = page.row("Perplexity").value(1);
    QVERIFY2(perplexity.startsWith(QString::number(q.json()["perplexity_quantized"].toDouble(), 'f', 3) +
                                   " (FP model " + QString::number(q.json()["perplexity_fp"].toDouble(), 'f', 3)),
             qPrintable(perplexity));
    QVERIFY2(perplexity.contains("next-token top-1"), qPrintable(perplexity));
    QVERIFY(page.row("Top-1").isEmpty());
  }

  // --eval evaluates the saved run only: a model file changed since is refused, naming it.
  void evalRefusesAChangedModel() {
    const QString model = dir_.filePath("model.pt"), session = dir_.filePath("M.rlab");
    QVERIFY(QFile::copy(demo("fmnist_resnet.pt"), model));
    const Run q = cli({"quantize", model, "--calib", demo("fmnist_calib.h5"), "--method", "rtn", "--calib-count", "32",
                       "--session", session});
    QVERIFY2(q.exitCode == 0, q.err.constData());
    QFile f(model);
    QVERIFY(f.open(QIODevice::Append));
    f.write("x");
    f.close();
    const Run r = cli({"report", session, "-o", dir_.filePath("m.html"), "--eval", demo("fmnist_val.h5")});
    QCOMPARE(r.exitCode, 1);
    QCOMPARE(r.stderrLines(), 1);
    QVERIFY2(r.err.contains(model.toUtf8()) && r.err.contains("changed"), r.err.constData());
    QVERIFY(!QFile::exists(dir_.filePath("m.html")));
    // Without --eval the report is still written: it shows what the session recorded.
    QCOMPARE(cli({"report", session, "-o", dir_.filePath("m.html")}).exitCode, 0);
  }

  void experimentReportListsEveryCell() {
    const QString x = dir_.filePath("X.rlab"), html = dir_.filePath("x.html");
    const Run e =
        cli({"experiment", demo("fmnist_resnet.pt"), "--calib", demo("fmnist_calib.h5"), "--eval",
             demo("fmnist_val.h5"), "--axis", "wbits", "--values", "4,3", "--method", "rtn", "--session", x, "--json"});
    QVERIFY2(e.exitCode == 0, e.err.constData());
    const QJsonArray rows = e.json()["rows"].toArray();
    QCOMPARE(rows.size(), 2);
    QCOMPARE(cli({"report", x, "-o", html}).exitCode, 0);
    const Page page = readPage(html);
    QVERIFY2(page.error.isEmpty(), qPrintable(page.error));
    for (const auto& v : rows) {
      const QJsonObject row = v.toObject();
      const QString cell = "wbits=" + row["value"].toString();
      QCOMPARE(page.row(cell).value(1), QString::number(row["top1"].toDouble(), 'f', 2));
    }
    QVERIFY(page.svgTitles.filter("top-1 per cell").size() == 1);
    const QStringList experiment = shellWords(page.commands.filter("roundlab-cli experiment").value(0));
    QVERIFY(experiment.join(' ').contains("--axis wbits --values 4,3"));
    QVERIFY(experiment.join(' ').contains("--method rtn"));
  }

  void badInputGivesOneClearLine_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("names");
    const QString notSession = dir_.filePath("notes.rlab");
    QFile f(notSession);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("not a session\n");
    f.close();
    const QString out = dir_.filePath("bad.html");
    QTest::newRow("a model, not a session")
        << QStringList{"report", demo("fmnist_resnet.pt"), "-o", out} << 1 << "fmnist_resnet.pt";
    QTest::newRow("a text file") << QStringList{"report", notSession, "-o", out} << 1 << "notes.rlab";
    QTest::newRow("no such session") << QStringList{"report", dir_.filePath("missing.rlab"), "-o", out} << 1
                                     << "missing.rlab";
    // As every command: an output folder that does not exist is refused before any work (usage, 2).
    QTest::newRow("output folder missing")
        << QStringList{"report", session_, "-o", "/nonexistent/dir/r.html"} << 2 << "/nonexistent/dir/r.html";
    QTest::newRow("unknown format") << QStringList{"report", session_, "-o", dir_.filePath("r.txt")} << 2 << "r.txt";
  }

  void badInputGivesOneClearLine() {
    QFETCH(QStringList, args);
    QFETCH(int, exitCode);
    QFETCH(QString, names);
    const Run r = cli(args);
    QCOMPARE(r.exitCode, exitCode);
    QCOMPARE(r.stderrLines(), 1);
    QVERIFY2(r.err.contains(names.toUtf8()), r.err.constData());
    QVERIFY(!QFile::exists(dir_.filePath("bad.html")));
  }
};

QTEST_GUILESS_MAIN(ReportTests)
#include "ReportTests.moc"
