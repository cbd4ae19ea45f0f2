// The stopping rule (AdaRoundConfig::stopWhenSettled) on a real layer of the demo ResNet: a unit
// stops at a window's end once its loss has stopped improving, the steps before the stop are those of
// the fixed schedule, and the same seed stops at the same iteration with the same codes.
#include "EngineTests.h"
#include "TestSupport.h"
#include "engine/capture/ActivationCapture.h"
#include "engine/pipeline/QuantizationRequest.h"
#include "engine/quant/PowerGrid.h"
#include "engine/rounding/RoundingVariable.h"

ROUNDLAB_ENGINE_SUITE("stopping-rule", StoppingRuleTests);

using namespace roundlab;

namespace {

struct Optimised {
  std::vector<std::pair<int, double>> curve;
  at::Tensor codes;
};

// The straight-through offset with learned steps on layer2.0.conv1 at 2 bits, every batch loss kept;
// by default a cosine schedule over 400 iterations, otherwise `iterations` at a constant `lr`.
Optimised optimise(const testsupport::LayerCase& c, bool stopWhenSettled, int iterations = 400, double lr = 0) {
  WeightQuantConfig w;
  w.bits = 2;
  const at::Tensor weight = c.model.weight(c.layer.name);
  AdaRoundConfig a;
  a.iterations = iterations;
  a.curvePoints = a.iterations;  // every iteration's batch loss
  a.variable = RoundingVariableKind::AdditiveOffset;
  a.cosineLr = lr == 0;
  if (lr > 0) a.learningRate = lr;
  a.seed = 11;
  a.stopWhenSettled = stopWhenSettled;
  RoundingVariable variable(weight, fitWeightGrid(weight, w), a);
  const at::Tensor bias = c.model.bias(c.layer.name);
  Optimised out;
  out.curve = optimiseRounding(
      {&variable}, c.inputs.size(0), a,
      [&](const at::Tensor& idx) {
        return reconstructionLoss(applyLayer(c.layer, c.inputs.index_select(0, idx), variable.softWeight(), bias),
                                  c.outputs.index_select(0, idx));
      },
      nullptr, [] {});
  out.codes = variable.codes();
  return out;
}

double windowMean(const std::vector<std::pair<int, double>>& curve, int from, int to) {
  double sum = 0;
  for (int i = from; i < to; ++i) sum += curve.at(static_cast<size_t>(i)).second;
  return sum / (to - from);
}

}  // namespace

void StoppingRuleTests::unitStopsWhenSettled() {
  const testsupport::LayerCase c = testsupport::demoLayer();
  const Optimised fixed = optimise(c, false);
  QCOMPARE(fixed.curve.size(), size_t(400));
  const Optimised settled = optimise(c, true);
  const int ran = settled.curve.back().first + 1;
  QVERIFY2(ran < 400, ("the loss flattens before the schedule's end; ran " + std::to_string(ran)).c_str());
  const int window = 25;      // max(25, 400 / 40)
  QCOMPARE(ran % window, 0);  // it stops only at a window's end
  // Up to the stop, the same steps as the fixed schedule (stopping changes nothing before it).
  for (int i = 0; i < ran; ++i) QCOMPARE(settled.curve[static_cast<size_t>(i)], fixed.curve[static_cast<size_t>(i)]);
  // The loss had flattened: the last two windows' means within 1 % of the best window before them
  // (recomputed here from every step's batch loss).
  double best = windowMean(settled.curve, 0, window);
  for (int end = 2 * window; end <= ran - 2 * window; end += window)
    best = std::min(best, windowMean(settled.curve, end - window, end));
  const double previous = windowMean(settled.curve, ran - 2 * window, ran - window);
  QVERIFY(previous >= 0.99 * best);
  QVERIFY(windowMean(settled.curve, ran - window, ran) >= 0.99 * std::min(best, previous));
  // Reruns stop at the same iteration with the same codes.
  const Optimised again = optimise(c, true);
  QCOMPARE(again.curve.size(), settled.curve.size());
  QVERIFY(at::equal(again.codes, settled.codes));
}

// With a long cap the rule's window is longer (iterations / 40) and the codes it allows to change
// grow with it (5 % per 25 iterations): at the recommended method's learning rate a unit capped at
// 4000 iterations still stops, where a fixed 5 % per window would hold it to the cap.
void StoppingRuleTests::longWindowsAllowProportionallyMoreChanges() {
  const testsupport::LayerCase c = testsupport::demoLayer();
  const int cap = 4000, window = cap / 40;
  const double lr = kRecommendedLearningRate;
  const Optimised settled = optimise(c, true, cap, lr);
  const int ran = settled.curve.back().first + 1;
  QVERIFY2(ran < cap, ("a unit with a long window settles before the cap; ran " + std::to_string(ran)).c_str());
  QCOMPARE(ran % window, 0);
  // The codes changed over the last window, from fixed schedules of the same steps (the learning
  // rate is constant, so a shorter fixed run is the same run cut short): within 5 % per 25 iterations.
  const Optimised before = optimise(c, false, ran - window, lr);
  const Optimised atStop = optimise(c, false, ran, lr);
  QVERIFY(at::equal(atStop.codes, settled.codes));
  const double changed = before.codes.ne(atStop.codes).sum().item<double>() / static_cast<double>(atStop.codes.numel());
  QVERIFY2(changed <= 0.05 * window / 25, ("changed over the last window: " + std::to_string(changed)).c_str());
  qInfo("stopped at %d of %d; %.2f %% of the codes changed over the last window of %d", ran, cap, 100 * changed,
        window);
}
