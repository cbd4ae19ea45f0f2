// Importance estimators (integrated gradients against the exact loss change, weights restored,
// cancel) and bit allocation (DP against brute force, budgets and pins, Pareto front, the
// interactive estimate without the model).
#include "EngineTests.h"
#include "TestSupport.h"
#include "engine/capture/ActivationCapture.h"
#include "engine/data/DataBatch.h"
#include "engine/data/Dataset.h"
#include "engine/importance/BitAllocation.h"
#include "engine/importance/Importance.h"
#include "engine/io/Hdf5Io.h"
#include "engine/io/Hdf5MemoryFile.h"
#include "engine/model/Model.h"
#include "engine/pipeline/ModelQuantizer.h"
#include "engine/session/SessionFile.h"

#include <QTemporaryDir>

#include <random>

ROUNDLAB_ENGINE_SUITE("importance", ImportanceTests);

using namespace roundlab;

namespace {

// A synthetic problem: `layers` layers with small integer costs and random importance that falls
// with the width (plus noise, so it is not always monotone).
struct Problem {
  ImportanceTable table;
  std::map<std::string, LayerCost> costs;
};

Problem randomProblem(int layers, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> weights(1, 12), macs(1, 30);
  std::uniform_real_distribution<double> u(0, 1);
  Problem p;
  p.table.bits = {2, 3, 4, 8};
  for (int l = 0; l < layers; ++l) {
    const std::string name = "layer" + std::to_string(l);
    p.table.layers.push_back(name);
    p.costs[name] = {weights(rng), macs(rng)};
    const double scale = u(rng) * 3;
    for (int b : p.table.bits) p.table.values[name][b] = scale * std::pow(2.0, -b) + 0.02 * u(rng);
  }
  return p;
}

// Every assignment of the table's widths (pins respected), its totals, by brute force.
std::vector<std::map<std::string, int>> allAssignments(const Problem& p, const std::map<std::string, int>& pins) {
  std::vector<std::map<std::string, int>> out{{}};
  for (const std::string& l : p.table.layers) {
    std::vector<std::map<std::string, int>> next;
    for (const auto& partial : out)
      for (int b : p.table.bits) {
        if (pins.count(l) && pins.at(l) != b) continue;
        auto a = partial;
        a[l] = b;
        next.push_back(a);
      }
    out = std::move(next);
  }
  return out;
}

// The totals of an allocation, computed here from the definitions.
AllocationTotals directTotals(const Problem& p, const std::map<std::string, int>& bits, int abits) {
  AllocationTotals t;
  double weightBits = 0, weights = 0;
  for (const std::string& l : p.table.layers) {
    const int b = bits.at(l);
    weightBits += static_cast<double>(p.costs.at(l).weights * b);
    weights += static_cast<double>(p.costs.at(l).weights);
    t.bytes += (p.costs.at(l).weights * b + 7) / 8;
    t.bops += static_cast<double>(p.costs.at(l).macs * b * abits);
    t.predictedLoss += p.table.values.at(l).at(b);
  }
  t.averageBits = weightBits / weights;
  return t;
}

double budgetUsed(const AllocationTotals& t, BudgetKind k) {
  return k == BudgetKind::AverageBits ? t.averageBits : k == BudgetKind::Bytes ? static_cast<double>(t.bytes) : t.bops;
}

// Measured importance of a middle conv and the last layer at 2 and 6 bits on 96 samples.
ImportanceRequest twoLayersAtTwoWidths(uint64_t seed) {
  ImportanceRequest r;
  r.bits = {2, 6};
  r.layers = {"layer2.0.conv2", "fc"};
  r.calibrationCount = 96;
  r.seed = seed;
  return r;
}

}  // namespace

void ImportanceTests::spearmanMatchesHandComputed() {
  QCOMPARE(spearman({1, 2, 3, 4}, {10, 20, 30, 40}), 1.0);
  QCOMPARE(spearman({1, 2, 3, 4}, {4, 3, 2, 1}), -1.0);
  // Without ties rho = 1 - 6 Σd² / (n(n²-1)): 1 - 12/120 = 0.9 and 1 - 12/60 = 0.8.
  QVERIFY(std::abs(spearman({1, 2, 3, 4, 5}, {1, 3, 2, 4, 5}) - 0.9) < 1e-12);
  QVERIFY(std::abs(spearman({1, 2, 3, 4}, {1, 3, 2, 4}) - 0.8) < 1e-12);
  // Ties get average ranks: {1, 2.5, 2.5, 4} against {1, 2, 3, 4}: Pearson of the ranks.
  QVERIFY(std::abs(spearman({1, 2, 2, 3}, {1, 2, 3, 4}) - 0.9486832980505138) < 1e-12);
  EXPECT_ERROR(spearman({1}, {1}), ErrorCode::InvalidArgument);
}

void ImportanceTests::exactAllocationEqualsBruteForce() {
  for (uint32_t seed = 1; seed <= 6; ++seed) {
    const Problem p = randomProblem(5, seed);
    const BitAllocationModel model(p.table, p.costs, 4);
    const auto all = allAssignments(p, {});
    for (BudgetKind kind : {BudgetKind::AverageBits, BudgetKind::Bytes, BudgetKind::Bops}) {
      const double lo = budgetUsed(directTotals(p, all.front(), 4), kind);  // all at 2 bits
      const double hi = budgetUsed(directTotals(p, all.back(), 4), kind);   // all at 8 bits
      for (double f : {0.0, 0.1, 0.3, 0.5, 0.8, 1.0}) {
        const double budget = lo + f * (hi - lo);
        double best = std::numeric_limits<double>::infinity();
        for (const auto& a : all)
          if (budgetUsed(directTotals(p, a, 4), kind) <= budget + 1e-9)
            best = std::min(best, directTotals(p, a, 4).predictedLoss);
        const Allocation dp = model.allocate(kind, budget);
        const AllocationTotals t = directTotals(p, dp.bits, 4);
        QVERIFY2(budgetUsed(t, kind) <= budget + 1e-9, budgetKindName(kind));  // never over the budget
        QVERIFY2(std::abs(t.predictedLoss - best) < 1e-12,
                 (std::string(budgetKindName(kind)) + " seed " + std::to_string(seed) + ": " +
                  std::to_string(t.predictedLoss) + " vs brute force " + std::to_string(best))
                     .c_str());
        QVERIFY(std::abs(dp.totals.predictedLoss - t.predictedLoss) < 1e-12);
        QCOMPARE(dp.totals.bytes, t.bytes);
        QVERIFY(std::abs(dp.totals.averageBits - t.averageBits) < 1e-12);
        const Allocation greedy = model.allocate(kind, budget, {}, /*exact=*/false);
        QVERIFY(budgetUsed(directTotals(p, greedy.bits, 4), kind) <= budget + 1e-9);
        QVERIFY(greedy.totals.predictedLoss >= best - 1e-12);  // an approximation, never better
      }
    }
  }
}

void ImportanceTests::pinsAndBudgetsAreRespected() {
  const Problem p = randomProblem(6, 42);
  const BitAllocationModel model(p.table, p.costs);
  const std::map<std::string, int> pins{{"layer0", 8}, {"layer3", 2}};
  const auto all = allAssignments(p, pins);
  for (double budget : {3.0, 4.0, 5.5}) {
    double best = std::numeric_limits<double>::infinity();
    for (const auto& a : all)
      if (directTotals(p, a, 8).averageBits <= budget + 1e-9)
        best = std::min(best, directTotals(p, a, 8).predictedLoss);
    for (bool exact : {true, false}) {
      const Allocation a = model.allocate(BudgetKind::AverageBits, budget, pins, exact);
      QCOMPARE(a.bits.at("layer0"), 8);
      QCOMPARE(a.bits.at("layer3"), 2);
      QVERIFY(a.totals.averageBits <= budget + 1e-9);
      if (exact) QVERIFY(std::abs(a.totals.predictedLoss - best) < 1e-12);
    }
  }
  for (const Allocation& a : model.paretoFront(BudgetKind::Bytes, 10, pins)) {
    QCOMPARE(a.bits.at("layer0"), 8);
    QCOMPARE(a.bits.at("layer3"), 2);
  }
  EXPECT_ERROR(model.allocate(BudgetKind::AverageBits, 1.5), ErrorCode::InvalidArgument);  // below all-2-bit
  EXPECT_ERROR(model.allocate(BudgetKind::AverageBits, 4, {{"nope", 4}}), ErrorCode::UnknownLayer);
  EXPECT_ERROR(model.allocate(BudgetKind::AverageBits, 4, {{"layer1", 9}}), ErrorCode::InvalidArgument);
}

void ImportanceTests::paretoFrontIsMonotone() {
  const Problem p = randomProblem(8, 7);
  const BitAllocationModel model(p.table, p.costs);
  for (BudgetKind kind : {BudgetKind::AverageBits, BudgetKind::Bytes, BudgetKind::Bops}) {
    const std::vector<Allocation> front = model.paretoFront(kind, 30);
    QVERIFY(front.size() >= 3);
    for (size_t i = 1; i < front.size(); ++i) {
      QVERIFY(budgetUsed(front[i].totals, kind) > budgetUsed(front[i - 1].totals, kind));
      QVERIFY(front[i].totals.predictedLoss < front[i - 1].totals.predictedLoss);
    }
    // Its ends: the smallest allocation, and the least predicted loss of all.
    double least = std::numeric_limits<double>::infinity();
    for (const auto& a : allAssignments(p, {})) least = std::min(least, directTotals(p, a, 8).predictedLoss);
    QVERIFY(std::abs(front.back().totals.predictedLoss - least) < 1e-12);
  }
}

void ImportanceTests::estimateNeedsNoModel() {
  // Built from the demo model's real costs, then used after the model is gone: the estimate
  // cannot run a forward pass.
  std::unique_ptr<BitAllocationModel> allocator;
  std::map<std::string, LayerCost> costs;
  ImportanceTable table;
  {
    const Model& m = testsupport::demoModel("fmnist_resnet.pt");
    costs = layerCosts(m, *testsupport::demoData("fmnist_calib.h5"));
    QCOMPARE(costs.at("fc").macs, costs.at("fc").weights);                  // a linear layer: once per sample
    QCOMPARE(costs.at("conv1").macs, costs.at("conv1").weights * 28 * 28);  // 3x3, padding 1 on 28x28
    table.bits = {2, 4, 8};
    for (const LayerInfo& l : m.summary().layers) {
      table.layers.push_back(l.name);
      QCOMPARE(costs.at(l.name).weights, l.params);
      for (int b : table.bits) table.values[l.name][b] = 1.0 / (b * (1 + table.layers.size()));
    }
    allocator = std::make_unique<BitAllocationModel>(table, costs, 8);
  }
  std::map<std::string, int> bits;
  for (const std::string& l : table.layers) bits[l] = 4;
  bits["fc"] = 3;  // between table widths: interpolated
  const AllocationTotals t = allocator->totals(bits);
  double weightBits = 0, weights = 0, bops = 0, loss = 0;
  int64_t bytes = 0;
  for (const std::string& l : table.layers) {
    weightBits += static_cast<double>(costs[l].weights * bits[l]);
    weights += static_cast<double>(costs[l].weights);
    bytes += (costs[l].weights * bits[l] + 7) / 8;
    bops += static_cast<double>(costs[l].macs) * bits[l] * 8;
    loss += l == "fc" ? 0.5 * (table.values[l][2] + table.values[l][4]) : table.values[l][4];
  }
  QVERIFY(std::abs(t.averageBits - weightBits / weights) < 1e-12);
  QCOMPARE(t.bytes, bytes);
  QCOMPARE(t.bops, bops);
  QVERIFY(std::abs(t.predictedLoss - loss) < 1e-12);
}

void ImportanceTests::integratedGradientsMatchExactLossChange() {
  Model m = testsupport::demoCopy("fmnist_resnet.pt");
  const auto calib = testsupport::demoData("fmnist_calib.h5");
  ImportanceRequest r;
  r.bits = {2, 3};
  r.layers = {"layer3.0.conv2", "fc"};
  r.calibrationCount = 64;
  r.seed = 3;
  const ImportanceTable measured = estimateImportance(m, *calib, r);
  r.estimator = ImportanceEstimator::IntegratedGradients;
  r.pathPoints = 24;
  r.fullSetPerPoint = true;  // every point on the measured samples: the path integral itself
  const ImportanceTable ig = estimateImportance(m, *calib, r);
  QCOMPARE(ig.layers, measured.layers);
  for (const std::string& l : r.layers)
    for (int b : r.bits) {
      const double exact = measured.values.at(l).at(b), approx = ig.values.at(l).at(b);
      QVERIFY2(std::abs(exact - approx) < 0.02 * std::abs(exact) + 1e-4,
               (l + " @" + std::to_string(b) + ": IG " + std::to_string(approx) + " vs exact " + std::to_string(exact))
                   .c_str());
      // Per-channel values add up to the layer's.
      double sum = 0;
      for (double v : ig.channels.at(l).at(b)) sum += v;
      QVERIFY(std::abs(sum - approx) < 1e-6 * std::max(1.0, std::abs(approx)));
      QCOMPARE(ig.channels.at(l).at(b).size(), size_t(m.weight(l).size(0)));
    }
}

void ImportanceTests::sampleSharedPathKeepsFullSetFirstOrder() {
  // A path over a quarter of the samples, corrected by the FP gradient on all of them, against
  // the exact loss change on all of them: at 8 bits (first order dominates) nearly exact; a
  // path on that quarter alone would carry the quarter's sample noise instead.
  Model m = testsupport::demoCopy("fmnist_resnet.pt");
  const auto calib = testsupport::demoData("fmnist_calib.h5");
  ImportanceRequest r;
  r.bits = {3, 8};
  r.layers = {"layer2.0.conv1", "layer3.0.conv2", "fc"};
  r.calibrationCount = 128;
  r.seed = 5;
  const ImportanceTable measured = estimateImportance(m, *calib, r);
  r.estimator = ImportanceEstimator::IntegratedGradients;
  r.pathSampleShare = 0.25;
  const ImportanceTable ig = estimateImportance(m, *calib, r);
  r.calibrationCount = 32;  // the quarter alone, no correction possible
  const ImportanceTable quarter = estimateImportance(m, *calib, r);
  double correctedError = 0, quarterError = 0;
  for (const std::string& l : r.layers)
    for (int b : r.bits) {
      const double exact = measured.values.at(l).at(b), approx = ig.values.at(l).at(b);
      correctedError += std::abs(approx - exact);
      quarterError += std::abs(quarter.values.at(l).at(b) - exact);
      if (b == 8)
        QVERIFY2(std::abs(approx - exact) < 0.1 * std::abs(exact),
                 (l + ": corrected " + std::to_string(approx) + " vs exact " + std::to_string(exact)).c_str());
    }
  QVERIFY2(correctedError < quarterError,
           (std::to_string(correctedError) + " vs quarter alone " + std::to_string(quarterError)).c_str());
}

void ImportanceTests::estimatorsLeaveTheModelAndCancel() {
  Model m = testsupport::demoCopy("fmnist_transformer.pt");
  const Model original = m.clone();
  const auto calib = testsupport::demoData("fmnist_calib.h5");
  ImportanceRequest r;
  r.bits = {3, 6};
  r.calibrationCount = 32;
  r.hutchinsonSamples = 4;
  r.pathPoints = 4;
  for (ImportanceEstimator e :
       {ImportanceEstimator::Measured, ImportanceEstimator::IntegratedGradients, ImportanceEstimator::Hessian}) {
    r.estimator = e;
    const ImportanceTable t = estimateImportance(m, *calib, r);
    QCOMPARE(t.layers.size(), m.summary().layers.size());
    for (const std::string& l : t.layers)
      for (int b : t.bits) QVERIFY2(std::isfinite(t.values.at(l).at(b)), importanceEstimatorName(e));
    CancelToken cancel;
    EXPECT_ERROR(estimateImportance(
                     m, *calib, r,
                     [&](const Progress& p) {
                       if (p.fraction > 0.3) cancel.cancel();
                     },
                     cancel),
                 ErrorCode::Cancelled);
    for (const LayerInfo& l : m.summary().layers) {
      QVERIFY2(at::equal(m.weight(l.name), original.weight(l.name)), l.name.c_str());
      if (!l.biasPath.empty()) QVERIFY(at::equal(m.bias(l.name), original.bias(l.name)));
    }
  }
  // The Hessian proxy: ½ Tr(H)/n ||ΔW||², so its ratio between widths is that of ||ΔW||².
  r.estimator = ImportanceEstimator::Hessian;
  r.layers = {"head"};
  const ImportanceTable h = estimateImportance(m, *calib, r);
  QVERIFY(h.values.at("head").at(3) > 0);  // a positive curvature at a trained minimum
  r.bits = {1};
  EXPECT_ERROR(estimateImportance(m, *calib, r), ErrorCode::InvalidArgument);
}

// The classifier layer's Hessian block has a closed form (cross-entropy is convex in it):
// H = (1/N) Σ_n (diag(p_n) − p_n p_nᵀ) ⊗ h_n h_nᵀ, so Tr(H) = (1/N) Σ_n Σ_k p_nk (1 − p_nk) ‖h_n‖².
// The estimate for every layer at once must match it: the probes' cross-layer terms must not
// leak into the last layer's trace (they once made it negative).
void ImportanceTests::hessianTraceOfLastLayerMatchesClosedForm() {
  Model m = testsupport::demoCopy("fmnist_resnet.pt");
  std::shared_ptr<const Dataset> calib = testsupport::demoData("fmnist_calib.h5");
  ImportanceRequest r;
  r.estimator = ImportanceEstimator::Hessian;
  r.bits = {4};
  r.calibrationCount = 256;
  r.hutchinsonSamples = 32;
  const ImportanceTable t = estimateImportance(m, *calib, r);

  // The same samples; the classifier's inputs and softmax, captured independently.
  const DataBatch batch = subsetDataset(calib, r.calibrationCount, r.seed)->read(0, r.calibrationCount);
  ActivationCapture capture(m, {true, false, false});
  torch::NoGradGuard noGrad;
  const CaptureResult c = capture.run(batch.inputs);
  const at::Tensor h = c.layers.at("fc").front().args.front().toTensor().to(at::kDouble);
  const at::Tensor p = torch::softmax(c.modelOutput.to(at::kDouble), 1);
  const double trace = ((p * (1 - p)).sum(1) * h.pow(2).sum(1)).mean().item<double>();
  // ‖W − Q(W)‖² of nearest rounding at 4 bits on the same grid.
  QuantizationRequest q;
  q.method = QuantMethod::Rtn;
  q.firstLastEightBit = false;
  q.bits = {{"fc", 4}};
  q.calibrationCount = 16;
  Model rtn = m.clone();
  quantizeModel(rtn, *calib, q);
  const double dw2 = (m.weight("fc") - rtn.weight("fc")).to(at::kDouble).pow(2).sum().item<double>();
  const double expected = 0.5 * trace / static_cast<double>(m.weight("fc").numel()) * dw2;
  const double got = t.values.at("fc").at(4);
  qInfo("fc Hessian term: estimate %.4g, closed form %.4g", got, expected);
  QVERIFY(dw2 > 0);
  QVERIFY2(std::abs(got - expected) < 0.25 * expected, qPrintable(QString("%1 vs %2").arg(got).arg(expected)));
}

// Around an allocation, each value is the mean per-sample loss change when one layer moves from
// its width there to another while the allocation's other layers stay at theirs: computed here
// from models quantized by the quantizer itself.
void ImportanceTests::measuredAroundAnAllocation() {
  Model m = testsupport::demoCopy("fmnist_resnet.pt");
  const Model original = m.clone();
  std::shared_ptr<const Dataset> calib = testsupport::demoData("fmnist_calib.h5");
  ImportanceRequest r = twoLayersAtTwoWidths(11);
  r.around = {{"layer2.0.conv2", 2}, {"layer3.0.conv2", 2}, {"fc", 4}};  // the rest FP
  const ImportanceTable t = estimateImportance(m, *calib, r);
  QCOMPARE(t.around, r.around);
  const DataBatch batch = subsetDataset(calib, r.calibrationCount, r.seed)->read(0, r.calibrationCount);
  // Per-sample cross-entropy of the FP model with `bits` rounded to nearest.
  const auto rowLosses = [&](const std::map<std::string, int>& bits) {
    QuantizationRequest q;
    q.method = QuantMethod::Rtn;
    q.firstLastEightBit = false;
    q.bits = bits;
    q.calibrationCount = 16;
    Model one = original.clone();
    quantizeModel(one, *calib, q);
    for (const LayerInfo& other : original.summary().layers)
      if (!bits.count(other.name)) one.setWeight(other.name, original.weight(other.name));
    torch::NoGradGuard noGrad;
    return torch::nn::functional::cross_entropy(
        one.forward(batch.inputs).to(at::kDouble), batch.labels,
        torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
  };
  const at::Tensor base = rowLosses(r.around);
  QVERIFY(std::abs(t.baseLoss - base.mean().item<double>()) < 1e-6);
  const std::vector<double> sampleLosses = allocationSampleLosses(m, *calib, r, r.around);
  QCOMPARE(sampleLosses.size(), size_t(r.calibrationCount));
  for (size_t i = 0; i < sampleLosses.size(); ++i)
    QVERIFY(std::abs(sampleLosses[i] - base[int64_t(i)].item<double>()) < 1e-5 * (1 + sampleLosses[i]));
  QCOMPARE(t.values.at("layer2.0.conv2").at(2), 0.0);  // its own width: no change
  QCOMPARE(t.errors.at("layer2.0.conv2").at(2), 0.0);
  for (const auto& [l, b] : std::vector<std::pair<std::string, int>>{{"layer2.0.conv2", 6}, {"fc", 2}, {"fc", 6}}) {
    std::map<std::string, int> moved = r.around;
    moved[l] = b;
    const at::Tensor change = rowLosses(moved) - base;
    const double mean = change.mean().item<double>();
    const double error = change.std(/*unbiased=*/true).item<double>() / std::sqrt(double(r.calibrationCount));
    const std::string what = l + " @" + std::to_string(b);
    QVERIFY2(std::abs(t.values.at(l).at(b) - mean) < 1e-4 * std::abs(mean) + 1e-6,
             (what + ": " + std::to_string(t.values.at(l).at(b)) + " vs " + std::to_string(mean)).c_str());
    QVERIFY2(std::abs(t.errors.at(l).at(b) - error) < 1e-3 * error + 1e-9, what.c_str());
  }
  // Moving layer2.0.conv2 from 2 to 6 bits lowers the loss around this allocation.
  QVERIFY(t.values.at("layer2.0.conv2").at(6) < 0);
  // Every weight is the FP one again.
  for (const LayerInfo& l : original.summary().layers) QVERIFY(m.weight(l.name).equal(original.weight(l.name)));
  r.estimator = ImportanceEstimator::Hessian;
  EXPECT_ERROR(estimateImportance(m, *calib, r), ErrorCode::InvalidArgument);
  r.estimator = ImportanceEstimator::Measured;
  r.around = {{"nope", 2}};
  EXPECT_ERROR(estimateImportance(m, *calib, r), ErrorCode::UnknownLayer);
  r.around = {{"fc", 9}};
  EXPECT_ERROR(estimateImportance(m, *calib, r), ErrorCode::InvalidArgument);
}

// The measured value is the mean of per-sample loss changes and its error their standard error;
// both recomputed here from the model's logits with the layer's weight on the same grid, and the
// Hessian's error (over the probes) scales with ||ΔW||² like its value.
void ImportanceTests::importanceErrorsMatchPerSampleChanges() {
  Model m = testsupport::demoCopy("fmnist_resnet.pt");
  std::shared_ptr<const Dataset> calib = testsupport::demoData("fmnist_calib.h5");
  ImportanceRequest r = twoLayersAtTwoWidths(7);
  const ImportanceTable t = estimateImportance(m, *calib, r);
  const DataBatch batch = subsetDataset(calib, r.calibrationCount, r.seed)->read(0, r.calibrationCount);
  auto rowLosses = [&](const Model& model) {
    torch::NoGradGuard noGrad;  // here only: the Hessian below needs autograd
    return torch::nn::functional::cross_entropy(
        model.forward(batch.inputs).to(at::kDouble), batch.labels,
        torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
  };
  const at::Tensor fp = rowLosses(m);
  int withinNoise = 0;
  for (const std::string& l : r.layers)
    for (int b : r.bits) {
      QuantizationRequest q;
      q.method = QuantMethod::Rtn;
      q.firstLastEightBit = false;
      q.bits = {{l, b}};
      q.calibrationCount = 16;
      Model one = m.clone();
      quantizeModel(one, *calib, q);
      for (const LayerInfo& other : m.summary().layers)  // only l quantized, as the estimate assumes
        if (other.name != l) one.setWeight(other.name, m.weight(other.name));
      const at::Tensor change = rowLosses(one) - fp;
      const double mean = change.mean().item<double>();
      const double error = change.std(/*unbiased=*/true).item<double>() / std::sqrt(double(r.calibrationCount));
      const std::string what = l + " @" + std::to_string(b);
      QVERIFY2(std::abs(t.values.at(l).at(b) - mean) < 1e-4 * std::abs(mean) + 1e-6,
               (what + ": " + std::to_string(t.values.at(l).at(b)) + " vs " + std::to_string(mean)).c_str());
      QVERIFY2(std::abs(t.errors.at(l).at(b) - error) < 1e-3 * error,
               (what + ": error " + std::to_string(t.errors.at(l).at(b)) + " vs " + std::to_string(error)).c_str());
      QCOMPARE(importanceInterval(t, l, b), 1.96 * t.errors.at(l).at(b));
      QCOMPARE(importanceWithinNoise(t, l, b), std::abs(mean) <= 1.96 * t.errors.at(l).at(b));
      withinNoise += importanceWithinNoise(t, l, b);
    }
  QVERIFY(!importanceWithinNoise(t, "layer2.0.conv2", 2));  // 2 bits of a middle conv: far above its noise
  QVERIFY(withinNoise >= 1);                                // 6 bits: a change these samples cannot resolve

  r.estimator = ImportanceEstimator::Hessian;
  r.hutchinsonSamples = 8;
  const ImportanceTable h = estimateImportance(m, *calib, r);
  for (const std::string& l : r.layers) {
    QVERIFY(h.errors.at(l).at(2) > 0 && std::isfinite(h.errors.at(l).at(2)));
    const double ratio2 = h.errors.at(l).at(2) / h.values.at(l).at(2),
                 ratio6 = h.errors.at(l).at(6) / h.values.at(l).at(6);
    QVERIFY2(std::abs(ratio2 - ratio6) < 1e-9 * std::abs(ratio2), l.c_str());
  }
  r.estimator = ImportanceEstimator::IntegratedGradients;
  r.pathPoints = 2;
  QVERIFY(estimateImportance(m, *calib, r).errors.empty());
  QCOMPARE(importanceInterval(estimateImportance(m, *calib, r), "fc", 2), 0.0);
}

void ImportanceTests::importanceTablesInSessions() {
  Model m = testsupport::demoCopy("fmnist_resnet.pt");
  const auto calib = testsupport::demoData("fmnist_calib.h5");
  ImportanceRequest r;
  r.bits = {2, 4};
  r.layers = {"conv1", "fc"};
  r.calibrationCount = 16;
  r.pathPoints = 2;
  Session s;
  s.importance.push_back(estimateImportance(m, *calib, r));
  r.estimator = ImportanceEstimator::IntegratedGradients;
  s.importance.push_back(estimateImportance(m, *calib, r));
  std::reverse(s.importance.begin(), s.importance.end());  // the session keeps this order (latest first)
  QuantizationRequest q;
  q.method = QuantMethod::Rtn;
  q.calibrationCount = 16;
  s.result = quantizeModel(m, *calib, q, &s.weights);
  QTemporaryDir dir;
  const std::string path = dir.filePath("i.rlab").toStdString();
  saveSession(path, s);
  const Session back = loadSession(path);
  QCOMPARE(back.importance.size(), size_t(2));
  for (size_t i = 0; i < 2; ++i) {
    const ImportanceTable &a = s.importance[i], &b = back.importance[i];
    QCOMPARE(b.estimator, a.estimator);
    QCOMPARE(b.layers, a.layers);
    QCOMPARE(b.bits, a.bits);
    QCOMPARE(b.fpLoss, a.fpLoss);
    QVERIFY(b.values == a.values);      // exact: stored as float64
    QVERIFY(b.errors == a.errors);      // measured: one per value; IG: none
    QVERIFY(b.channels == a.channels);  // empty for measured, per channel for IG
  }
  QCOMPARE(back.importance[0].estimator, ImportanceEstimator::IntegratedGradients);
  QVERIFY(!back.importance[0].channels.empty());
  QVERIFY(back.importance[0].errors.empty() && !back.importance[1].errors.empty());
  // A damaged table (a negative standard error, a missing value, a per-channel row too few) is
  // one clear error naming the file, never a misread table.
  const auto rejected = [&](const std::string& mention) {
    try {
      loadSession(path);
      QFAIL(("accepted: " + mention).c_str());
    } catch (const Error& e) {
      QCOMPARE(e.code(), ErrorCode::BadDataFile);
      const std::string what = e.what();
      QVERIFY2(what.rfind(path, 0) == 0 && what.find(mention) != std::string::npos, what.c_str());
    }
  };
  Session negative = s;
  negative.importance[1].errors.at("fc").at(4) = -0.1;
  saveSession(path, negative);
  rejected("negative or non-finite standard error");
  // Shapes that disagree with the table's layers and bit-widths can only come from a crafted
  // file: rewrite one dataset of a valid session and seal it anew.
  const auto replaced = [&](const std::string& dataset, const at::Tensor& with, const std::string& mention) {
    saveSession(path, s);
    {
      H5::H5File f(path, H5F_ACC_RDWR);
      const std::string group = std::string("/importance/") + importanceEstimatorName(s.importance[0].estimator);
      H5::Group g = f.openGroup(group);
      const std::size_t slash = dataset.rfind('/');
      H5::Group parent = slash == std::string::npos ? g : g.openGroup(dataset.substr(0, slash));
      const std::string name = slash == std::string::npos ? dataset : dataset.substr(slash + 1);
      parent.unlink(name);
      hdf5::writeTensor(parent, name.c_str(), with);
    }
    hdf5::resealFile(path);  // a well-formed file whose content disagrees with itself
    rejected(mention);
  };
  replaced("values", at::zeros({1, 2}, at::kDouble), "importance values are [1,2] for 2 layers and 2 bit-widths");
  replaced("values", at::full({2, 2}, std::nan(""), at::kDouble), "importance values include a non-finite number");
  replaced("bits", at::tensor({4, 4}, at::kInt), "bit-widths repeat");
  replaced("channels/fc", at::zeros({1, 10}, at::kDouble), "per-channel importance of fc");
}
