// roundlab-cli experiment, run-job and merge end to end: sweeps, grids, and experiments and
// importance sweeps fanned out as jobs over separate processes, merged bit for bit.
#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

#include "CliRun.h"

using clitest::cli;
using clitest::demo;
using clitest::Run;

class ExperimentCliTests : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void experimentTabulatesEveryValue() {
    const Run r = cli({"experiment", demo("fmnist_transformer.pt"), "--calib", demo("fmnist_calib.h5"), "--eval",
                       demo("fmnist_val.h5"), "--axis", "method", "--values", "rtn,gptq", "--wbits", "3",
                       "--calib-count", "128", "--json"});
    QCOMPARE(r.exitCode, 0);
    const QJsonArray rows = r.json()["rows"].toArray();
    QCOMPARE(rows.size(), 2);
    QCOMPARE(rows[1].toObject()["value"].toString(), QString("gptq"));
    for (const auto& v : rows) QVERIFY(v.toObject()["top1"].toDouble() > 80.0);
    const Run bad = cli({"experiment", demo("fmnist_transformer.pt"), "--calib", demo("fmnist_calib.h5"), "--axis",
                         "colour", "--values", "red"});
    QCOMPARE(bad.exitCode, 1);
    QVERIFY(bad.err.contains("unknown experiment axis"));
  }

  // --seeds repeats every value once per seed: the JSON's per-setting mean and standard deviation
  // equal those of its rows, the table shows them, and the jobs of such an experiment merge to the
  // same rows bit for bit.
  void experimentSeedsGiveMeanAndSpread() {
    QTemporaryDir dir;
    const QStringList common{demo("fmnist_transformer.pt"),
                             "--calib",
                             demo("fmnist_calib.h5"),
                             "--eval",
                             demo("fmnist_val.h5"),
                             "--axis",
                             "wbits",
                             "--values",
                             "4,2",
                             "--method",
                             "adaround",
                             "--iters",
                             "5",
                             "--calib-count",
                             "64",
                             "--seeds",
                             "0,1,2"};
    const Run r = cli(QStringList{"experiment"} + common + QStringList{"--json"});
    QCOMPARE(r.exitCode, 0);
    const QJsonArray rows = r.json()["rows"].toArray();
    QCOMPARE(rows.size(), 6);
    QCOMPARE(rows[4].toObject()["seed"].toInt(), 1);
    QCOMPARE(r.json()["seeds"].toArray(), (QJsonArray{0, 1, 2}));
    const QJsonArray seeds = r.json()["per_setting"].toArray();
    QCOMPARE(seeds.size(), 2);
    for (int v = 0; v < 2; ++v) {
      const QJsonObject pooled = seeds[v].toObject();
      QCOMPARE(pooled["label"].toString(), QString(v == 0 ? "wbits=4" : "wbits=2"));
      QCOMPARE(pooled["seeds"].toInt(), 3);
      double mean = 0, squares = 0;
      for (int k = 0; k < 3; ++k) mean += rows[3 * v + k].toObject()["top1"].toDouble() / 3;
      for (int k = 0; k < 3; ++k) squares += std::pow(rows[3 * v + k].toObject()["top1"].toDouble() - mean, 2);
      QVERIFY(std::abs(pooled["top1"].toObject()["mean"].toDouble() - mean) < 1e-9);
      QVERIFY(std::abs(pooled["top1"].toObject()["std"].toDouble() - std::sqrt(squares / 2)) < 1e-9);
    }
    QVERIFY(seeds[1].toObject()["kl"].toObject()["std"].toDouble() > 0);  // 2-bit runs differ by seed

    const Run text =
        cli({"experiment", demo("fmnist_transformer.pt"), "--calib", demo("fmnist_calib.h5"), "--eval",
             demo("fmnist_val.h5"), "--axis", "wbits", "--values", "4,2", "--method", "rtn", "--seeds", "0,1"});
    QCOMPARE(text.exitCode, 0);
    QVERIFY2(
        text.out.contains("seeds 0,1, mean ± std over them") && text.out.contains("2/2") && text.out.contains(" ± "),
        text.out.constData());
    for (const QStringList& bad : {QStringList{"--seeds", "4"}, QStringList{"--seeds", "1,x"},
                                   QStringList{"--seeds", "0,1", "--axis2", "seed", "--values2", "3,4"}}) {
      const Run refused = cli(QStringList{"experiment", demo("fmnist_transformer.pt"), "--calib",
                                          demo("fmnist_calib.h5"), "--axis", "wbits", "--values", "4"} +
                              bad);
      QVERIFY2(refused.exitCode != 0 && refused.stderrLines() == 1 && refused.err.contains("seed"),
               refused.err.constData());
    }

    const QString jobs = dir.filePath("jobs");
    const Run written = cli(QStringList{"experiment"} + common + QStringList{"--jobs-dir", jobs, "--json"});
    QCOMPARE(written.exitCode, 0);
    QCOMPARE(written.json()["jobs"].toInt(), 6);
    QProcess xargs;
    xargs.setStandardInputFile(jobs + "/jobs.txt");
    xargs.start("xargs", {"-P", "2", "-n", "1", ROUNDLAB_CLI, "run-job"});
    QVERIFY(xargs.waitForFinished(600000));
    QCOMPARE(xargs.exitCode(), 0);
    const Run merged = cli({"merge", jobs, "-o", dir.filePath("seeds.rlab"), "--json"});
    QCOMPARE(merged.exitCode, 0);
    const QJsonArray mergedSeeds = merged.json()["per_setting"].toArray();  // the same rows: the same pooled values
    QCOMPARE(mergedSeeds.size(), seeds.size());
    for (int v = 0; v < seeds.size(); ++v)
      for (const char* key : {"top1", "kl", "mean_loss_after"})
        QCOMPARE(mergedSeeds[v].toObject()[key].toObject(), seeds[v].toObject()[key].toObject());
  }

  // An experiment fanned out as jobs over separate processes (xargs -P 2) and merged gives the
  // same rows, bit for bit, as the same experiment in one process; the merged session holds it.
  void experimentJobsMergeToTheSameBits() {
    QTemporaryDir dir;
    const QStringList common{demo("fmnist_resnet.pt"),
                             "--calib",
                             demo("fmnist_calib.h5"),
                             "--eval",
                             demo("fmnist_val.h5"),
                             "--axis",
                             "wbits",
                             "--values",
                             "4,3,4",
                             "--axis2",
                             "method",
                             "--values2",
                             "rtn,adaround",
                             "--iters",
                             "20",
                             "--calib-count",
                             "128"};
    const Run one = cli(QStringList{"experiment"} + common + QStringList{"--json"});
    QCOMPARE(one.exitCode, 0);
    const QJsonArray rows = one.json()["rows"].toArray();
    QCOMPARE(rows.size(), 6);  // wbits 4, 3, 4 x rtn, adaround; the repeated 4 is run once
    QCOMPARE(rows[4].toObject()["run"].toInt(), rows[0].toObject()["run"].toInt());

    const QString jobs = dir.filePath("jobs");
    const Run written = cli(QStringList{"experiment"} + common + QStringList{"--jobs-dir", jobs, "--slurm", "--json"});
    QCOMPARE(written.exitCode, 0);
    QCOMPARE(written.json()["jobs"].toInt(), 4);  // one per distinct request
    QFile sbatch(jobs + "/run-jobs.sbatch");
    QVERIFY(sbatch.open(QIODevice::ReadOnly));
    const QByteArray script = sbatch.readAll();
    QVERIFY2(script.contains("#SBATCH --array=1-4") && script.contains("roundlab-cli\" run-job --threads 1"),
             script.constData());
    // Writing into a folder that has jobs already is refused (nothing is overwritten).
    const Run again = cli(QStringList{"experiment"} + common + QStringList{"--jobs-dir", jobs});
    QCOMPARE(again.exitCode, 1);
    QVERIFY2(again.err.contains("already holds job files"), again.err.constData());
    // Merging before every job ran names what is missing.
    const Run early = cli({"merge", jobs, "-o", dir.filePath("study.rlab")});
    QCOMPARE(early.exitCode, 1);
    QVERIFY2(early.err.contains("4 of 4 jobs have no result yet"), early.err.constData());

    QProcess xargs;
    xargs.setStandardInputFile(jobs + "/jobs.txt");
    xargs.start("xargs", {"-P", "2", "-n", "1", ROUNDLAB_CLI, "run-job"});
    QVERIFY(xargs.waitForFinished(600000));
    QCOMPARE(xargs.exitCode(), 0);
    const Run merged = cli({"merge", jobs, "-o", dir.filePath("study.rlab"), "--json"});
    QCOMPARE(merged.exitCode, 0);
    const Run shown = cli({"session", dir.filePath("study.rlab"), "--json"});
    QCOMPARE(shown.exitCode, 0);
    const QJsonArray experiments = shown.json()["experiments"].toArray();
    QCOMPARE(experiments.size(), 1);
    for (const QJsonArray& mergedRows :
         {merged.json()["rows"].toArray(), experiments[0].toObject()["rows"].toArray()}) {
      QCOMPARE(mergedRows.size(), rows.size());
      for (int i = 0; i < rows.size(); ++i) {
        const QJsonObject a = rows[i].toObject(), b = mergedRows[i].toObject();
        QCOMPARE(b["settings"].toObject(), a["settings"].toObject());
        for (const char* key : {"top1", "kl", "agreement", "mean_loss_before", "mean_loss_after"})
          QVERIFY2(a[key].toDouble() == b[key].toDouble(),  // exactly: the same bits
                   qPrintable(QString("row %1 %2: %3 vs %4")
                                  .arg(i)
                                  .arg(key)
                                  .arg(a[key].toDouble(), 0, 'g', 17)
                                  .arg(b[key].toDouble(), 0, 'g', 17)));
      }
    }
    // A job file that is not one is one clear line.
    QFile bogus(dir.filePath("bogus.json"));
    QVERIFY(bogus.open(QIODevice::WriteOnly));
    bogus.write("{\"format\": \"something else\"}");
    bogus.close();
    const Run bad = cli({"run-job", dir.filePath("bogus.json")});
    QCOMPARE(bad.exitCode, 1);
    QCOMPARE(bad.stderrLines(), 1);
    QVERIFY2(bad.err.contains("bogus.json is not a RoundLab job file"), bad.err.constData());
  }

  // A per-layer importance sweep as jobs (one per layer, xargs -P 2), merged into a session of
  // the same model, equals the estimate made in one process, bit for bit.
  void importanceJobsMergeToTheSameBits() {
    QTemporaryDir dir;
    const QStringList common{
        demo("fmnist_resnet.pt"), "--calib", demo("fmnist_calib.h5"), "--estimator", "measured", "--bits", "2,4",
        "--calib-count",          "64"};
    const Run one = cli(QStringList{"importance"} + common + QStringList{"--json"});
    QCOMPARE(one.exitCode, 0);
    const QString jobs = dir.filePath("jobs");
    const Run written = cli(QStringList{"importance"} + common + QStringList{"--jobs-dir", jobs, "--json"});
    QCOMPARE(written.exitCode, 0);
    QCOMPARE(written.json()["jobs"].toInt(), one.json()["layers"].toArray().size());
    QProcess xargs;
    xargs.setStandardInputFile(jobs + "/jobs.txt");
    xargs.start("xargs", {"-P", "2", "-n", "1", ROUNDLAB_CLI, "run-job"});
    QVERIFY(xargs.waitForFinished(600000));
    QCOMPARE(xargs.exitCode(), 0);
    const QString run = dir.filePath("run.rlab"), merged = dir.filePath("merged.rlab");
    QCOMPARE(cli({"quantize", demo("fmnist_resnet.pt"), "--calib", demo("fmnist_calib.h5"), "--method", "rtn",
                  "--calib-count", "64", "--session", run})
                 .exitCode,
             0);
    const Run noInto = cli({"merge", jobs, "-o", merged});
    QCOMPARE(noInto.exitCode, 2);
    QVERIFY2(noInto.err.contains("--into"), noInto.err.constData());
    QCOMPARE(cli({"merge", jobs, "--into", run, "-o", merged}).exitCode, 0);
    const Run shown = cli({"session", merged, "--json"});
    QCOMPARE(shown.exitCode, 0);
    const QJsonObject table = shown.json()["importance"].toArray().at(0).toObject();
    QCOMPARE(table["estimator"].toString(), QString("measured"));
    QCOMPARE(table["fp_loss"].toDouble(), one.json()["fp_loss"].toDouble());
    QCOMPARE(table["layers"].toArray(), one.json()["layers"].toArray());  // names and values, exactly
  }
};

QTEST_MAIN(ExperimentCliTests)
#include "ExperimentCliTests.moc"
