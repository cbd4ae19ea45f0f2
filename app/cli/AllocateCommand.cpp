// roundlab-cli allocate: importance-based mixed precision under a budget, optionally the whole
// Pareto front, then quantization with any method at the chosen bit-widths and evaluation.
#include <QElapsedTimer>

#include <optional>

#include "app/cli/ExperimentJobs.h"
#include "app/cli/ImportanceOptions.h"

namespace roundlab::cli {

namespace {

QJsonObject allocationToJson(const Allocation& a) {
  QJsonObject bits;
  for (const auto& [layer, b] : a.bits) bits[QString::fromStdString(layer)] = b;
  return {{"allocation", bits},
          {"avg_bits", a.totals.averageBits},
          {"bytes", static_cast<qint64>(a.totals.bytes)},
          {"bops", a.totals.bops},
          {"predicted_loss", a.totals.predictedLoss}};
}

std::map<std::string, int> parsePins(const QStringList& values) {
  std::map<std::string, int> pins;
  for (const QString& v : values) {
    const int eq = v.lastIndexOf('=');
    if (eq <= 0) throw UsageError{"--pin expects LAYER=BITS, got '" + v + "'"};
    pins[v.left(eq).toStdString()] = static_cast<int>(parseInt(v.mid(eq + 1), "--pin", 2, 8));
  }
  return pins;
}

// The run of the request's method at `bits` (every layer decided by the allocation), evaluated.
RunPtr quantizeAt(Workspace& ws, QuantizationRequest request, const std::map<std::string, int>& bits) {
  request.bits = bits;
  request.firstLastEightBit = false;  // the allocation decides every layer
  return ws.quantize(request, stderrHooks());
}

}  // namespace

int runAllocate(const QStringList& args) {
  QCommandLineParser p;
  p.addOption({"calib", "Calibration data (RoundLab HDF5 or IDX).", "CALIB.h5"});
  p.addOption({"budget-bits", "Budget: average bits per weight.", "X"});
  p.addOption({"budget-bytes", "Budget: total weight bytes.", "N"});
  p.addOption({"budget-bops", "Budget: bit-operations per sample (MACs x weight bits x activation bits).", "N"});
  p.addOption({"pin", "Keep a layer at these bits, repeatable.", "LAYER=BITS"});
  p.addOption({"candidates", "Bit-widths to choose from (default 2,3,4,5,6,8).", "B,...", "2,3,4,5,6,8"});
  p.addOption({"greedy", "Greedy allocation (best loss drop per extra cost) instead of the exact DP."});
  p.addOption({"pareto", "Also the whole Pareto front (predicted loss against size)."});
  p.addOption({"pareto-points", "Budgets along the Pareto front (default 25).", "N", "25"});
  p.addOption({{"measure", "pareto-eval"},
               "With --pareto: quantize every point with --method and evaluate it (needs --eval): measured accuracy "
               "beside the predicted loss, saved with --session as an experiment."});
  p.addOption({"jobs-dir",
               "With --pareto --measure: write each point's measurement as a job into DIR instead of running it "
               "(roundlab-cli run-job, then merge; see experiment --jobs-dir).",
               "DIR"});
  p.addOption({"refine",
               "Rounds of refining the allocation with measured interactions: the importance is measured again around "
               "it (every other layer at its chosen width), the allocation chosen again, and kept when the combined "
               "model's calibration loss is lower (default 3; 0: the additive allocation from FP as it is).",
               "N", "3"});
  p.addOption({"no-uniform-guard",
               "Quantize at the importance-based allocation only; by default the widest uniform allocations within the "
               "budget are quantized too and the closest to the FP model on the calibration set (KL) is kept, the "
               "importance-based one only when closer beyond the 95 % interval of the paired difference."});
  p.addOption({"importance-count", "Calibration samples for the importance (default 256).", "N", "256"});
  addImportanceOptions(p, /*several=*/false, /*standalone=*/false);
  addQuantizationOptions(p);
  p.addOption({"eval", "Quantize at the allocation with --method and evaluate on this data.", "DATA"});
  p.addOption({"session", "Save the quantization at the allocation as a session.", "OUT.rlab"});
  addModelOutputOption(p);
  addDataOptions(p, /*subset=*/false);
  if (!parseCommand(p, args, "Choose per-layer bit-widths from importance under a budget.", "MODEL.pt",
                    "TorchScript model"))
    return 0;
  if (p.positionalArguments().size() != 1) throw UsageError{"expects exactly one MODEL.pt"};
  if (!p.isSet("calib")) throw UsageError{"--calib CALIB.h5 is required"};
  const int budgets = p.isSet("budget-bits") + p.isSet("budget-bytes") + p.isSet("budget-bops");
  if (budgets != 1) throw UsageError{"give exactly one of --budget-bits, --budget-bytes, --budget-bops"};
  const BudgetKind kind = p.isSet("budget-bits")    ? BudgetKind::AverageBits
                          : p.isSet("budget-bytes") ? BudgetKind::Bytes
                                                    : BudgetKind::Bops;
  const QString budgetText = p.value(p.isSet("budget-bits")    ? "budget-bits"
                                     : p.isSet("budget-bytes") ? "budget-bytes"
                                                               : "budget-bops");
  bool ok = false;
  const double budget = budgetText.toDouble(&ok);
  if (!ok || !(budget > 0)) throw UsageError{"the budget must be a positive number, got '" + budgetText + "'"};
  if ((p.isSet("measure") || p.isSet("session")) && !p.isSet("eval"))
    throw UsageError{"--measure and --session need --eval DATA"};
  if (p.isSet("measure") && !p.isSet("pareto")) throw UsageError{"--measure measures the Pareto front: add --pareto"};
  if (p.isSet("jobs-dir") && !p.isSet("measure")) throw UsageError{"--jobs-dir writes the measurements: add --measure"};
  const QuantizationRequest request = quantizationRequestFromOptions(p);
  ImportanceRequest ir = importanceRequestsFromOptions(p, false).at(0);
  ir.bits = parseBitList(p.value("candidates"), "--candidates");
  ir.calibrationCount = parseInt(p.value("importance-count"), "--importance-count", 1);
  ir.seed = request.seed;
  ir.weights = request.weights;
  const std::map<std::string, int> pins = parsePins(p.values("pin"));
  checkOutputOption(p, "session", {p.positionalArguments()[0], p.value("calib"), p.value("eval")});

  QElapsedTimer wall;
  wall.start();
  WorkspaceOptions options;
  options.evaluateAgainstFp = false;  // the FP top-1 is measured once, below
  Workspace ws(options);
  loadModelArgument(ws, p);
  const DataSource calibration = dataSourceFromOptions(p, p.value("calib"), false);
  ws.setCalibration(calibration);
  warnAboutCalibration(ws);
  DataSource evaluation;
  if (p.isSet("eval")) {
    evaluation = dataSourceFromOptions(p, p.value("eval"), false);
    ws.setEvaluation(evaluation);
  }

  const ImportanceTable table = ws.estimateImportance(ir, stderrHooks())->table;
  const int activationBits = request.activations.enabled() ? request.activations.bits : 8;
  const BitAllocationModel allocator = ws.allocationModel(activationBits);
  // Writing the front's jobs quantizes nothing here: no allocation to refine.
  const int refineRounds = p.isSet("jobs-dir") ? 0 : static_cast<int>(parseInt(p.value("refine"), "--refine", 0, 20));
  std::optional<RefinedAllocation> refinement;
  if (refineRounds > 0)
    refinement = ws.refineAllocation(ir, ws.allocate(kind, budget, pins, !p.isSet("greedy"), activationBits), kind,
                                     budget, pins, refineRounds, activationBits, stderrHooks(), !p.isSet("greedy"));
  const Allocation chosen =
      refinement ? refinement->refined : ws.allocate(kind, budget, pins, !p.isSet("greedy"), activationBits);
  std::vector<Allocation> front;
  std::vector<double> frontTop1;
  if (p.isSet("pareto"))
    front =
        allocator.paretoFront(kind, static_cast<int>(parseInt(p.value("pareto-points"), "--pareto-points", 2)), pins);

  QJsonValue top1Fp, top1Q;  // null on data without labels
  RunPtr chosenRun;
  std::optional<GuardedAllocation> guard;
  Allocation kept = chosen;            // the allocation quantized last: the guard may keep the uniform one
  std::optional<EvalReport> fpReport;  // the FP model alone, on the evaluation set
  // The chosen run's evaluation with the FP model's figures beside it (a language model's FP loss).
  const auto withFp = [&] {
    EvalReport r = chosenRun->evaluation;
    if (fpReport && !r.hasReference) r.hasReference = true, r.referenceLoss = fpReport->loss;
    return r;
  };
  auto top1 = [](double v) { return v >= 0 ? QJsonValue(v) : QJsonValue(); };
  if (p.isSet("eval")) {
    EvaluationSettings fpAlone;
    fpAlone.reference = EvaluationSettings::Reference::None;
    const EvalReport fp = ws.evaluate(fpAlone).report;
    fpReport = fp;
    top1Fp = fp.hasLabels ? QJsonValue(fp.top1) : QJsonValue();
    if (p.isSet("measure")) {
      std::vector<std::map<std::string, int>> bits;
      std::vector<double> averageBits;
      for (const Allocation& a : front) {
        bits.push_back(a.bits);
        averageBits.push_back(a.totals.averageBits);
      }
      const ExperimentPlan plan = paretoPlan(request, bits, averageBits);
      if (p.isSet("jobs-dir")) {
        const JobsWritten w = writeExperimentJobs(plan, ws.modelPath(), ws.summary().outputChoice, calibration,
                                                  &evaluation, p.value("jobs-dir"),
                                                  /*slurm=*/false);
        printLine(QString("wrote %1 jobs measuring %2 Pareto points into %3: run each with roundlab-cli run-job "
                          "(e.g. xargs -P 2 -n 1 roundlab-cli run-job < %4), then roundlab-cli merge %3 -o OUT.rlab")
                      .arg(w.jobs)
                      .arg(front.size())
                      .arg(w.dir, w.list));
        return 0;
      }
      const ExperimentPtr measured = ws.runExperiment(plan, stderrHooks());
      for (const ExperimentRow& r : measured->rows) frontTop1.push_back(r.evaluated ? r.top1 : -1);
    }
    // Last: the current run, the one a session keeps.
    if (p.isSet("no-uniform-guard")) {
      chosenRun = quantizeAt(ws, request, chosen.bits);
    } else {
      guard = ws.quantizeAllocation(request, chosen, kind, budget, pins, activationBits, stderrHooks(),
                                    refinement ? &refinement->start : nullptr);
      chosenRun = guard->keptRun();
      kept = guard->kept();
    }
    top1Q = top1(chosenRun->top1());
  }
  if (p.isSet("session")) ws.saveSession(p.value("session").toStdString());

  if (p.isSet("json")) {
    QJsonObject o = allocationToJson(kept);
    if (guard) {
      QJsonArray uniform;
      for (const UniformCandidate& c : guard->uniform) {
        QJsonObject candidate{{"label", QString::fromStdString(c.label)},
                              {"bits", c.bits},
                              {"avg_bits", c.allocation.totals.averageBits},
                              {"kl", c.kl},
                              {"kl_mixed_minus_this", c.klOfMixedMinusThis.mean},
                              {"kl_mixed_minus_this_ci95", c.klOfMixedMinusThis.interval()}};
        if (c.run->top1() >= 0) candidate["top1_quantized"] = c.run->top1();
        if (const std::optional<PairedDifference> d = guard->keptTop1Minus(c.run)) {
          candidate["top1_kept_minus_this"] = d->mean;
          candidate["top1_kept_minus_this_ci95"] = d->interval();
        }
        uniform.append(candidate);
      }
      QJsonObject g{
          {"kept", guard->keptUniform < 0 ? QString("mixed")
                                          : QString::fromStdString(guard->uniform[size_t(guard->keptUniform)].label)},
          {"kl_mixed", guard->mixedKl},
          {"uniform", uniform},
          {"mixed", allocationToJson(guard->mixed)}};
      if (guard->mixedRun->top1() >= 0) g["top1_mixed"] = guard->mixedRun->top1();
      if (const std::optional<SetAsideAllocation>& a = guard->setAside) {
        QJsonObject setAside = allocationToJson(a->allocation);
        setAside["refined"] = a->refined;
        setAside["kl"] = a->kl;
        if (a->run->top1() >= 0) setAside["top1_quantized"] = a->run->top1();
        if (const std::optional<PairedDifference> d = guard->keptTop1Minus(a->run)) {
          setAside["top1_kept_minus_this"] = d->mean;
          setAside["top1_kept_minus_this_ci95"] = d->interval();
        }
        g["set_aside"] = setAside;
      }
      if (const std::optional<PairedDifference> d = guard->keptTop1Minus(guard->mixedRun)) {
        g["top1_kept_minus_mixed"] = d->mean;
        g["top1_kept_minus_mixed_ci95"] = d->interval();
      }
      o["uniform_guard"] = g;
    }
    if (refinement) {
      QJsonArray rounds;
      for (const RefinementRound& r : refinement->rounds) {
        QJsonObject round = allocationToJson(r.proposed);
        round["loss"] = r.loss;
        round["loss_minus_previous"] = r.lossMinusPrevious.mean;
        round["loss_minus_previous_ci95"] = r.lossMinusPrevious.interval();
        round["accepted"] = r.accepted;
        round["seconds"] = r.seconds;
        rounds.append(round);
      }
      o["refinement"] = QJsonObject{{"start", allocationToJson(refinement->start)},
                                    {"start_loss", refinement->startLoss},
                                    {"refined_loss", refinement->refinedLoss},
                                    {"converged", refinement->converged},
                                    {"rounds", rounds}};
    }
    o["model"] = p.positionalArguments()[0];
    o["estimator"] = importanceEstimatorName(table.estimator);
    o["budget"] = QJsonObject{{"kind", budgetKindName(kind)}, {"value", budget}};
    o["solver"] = p.isSet("greedy") ? "greedy" : "dp";
    o["method"] = quantMethodName(request.method);
    o["top1_fp"] = top1Fp;
    o["top1_quantized"] = top1Q;
    if (chosenRun && chosenRun->evaluated) addLanguageModelKeys(o, withFp());
    o["importance_s"] = table.seconds;
    o["wall_s"] = wall.elapsed() / 1000.0;
    if (p.isSet("pareto")) {
      QJsonArray points;
      for (size_t i = 0; i < front.size(); ++i) {
        QJsonObject point = allocationToJson(front[i]);
        if (i < frontTop1.size()) point["top1_quantized"] = top1(frontTop1[i]);
        points.append(point);
      }
      o["pareto"] = points;
    }
    printJson(o);
    return 0;
  }
  QList<QStringList> rows;
  for (const std::string& l : allocator.layers())
    rows << QStringList{QString::fromStdString(l), QString::number(kept.bits.at(l)),
                        pins.count(l) ? QString("pinned") : QString(),
                        QString::number(allocator.importance(l, kept.bits.at(l)), 'g', 4)};
  printLine(QString("%1 allocation for %2 budget %3 (%4 importance)")
                .arg(p.isSet("greedy") ? "greedy" : "exact")
                .arg(budgetKindName(kind))
                .arg(budget)
                .arg(importanceEstimatorName(table.estimator)));
  printLine(formatTable({"layer", "bits", "", "importance"}, rows));
  printLine(QString("average %1 bits, %2 bytes, %3 BOPs, predicted loss increase %4")
                .arg(kept.totals.averageBits, 0, 'f', 3)
                .arg(kept.totals.bytes)
                .arg(kept.totals.bops, 0, 'g', 4)
                .arg(kept.totals.predictedLoss, 0, 'g', 4));
  if (refinement) {
    QStringList steps;
    for (const RefinementRound& r : refinement->rounds)
      steps << QString("%1 %2 (%3 ± %4)")
                   .arg(r.accepted ? "kept" : "rejected")
                   .arg(r.loss, 0, 'g', 4)
                   .arg(r.lossMinusPrevious.mean, 0, 'g', 3)
                   .arg(r.lossMinusPrevious.interval(), 0, 'g', 2);
    printLine(QString("refined with measured interactions: calibration loss at the additive allocation %1, refined %2; "
                      "rounds: %3%4")
                  .arg(refinement->startLoss, 0, 'g', 4)
                  .arg(refinement->refinedLoss, 0, 'g', 4)
                  .arg(steps.isEmpty() ? QString("none needed") : steps.join(", "))
                  .arg(refinement->converged ? QString(" (the last allocation chose itself again)") : QString()));
  }
  if (guard) {
    QString line =
        QString("uniform guard, KL to FP on the calibration set: importance-based %1").arg(guard->mixedKl, 0, 'g', 4);
    for (const UniformCandidate& c : guard->uniform)
      line += QString(", %1 %2 (importance-based minus this %3 ± %4)")
                  .arg(QString::fromStdString(c.label))
                  .arg(c.kl, 0, 'g', 4)
                  .arg(c.klOfMixedMinusThis.mean, 0, 'g', 3)
                  .arg(c.klOfMixedMinusThis.interval(), 0, 'g', 2);
    line += guard->uniform.empty()
                ? QString(" (no other uniform allocation fits the budget)")
                : "; kept " + (guard->keptUniform < 0
                                   ? QString("the importance-based one (closer beyond the 95 % interval)")
                                   : QString::fromStdString(guard->uniform[size_t(guard->keptUniform)].label));
    printLine(line);
    if (const std::optional<SetAsideAllocation>& a = guard->setAside)
      printLine(QString("%1 with %2: KL %3 against %4 for the %5 one, which competed with uniform precision")
                    .arg(a->refined ? "the refined allocation set aside" : "the allocation before refinement set aside")
                    .arg(quantMethodName(request.method))
                    .arg(a->kl, 0, 'g', 4)
                    .arg(guard->mixedKl, 0, 'g', 4)
                    .arg(a->refined ? "unrefined" : "refined"));
    // On the evaluation set: every candidate's top-1, and the kept one's lead with its noise.
    QStringList evaluated;
    const auto describe = [&](const QString& label, const RunPtr& run) {
      if (const std::optional<PairedDifference> d = guard->keptTop1Minus(run))
        evaluated << QString("%1 %2 % (kept minus this %3 ± %4)")
                         .arg(label)
                         .arg(run->top1(), 0, 'f', 2)
                         .arg(d->mean, 0, 'f', 2)
                         .arg(d->interval(), 0, 'f', 2);
    };
    if (guard->keptUniform >= 0) describe("importance-based", guard->mixedRun);
    if (guard->setAside) describe(guard->setAside->refined ? "refined" : "before refinement", guard->setAside->run);
    for (int i = 0; i < static_cast<int>(guard->uniform.size()); ++i)
      if (i != guard->keptUniform)
        describe(QString::fromStdString(guard->uniform[size_t(i)].label), guard->uniform[size_t(i)].run);
    if (!evaluated.isEmpty()) printLine("the others on the evaluation set: " + evaluated.join(", "));
  }
  if (chosenRun && chosenRun->evaluated && !perplexityLine(withFp()).isEmpty()) printLine(perplexityLine(withFp()));
  if (top1Q.isDouble())
    printLine(QString("%4top-1: FP %1 %, %2 at this allocation %3 %")
                  .arg(top1Fp.toDouble(), 0, 'f', 2)
                  .arg(quantMethodName(request.method))
                  .arg(top1Q.toDouble(), 0, 'f', 2)
                  .arg(chosenRun && chosenRun->evaluation.languageModel() ? "next-token " : ""));
  if (!front.empty()) {
    QList<QStringList> points;
    for (size_t i = 0; i < front.size(); ++i)
      points << QStringList{
          QString::number(front[i].totals.averageBits, 'f', 3), QString::number(front[i].totals.bytes),
          QString::number(front[i].totals.bops, 'g', 4), QString::number(front[i].totals.predictedLoss, 'g', 4),
          i < frontTop1.size() && frontTop1[i] >= 0 ? QString::number(frontTop1[i], 'f', 2) : QString()};
    printLine("Pareto front:");
    printLine(formatTable({"avg_bits", "bytes", "bops", "predicted_loss", "top1_%"}, points));
  }
  return 0;
}

}  // namespace roundlab::cli
