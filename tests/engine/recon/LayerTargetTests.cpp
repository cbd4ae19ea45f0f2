// Layer-wise reconstruction after the activation: a layer's epilogue (its BatchNorm and activation
// function) checked against what the next layer reads in the model's own forward, and AdaRound's
// losses on that target against an independent computation.
#include "EngineTests.h"
#include "TestSupport.h"
#include "engine/capture/ActivationCapture.h"
#include "engine/data/DataBatch.h"
#include "engine/data/Dataset.h"
#include "engine/model/LayerEpilogue.h"
#include "engine/model/Model.h"
#include "engine/model/ModelInternals.h"
#include "engine/pipeline/ModelQuantizer.h"
#include "engine/quant/QuantizedWeights.h"

ROUNDLAB_ENGINE_SUITE("layer-target", LayerTargetTests);

using namespace roundlab;

namespace {

at::Tensor parameter(const Model& m, const std::string& path) { return attributeAt(m.module(), path).toTensor(); }

}  // namespace

void LayerTargetTests::epilogueIsWhatTheNextLayerReads_data() {
  QTest::addColumn<QString>("file");
  QTest::addColumn<QString>("layer");
  QTest::addColumn<QString>("next");
  QTest::addColumn<QString>("ops");
  QTest::newRow("depthwise model stem") << "fmnist_mobilenet.pt"
                                        << "stem"
                                        << "features.0.expand"
                                        << "batch_norm,relu6";
  QTest::newRow("depthwise conv") << "fmnist_mobilenet.pt"
                                  << "features.1.depthwise"
                                  << "features.1.project"
                                  << "batch_norm,relu6";
  QTest::newRow("resnet conv in a block") << "fmnist_resnet.pt"
                                          << "layer1.0.conv1"
                                          << "layer1.0.conv2"
                                          << "batch_norm,relu";
}

void LayerTargetTests::epilogueIsWhatTheNextLayerReads() {
  QFETCH(QString, file);
  QFETCH(QString, layer);
  QFETCH(QString, next);
  QFETCH(QString, ops);
  const Model& m = testsupport::demoModel(file.toStdString());
  std::vector<std::string> reasons;
  const auto epilogues = LayerEpilogue::buildAll(m, {layer.toStdString()}, &reasons);
  QVERIFY2(reasons.empty(), reasons.empty() ? "" : reasons.front().c_str());
  const LayerEpilogue& e = *epilogues.at(layer.toStdString());
  QStringList names;
  for (const std::string& op : e.ops()) names << QString::fromStdString(op);
  QCOMPARE(names.join(','), ops);
  QVERIFY(e.perChannel());
  // The model's own forward: the chain applied to the layer's output is the next layer's input.
  const at::Tensor x = testsupport::demoData("fmnist_calib.h5")->read(0, 16).inputs;
  const CaptureResult r = testsupport::captureAll(m, x);
  const at::Tensor y = r.layers.at(layer.toStdString())[0].output;
  const at::Tensor nextInput = r.layers.at(next.toStdString())[0].args.at(0).toTensor();
  {
    torch::NoGradGuard g;
    QVERIFY(testsupport::maxAbsDiff(e.run(y), nextInput) < 1e-5);
    QVERIFY(testsupport::maxAbsDiff(e.run(y * 1.5), nextInput) > 1e-2);
  }
  // Differentiable in the layer's output, and flat where the activation clips.
  torch::AutoGradMode grad(true);
  const at::Tensor v = y.clone().requires_grad_(true);
  e.run(v).sum().backward();
  QVERIFY(v.grad().abs().sum().item<double>() > 0);
  QVERIFY(v.grad().eq(0).any().item<bool>());
}

void LayerTargetTests::layersWithoutAnEpilogueSayWhy() {
  const Model& m = testsupport::demoModel("fmnist_resnet.pt");
  std::vector<std::string> reasons;
  const auto epilogues = LayerEpilogue::buildAll(m, {"layer1.0.conv2", "fc", "conv1"}, &reasons);
  QCOMPARE(epilogues.size(), size_t(2));
  QCOMPARE(epilogues.at("conv1")->ops(), (std::vector<std::string>{"batch_norm", "relu"}));
  // A block's last conv: its BatchNorm, up to the residual addition.
  QCOMPARE(epilogues.at("layer1.0.conv2")->ops(), std::vector<std::string>{"batch_norm"});
  QCOMPARE(reasons.size(), size_t(1));
  QVERIFY2(reasons[0] == "fc's output is the model's output", reasons[0].c_str());
}

// nn.ReLU(inplace=True) and the like (torchvision builds its models so) are in the chain, replayed
// out of place: the layer's output is left as it was.
void LayerTargetTests::inPlaceActivationsReplayOutOfPlace() {
  torch::manual_seed(5);
  torch::jit::Module fc("Lin");
  fc.register_parameter("weight", torch::randn({6, 6}), false);
  fc.register_parameter("bias", torch::randn({6}), false);
  fc.define("def forward(self, x):\n    return torch.linear(x, self.weight, self.bias)\n");
  torch::jit::Module top("InPlaceTop");
  top.register_module("fc", fc);
  top.register_parameter("gamma", torch::rand({6}) + 0.5, false);
  top.register_parameter("beta", torch::randn({6}), false);
  top.register_buffer("mean", torch::randn({6}));
  top.register_buffer("var", torch::rand({6}) + 0.5);
  top.define(
      "def forward(self, x):\n"
      "    y = torch.batch_norm(self.fc.forward(x), self.gamma, self.beta, self.mean, self.var, False, 0.1, 1e-5, "
      "False)\n"
      "    return torch.relu_(y) * 2.0\n");
  top.eval();
  const Model m = Model::fromModule(top, "in-place");
  std::vector<std::string> reasons;
  const auto epilogues = LayerEpilogue::buildAll(m, {"fc"}, &reasons);
  QVERIFY2(reasons.empty(), reasons.empty() ? "" : reasons.front().c_str());
  const LayerEpilogue& e = *epilogues.at("fc");
  QCOMPARE(e.ops(), (std::vector<std::string>{"batch_norm", "relu"}));  // stops at the multiplication
  torch::NoGradGuard g;
  const at::Tensor x = torch::randn({32, 6});
  const at::Tensor y = at::linear(x, m.weight("fc"), m.bias("fc"));
  const at::Tensor before = y.clone();
  const at::Tensor out = e.run(y);
  QVERIFY(at::equal(y, before));
  QVERIFY(testsupport::maxAbsDiff(out * 2.0, m.forward(x)) < 1e-5);
  QVERIFY(out.eq(0).any().item<bool>() && out.gt(0).any().item<bool>());
}

// AdaRound with the target after the activation: each layer's loss before learning is the squared
// error, after BatchNorm and ReLU6, of the layer rounded to nearest on its FP inputs, computed
// here from the next layer's captured input; a layer with no epilogue keeps its own output.
void LayerTargetTests::adaRoundMatchesAfterTheActivation() {
  const auto calib = testsupport::demoData("fmnist_calib.h5");
  QuantizationRequest r;
  r.method = QuantMethod::AdaRound;
  r.weights.bits = 3;
  r.calibrationCount = 64;
  r.input = ReconInput::FloatingPoint;
  r.adaround.iterations = 30;
  r.adaround.targetAfterActivation = true;
  Model m = testsupport::demoCopy("fmnist_mobilenet.pt");
  const Model fp = m.clone();
  QuantizedWeights qw;
  const QuantizationResult q = quantizeModel(m, *calib, r, &qw);
  // Every layer but the classifier (the model's output) has an epilogue: a block's projection its
  // BatchNorm, before the residual addition.
  std::string note;
  for (const std::string& n : q.notes)
    if (n.find("not after an activation") != std::string::npos) note = n;
  QVERIFY2(note.find("1 of 18 layers") == 0 && note.find("fc's output is the model's output") != std::string::npos,
           note.c_str());

  std::shared_ptr<const Dataset> base = calib;
  const at::Tensor x = subsetDataset(base, r.calibrationCount, r.seed)->read(0, r.calibrationCount).inputs;
  const CaptureResult c = testsupport::captureAll(fp, x);
  const auto lossBefore = [&](const std::string& name) {
    for (const LayerOutcome& o : q.layers)
      if (o.layer == name) return o.lossBefore;
    return -1.0;
  };
  const LayerInfo& info = fp.layer("features.0.depthwise");
  const at::Tensor rtn = dequantize(qw.rtnCodes.at(info.name), qw.grids.at(info.name));
  torch::NoGradGuard g;
  const at::Tensor y = applyLayer(info, c.layers.at(info.name)[0].args.at(0).toTensor(), rtn, fp.bias(info.name));
  const at::Tensor bn = at::batch_norm(y, parameter(fp, "features.0.bn2.weight"), parameter(fp, "features.0.bn2.bias"),
                                       parameter(fp, "features.0.bn2.running_mean"),
                                       parameter(fp, "features.0.bn2.running_var"), false, 0.1, 1e-5, false);
  const at::Tensor target = c.layers.at("features.0.project")[0].args.at(0).toTensor();
  const double expected = (at::clamp(bn, 0, 6) - target).pow(2).sum(1).mean().item<double>();
  QVERIFY2(std::abs(lossBefore(info.name) - expected) < 1e-4 * expected,
           (std::to_string(lossBefore(info.name)) + " vs " + std::to_string(expected)).c_str());
  // On its own output the loss is another number.
  const double raw = (y - c.layers.at(info.name)[0].output).pow(2).sum(1).mean().item<double>();
  QVERIFY(std::abs(raw - expected) > 1e-2 * expected);
}
