// The rounding variable's fused optimiser, the indexed loss and their vectorised kernels against
// the same formulas composed from LibTorch ops.
#include "EngineTests.h"
#include "TestSupport.h"
#include "engine/quant/PowerGrid.h"
#include "engine/recon/IndexedSquaredError.h"
#include "engine/rounding/ReconstructionKernels.h"
#include "engine/rounding/RectifiedSigmoidOptimizer.h"
#include "engine/rounding/RectifiedSigmoidRounding.h"
#include "engine/rounding/RoundingVariable.h"

using namespace roundlab;

namespace {

// Codes at and past the range ends, rounding up and down, a fifth of the weights not selected.
RoundingConstants randomRoundingConstants(int64_t n) {
  RoundingConstants c;
  c.qmin = -3;
  c.qmax = 3;
  c.base = torch::randint(-4, 4, {n}).to(at::kFloat);
  c.nearest = (torch::rand({n}) > 0.5).to(at::kFloat);
  c.mask = (torch::rand({n}) > 0.2).to(at::kFloat);
  c.zeroPoint = torch::randint(-1, 2, {n}).to(at::kFloat);
  c.scale = torch::rand({n}) + 0.1;
  return c;
}

// Whether the autograd graph that produced `t` holds a node whose name contains `name`.
bool recordsNode(const at::Tensor& t, const std::string& name) {
  std::vector<std::shared_ptr<torch::autograd::Node>> open{t.grad_fn()};
  while (!open.empty()) {
    const std::shared_ptr<torch::autograd::Node> node = open.back();
    open.pop_back();
    if (!node) continue;
    if (node->name().find(name) != std::string::npos) return true;
    for (const torch::autograd::Edge& e : node->next_edges()) open.push_back(e.function);
  }
  return false;
}

const char* gradientName(size_t parameter) { return parameter == 0 ? "offset gradient" : "log step gradient"; }

}  // namespace

void ReconstructionTests::rectifiedSigmoidInverts() {
  const at::Tensor h = at::linspace(0.01, 0.99, 50);
  const at::Tensor back = RoundingVariable::rectifiedSigmoid(RoundingVariable::inverseRectifiedSigmoid(h));
  QVERIFY(testsupport::maxAbsDiff(back, h) < 1e-5);
  // h(V) = clamp(sigmoid(V) * 1.2 - 0.1, 0, 1), evaluated directly.
  const at::Tensor v = at::linspace(-8, 8, 33);
  QVERIFY(testsupport::maxAbsDiff(RoundingVariable::rectifiedSigmoid(v), (torch::sigmoid(v) * 1.2 - 0.1).clamp(0, 1)) <
          1e-7);
}

void ReconstructionTests::fusedRoundingMatchesComposedOps() {
  // The fused optimiser (soft weight, its gradient, the regulariser's, Adam / SGD with momentum)
  // against the same formulas composed from tensor ops under autograd and torch::optim, over
  // several steps with and without the regulariser; and the fused regulariser's value and
  // gradient. Saturated sigmoids, codes at the range ends and unselected weights included.
  torch::manual_seed(11);
  const int64_t n = 4000;
  const RoundingConstants c = randomRoundingConstants(n);
  const at::Tensor v0 = torch::randn({n}) * 4;
  const at::Tensor probe = torch::randn({n});
  const double lambda = 0.3, lr = 0.02;
  auto h = [](const at::Tensor& v) { return (torch::sigmoid(v) * 1.2 - 0.1).clamp(0, 1); };
  auto composedWeight = [&](const at::Tensor& v) {
    const at::Tensor q = c.mask * (c.base + h(v)) + (1 - c.mask) * (c.base + c.nearest);
    return ((q + c.zeroPoint).clamp(c.qmin, c.qmax) - c.zeroPoint) * c.scale;
  };
  auto composedReg = [&](const at::Tensor& v, double beta) {
    return (c.mask * (1 - (2 * h(v) - 1).abs().pow(beta))).sum();
  };

  for (OptimizerKind kind : {OptimizerKind::Adam, OptimizerKind::Sgd}) {
    const at::Tensor va = v0.clone(), vb = v0.clone().requires_grad_(true);
    RectifiedSigmoidOptimizer fused(va, c, {n / 40, 40}, kind, 0.9);
    std::unique_ptr<torch::optim::Optimizer> reference;
    if (kind == OptimizerKind::Adam)
      reference = std::make_unique<torch::optim::Adam>(std::vector<at::Tensor>{vb}, torch::optim::AdamOptions(lr));
    else
      reference =
          std::make_unique<torch::optim::SGD>(std::vector<at::Tensor>{vb}, torch::optim::SGDOptions(lr).momentum(0.9));
    for (double beta : {-1.0, 7.3, 20.0, 2.0}) {
      QCOMPARE(fused.softWeight().sizes().vec(), (std::vector<int64_t>{n / 40, 40}));
      QVERIFY(fused.softWeight().requires_grad() && fused.softWeight().is_leaf());
      const at::Tensor composed = composedWeight(vb);
      QVERIFY(torch::allclose(fused.softWeight().flatten(), composed, 1e-5, 1e-6));
      (fused.softWeight().flatten() * probe).sum().backward();
      at::Tensor loss = (composed * probe).sum();
      if (beta > 0) loss = loss + lambda * composedReg(vb, beta);
      reference->zero_grad();
      loss.backward();
      reference->step();
      fused.step(lr, lambda, beta);
      QVERIFY(!fused.softWeight().grad().defined());  // the next step's gradient starts afresh
      QVERIFY2(torch::allclose(va, vb, 1e-6, 2e-6), std::to_string((va - vb).abs().max().item<double>()).c_str());
    }
    // V moved where it is learned and not saturated, and nowhere else.
    const int64_t moved = va.ne(v0).sum().item<int64_t>();
    QVERIFY(moved > n / 10);
    QCOMPARE(va.ne(v0).logical_and(c.mask.eq(0)).sum().item<int64_t>(), int64_t(0));
  }

  for (double beta : {2.0, 7.3, 20.0}) {
    const at::Tensor ra = v0.clone().requires_grad_(true), rb = v0.clone().requires_grad_(true);
    const at::Tensor fusedReg = rectifiedSigmoidRegularizer(ra, c, beta);
    const at::Tensor reg = composedReg(rb, beta);
    QVERIFY(std::abs(fusedReg.item<double>() - reg.item<double>()) < 1e-3);
    (3 * fusedReg).backward();
    (3 * reg).backward();
    QVERIFY(torch::allclose(ra.grad(), rb.grad(), 1e-4, 1e-6));
  }
}

void ReconstructionTests::fusedOffsetMatchesComposedOps() {
  // The straight-through offset's soft weight as one autograd node (OffsetSoftWeight) against the
  // same formula composed from ATen ops under autograd (RoundingVariable's reference path): equal
  // soft weights and equal gradients in the offset and the log step factors. Offsets that push codes
  // below floor, past floor + 1 and past the range ends; weights outside the selection; rounding only,
  // with free integers and on a power grid; per-channel, per-tensor and per-group steps, conv and
  // linear weights.
  struct Case {
    DegreesOfFreedom freedom;
    GridKind grid;
    WeightSelection selection;
    Granularity granularity;
    std::vector<int64_t> shape;
  };
  struct RestoreFused {  // also when a check fails
    ~RestoreFused() { setOffsetSoftWeightFused(true); }
  } restore;
  const std::vector<int64_t> conv{12, 3, 3, 3}, linear{12, 16};
  for (const Case& k :
       {Case{DegreesOfFreedom::RoundingStepAndBias, GridKind::Uniform, WeightSelection::All, Granularity::PerChannel,
             conv},
        Case{DegreesOfFreedom::Rounding, GridKind::Uniform, WeightSelection::NearestBoundary, Granularity::PerChannel,
             conv},
        Case{DegreesOfFreedom::FreeIntegers, GridKind::Uniform, WeightSelection::All, Granularity::PerTensor, conv},
        Case{DegreesOfFreedom::RoundingAndStep, GridKind::PowerSearched, WeightSelection::LargestMagnitude,
             Granularity::PerChannel, conv},
        Case{DegreesOfFreedom::RoundingStepAndBias, GridKind::Uniform, WeightSelection::All, Granularity::PerGroup,
             linear},
        Case{DegreesOfFreedom::RoundingAndStep, GridKind::Uniform, WeightSelection::All, Granularity::PerTensor,
             linear}}) {
    torch::manual_seed(5);
    const at::Tensor w = torch::randn(k.shape), bias = torch::randn({12});
    WeightQuantConfig wc;
    wc.bits = 3;
    wc.grid = k.grid;
    wc.granularity = k.granularity;
    wc.groupSize = 4;
    AdaRoundConfig ac;
    ac.variable = RoundingVariableKind::AdditiveOffset;
    ac.freedom = k.freedom;
    ac.selection = k.selection;
    ac.selectFraction = k.selection == WeightSelection::All ? 1.0 : 0.7;
    const RoundingVariable var(w, fitWeightGrid(w, wc), ac, bias);
    std::vector<at::Tensor> params = var.parameters();
    params.resize(std::min<size_t>(params.size(), 2));  // the offset and the log steps (the bias is not in W~)
    {
      torch::NoGradGuard g;
      params[0].copy_(torch::randn(params[0].sizes()) * 1.5);
      if (params.size() > 1) params[1].copy_(torch::randn(params[1].sizes()) * 0.2);  // the log steps
    }
    const at::Tensor probe = torch::randn(w.sizes());
    std::vector<at::Tensor> weights, grads;
    for (bool fused : {true, false}) {
      setOffsetSoftWeightFused(fused);
      for (const at::Tensor& p : params)
        if (p.grad().defined()) p.grad().zero_();
      const at::Tensor soft = var.softWeight();
      QCOMPARE(recordsNode(soft, "OffsetSoftWeightNode"), fused);  // the switch does pick the path
      (soft * probe).sum().backward();
      weights.push_back(soft.detach().clone());
      for (size_t i = 0; i < params.size(); ++i) grads.push_back(params[i].grad().clone());
    }
    QVERIFY(testsupport::maxAbsDiff(weights[0], weights[1]) < 1e-6);
    const size_t n = params.size();
    for (size_t i = 0; i < n; ++i) {
      const double scale = grads[n + i].abs().max().item<double>();
      QVERIFY2(scale > 0, "the composed gradient reaches the parameter");
      QVERIFY2(testsupport::maxAbsDiff(grads[i], grads[n + i]) <= 1e-5 * scale, gradientName(i));
    }
    // Some gradients are zero (clamped codes, weights outside the selection) and some are not.
    const at::Tensor offsetGrad = grads[0];
    QVERIFY(offsetGrad.eq(0).any().item<bool>() && offsetGrad.ne(0).any().item<bool>());
  }
}

void ReconstructionTests::indexedLossMatchesGatheredLoss() {
  // Against the loss of the gathered rows through autograd: value and gradient, rows of a length
  // that is not a multiple of the sum block, repeated indices, an upstream gradient other than 1.
  torch::manual_seed(5);
  const at::Tensor targets = torch::randn({40, 3, 13});
  const at::Tensor index = at::tensor(std::vector<int64_t>{7, 0, 39, 7, 12}, at::kLong);
  const at::Tensor p0 = torch::randn({5, 3, 13});
  for (double upstream : {1.0, -2.5}) {
    const at::Tensor pa = p0.clone().requires_grad_(true), pb = p0.clone().requires_grad_(true);
    const at::Tensor a = indexedReconstructionLoss(pa, targets, index);
    const at::Tensor b = reconstructionLoss(pb, targets.index_select(0, index));
    QVERIFY(std::abs(a.item<double>() - b.item<double>()) < 1e-5 * std::abs(b.item<double>()));
    (upstream * a).backward();
    (upstream * b).backward();
    QVERIFY(torch::allclose(pa.grad(), pb.grad(), 1e-5, 1e-7));
  }
  // Other dtypes take the gathering form; an index past the targets is refused.
  const at::Tensor pd = p0.to(at::kDouble).requires_grad_(true);
  QVERIFY(std::abs(indexedReconstructionLoss(pd, targets.to(at::kDouble), index).item<double>() -
                   reconstructionLoss(pd, targets.to(at::kDouble).index_select(0, index)).item<double>()) < 1e-9);
  bool refused = false;
  try {
    indexedReconstructionLoss(p0, targets, at::tensor(std::vector<int64_t>{0, 1, 2, 3, 40}, at::kLong));
  } catch (const c10::Error&) {
    refused = true;
  }
  QVERIFY(refused);
}

void ReconstructionTests::kernelSetsGiveTheSameBits() {
  // A few fused optimiser steps and the indexed loss under every kernel set the processor runs:
  // bit-identical V, soft weights and loss values (runs reproduce across machines).
  const RoundingKernels initial = roundingKernels();
  if (!setRoundingKernels(RoundingKernels::Avx2)) QSKIP("this processor has only the baseline kernels");
  torch::manual_seed(3);
  const int64_t n = 1003;  // not a multiple of any lane width
  const RoundingConstants c = randomRoundingConstants(n);
  const at::Tensor v0 = torch::randn({n}) * 3, probe = torch::randn({n});
  const at::Tensor targets = torch::randn({9, 1003}), index = at::tensor(std::vector<int64_t>{4, 8, 0}, at::kLong);
  const at::Tensor prediction = torch::randn({3, 1003});
  std::vector<at::Tensor> results;
  for (RoundingKernels k : {RoundingKernels::Baseline, RoundingKernels::Avx2}) {
    QVERIFY(setRoundingKernels(k));
    const at::Tensor v = v0.clone();
    RectifiedSigmoidOptimizer opt(v, c, {n}, OptimizerKind::Adam, 0.9);
    for (double beta : {-1.0, 18.0, 3.0}) {
      (opt.softWeight() * probe).sum().backward();
      opt.step(0.01, 0.1, beta);
    }
    const at::Tensor p = prediction.clone().requires_grad_(true);
    const at::Tensor loss = indexedReconstructionLoss(p, targets, index);
    loss.backward();
    results.push_back(at::cat({v, opt.softWeight().detach(), loss.detach().reshape({1}), p.grad().flatten()}));
  }
  setRoundingKernels(initial);
  QVERIFY(at::equal(results[0], results[1]));
  QVERIFY(!at::equal(results[0].slice(0, 0, n), v0));  // the steps did move V
}
