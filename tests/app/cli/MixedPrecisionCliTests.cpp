// Importance and mixed precision from the command line: the estimators' tables with their errors,
// and allocate's budget, pins, refinement with measured interactions, uniform guard, measured
// Pareto front and session.
#include <QJsonArray>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

#include "CliRun.h"

using clitest::cli;
using clitest::demo;
using clitest::Run;

class MixedPrecisionCliTests : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void importanceJsonComparesEstimators() {
    const Run one = cli({"importance", demo("fmnist_resnet.pt"), "--calib", demo("fmnist_calib.h5"), "--estimator",
                         "measured", "--bits", "2,4", "--calib-count", "32", "--json"});
    QVERIFY2(one.exitCode == 0, one.err.constData());
    const QJsonObject t = one.json();
    QCOMPARE(t["estimator"].toString(), QString("measured"));
    QCOMPARE(t["bits"].toArray().size(), 2);
    QCOMPARE(t["layers"].toArray().size(), 10);
    for (const QJsonValue& l : t["layers"].toArray()) {
      const QJsonObject imp = l.toObject()["importance"].toObject();
      QVERIFY(imp.contains("2") && imp.contains("4"));
      const QJsonObject error = l.toObject()["standard_error"].toObject();  // over the 32 samples
      QVERIFY(error["2"].toDouble() > 0 && error["4"].toDouble() > 0);
    }
    const Run text = cli({"importance", demo("fmnist_resnet.pt"), "--calib", demo("fmnist_calib.h5"), "--estimator",
                          "measured", "--bits", "2,8", "--calib-count", "32"});
    QVERIFY2(text.out.contains("± 95 % interval") && text.out.contains(" ±") &&
                 text.out.contains("values are within their interval of zero"),
             text.out.constData());
    QVERIFY(t["wall_s"].toDouble() > 0);
    const Run two = cli({"importance", demo("fmnist_resnet.pt"), "--calib", demo("fmnist_calib.h5"), "--estimator",
                         "measured,ig", "--bits", "2,4", "--calib-count", "32", "--ig-points", "4", "--json"});
    QVERIFY2(two.exitCode == 0, two.err.constData());
    QCOMPARE(two.json()["tables"].toArray().size(), 2);
    QVERIFY(!two.json()["tables"].toArray().at(1).toObject()["layers"].toArray().at(0).toObject().contains(
        "standard_error"));  // integrated gradients have none
    const QJsonObject rho = two.json()["spearman_vs_measured"].toObject()["ig"].toObject();
    QVERIFY(rho["mean"].toDouble() >= -1 && rho["mean"].toDouble() <= 1 && rho.contains("cost_ratio"));
    const Run bad =
        cli({"importance", demo("fmnist_resnet.pt"), "--calib", demo("fmnist_calib.h5"), "--estimator", "oracle"});
    QCOMPARE(bad.exitCode, 2);
  }

  void allocateRespectsBudgetAndPins() {
    QTemporaryDir dir;
    const QString session = dir.filePath("a.rlab");
    const Run r = cli({"allocate",
                       demo("fmnist_resnet.pt"),
                       "--calib",
                       demo("fmnist_calib.h5"),
                       "--budget-bits",
                       "3",
                       "--pin",
                       "fc=8",
                       "--importance-count",
                       "32",
                       "--calib-count",
                       "32",
                       "--method",
                       "rtn",
                       "--eval",
                       demo("fmnist_val.h5"),
                       "--pareto",
                       "--pareto-points",
                       "6",
                       "--measure",
                       "--session",
                       session,
                       "--json"});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const QJsonObject o = r.json();
    QVERIFY(o["avg_bits"].toDouble() <= 3.0 + 1e-9);
    QCOMPARE(o["allocation"].toObject()["fc"].toInt(), 8);
    QCOMPARE(o["allocation"].toObject().size(), 10);
    QVERIFY(o["bytes"].toDouble() > 0 && o["bops"].toDouble() > 0);
    QVERIFY(o["top1_quantized"].toDouble() > 10 && o["top1_fp"].toDouble() > 90);
    // The uniform guard: of the widest uniform allocations within the budget the one closest to FP
    // on the calibration set, unless the importance-based one is closer beyond the 95 % interval
    // of the paired difference, is kept (and reported above); every candidate's top-1 on the
    // evaluation set is reported beside the kept one's.
    const QJsonObject guard = o["uniform_guard"].toObject();
    const QJsonArray uniform = guard["uniform"].toArray();
    QVERIFY(!uniform.isEmpty());
    QCOMPARE(uniform[0].toObject()["label"].toString(), QString("uniform 2 bits"));  // fc at 8: 3 bits exceed
    QJsonObject closest = uniform[0].toObject();
    for (const QJsonValue& c : uniform) {
      QVERIFY(c.toObject()["avg_bits"].toDouble() <= 3.0 + 1e-9);
      if (c.toObject()["kl"].toDouble() < closest["kl"].toDouble()) closest = c.toObject();
    }
    const double lead = closest["kl_mixed_minus_this"].toDouble(), ci = closest["kl_mixed_minus_this_ci95"].toDouble();
    QVERIFY(std::abs(lead - (guard["kl_mixed"].toDouble() - closest["kl"].toDouble())) < 1e-4 * (1 + std::abs(lead)));
    QVERIFY(ci > 0);
    QCOMPARE(guard["kept"].toString(), lead + ci < 0 ? QString("mixed") : closest["label"].toString());
    for (const QJsonValue& v : uniform) {
      const QJsonObject c = v.toObject();
      if (c["label"] == guard["kept"]) continue;
      QVERIFY(c["top1_quantized"].isDouble() && c["top1_kept_minus_this_ci95"].toDouble() > 0);
      QVERIFY(std::abs(c["top1_kept_minus_this"].toDouble() -
                       (o["top1_quantized"].toDouble() - c["top1_quantized"].toDouble())) < 1e-9);
    }
    QVERIFY(guard["kl_mixed"].toDouble() > 0 && guard["mixed"].toObject()["avg_bits"].toDouble() <= 3.0 + 1e-9);
    // Refinement with measured interactions (on by default): each round's proposal is kept only
    // when its calibration loss is lower, and the guard compares the refined allocation.
    const QJsonObject refinement = o["refinement"].toObject();
    QVERIFY(refinement["start"].toObject()["avg_bits"].toDouble() <= 3.0 + 1e-9);
    double previous = refinement["start_loss"].toDouble();
    QVERIFY(previous > 0);
    QJsonObject refined = refinement["start"].toObject()["allocation"].toObject();
    const QJsonArray rounds = refinement["rounds"].toArray();
    QVERIFY(rounds.size() <= 3);
    for (const QJsonValue& v : rounds) {
      const QJsonObject round = v.toObject();
      QCOMPARE(round["allocation"].toObject()["fc"].toInt(), 8);
      QVERIFY(round["avg_bits"].toDouble() <= 3.0 + 1e-9);
      QCOMPARE(round["accepted"].toBool(), round["loss"].toDouble() < previous);
      QVERIFY(std::abs(round["loss_minus_previous"].toDouble() - (round["loss"].toDouble() - previous)) < 1e-9);
      if (round["accepted"].toBool()) {
        previous = round["loss"].toDouble();
        refined = round["allocation"].toObject();
      }
    }
    QCOMPARE(refinement["refined_loss"].toDouble(), previous);
    // The guard quantizes the allocation before refinement too when it differs, and the closer to FP
    // of the two (calibration KL with the method) competes with uniform precision.
    const QJsonObject start = refinement["start"].toObject()["allocation"].toObject();
    const QJsonObject mixed = guard["mixed"].toObject()["allocation"].toObject();
    if (guard.contains("set_aside")) {
      const QJsonObject setAside = guard["set_aside"].toObject();
      QVERIFY(refined != start);
      QVERIFY(setAside["kl"].toDouble() >= guard["kl_mixed"].toDouble());
      QCOMPARE(setAside["allocation"].toObject(), setAside["refined"].toBool() ? refined : start);
      QCOMPARE(mixed, setAside["refined"].toBool() ? start : refined);
    } else {
      QCOMPARE(mixed, refined);
    }
    const QJsonArray front = o["pareto"].toArray();
    QVERIFY(front.size() >= 2);
    for (int i = 1; i < front.size(); ++i)
      QVERIFY(front[i].toObject()["predicted_loss"].toDouble() < front[i - 1].toObject()["predicted_loss"].toDouble());
    // Measured beside predicted: each point's top-1 equals an independent quantize run at its widths.
    const QJsonObject widest = front.last().toObject();
    QStringList bits;
    const QJsonObject allocation = widest["allocation"].toObject();
    for (auto it = allocation.begin(); it != allocation.end(); ++it)
      bits << "--bits" << it.key() + "=" + QString::number(it.value().toInt());
    const Run alone =
        cli(QStringList{"quantize", demo("fmnist_resnet.pt"), "--calib", demo("fmnist_calib.h5"), "--calib-count", "32",
                        "--method", "rtn", "--eval", demo("fmnist_val.h5"), "--json"} +
            bits);
    QVERIFY2(alone.exitCode == 0, alone.err.constData());
    QCOMPARE(widest["top1_quantized"].toDouble(), alone.json()["top1_quantized"].toDouble());
    QVERIFY(widest["top1_quantized"].toDouble() >= front.first().toObject()["top1_quantized"].toDouble());
    // The session holds the allocation as its per-layer bits, and the importance table.
    const Run shown = cli({"session", session, "--json"});
    QVERIFY2(shown.exitCode == 0, shown.err.constData());
    QCOMPARE(shown.json()["layers"].toArray().size(), 10);
    const QJsonArray experiments = shown.json()["experiments"].toArray();
    QCOMPARE(experiments.size(), 1);  // the measured front, with its top-1 per point
    QCOMPARE(experiments[0].toObject()["kind"].toString(), QString("pareto"));
    QCOMPARE(experiments[0].toObject()["rows"].toArray().size(), front.size());
    for (const QJsonValue& l : shown.json()["layers"].toArray())
      QCOMPARE(l.toObject()["bits"].toInt(), o["allocation"].toObject()[l.toObject()["name"].toString()].toInt());
    const Run tooSmall = cli({"allocate", demo("fmnist_resnet.pt"), "--calib", demo("fmnist_calib.h5"), "--budget-bits",
                              "1", "--importance-count", "16"});
    QCOMPARE(tooSmall.exitCode, 1);
    QVERIFY2(tooSmall.err.contains("below the smallest"), tooSmall.err.constData());
    const Run twoBudgets = cli({"allocate", demo("fmnist_resnet.pt"), "--calib", demo("fmnist_calib.h5"),
                                "--budget-bits", "3", "--budget-bytes", "100"});
    QCOMPARE(twoBudgets.exitCode, 2);
  }

  // Two saved runs side by side: bits from each session, the SQNR delta b - a per layer.
};

QTEST_GUILESS_MAIN(MixedPrecisionCliTests)
#include "MixedPrecisionCliTests.moc"
