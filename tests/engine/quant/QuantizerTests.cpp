// Quantizer math against formulas evaluated here, element by element, in double precision.
#include <cmath>

#include "EngineTests.h"
#include "TestSupport.h"
#include "engine/activation/ActivationQuantizer.h"
#include "engine/quant/PowerGrid.h"
#include "engine/quant/WeightGrid.h"

ROUNDLAB_ENGINE_SUITE("quantizers", QuantizerTests);

using namespace roundlab;

namespace {

at::Tensor randomWeight(std::vector<int64_t> shape, uint64_t seed, bool laplace = false) {
  auto gen = at::detail::createCPUGenerator(seed);
  at::Tensor w = at::randn(shape, gen) * 0.1;
  if (laplace) w = w.sign() * w.abs().pow(2) * 10;  // heavier tails
  return w;
}

WeightQuantConfig config(int bits, bool symmetric, Granularity g, RangeInit init) {
  WeightQuantConfig c;
  c.bits = bits;
  c.symmetric = symmetric;
  c.granularity = g;
  c.rangeInit = init;
  return c;
}

}  // namespace

void QuantizerTests::asymmetricPerChannelMatchesFormula() {
  const at::Tensor w = randomWeight({4, 3, 2, 2}, 1);
  const WeightGrid g = fitUniformGrid(w, config(3, false, Granularity::PerChannel, RangeInit::MinMax));
  const at::Tensor codes = quantizeToCodes(w, g), deq = dequantize(codes, g);
  const auto wa = w.to(at::kDouble).contiguous();
  for (int64_t o = 0; o < 4; ++o) {
    double lo = 0, hi = 0;  // the range always holds zero
    for (int64_t k = 0; k < 12; ++k) {
      const double v = wa[o].flatten()[k].item<double>();
      lo = std::min(lo, v), hi = std::max(hi, v);
    }
    const double s = (hi - lo) / 7.0, z = std::clamp(std::round(-lo / s), 0.0, 7.0);
    QVERIFY(std::abs(g.scale.flatten()[o].item<double>() - s) < 1e-6 * s);
    QCOMPARE(g.zeroPoint.flatten()[o].item<double>(), z);
    for (int64_t k = 0; k < 12; ++k) {
      const double v = wa[o].flatten()[k].item<double>();
      const double q = std::clamp(std::round(v / s) + z, 0.0, 7.0);
      QCOMPARE(codes[o].flatten()[k].item<int>(), static_cast<int>(q));
      QVERIFY(std::abs(deq[o].flatten()[k].item<double>() - s * (q - z)) < 1e-6);
    }
  }
}

void QuantizerTests::symmetricRangeAndZeroPoint() {
  const at::Tensor w = randomWeight({6, 10}, 2);
  const WeightGrid g = fitUniformGrid(w, config(4, true, Granularity::PerChannel, RangeInit::MinMax));
  QCOMPARE(g.qmin, int64_t(-7));
  QCOMPARE(g.qmax, int64_t(7));
  QCOMPARE(g.zeroPoint.abs().sum().item<double>(), 0.0);
  const at::Tensor codes = quantizeToCodes(w, g);
  // The largest-magnitude weight of each row lands on +-qmax.
  QVERIFY(codes.abs().amax(1).eq(7).all().item<bool>());
  QVERIFY(codes.min().item<int>() >= -7 && codes.max().item<int>() <= 7);
  QCOMPARE(codeRange(2, true), (std::pair<int64_t, int64_t>{-1, 1}));
  QCOMPARE(codeRange(8, false), (std::pair<int64_t, int64_t>{0, 255}));
}

void QuantizerTests::perTensorAndPerGroupScales() {
  const at::Tensor w = randomWeight({2, 8}, 3);
  const WeightGrid t = fitUniformGrid(w, config(4, true, Granularity::PerTensor, RangeInit::MinMax));
  QCOMPARE(t.scale.numel(), int64_t(1));
  QVERIFY(std::abs(t.scale.item<double>() - w.abs().max().item<double>() / 7) < 1e-7);
  WeightQuantConfig c = config(4, true, Granularity::PerGroup, RangeInit::MinMax);
  c.groupSize = 4;
  const WeightGrid g = fitUniformGrid(w, c);
  QCOMPARE(g.scale.sizes().vec(), (std::vector<int64_t>{2, 2, 1}));
  for (int64_t r = 0; r < 2; ++r)
    for (int64_t k = 0; k < 2; ++k) {
      const double absmax = w[r].slice(0, 4 * k, 4 * k + 4).abs().max().item<double>();
      QVERIFY(std::abs(g.scale[r][k][0].item<double>() - absmax / 7) < 1e-7);
    }
  QCOMPARE(dequantize(quantizeToCodes(w, g), g).sizes().vec(), w.sizes().vec());
}

void QuantizerTests::lpSearchNeverWorseThanMinMax() {
  const at::Tensor w = randomWeight({16, 64}, 4, /*laplace=*/true);
  for (bool symmetric : {false, true}) {
    const WeightGrid mm = fitUniformGrid(w, config(3, symmetric, Granularity::PerChannel, RangeInit::MinMax));
    const WeightGrid lp = fitUniformGrid(w, config(3, symmetric, Granularity::PerChannel, RangeInit::Lp));
    const at::Tensor eMm = (w - fakeQuantize(w, mm)).abs().pow(2.4).sum(1);
    const at::Tensor eLp = (w - fakeQuantize(w, lp)).abs().pow(2.4).sum(1);
    QVERIFY((eLp <= eMm + 1e-9).all().item<bool>());
    QVERIFY((eLp < eMm * 0.9).any().item<bool>());  // heavy tails: clipping pays somewhere
    QVERIFY((lp.scale <= mm.scale + 1e-9).all().item<bool>());
  }
}

void QuantizerTests::powerGridWithExponentOneIsUniform() {
  const at::Tensor w = randomWeight({8, 4, 3, 3}, 5);
  for (RangeInit init : {RangeInit::MinMax, RangeInit::Lp}) {
    const WeightQuantConfig c = config(4, true, Granularity::PerChannel, init);
    const WeightGrid u = fitUniformGrid(w, c);
    const WeightGrid p = fitPowerGrid(w, c, 1.0);
    QVERIFY(at::equal(quantizeToCodes(w, p), quantizeToCodes(w, u)));
    QVERIFY(at::equal(fakeQuantize(w, p), fakeQuantize(w, u)));  // bit for bit
  }
}

void QuantizerTests::powerGridMatchesFormulaAndHelpsBellShapedWeights() {
  const at::Tensor w = randomWeight({4, 50}, 6);
  const WeightQuantConfig c = config(3, true, Granularity::PerChannel, RangeInit::MinMax);
  const WeightGrid p = fitPowerGrid(w, c, 0.5);
  const at::Tensor deq = fakeQuantize(w, p);
  for (int64_t o = 0; o < 4; ++o) {
    double tmax = 0;
    for (int64_t k = 0; k < 50; ++k) tmax = std::max(tmax, std::sqrt(std::abs(w[o][k].item<double>())));
    const double s = tmax / 3.0;  // symmetric 3-bit: codes -3..3
    for (int64_t k = 0; k < 50; k += 7) {
      const double v = w[o][k].item<double>();
      const double q = std::clamp(std::round((v < 0 ? -1 : 1) * std::sqrt(std::abs(v)) / s), -3.0, 3.0);
      const double expected = (q < 0 ? -1 : 1) * std::pow(std::abs(s * q), 2.0);
      QVERIFY2(std::abs(deq[o][k].item<double>() - expected) < 1e-6, std::to_string(k).c_str());
    }
  }
  // Gaussian weights at 3 bits: the searched exponent is below 1 and beats the uniform grid.
  const at::Tensor big = randomWeight({8, 400}, 7);
  const WeightGrid best = searchPowerGrid(big, c);
  const WeightGrid uniform = fitPowerGrid(big, c, 1.0);
  QVERIFY2(best.exponent < 0.95, std::to_string(best.exponent).c_str());
  QVERIFY((big - fakeQuantize(big, best)).pow(2).sum().item<double>() <
          (big - fakeQuantize(big, uniform)).pow(2).sum().item<double>());
}

void QuantizerTests::invalidConfigurationsRejected() {
  const at::Tensor w = randomWeight({3, 10}, 8);
  EXPECT_ERROR(fitUniformGrid(w, config(1, false, Granularity::PerChannel, RangeInit::MinMax)),
               ErrorCode::InvalidArgument);
  EXPECT_ERROR(fitUniformGrid(w, config(9, false, Granularity::PerChannel, RangeInit::MinMax)),
               ErrorCode::InvalidArgument);
  WeightQuantConfig c = config(4, false, Granularity::PerGroup, RangeInit::MinMax);
  c.groupSize = 3;  // does not divide 10
  EXPECT_ERROR(fitUniformGrid(w, c), ErrorCode::InvalidArgument);
  c = config(4, false, Granularity::PerChannel, RangeInit::Lp);
  c.exponent = 1.5;
  EXPECT_ERROR(fitUniformGrid(w, c), ErrorCode::InvalidArgument);
}

void QuantizerTests::activationLsqGradientMatchesFormula() {
  // Signed 3-bit: codes -4..3. With s = 0.1: 0.26 -> 3 (inside), 0.5 -> clipped to 3, -0.9 -> -4.
  const at::Tensor calib = at::tensor({-1.0f, 0.5f, 0.2f});
  ActivationQuantizer q(calib, 3);
  QCOMPARE(q.qmin(), int64_t(-4));
  QCOMPARE(q.qmax(), int64_t(3));
  {
    torch::NoGradGuard g;
    q.step().fill_(0.1);
  }
  const std::vector<float> xs = {0.26f, 0.5f, -0.9f, 0.04f, -0.13f};
  const at::Tensor x = at::tensor(xs).requires_grad_(true);
  const at::Tensor y = q.forward(x);
  y.sum().backward();
  // LSQ: dy/ds = round(x/s) - x/s inside the range, qmin or qmax when clipped; scaled by g.
  const double s = 0.1, g = 1.0 / std::sqrt(5.0 * 3.0);
  double expected = 0;
  std::vector<double> dx;
  for (float v : xs) {
    const double r = v / s;
    if (r >= 3.5)
      expected += 3, dx.push_back(0);
    else if (r < -4.5)
      expected += -4, dx.push_back(0);
    else
      expected += std::round(r) - r, dx.push_back(1);
  }
  expected *= g;
  QVERIFY2(std::abs(q.step().grad().item<double>() - expected) < 1e-6,
           (std::to_string(q.step().grad().item<double>()) + " vs " + std::to_string(expected)).c_str());
  for (size_t i = 0; i < xs.size(); ++i) QCOMPARE(x.grad()[static_cast<int64_t>(i)].item<double>(), dx[i]);
  QVERIFY(std::abs(y[0].item<double>() - 0.3) < 1e-6);
  QVERIFY(std::abs(y[1].item<double>() - 0.3) < 1e-6);  // clipped at qmax * s
  QVERIFY(std::abs(y[2].item<double>() + 0.4) < 1e-6);  // clipped at qmin * s
}

void QuantizerTests::activationRangeAndQdropMixing() {
  auto gen = at::detail::createCPUGenerator(5);
  const at::Tensor relu = at::relu(at::randn({4000}, gen));
  ActivationQuantizer u(relu, 4);
  QVERIFY(u.isUnsigned());
  QCOMPARE(u.qmax(), int64_t(15));
  // The L_p step is never worse than the max-based one on its own criterion.
  const double maxStep = relu.max().item<double>() / 15.0;
  auto lpErr = [&](double s) {
    return (relu - (relu / s).round().clamp(0, 15) * s).abs().pow(2.4).sum().item<double>();
  };
  QVERIFY(lpErr(u.stepValue()) <= lpErr(maxStep) + 1e-9);
  QVERIFY(u.stepValue() <= maxStep + 1e-9);
  // QDrop: about a fraction p of the elements take the quantized value.
  const at::Tensor fp = at::randn({100000}, gen);
  const at::Tensor qv = fp + 10;  // distinguishable
  at::Generator mixGen = at::detail::createCPUGenerator(11);
  const at::Tensor mixed = qdropMix(fp, qv, 0.5, mixGen);
  const double share = mixed.eq(qv).to(at::kDouble).mean().item<double>();
  QVERIFY2(std::abs(share - 0.5) < 0.01, std::to_string(share).c_str());
  QVERIFY((mixed.eq(qv) | mixed.eq(fp)).all().item<bool>());
  QVERIFY(at::equal(qdropMix(fp, qv, 1.0, mixGen), qv));
  QVERIFY(std::abs(qdropMix(fp, qv, 0.2, mixGen).eq(qv).to(at::kDouble).mean().item<double>() - 0.2) < 0.01);
}
