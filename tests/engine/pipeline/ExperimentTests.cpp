// Design-space experiments on the demo models: sweeps, grids, the study's plan, and cells repeated
// over seeds with their mean and spread.
#include "EngineTests.h"
#include "TestSupport.h"
#include "engine/pipeline/Experiment.h"
#include "engine/pipeline/ExperimentStatistics.h"
#include "engine/session/SessionFile.h"
#include "engine/workspace/Workspace.h"

#include <QTemporaryDir>

#include <cmath>

ROUNDLAB_ENGINE_SUITE("experiments", ExperimentTests);

using namespace roundlab;

namespace {

// A demo model with the demo calibration set and the first `validation` images to evaluate on.
void openDemo(Workspace& ws, const char* model, int64_t validation) {
  ws.loadModel(testsupport::demoFile(model));
  DataSource calib, val;
  calib.path = testsupport::demoFile("fmnist_calib.h5");
  val.path = testsupport::demoFile("fmnist_val.h5");
  val.count = validation;
  ws.setCalibration(calib);
  ws.setEvaluation(val);
}

}  // namespace

void ExperimentTests::experimentVariesOneAxis() {
  Workspace ws;
  openDemo(ws, "fmnist_resnet.pt", 400);
  const std::vector<float> before = ws.snapshot()->weights.at("layer1.0.conv1");
  QuantizationRequest base;
  base.method = QuantMethod::Rtn;
  base.calibrationCount = 64;
  std::vector<int> rowsSeen;
  JobHooks hooks;
  hooks.experimentRow = [&](const ExperimentRow& row, const RunPtr& run) {
    rowsSeen.push_back(static_cast<int>(row.cell));
    QCOMPARE(row.run, run->number);
  };
  // "8" twice: equal requests run once and share their run.
  const ExperimentPtr e = ws.runExperiment(sweepPlan(base, "wbits", {"8", "2", "8"}), hooks);
  QCOMPARE(rowsSeen, (std::vector<int>{0, 1, 2}));
  QVERIFY(e->complete());
  const auto& rows = e->rows;
  QCOMPARE(e->plan.cells[0].label(), std::string("wbits=8"));
  QVERIFY(rows[0].evaluated && rows[1].evaluated);
  QVERIFY2(rows[0].top1 > rows[1].top1 + 20,
           (std::to_string(rows[0].top1) + " vs " + std::to_string(rows[1].top1)).c_str());
  QVERIFY(rows[0].kl < rows[1].kl);
  QVERIFY(rows[0].meanLossAfter < rows[1].meanLossAfter);
  QCOMPARE(rows[2].run, rows[0].run);
  QCOMPARE(rows[2].top1, rows[0].top1);
  // Every distinct cell is a run of the history, named after its cell; the first became current
  // (there was none), and the model holds its weights, not the last cell's.
  QCOMPARE(ws.runs().size(), size_t(2));
  QCOMPARE(ws.runs()[1]->name, std::string("E1 wbits=2"));
  QCOMPARE(ws.currentRun()->number, rows[0].run);
  QVERIFY(ws.snapshot()->weights.at("layer1.0.conv1") != before);
  // With a current run, an experiment leaves it and the model as they are.
  const std::vector<float> current = ws.snapshot()->weights.at("layer1.0.conv1");
  ws.runExperiment(sweepPlan(base, "wbits", {"3"}));
  QCOMPARE(ws.currentRun()->number, rows[0].run);
  QVERIFY(ws.snapshot()->weights.at("layer1.0.conv1") == current);
  QCOMPARE(ws.experiments().size(), size_t(2));
  // Bad axes and values are rejected before anything runs.
  EXPECT_ERROR(sweepPlan(base, "colour", {"red"}), ErrorCode::InvalidArgument);
  EXPECT_ERROR(sweepPlan(base, "wbits", {"4", "x"}), ErrorCode::InvalidArgument);
  EXPECT_ERROR(sweepPlan(base, "wbits", {"4", "12"}), ErrorCode::InvalidArgument);
  EXPECT_ERROR(gridPlan(base, "wbits", {"4"}, "wbits", {"3"}), ErrorCode::InvalidArgument);
  QCOMPARE(ws.runs().size(), size_t(3));
  QuantizationRequest r;
  setAxis(r, "grid", "power");
  QCOMPARE(int(r.weights.grid), int(GridKind::PowerSearched));
  setAxis(r, "input", "fp");
  QCOMPARE(int(r.input), int(ReconInput::FloatingPoint));
  // Two axes cross row-major; the study covers every axis group of algorithms.md §3 and leaves out
  // calibration sizes the set does not have, and augmentation on token ids.
  const ExperimentPlan grid = gridPlan(base, "wbits", {"4", "3"}, "grid", {"uniform", "power"});
  QCOMPARE(grid.cells.size(), size_t(4));
  QCOMPARE(grid.cells[1].label(), std::string("wbits=4 grid=power"));
  DatasetInfo images;
  images.samples = 600;
  const ExperimentPlan study = paperStudyPlan(base, 50, images);
  QCOMPARE(int(study.base.method), int(QuantMethod::Brecq));
  QCOMPARE(study.base.adaround.iterations, 50);
  QCOMPARE(study.axes, (std::vector<std::string>{"loss", "loss weighting", "degrees of freedom", "grid", "variable",
                                                 "optimizer", "weight selection", "augmentation", "calibration size"}));
  std::vector<std::string> sizes;
  for (const ExperimentCell& c : study.cells)
    if (c.group == "calibration size") sizes.push_back(c.settings.at(0).second);
  QCOMPARE(sizes, (std::vector<std::string>{"128", "256", "512"}));
  // Cells equal to the base (block loss MSE, uniform grid, Adam, ...) are run once.
  const std::vector<size_t> first = study.firstEqualCell();
  QCOMPARE(first[3], size_t(1));  // loss weighting: mse == loss: brecq
  DatasetInfo tokens = images;
  tokens.tokenIds = true;
  const ExperimentPlan textStudy = paperStudyPlan(base, 50, tokens);
  QCOMPARE(textStudy.axes, (std::vector<std::string>{"loss", "loss weighting", "degrees of freedom", "grid", "variable",
                                                     "optimizer", "weight selection", "calibration size"}));
  QCOMPARE(textStudy.cells.size(), study.cells.size() - 3);
}

// Each cell repeated over seeds: one run per seed (its own calibration subset and batch order), and
// the pooled mean and sample standard deviation equal those computed here from the rows.
void ExperimentTests::seedsGiveMeanAndSpread() {
  Workspace ws;
  openDemo(ws, "fmnist_transformer.pt", 300);
  QuantizationRequest base;
  base.method = QuantMethod::AdaRound;
  base.adaround.iterations = 6;
  base.calibrationCount = 48;
  base.seed = 9;  // replaced by each cell's seed
  const ExperimentPlan plan = withSeeds(sweepPlan(base, "wbits", {"4", "2"}), {0, 1, 2});
  QCOMPARE(plan.cells.size(), size_t(6));
  QCOMPARE(plan.cells[1].runLabel(), std::string("wbits=4 seed=1"));
  QCOMPARE(plan.cells[3].label(), std::string("wbits=2"));
  QCOMPARE(plan.request(4).seed, uint64_t(1));
  QCOMPARE(plan.request(4).weights.bits, 2);
  const ExperimentPtr e = ws.runExperiment(plan);
  QVERIFY(e->complete());
  QCOMPARE(ws.runs().size(), size_t(6));  // seeds differ: no cell repeats another
  QCOMPARE(ws.runs()[5]->name, std::string("E1 wbits=2 seed=2"));
  QCOMPARE(ws.runs()[5]->result.request.seed, uint64_t(2));
  const std::vector<SeededCell> pooled = seededCells(*e);
  QCOMPARE(pooled.size(), size_t(2));
  for (size_t v = 0; v < 2; ++v) {
    const SeededCell& s = pooled[v];
    QCOMPARE(s.cells, (std::vector<size_t>{3 * v, 3 * v + 1, 3 * v + 2}));
    QCOMPARE(s.finished, size_t(3));
    QVERIFY(s.evaluated && s.compared);
    QCOMPARE(s.firstRun, e->row(3 * v)->run);
    double sum = 0, squares = 0;
    for (size_t k = 0; k < 3; ++k) sum += e->row(3 * v + k)->kl;
    const double mean = sum / 3;
    for (size_t k = 0; k < 3; ++k) squares += std::pow(e->row(3 * v + k)->kl - mean, 2);
    QVERIFY(std::abs(s.kl.mean - mean) <= 1e-12 * mean);
    QVERIFY(std::abs(s.kl.std - std::sqrt(squares / 2)) <= 1e-9 * mean);
    QVERIFY2(s.kl.std > 0, "the seeds give different runs, so their KL differs");
    QCOMPARE(s.top1.count, 3);
  }
  QVERIFY(pooled[0].kl.mean < pooled[1].kl.mean);  // 4 bits is closer to FP than 2
  // The same seed gives the same bits: cell "wbits=4 seed=1" rerun alone.
  QuantizationRequest again = base;
  again.weights.bits = 4;
  again.seed = 1;
  const RunPtr rerun = ws.quantize(again);
  QCOMPARE(rerun->top1(), e->row(1)->top1);
  QCOMPARE(rerun->result.layers.at(0).lossAfter, ws.runs()[1]->result.layers.at(0).lossAfter);
  // Sessions keep the seeds: the reloaded record pools to the same values.
  QTemporaryDir dir;
  const std::string path = dir.filePath("seeds.rlab").toStdString();
  ws.saveSession(path);
  const Session s = loadSession(path);
  QCOMPARE(s.experiments.size(), size_t(1));
  QCOMPARE(s.experiments[0].plan.seeds, (std::vector<uint64_t>{0, 1, 2}));
  QVERIFY(s.experiments[0].plan.cells[2].seeded);
  QCOMPARE(s.experiments[0].plan.cells[2].seed, uint64_t(2));
  QCOMPARE(seededCells(s.experiments[0])[1].top1.std, pooled[1].top1.std);
  // What cannot be repeated over seeds says so before anything runs.
  EXPECT_ERROR(withSeeds(sweepPlan(base, "wbits", {"4"}), {3}), ErrorCode::InvalidArgument);
  EXPECT_ERROR(withSeeds(sweepPlan(base, "wbits", {"4"}), {1, 1}), ErrorCode::InvalidArgument);
  EXPECT_ERROR(withSeeds(sweepPlan(base, "seed", {"1", "2"}), {0, 1}), ErrorCode::InvalidArgument);
  EXPECT_ERROR(withSeeds(plan, {3, 4}), ErrorCode::InvalidArgument);
  // A value repeated in the sweep stays its own setting, with its own seeds.
  ExperimentRecord repeated;
  repeated.plan = withSeeds(sweepPlan(base, "wbits", {"8", "2", "8"}), {0, 1});
  const std::vector<SeededCell> settings = seededCells(repeated);
  QCOMPARE(settings.size(), size_t(3));
  QCOMPARE(settings[2].cells, (std::vector<size_t>{4, 5}));
  QCOMPARE(settings[2].finished, size_t(0));
  ExperimentPlan swapped = plan;
  std::swap(swapped.cells[0].seed, swapped.cells[1].seed);  // seeds out of the plan's order
  EXPECT_ERROR(validate(swapped), ErrorCode::InvalidArgument);
  EXPECT_ERROR(withSeeds(sweepPlan(base, "wbits", {"4"}), {0, uint64_t(1) << 63}), ErrorCode::InvalidArgument);
  ExperimentPlan mixed = plan;
  mixed.cells[0].seeded = false;  // a plan whose cells do not all repeat its seeds is refused
  EXPECT_ERROR(validate(mixed), ErrorCode::InvalidArgument);
}
