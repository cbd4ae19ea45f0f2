// roundlab-cli under hostile input: the bad-input corpus (tests/data/bad), a full disk during a
// save, and kill -9 during a save. Real processes, real files; inputs are hashed before and after.
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

namespace {

struct Run {
  int exitCode = -1;
  QProcess::ExitStatus status = QProcess::NormalExit;
  QByteArray err, out;
  // What the user reads: stderr without progress lines ("[phase  40%] ...").
  QList<QByteArray> messageLines() const {
    QList<QByteArray> lines;
    for (const QByteArray& l : err.split('\n'))
      if (!l.trimmed().isEmpty() && !l.startsWith('[')) lines << l;
    return lines;
  }
};

Run cli(const QStringList& args, qint64 fileSizeLimit = 0) {
  QProcess p;
  if (fileSizeLimit > 0)
    p.setChildProcessModifier([fileSizeLimit] {
      const rlimit limit{static_cast<rlim_t>(fileSizeLimit), static_cast<rlim_t>(fileSizeLimit)};
      ::setrlimit(RLIMIT_FSIZE, &limit);
    });
  p.start(ROUNDLAB_CLI, args);
  p.waitForFinished(600000);
  return {p.exitCode(), p.exitStatus(), p.readAllStandardError(), p.readAllStandardOutput()};
}

QString demo(const QString& f) { return QString(ROUNDLAB_DEMO_DIR) + "/" + f; }

// SHA-256 of every regular file under `dir`, by relative path.
QMap<QString, QByteArray> hashes(const QString& dir) {
  QMap<QString, QByteArray> out;
  QDirIterator it(dir, QDir::Files | QDir::Hidden | QDir::NoSymLinks, QDirIterator::Subdirectories);
  while (it.hasNext()) {
    const QString path = it.next();
    if (!it.fileInfo().isFile()) continue;
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) continue;
    QCryptographicHash h(QCryptographicHash::Sha256);
    h.addData(&f);
    out[QDir(dir).relativeFilePath(path)] = h.result();
  }
  return out;
}

QByteArray readAll(const QString& path) {
  QFile f(path);
  return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

QStringList temporaryFiles(const QString& dir) {
  return QDir(dir).entryList({"*.roundlab-tmp.*"}, QDir::Files | QDir::Hidden);
}

}  // namespace

class ReliabilityTests : public QObject {
  Q_OBJECT

  QTemporaryDir corpus_;
  QMap<QString, QByteArray> corpusHashes_, demoHashes_;

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(corpus_.isValid());
    QProcess make;
    make.start(QString(ROUNDLAB_SOURCE_DIR) + "/tests/data/bad/make-bad-inputs.sh",
               {corpus_.path(), ROUNDLAB_CLI, ROUNDLAB_BAD_INPUT_WRITER, ROUNDLAB_DEMO_DIR});
    QVERIFY(make.waitForFinished(300000));
    QVERIFY2(make.exitCode() == 0, make.readAllStandardError().constData());
    corpusHashes_ = hashes(corpus_.path());
    demoHashes_ = hashes(ROUNDLAB_DEMO_DIR);
    QVERIFY(corpusHashes_.size() >= 40);
  }

  void badInputGetsOneSpecificLine_data() {
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("needle");
    QTest::addColumn<QString>("command");
    QFile cases(QString(ROUNDLAB_SOURCE_DIR) + "/tests/data/bad/cases.tsv");
    QVERIFY(cases.open(QIODevice::ReadOnly | QIODevice::Text));
    int count = 0;
    while (!cases.atEnd()) {
      const QString line = QString::fromUtf8(cases.readLine()).trimmed();
      if (line.isEmpty() || line.startsWith('#')) continue;
      const QStringList f = line.split('\t');
      QCOMPARE(f.size(), 4);
      QTest::newRow(qPrintable(f[0])) << f[1].toInt() << f[2] << f[3];
      ++count;
    }
    QVERIFY(count >= 40);
  }

  void badInputGetsOneSpecificLine() {
    QFETCH(int, exitCode);
    QFETCH(QString, needle);
    QFETCH(QString, command);
    QTemporaryDir out;
    QStringList args;
    for (QString a : command.split(' ', Qt::SkipEmptyParts))
      args << a.replace("$BAD", corpus_.path()).replace("$DEMO", ROUNDLAB_DEMO_DIR).replace("$OUT", out.path());
    QElapsedTimer clock;
    clock.start();
    const Run r = cli(args);
    QVERIFY2(r.status == QProcess::NormalExit, r.err.constData());  // no crash, no signal
    QVERIFY2(r.exitCode == exitCode, qPrintable(QString("exit %1: %2").arg(r.exitCode).arg(QString(r.err))));
    const QList<QByteArray> lines = r.messageLines();
    QVERIFY2(lines.size() == 1, r.err.constData());
    // The expected words must come from the message, not from a file name in it; and a bad input
    // (exit 1) is named.
    QByteArray message = lines[0];
    for (const QString& a : args)
      if (a.contains('/')) message.replace(a.toUtf8(), "<file>");
    QVERIFY2(message.contains(needle.toUtf8()), r.err.constData());
    if (exitCode == 1) QVERIFY2(message.contains("<file>"), r.err.constData());
    QVERIFY2(!r.err.contains("internal error"), r.err.constData());
    QVERIFY2(clock.elapsed() < 120000, "a bad input must be refused without a long run");
    // A failed run changes no input and leaves no output.
    QCOMPARE(hashes(corpus_.path()), corpusHashes_);
    QCOMPARE(hashes(ROUNDLAB_DEMO_DIR), demoHashes_);
    QVERIFY2(QDir(out.path()).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot).isEmpty(),
             "a failed run left files behind");
  }

  // Usable input that is probably wrong gets a warning, and the run goes on: the FP model near
  // chance on the calibration set (labels shifted by one class here). The right set gets none.
  void nearChanceCalibrationIsWarned() {
    const QStringList quantize{"quantize", demo("fmnist_transformer.pt"), "--calib-count", "64", "--method", "rtn",
                               "--calib"};
    const Run wrong = cli(quantize + QStringList{corpus_.filePath("data-labels-shifted.h5")});
    QCOMPARE(wrong.exitCode, 0);
    QVERIFY2(wrong.err.contains("warning: the FP model scores") && wrong.err.contains("near chance") &&
                 wrong.err.contains("normalisation"),
             wrong.err.constData());
    const Run right = cli(quantize + QStringList{demo("fmnist_calib.h5")});
    QCOMPARE(right.exitCode, 0);
    QVERIFY2(!right.err.contains("warning"), right.err.constData());
    // The ambiguous file, once the user says how to read it: used as stored, it scores as the model should.
    const Run asStored = cli({"eval", demo("fmnist_resnet.pt"), "--data",
                              corpus_.filePath("data-float-prenormalised.h5"), "--normalize", "none", "--json"});
    QVERIFY2(asStored.exitCode == 0, asStored.err.constData());
    const Run reference =
        cli({"eval", demo("fmnist_resnet.pt"), "--data", corpus_.filePath("data-good-first64.h5"), "--json"});
    QCOMPARE(reference.exitCode, 0);
    const auto correct = [](const Run& r) {
      const QRegularExpressionMatch m = QRegularExpression("\"correct\": *(\\d+)").match(QString(r.out));
      return m.hasMatch() ? m.captured(1).toInt() : -1;
    };
    QVERIFY(correct(reference) > 48);  // the demo ResNet scores ~90 %
    QCOMPARE(correct(asStored), correct(reference));
  }

  // A session records how its calibration set was read: a rerun reads the ambiguous file the way
  // the user said (the file alone would be refused), and gets the same bits.
  void rerunReadsTheCalibrationAsTheRunDid() {
    QTemporaryDir dir;
    const QString session = dir.filePath("s.rlab");
    const Run q = cli({"quantize", demo("fmnist_resnet.pt"), "--calib", corpus_.filePath("data-float-prenormalised.h5"),
                       "--normalize", "none", "--method", "adaround", "--iters", "20", "--calib-count", "64",
                       "--session", session});
    QVERIFY2(q.exitCode == 0, q.err.constData());
    const Run rerun = cli({"rerun", session, "--json"});
    QVERIFY2(rerun.exitCode == 0, rerun.err.constData());
    QVERIFY2(QRegularExpression("\"identical\": *true").match(QString(rerun.out)).hasMatch(), rerun.out.constData());
  }

  // A disk that fills during a save (a file-size limit stands in for it: every write past the
  // limit fails as on a full disk): one line, the previous session intact, no temporary file.
  void fullDiskKeepsThePreviousFile() {
    QTemporaryDir dir;
    const QString session = dir.filePath("s.rlab"), exported = dir.filePath("q.pt");
    const QStringList quantize{"quantize",      demo("fmnist_transformer.pt"),
                               "--calib",       demo("fmnist_calib.h5"),
                               "--calib-count", "32",
                               "--method",      "rtn"};
    QCOMPARE(cli(quantize + QStringList{"--wbits", "4", "--session", session}).exitCode, 0);
    const QByteArray before = readAll(session);
    QVERIFY(before.size() > 20000);
    for (const QStringList& output : {QStringList{"--session", session}, QStringList{"--export-torchscript", exported},
                                      QStringList{"--export-h5", dir.filePath("q.h5")}}) {
      const Run r = cli(quantize + QStringList{"--wbits", "3"} + output, 16 * 1024);
      QVERIFY2(r.status == QProcess::NormalExit && r.exitCode == 1, r.err.constData());
      QCOMPARE(r.messageLines().size(), 1);
      QVERIFY2(r.err.contains("failed: file too large"), r.err.constData());
      QCOMPARE(readAll(session), before);
      QVERIFY2(temporaryFiles(dir.path()).isEmpty(), qPrintable(temporaryFiles(dir.path()).join(' ')));
    }
    QVERIFY(!QFile::exists(exported));
    QCOMPARE(cli({"session", session}).exitCode, 0);
  }

  // kill -9 at 20 random moments of a run that saves a session: the session always opens (old or
  // new, never half), and the next save removes what the killed ones left.
  void killDuringSaveNeverLosesTheSession() {
    QTemporaryDir dir;
    const QString session = dir.filePath("s.rlab");
    const QStringList args{"quantize",      demo("fmnist_transformer.pt"),
                           "--calib",       demo("fmnist_calib.h5"),
                           "--calib-count", "32",
                           "--method",      "rtn",
                           "--session",     session};
    QElapsedTimer clock;
    clock.start();
    QCOMPARE(cli(args).exitCode, 0);
    const qint64 runMs = clock.elapsed();
    QRandomGenerator random(20261130);
    int killedBeforeTheEnd = 0;
    for (int i = 0; i < 20; ++i) {
      QProcess p;
      p.start(ROUNDLAB_CLI, args);
      QVERIFY(p.waitForStarted());
      // Most moments late in the run, where the session is written.
      QThread::msleep(static_cast<unsigned long>(runMs * (0.5 + 0.6 * random.generateDouble())));
      ::kill(static_cast<pid_t>(p.processId()), SIGKILL);
      p.waitForFinished();
      if (p.exitStatus() == QProcess::CrashExit) ++killedBeforeTheEnd;
      const Run opened = cli({"session", session});
      QVERIFY2(opened.exitCode == 0, opened.err.constData());
    }
    QVERIFY(killedBeforeTheEnd > 0);
    QCOMPARE(cli(args).exitCode, 0);
    QVERIFY2(temporaryFiles(dir.path()).isEmpty(), qPrintable(temporaryFiles(dir.path()).join(' ')));
  }
};

QTEST_GUILESS_MAIN(ReliabilityTests)
#include "ReliabilityTests.moc"
