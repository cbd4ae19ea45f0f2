// The engine facade: a Workspace's operations give what the engine's parts give when called
// directly (bit for bit), a failed operation leaves it as it was, sessions round-trip and rerun,
// exports read back, and runs compare layer by layer.
#include <QFile>
#include <QTemporaryDir>

#include <cmath>

#include "EngineTests.h"
#include "TestSupport.h"
#include "engine/data/DataBatch.h"
#include "engine/eval/Evaluation.h"
#include "engine/export/QuantizedModelExport.h"
#include "engine/pipeline/ModelQuantizer.h"
#include "engine/quant/QuantizedWeights.h"
#include "engine/workspace/GridPreview.h"
#include "engine/workspace/Workspace.h"

ROUNDLAB_ENGINE_SUITE("workspace", WorkspaceTests);

using namespace roundlab;

namespace {

DataSource demoSource(const char* file, int64_t count = 0, uint64_t seed = 0) {
  DataSource s;
  s.path = testsupport::demoFile(file);
  s.count = count;
  s.seed = seed;
  return s;
}

QuantizationRequest shortAdaRound() {
  QuantizationRequest r;
  r.method = QuantMethod::AdaRound;
  r.weights.bits = 3;
  r.adaround.iterations = 30;
  r.calibrationCount = 128;
  r.seed = 5;
  return r;
}

QuantizationRequest rtn(int bits) {
  QuantizationRequest r;
  r.method = QuantMethod::Rtn;
  r.weights.bits = bits;
  r.calibrationCount = 128;
  return r;
}

// A workspace with the demo ResNet, its calibration set and 400 validation samples.
void openDemo(Workspace& ws) {
  ws.loadModel(testsupport::demoFile("fmnist_resnet.pt"));
  ws.setCalibration(demoSource("fmnist_calib.h5"));
  ws.setEvaluation(demoSource("fmnist_val.h5", 400, 3));
}

std::vector<float> values(const at::Tensor& t) {
  const at::Tensor c = t.detach().to(at::kFloat).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

}  // namespace

void WorkspaceTests::quantizeMatchesTheEngineDirectly() {
  Workspace ws(WorkspaceOptions{/*layerViews=*/true});
  openDemo(ws);
  const QuantizationRequest request = shortAdaRound();
  const RunPtr run = ws.quantize(request);
  const SnapshotPtr snap = ws.snapshot();

  // The same request through the engine's parts, on a fresh copy of the model.
  Model direct = testsupport::demoCopy("fmnist_resnet.pt");
  QuantizedWeights weights;
  const QuantizationResult result = quantizeModel(direct, *testsupport::demoData("fmnist_calib.h5"), request, &weights);
  QCOMPARE(run->result.layers.size(), result.layers.size());
  for (const LayerInfo& l : direct.summary().layers) QVERIFY(snap->weights.at(l.name) == direct.weightValues(l.name));
  EvalOptions eo;
  const Model& fp = testsupport::demoModel("fmnist_resnet.pt");
  eo.reference = &fp;
  const EvalReport e = evaluate(direct, *subsetDataset(testsupport::demoData("fmnist_val.h5"), 400, 3), eo);
  QVERIFY(run->evaluated);
  QCOMPARE(run->top1(), e.top1);
  QCOMPARE(run->top1Fp(), e.referenceTop1);
  QCOMPARE(run->evaluation.kl, e.kl);
  QCOMPARE(ws.currentRun(), run);
  QCOMPARE(run->number, 1);

  // The views' per-layer data: flips as the engine counted them, the FP weights, and grid levels
  // that hold every dequantized value of a row.
  for (const LayerOutcome& o : run->result.layers) {
    const LayerQuantView& v = run->layers.at(o.layer);
    QCOMPARE(std::count(v.flips.begin(), v.flips.end(), int8_t(1)), static_cast<long>(o.flipsUp));
    QCOMPARE(std::count(v.flips.begin(), v.flips.end(), int8_t(-1)), static_cast<long>(o.flipsDown));
    QVERIFY(v.fpWeights == values(fp.weight(o.layer)));
    for (float f : v.fractional) QVERIFY(f >= 0 && f < 1);
    const std::vector<double> levels = gridLevels(v, 0);
    QCOMPARE(static_cast<int64_t>(levels.size()), v.qmax - v.qmin + 1);
    const std::vector<float>& q = snap->weights.at(o.layer);
    for (int64_t c = 0; c < v.columns; ++c) {
      const double w = q[static_cast<size_t>(c)];
      const auto nearest = std::min_element(levels.begin(), levels.end(),
                                            [w](double a, double b) { return std::abs(a - w) < std::abs(b - w); });
      QVERIFY2(std::abs(*nearest - w) <= 1e-6 * std::max(1.0, std::abs(w)), o.layer.c_str());
    }
  }
}

void WorkspaceTests::failuresLeaveTheWorkspaceAsItWas() {
  Workspace empty;
  EXPECT_ERROR(empty.quantize(shortAdaRound()), ErrorCode::InvalidArgument);
  EXPECT_ERROR(empty.exportRun(ExportKind::ResultsCsv, "/tmp/never.csv"), ErrorCode::InvalidArgument);
  EXPECT_ERROR(empty.allocationModel(), ErrorCode::InvalidArgument);

  Workspace ws;
  openDemo(ws);
  const RunPtr run = ws.quantize(rtn(4));
  const SnapshotPtr before = ws.snapshot();
  EXPECT_ERROR(ws.loadModel(testsupport::fixture("not_a_model.pt")), ErrorCode::NotTorchScript);
  QCOMPARE(ws.modelPath(), testsupport::demoFile("fmnist_resnet.pt"));
  QCOMPARE(ws.currentRun(), run);
  EXPECT_ERROR(ws.setCalibration({testsupport::fixture("not_a_model.pt"), {}, 0, 0}), ErrorCode::BadDataFile);
  QCOMPARE(ws.calibrationInfo().path, testsupport::demoFile("fmnist_calib.h5"));
  // A cancelled run: the model keeps the last run's weights, no run is added.
  JobHooks cancelled;
  cancelled.cancel.cancel();
  EXPECT_ERROR(ws.quantize(shortAdaRound(), cancelled), ErrorCode::Cancelled);
  QCOMPARE(ws.runs().size(), size_t(1));
  QCOMPARE(ws.currentRun(), run);
  QVERIFY(ws.snapshot()->weights == before->weights);
  // A session that does not open, and a rerun that is cancelled, change nothing either.
  EXPECT_ERROR(ws.openSession(testsupport::fixture("not_a_model.pt")), ErrorCode::BadDataFile);
  QTemporaryDir dir;
  const std::string session = dir.filePath("s.rlab").toStdString();
  ws.saveSession(session);
  EXPECT_ERROR(ws.rerunSession(session, cancelled), ErrorCode::Cancelled);
  QCOMPARE(ws.currentRun(), run);
  QCOMPARE(ws.modelPath(), testsupport::demoFile("fmnist_resnet.pt"));
  QVERIFY(ws.snapshot()->weights == before->weights);
  QCOMPARE(ws.evaluationInfo().samples, int64_t(400));
}

void WorkspaceTests::sessionsRoundTripAndRerun() {
  QTemporaryDir dir;
  const std::string path = dir.filePath("run.rlab").toStdString();
  Workspace a;
  openDemo(a);
  ImportanceRequest ir;
  ir.estimator = ImportanceEstimator::Hessian;
  ir.bits = {2, 4};
  ir.calibrationCount = 64;
  ir.hutchinsonSamples = 2;
  const ImportancePtr importance = a.estimateImportance(ir);
  const RunPtr run = a.quantize(shortAdaRound());
  a.saveSession(path);

  const SessionInfo info = Workspace::readSession(path);
  QCOMPARE(info.result.request.seed, uint64_t(5));
  QCOMPARE(info.result.layers.size(), run->result.layers.size());
  QCOMPARE(info.importance.size(), size_t(1));

  Workspace b(WorkspaceOptions{/*layerViews=*/true});
  const OpenedSession opened = b.openSession(path);
  QVERIFY(opened.snapshot->weights == a.snapshot()->weights);
  QCOMPARE(opened.run->sessionPath, path);
  QCOMPARE(opened.run->layers.size(), run->result.layers.size());
  for (size_t i = 0; i < run->result.layers.size(); ++i) {
    QCOMPARE(opened.run->result.layers[i].flipsUp, run->result.layers[i].flipsUp);
    QCOMPARE(opened.run->result.layers[i].bits, run->result.layers[i].bits);
  }
  QVERIFY(opened.importance);
  QVERIFY(opened.importance->fromSession);
  QVERIFY(opened.importance->table.values == importance->table.values);
  QCOMPARE(opened.importance->costs.size(), importance->costs.size());

  Workspace c;
  const RerunOutcome again = c.rerunSession(path);
  QVERIFY(again.identical);
  QCOMPARE(again.layers, static_cast<int64_t>(run->result.layers.size()));
  QVERIFY(c.snapshot()->weights == a.snapshot()->weights);
}

void WorkspaceTests::importanceKeepsOneTablePerEstimator() {
  Workspace ws;
  openDemo(ws);
  ImportanceRequest ir;
  ir.bits = {2, 4, 8};
  ir.calibrationCount = 64;
  ir.hutchinsonSamples = 2;
  ws.estimateImportance(ir);
  ir.estimator = ImportanceEstimator::Hessian;
  ws.estimateImportance(ir);
  ir.estimator = ImportanceEstimator::Measured;
  const ImportancePtr latest = ws.estimateImportance(ir);
  QCOMPARE(latest->estimates.size(), size_t(2));
  QVERIFY(latest->estimates[0].estimator == ImportanceEstimator::Measured);
  QVERIFY(latest->estimates[1].estimator == ImportanceEstimator::Hessian);
  QCOMPARE(latest->costs.size(), ws.summary().layers.size());
  const Allocation a = ws.allocate(BudgetKind::AverageBits, 4.0);
  QVERIFY(a.totals.averageBits <= 4.0);
  const AllocationTotals t = ws.allocationModel().totals(a.bits);
  QCOMPARE(t.averageBits, a.totals.averageBits);
  QCOMPARE(t.predictedLoss, a.totals.predictedLoss);
  QCOMPARE(ws.allocation().bits, a.bits);
  // A new model forgets the old one's importance and allocation.
  ws.loadModel(testsupport::demoFile("fmnist_transformer.pt"));
  QVERIFY(!ws.importance());
  QVERIFY(ws.allocation().bits.empty());
}

// The uniform guard: an allocation is quantized beside the widest uniform ones within its budget;
// the closest to FP on the calibration set is kept (current), the importance-based one only when
// closer beyond the paired noise; each KL is checked by evaluating that run on the calibration set.
void WorkspaceTests::allocationNeverLosesToUniformOnCalibration() {
  Workspace ws;
  openDemo(ws);
  ImportanceRequest ir;
  ir.bits = {2, 3, 4, 8};
  ir.calibrationCount = 64;
  ws.estimateImportance(ir);
  QuantizationRequest r;
  r.method = QuantMethod::Rtn;
  const auto calibrationKl = [&](const RunPtr& run) {
    ws.selectRun(run->number);
    return ws.evaluate().report.kl;
  };
  const BitAllocationModel allocator = ws.allocationModel();
  // Every layer at 2 bits fits a 4-bit budget but is far worse than uniform 4 bits: the guard keeps 4.
  Allocation poor;
  for (const std::string& l : allocator.layers()) poor.bits[l] = 2;
  poor.totals = allocator.totals(poor.bits);
  std::vector<Progress> progress;
  JobHooks watched;
  watched.progress = [&](const Progress& p) { progress.push_back(p); };
  const GuardedAllocation toUniform = ws.quantizeAllocation(r, poor, BudgetKind::AverageBits, 4.0, {}, 8, watched);
  QCOMPARE(toUniform.uniform.size(), size_t{2});
  // One progress bar for all three candidates: it never goes back, and says which candidate runs.
  QVERIFY(!progress.empty());
  for (size_t i = 1; i < progress.size(); ++i)
    QVERIFY2(progress[i].fraction >= progress[i - 1].fraction - 1e-12,
             (progress[i - 1].message + " -> " + progress[i].message).c_str());
  QVERIFY(progress.front().fraction < 1.0 / 3 && progress.back().fraction > 0.99 && progress.back().fraction <= 1);
  QVERIFY(progress.front().message.rfind("1 of 3, uniform 4 bits", 0) == 0);
  QVERIFY(progress.back().message.rfind("3 of 3, this allocation", 0) == 0);
  QCOMPARE(toUniform.uniform[0].label, std::string("uniform 4 bits"));
  QCOMPARE(toUniform.uniform[1].label, std::string("uniform 3 bits, first and last layers at 8"));
  QVERIFY(toUniform.keptUniform >= 0);
  const UniformCandidate& best = toUniform.uniform[size_t(toUniform.keptUniform)];
  QCOMPARE(ws.currentRun(), best.run);
  QCOMPARE(ws.currentRun()->result.request.bits, best.allocation.bits);
  for (const UniformCandidate& c : toUniform.uniform) QVERIFY(best.kl <= c.kl && best.kl < toUniform.mixedKl);
  // The importance-based allocation is kept only when closer than the closest uniform one beyond
  // the paired noise: each difference is the difference of the means, with a standard error.
  for (const UniformCandidate& c : toUniform.uniform) {
    const PairedDifference& d = c.klOfMixedMinusThis;
    QVERIFY(std::abs(d.mean - (toUniform.mixedKl - c.kl)) < 1e-5 * (1 + std::abs(d.mean)));
    QVERIFY(d.standardError > 0);
    QCOMPARE(d.samples, int64_t{1024});  // every calibration sample, paired
  }
  // At 2.5 bits the importance-based allocation beats uniform 2 bits: it is kept.
  const Allocation mixed = ws.allocate(BudgetKind::AverageBits, 2.5);
  const GuardedAllocation toMixed = ws.quantizeAllocation(r, mixed, BudgetKind::AverageBits, 2.5);
  QVERIFY(!toMixed.uniform.empty() && toMixed.uniform[0].bits == 2);
  QCOMPARE(toMixed.keptUniform, -1);
  const UniformCandidate& closest = *std::min_element(toMixed.uniform.begin(), toMixed.uniform.end(),
                                                      [](const auto& x, const auto& y) { return x.kl < y.kl; });
  QVERIFY(closest.klOfMixedMinusThis.mean + closest.klOfMixedMinusThis.interval() < 0);
  QCOMPARE(ws.currentRun(), toMixed.mixedRun);
  QCOMPARE(ws.currentRun()->result.request.bits, mixed.bits);
  QVERIFY(!toMixed.setAside);
  // Cancelled part-way (during its second quantization): none of its runs stays, and the run that
  // was current is current again, as a cancelled quantization leaves the model.
  const size_t runsBefore = ws.runs().size();
  const RunPtr currentBefore = ws.currentRun();
  JobHooks partWay;
  int layersDone = 0;
  partWay.layerDone = [&](const auto&...) {
    if (++layersDone == static_cast<int>(allocator.layers().size()) + 1) partWay.cancel.cancel();
  };
  EXPECT_ERROR(ws.quantizeAllocation(r, poor, BudgetKind::AverageBits, 4.0, {}, 8, partWay), ErrorCode::Cancelled);
  QVERIFY(layersDone > static_cast<int>(allocator.layers().size()));  // it did get past the first run
  QCOMPARE(ws.runs().size(), runsBefore);
  QCOMPARE(ws.currentRun(), currentBefore);
  // The KLs are those of the runs on the calibration set.
  ws.setEvaluation(demoSource("fmnist_calib.h5"));
  for (const GuardedAllocation* g : {&toUniform, &toMixed}) {
    QVERIFY(std::abs(calibrationKl(g->mixedRun) - g->mixedKl) <= 1e-9 * std::max(1.0, g->mixedKl));
    for (const UniformCandidate& c : g->uniform)
      QVERIFY2(std::abs(calibrationKl(c.run) - c.kl) <= 1e-9 * std::max(1.0, c.kl), c.label.c_str());
  }
  // Given the allocation a refinement started from (here the better one, with a narrower layer in
  // the "refined" one), both are quantized and the closer to FP competes with uniform precision.
  Allocation narrower = mixed;
  const auto widest = std::max_element(narrower.bits.begin(), narrower.bits.end(),
                                       [](const auto& x, const auto& y) { return x.second < y.second; });
  widest->second = 2;
  narrower.totals = allocator.totals(narrower.bits);
  const GuardedAllocation twoMixed =
      ws.quantizeAllocation(r, narrower, BudgetKind::AverageBits, 2.5, {}, 8, {}, &mixed);
  QVERIFY(twoMixed.setAside && twoMixed.setAside->refined);
  QCOMPARE(twoMixed.mixed.bits, mixed.bits);
  QCOMPARE(twoMixed.setAside->allocation.bits, narrower.bits);
  QVERIFY(twoMixed.setAside->kl > twoMixed.mixedKl);
  QCOMPARE(twoMixed.keptUniform, -1);
  QCOMPARE(ws.currentRun(), twoMixed.mixedRun);
  QCOMPARE(ws.currentRun()->result.request.bits, mixed.bits);
  QCOMPARE(twoMixed.setAside->run->result.request.bits, narrower.bits);
  QVERIFY(std::abs(twoMixed.uniform[0].klOfMixedMinusThis.mean - (twoMixed.mixedKl - twoMixed.uniform[0].kl)) < 1e-6);
  for (const RunPtr& run : {twoMixed.mixedRun, twoMixed.setAside->run, twoMixed.uniform[0].run}) {
    const double kl = run == twoMixed.mixedRun        ? twoMixed.mixedKl
                      : run == twoMixed.setAside->run ? twoMixed.setAside->kl
                                                      : twoMixed.uniform[0].kl;
    QVERIFY(std::abs(calibrationKl(run) - kl) <= 1e-9 * std::max(1.0, kl));
  }
}

// Refinement with measured interactions: every round's proposal is measured on the importance's
// samples, kept only when its loss is lower, and the refined allocation fits the budget and the
// pins; the losses are those of the model quantized at the allocations.
void WorkspaceTests::refinementWithMeasuredInteractions() {
  Workspace ws;
  openDemo(ws);
  ImportanceRequest ir;  // the defaults of allocate: 256 samples, seed 0
  ws.estimateImportance(ir);
  const BitAllocationModel allocator = ws.allocationModel();
  const std::map<std::string, int> pins{{"conv1", 8}};
  const Allocation start = ws.allocate(BudgetKind::AverageBits, 2.5, pins);
  const RunPtr before = ws.currentRun();
  const RefinedAllocation refined = ws.refineAllocation(ir, start, BudgetKind::AverageBits, 2.5, pins, 3);
  QCOMPARE(refined.start.bits, start.bits);
  QVERIFY(!refined.rounds.empty());
  QVERIFY(refined.rounds.front().accepted);  // on the demo ResNet at 2.5 bits the interactions matter
  QVERIFY(refined.refinedLoss < refined.startLoss);
  double previous = refined.startLoss;
  for (size_t i = 0; i < refined.rounds.size(); ++i) {
    const RefinementRound& round = refined.rounds[i];
    QCOMPARE(round.accepted, round.loss < previous);
    QVERIFY(std::abs(round.lossMinusPrevious.mean - (round.loss - previous)) < 1e-9);
    QCOMPARE(round.lossMinusPrevious.samples, ir.calibrationCount);
    QVERIFY(round.proposed.totals.averageBits <= 2.5 + 1e-9);
    QCOMPARE(round.proposed.bits.at("conv1"), 8);
    QVERIFY(i + 1 == refined.rounds.size() || round.accepted);  // a rejected round ends it
    if (round.accepted) previous = round.loss;
  }
  QCOMPARE(refined.refinedLoss, previous);
  QCOMPARE(ws.allocation().bits, refined.refined.bits);
  QCOMPARE(ws.currentRun(), before);  // no run made, the model as it was
  QVERIFY(ws.runs().empty());
  // The losses are the cross-entropy of the model rounded to nearest at the allocation.
  std::shared_ptr<const Dataset> calib = testsupport::demoData("fmnist_calib.h5");
  const DataBatch batch = subsetDataset(calib, ir.calibrationCount, ir.seed)->read(0, ir.calibrationCount);
  for (const auto& [bits, loss] :
       {std::pair{start.bits, refined.startLoss}, {refined.refined.bits, refined.refinedLoss}}) {
    Model m = testsupport::demoCopy("fmnist_resnet.pt");
    QuantizationRequest q = rtn(4);
    q.firstLastEightBit = false;
    q.bits = bits;
    quantizeModel(m, *calib, q);
    torch::NoGradGuard noGrad;
    const double expected =
        torch::nn::functional::cross_entropy(m.forward(batch.inputs).to(at::kDouble), batch.labels).item<double>();
    QVERIFY2(std::abs(expected - loss) < 1e-6, (std::to_string(expected) + " vs " + std::to_string(loss)).c_str());
  }
  // Cancelled: it throws and the allocation stays.
  JobHooks cancelled;
  cancelled.cancel.cancel();
  EXPECT_ERROR(ws.refineAllocation(ir, start, BudgetKind::AverageBits, 2.5, pins, 3, 8, cancelled),
               ErrorCode::Cancelled);
  QCOMPARE(ws.allocation().bits, refined.refined.bits);
  // Cancelled part-way through its first round: the FP weights are back, so a rerun measures the
  // same losses to the bit and proposes the same allocation.
  JobHooks midway;
  midway.progress = [&](const Progress& p) {
    if (p.fraction > 0.3) midway.cancel.cancel();
  };
  EXPECT_ERROR(ws.refineAllocation(ir, start, BudgetKind::AverageBits, 2.5, pins, 1, 8, midway), ErrorCode::Cancelled);
  const RefinedAllocation again = ws.refineAllocation(ir, start, BudgetKind::AverageBits, 2.5, pins, 1);
  QCOMPARE(again.startLoss, refined.startLoss);
  QCOMPARE(again.rounds.size(), size_t{1});
  QCOMPARE(again.rounds.front().loss, refined.rounds.front().loss);
  QCOMPARE(again.rounds.front().proposed.bits, refined.rounds.front().proposed.bits);
  EXPECT_ERROR(ws.refineAllocation(ir, start, BudgetKind::AverageBits, 2.5, pins, 0), ErrorCode::InvalidArgument);
  Allocation partial = start;
  partial.bits.erase("fc");
  EXPECT_ERROR(ws.refineAllocation(ir, partial, BudgetKind::AverageBits, 2.5, pins, 1), ErrorCode::InvalidArgument);
}

void WorkspaceTests::exportsOfTheCurrentRun() {
  QTemporaryDir dir;
  Workspace ws;
  openDemo(ws);
  auto file = [&](const char* name) { return dir.filePath(name).toStdString(); };
  EXPECT_ERROR(ws.exportRun(ExportKind::TorchScript, file("q.pt")), ErrorCode::InvalidArgument);
  ws.quantize(rtn(4));
  const SnapshotPtr snap = ws.snapshot();
  const ExportOutcome ts = ws.exportRun(ExportKind::TorchScript, file("q.pt"));
  QCOMPARE(ts.probeSamples, int64_t(32));
  QCOMPARE(ts.maxAbsDiff, 0.0);
  const Model reloaded = Model::load(file("q.pt"));
  for (const auto& [layer, w] : snap->weights) QVERIFY(reloaded.weightValues(layer) == w);
  ws.exportRun(ExportKind::QuantizedHdf5, file("q.h5"));
  const auto back = readQuantizedHdf5(file("q.h5"));
  QCOMPARE(back.size(), snap->weights.size());
  for (const auto& [layer, w] : back) QVERIFY(values(w) == snap->weights.at(layer));
  const ExportOutcome csv = ws.exportRun(ExportKind::ResultsCsv, file("layers.csv"));
  QFile f(QString::fromStdString(csv.path));
  QVERIFY(f.open(QIODevice::ReadOnly));
  QCOMPARE(f.readAll().trimmed().split('\n').size(), static_cast<int>(snap->weights.size()) + 1);
  ws.exportRun(ExportKind::Encodings, file("enc.json"));
  QVERIFY(QFile::exists(dir.filePath("enc.json")));
  QCOMPARE(exportKindTable().parse("h5"), ExportKind::QuantizedHdf5);
}

void WorkspaceTests::compareRunsGivesPerLayerDifferences() {
  Workspace ws;
  openDemo(ws);
  QuantizationRequest r = rtn(4);
  const RunPtr a = ws.quantize(r);
  r.weights.bits = 3;
  r.bits = {{"layer1.0.conv1", 2}};
  const RunPtr b = ws.quantize(r);
  QCOMPARE(b->number, 2);
  QCOMPARE(ws.runs().size(), size_t(2));
  const RunComparison c = compareRuns(*a, *b);
  QCOMPARE(c.labelA, std::string("#1 rtn W4A32"));
  QCOMPARE(c.labelB, std::string("#2 rtn mixed W/A32"));
  QCOMPARE(c.layers.size(), a->result.layers.size());
  for (const LayerDelta& d : c.layers) {
    const LayerOutcome* oa = a->outcome(d.layer);
    const LayerOutcome* ob = b->outcome(d.layer);
    QVERIFY(oa && ob && d.hasA && d.hasB);
    QCOMPARE(d.bitsA, oa->bits);
    QCOMPARE(d.bitsB, ob->bits);
    if (std::isfinite(oa->sqnrDb) && std::isfinite(ob->sqnrDb)) QCOMPARE(d.sqnrDelta, ob->sqnrDb - oa->sqnrDb);
  }
  // Fewer bits, less SQNR: the 2-bit layer lost against its 4-bit self.
  const auto two =
      std::find_if(c.layers.begin(), c.layers.end(), [](const LayerDelta& d) { return d.layer == "layer1.0.conv1"; });
  QCOMPARE(two->bitsB, 2);
  QVERIFY(two->sqnrDelta < 0);
  // A layer only one run has is listed with the other side empty.
  RunRecord partial = *b;
  partial.result.layers.pop_back();
  const RunComparison d = compareRuns(partial, *a);
  QVERIFY(!d.layers.back().hasA && d.layers.back().hasB);
  QCOMPARE(d.layers.back().layer, a->result.layers.back().layer);
}

void WorkspaceTests::runHistorySelectsRenamesAndDeletes() {
  QTemporaryDir dir;
  Workspace ws;
  openDemo(ws);
  const SnapshotPtr fp = ws.snapshot();
  const RunPtr four = ws.quantize(rtn(4));
  const SnapshotPtr atFour = ws.snapshot();
  const RunPtr three = ws.quantize(rtn(3));
  const SnapshotPtr atThree = ws.snapshot();
  const RunPtr two = ws.quantize(rtn(2));
  const SnapshotPtr atTwo = ws.snapshot();
  QVERIFY(atFour->weights != atThree->weights);

  // An earlier run made current: the model holds its weights again (as right after that run),
  // evaluates as that run did, and sessions write it.
  QCOMPARE(ws.selectRun(1), four);
  QCOMPARE(ws.currentRun(), four);
  QVERIFY(ws.snapshot()->weights == atFour->weights);
  QCOMPARE(ws.evaluate().report.top1, four->top1());
  const std::string path = dir.filePath("first.rlab").toStdString();
  ws.saveSession(path);
  QCOMPARE(Workspace::readSession(path).result.request.weights.bits, 4);
  EXPECT_ERROR(ws.selectRun(7), ErrorCode::InvalidArgument);

  // A name is the label's and the session's; the record handed out before keeps its own.
  const RunPtr named = ws.renameRun(1, "baseline W4");
  QCOMPARE(named->label(), std::string("#1 baseline W4"));
  QCOMPARE(ws.currentRun(), named);
  QCOMPARE(four->label(), std::string("#1 rtn W4A32"));
  ws.saveSession(path);
  Workspace reopened;
  QCOMPARE(reopened.openSession(path).run->label(), std::string("#1 baseline W4"));
  QCOMPARE(ws.renameRun(1, "")->label(), std::string("#1 rtn W4A32"));

  // Deleting the current run makes the latest one left current; the last deleted leaves FP.
  QCOMPARE(ws.deleteRun(1), two);
  QCOMPARE(ws.runs().size(), size_t(2));
  QVERIFY(ws.snapshot()->weights == atTwo->weights);
  QCOMPARE(ws.deleteRun(3), three);
  QVERIFY(ws.snapshot()->weights == atThree->weights);
  QCOMPARE(ws.deleteRun(2), RunPtr());
  QVERIFY(!ws.currentRun());
  QVERIFY(ws.snapshot()->weights == fp->weights);
  EXPECT_ERROR(ws.saveSession(path), ErrorCode::InvalidArgument);
  QCOMPARE(ws.quantize(rtn(4))->number, 4);  // numbers are never reused

  // Only the recent runs keep their integer weights; an older one says why it cannot come back.
  ws.clearEvaluation();
  for (size_t i = 0; i < Workspace::kKeptRunWeights; ++i) ws.quantize(rtn(8));
  QVERIFY(!ws.hasRunWeights(4));
  QVERIFY(ws.hasRunWeights(5));
  EXPECT_ERROR(ws.selectRun(4), ErrorCode::InvalidArgument);
  QCOMPARE(ws.selectRun(5)->number, 5);
}

// The playground's grid against numbers worked out by hand, its clipping count against the levels
// it reports, and synthetic weights that are the same for a seed and have the asked spread.
void WorkspaceTests::gridPreviewMatchesAHandComputation() {
  // 2-bit asymmetric min/max grid over [0, 3]: step 1, levels 0..3; 1.4 -> 1 and 2.6 -> 3.
  WeightQuantConfig c;
  c.bits = 2;
  c.granularity = Granularity::PerTensor;
  c.rangeInit = RangeInit::MinMax;
  const GridPreview p = previewGrid({0, 1, 2, 3, 1.4f, 2.6f}, {1, 6}, c);
  const std::vector<double> levels = gridLevels(p.grid, 0);
  QCOMPARE(levels.size(), size_t(4));
  for (size_t i = 0; i < 4; ++i) QVERIFY(std::abs(levels[i] - static_cast<double>(i)) < 1e-6);
  const std::vector<float> expected{0, 1, 2, 3, 1, 3};
  for (size_t i = 0; i < expected.size(); ++i) QVERIFY(std::abs(p.dequantized[i] - expected[i]) < 1e-6);
  const double error = 2 * 0.4 * 0.4, signal = 0 + 1 + 4 + 9 + 1.4 * 1.4 + 2.6 * 2.6;
  QVERIFY(std::abs(p.mse - error / 6) < 1e-6);
  QVERIFY(std::abs(p.sqnrDb - 10 * std::log10(signal / error)) < 1e-4);
  QCOMPARE(p.clippedShare, 0.0);  // min/max never clips

  // The L_p range clips outliers: the share is the weights more than half a step beyond the
  // outermost levels reported (a uniform grid: equal steps); min/max never clips.
  const std::vector<float> w = syntheticWeights(SyntheticDistribution::GaussianWithOutliers, 20000, 0.05, 7);
  c.rangeInit = RangeInit::Lp;
  c.bits = 3;
  const GridPreview lp = previewGrid(w, {1, 20000}, c);
  const std::vector<double> l = gridLevels(lp.grid, 0);
  const double half = (l[1] - l[0]) / 2;
  const auto outside =
      std::count_if(w.begin(), w.end(), [&](float x) { return x < l.front() - half || x > l.back() + half; });
  QVERIFY(outside > 0);
  QVERIFY(std::abs(lp.clippedShare - static_cast<double>(outside) / 20000.0) <= 2.0 / 20000);  // ties at the edge
  c.rangeInit = RangeInit::MinMax;
  QCOMPARE(previewGrid(w, {1, 20000}, c).clippedShare, 0.0);
  c.rangeInit = RangeInit::Lp;
  // A fixed power exponent is the grid's; a searched one lies in the search interval.
  c.exponent = 0.5;
  QCOMPARE(previewGrid(w, {1, 20000}, c).grid.exponent, 0.5);
  c.exponent = 1;
  c.grid = GridKind::PowerSearched;
  const double found = previewGrid(w, {1, 20000}, c).grid.exponent;
  QVERIFY(found >= 0.3 && found <= 1.0);
  EXPECT_ERROR(previewGrid(w, {3, 7}, c), ErrorCode::InvalidArgument);

  // Synthetic weights: one seed, one vector; the spread asked for; the outliers' share.
  QVERIFY(syntheticWeights(SyntheticDistribution::Laplace, 1000, 1, 3) ==
          syntheticWeights(SyntheticDistribution::Laplace, 1000, 1, 3));
  QVERIFY(syntheticWeights(SyntheticDistribution::Laplace, 1000, 1, 3) !=
          syntheticWeights(SyntheticDistribution::Laplace, 1000, 1, 4));
  for (SyntheticDistribution d :
       {SyntheticDistribution::Gaussian, SyntheticDistribution::Laplace, SyntheticDistribution::Uniform}) {
    const std::vector<float> s = syntheticWeights(d, 100000, 0.02, 1);
    double sum = 0, squares = 0;
    for (float x : s) {
      sum += x;
      squares += double(x) * x;
    }
    const double mean = sum / s.size(), sd = std::sqrt(squares / s.size() - mean * mean);
    QVERIFY2(std::abs(sd - 0.02) < 0.02 * 0.03, syntheticDistributionTable().name(d));
    QVERIFY(std::abs(mean) < 0.02 * 0.02);
  }
  const auto far = std::count_if(w.begin(), w.end(), [](float x) { return std::abs(x) > 0.05 * 7; });
  QVERIFY(far > 20000 * 0.003 && far < 20000 * 0.008);
}

// Every learned layer carries how its rounding evolved: shares that sum to one, tracked weights
// that start at their fractional part and end on the side their final code took, fewer undecided
// weights at the end, and the same trace back from a session. Round to nearest has none.
void WorkspaceTests::roundingTraceFollowsTheLearning() {
  Workspace ws(WorkspaceOptions{/*layerViews=*/true});
  openDemo(ws);
  const RunPtr run = ws.quantize(shortAdaRound());  // 30 iterations: a snapshot after each
  for (const LayerOutcome& o : run->result.layers) {
    const RoundingTrace& t = o.trace;
    QVERIFY2(!t.empty(), o.layer.c_str());
    QCOMPARE(t.iterations.size(), size_t(31));
    QCOMPARE(t.iterations.front(), 0);
    QCOMPARE(t.iterations.back(), 30);
    const size_t k = t.tracked.size();
    QCOMPARE(k, size_t(RoundingTrace::kTracked));
    for (size_t s = 0; s < t.iterations.size(); ++s) {
      double sum = 0;
      for (int b = 0; b < RoundingTrace::kBins; ++b) sum += t.histogram[s * RoundingTrace::kBins + b];
      QVERIFY(std::abs(sum - 1) < 1e-5);
    }
    QVERIFY(t.undecided.back() <= t.undecided.front());
    const LayerQuantView& v = run->layers.at(o.layer);
    const size_t last = (t.iterations.size() - 1) * k;
    for (size_t j = 0; j < k; ++j) {
      const auto w = static_cast<size_t>(t.tracked[j]);
      QVERIFY(std::abs(t.trajectories[j] - v.fractional[w]) < 1e-3);  // h(V) starts at frac(w / s)
      QVERIFY(std::abs(t.trajectories[j] - 0.5f) < 0.5f);
      // Rounded up from the floor where h ended at 1/2 or more: the flip against nearest follows.
      const int up = t.trajectories[last + j] >= 0.5f, nearestUp = v.fractional[w] >= 0.5f;
      QCOMPARE(int(v.flips[w]), up - nearestUp);
    }
  }
  QTemporaryDir dir;
  const std::string path = dir.filePath("traced.rlab").toStdString();
  ws.saveSession(path);
  const SessionInfo back = Workspace::readSession(path);
  for (size_t i = 0; i < back.result.layers.size(); ++i) {
    const RoundingTrace &a = run->result.layers[i].trace, &b = back.result.layers[i].trace;
    QVERIFY(a.iterations == b.iterations && a.histogram == b.histogram && a.undecided == b.undecided);
    QVERIFY(a.tracked == b.tracked && a.trajectories == b.trajectories);
  }
  QVERIFY(ws.quantize(rtn(4))->result.layers.front().trace.empty());
  // Block reconstruction traces each layer of a block with the block's iterations.
  QuantizationRequest brecq = shortAdaRound();
  brecq.method = QuantMethod::Brecq;
  brecq.adaround.iterations = 10;
  brecq.calibrationCount = 64;
  for (const LayerOutcome& o : ws.quantize(brecq)->result.layers) {
    QVERIFY2(!o.trace.empty(), o.layer.c_str());
    QCOMPARE(o.trace.iterations.back(), 10);
  }
}
