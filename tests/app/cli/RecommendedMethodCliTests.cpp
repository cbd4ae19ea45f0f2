// roundlab-cli quantize --method recommended end to end: its settings are the run's and can be
// overridden, units stop when settled, and a session of it reruns to the same bits.
#include <QJsonArray>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include "CliRun.h"

using clitest::cli;
using clitest::demo;
using clitest::Run;

class RecommendedMethodCliTests : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  // --method recommended: its settings are the run's (JSON and session), any one can be overridden,
  // units stop when settled, and a rerun of its session gives the same bits.
  void recommendedMethodIsVisibleAndOverridable() {
    QTemporaryDir dir;
    const QString session = dir.filePath("recommended.rlab");
    const QStringList common{"quantize",      demo("fmnist_transformer.pt"),
                             "--calib",       demo("fmnist_calib.h5"),
                             "--method",      "recommended",
                             "--calib-count", "64",
                             "--json"};
    const Run defaults = cli(common);
    QCOMPARE(defaults.exitCode, 0);
    const QJsonObject settings = defaults.json()["settings"].toObject();
    QCOMPARE(settings["method"].toString(), QString("recommended"));
    QCOMPARE(settings["variable"].toString(), QString("offset"));
    QCOMPARE(settings["freedom"].toString(), QString("bias"));
    QCOMPARE(settings["stop_when_settled"].toString(), QString("1"));
    QCOMPARE(settings["iterations"].toString(), QString("100"));
    QCOMPARE(settings["learning_rate"].toString().toDouble(), 5e-3);
    QCOMPARE(settings["act_learning_rate"].toString().toDouble(), 4e-4);
    for (const auto& l : defaults.json()["layers"].toArray()) {
      const int ran = l.toObject()["iterations_run"].toInt();
      QVERIFY(ran >= 1 && ran <= 100);
    }
    // With room to settle (a cap of 1000) units stop before the cap, and the run says so.
    const Run r = cli(common + QStringList{"--iters", "1000", "--session", session});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.json()["settings"].toObject()["stop_when_settled"].toString(), QString("1"));
    QVERIFY2(r.json()["stopping"].toString().contains("units stopped when settled"),
             "the run says what the stopping rule did");
    int stopped = 0;
    for (const auto& l : r.json()["layers"].toArray()) {
      const int ran = l.toObject()["iterations_run"].toInt();
      QVERIFY(ran >= 1 && ran <= 1000);
      stopped += ran < 1000;
    }
    QVERIFY2(stopped > 0, "some unit settles before the cap");
    const Run rerun = cli({"rerun", session, "--json"});
    QCOMPARE(rerun.exitCode, 0);
    QVERIFY(rerun.json()["identical"].toBool());  // bit-identical with the stopping rule on
    // Any choice can be overridden; --stop fixed runs every iteration.
    const Run changed = cli(common + QStringList{"--freedom", "step", "--iters", "60", "--stop", "fixed", "--act-lr",
                                                 "1e-3", "--lr", "2e-3"});
    QCOMPARE(changed.exitCode, 0);
    const QJsonObject s = changed.json()["settings"].toObject();
    QCOMPARE(s["freedom"].toString(), QString("step"));
    QCOMPARE(s["variable"].toString(), QString("offset"));
    QCOMPARE(s["stop_when_settled"].toString(), QString("0"));
    QCOMPARE(s["act_learning_rate"].toString().toDouble(), 1e-3);
    QCOMPARE(s["learning_rate"].toString().toDouble(), 2e-3);
    for (const auto& l : changed.json()["layers"].toArray()) QCOMPARE(l.toObject()["iterations_run"].toInt(), 60);
    const Run bad = cli(common + QStringList{"--stop", "sometimes"});
    QVERIFY(bad.exitCode != 0 && bad.stderrLines() == 1 && bad.err.contains("stopping rule"));
  }
};

QTEST_GUILESS_MAIN(RecommendedMethodCliTests)
#include "RecommendedMethodCliTests.moc"
