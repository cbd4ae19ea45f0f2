// Activation quantization: fixed quantizers inserted into the forward graph (checked against the
// quantizer formula on captured inputs), export, LSQ steps learned in layer and block
// reconstruction, QDrop, and whole runs (determinism, sessions).
#include <torch/csrc/jit/api/function_impl.h>

#include "EngineTests.h"
#include "TestSupport.h"
#include "engine/activation/ActivationQuantizer.h"
#include "engine/capture/ActivationCapture.h"
#include "engine/data/DataBatch.h"
#include "engine/data/Dataset.h"
#include "engine/export/TorchScriptExport.h"
#include "engine/model/ActivationFakeQuant.h"
#include "engine/model/Model.h"
#include "engine/pipeline/ModelQuantizer.h"
#include "engine/quant/QuantizedWeights.h"
#include "engine/recon/AdaRoundReconstructor.h"
#include "engine/recon/BlockReconstructor.h"
#include "engine/recon/CalibrationActivations.h"
#include "engine/session/SessionFile.h"

#include <QTemporaryDir>

ROUNDLAB_ENGINE_SUITE("activations", ActivationQuantizationTests);

using namespace roundlab;

namespace {

std::shared_ptr<const Dataset> calibration() { return testsupport::demoData("fmnist_calib.h5"); }

// Every layer's input as the FP model sees it on `x`.
std::map<std::string, at::Tensor> layerInputs(const Model& m, const at::Tensor& x) {
  CaptureOptions o;
  o.blocks = false;
  o.outputs = false;
  ActivationCapture cap(m, o);
  torch::NoGradGuard g;
  std::map<std::string, at::Tensor> out;
  for (const auto& [name, calls] : cap.run(x).layers) out[name] = calls[0].args[0].toTensor();
  return out;
}

// Input quantizers for every layer, fitted (L_p search) on the FP inputs.
std::map<std::string, ActivationQuantParams> fittedParams(const Model& m, const at::Tensor& x, int bits) {
  std::map<std::string, ActivationQuantParams> p;
  for (const auto& [name, input] : layerInputs(m, x)) p[name] = ActivationQuantizer(input, bits).params();
  return p;
}

// The quantizer's formula, written out: s * clamp(round(x / s), qmin, qmax).
at::Tensor formula(const at::Tensor& x, const ActivationQuantParams& p) {
  return (x.to(at::kDouble) / p.scale).round().clamp(static_cast<double>(p.qmin), static_cast<double>(p.qmax)) *
         p.scale;
}

// Largest distance of t / scale from an integer of [qmin, qmax].
double offGrid(const at::Tensor& t, const ActivationQuantParams& p) {
  const at::Tensor q = t.to(at::kDouble) / p.scale;
  const double outside = std::max(static_cast<double>(p.qmin) - q.min().item<double>(),
                                  q.max().item<double>() - static_cast<double>(p.qmax));
  return std::max(outside, (q - q.round()).abs().max().item<double>());
}

QuantizationRequest qdropRequest(int iterations) {
  QuantizationRequest r;
  r.method = QuantMethod::Qdrop;
  r.weights.bits = 4;
  r.activations.bits = 4;
  r.adaround.iterations = iterations;
  r.calibrationCount = 128;
  r.seed = 5;
  return r;
}

}  // namespace

void ActivationQuantizationTests::insertedQuantizerMatchesFormula() {
  const Model& fp = testsupport::demoModel("fmnist_resnet.pt");
  Model q = fp.clone();
  const at::Tensor x = calibration()->read(0, 64).inputs;
  const std::string name = "layer2.0.conv1";
  const at::Tensor fpInput = layerInputs(fp, x).at(name);
  const ActivationQuantParams p = ActivationQuantizer(fpInput, 3).params();
  q.setActivationQuantization({{name, p}});

  CaptureOptions o;
  o.blocks = false;
  ActivationCapture cap(q, o);
  torch::NoGradGuard g;
  const CaptureResult r = cap.run(x);
  const at::Tensor seen = r.layers.at(name)[0].args[0].toTensor();
  const at::Tensor expected = formula(fpInput, p);
  // x * (1/s) in float (the kernel) and x / s in double may round a tie differently: allow one
  // step on a handful of elements, nothing else.
  const at::Tensor diff = (seen.to(at::kDouble) - expected).abs();
  QVERIFY(diff.max().item<double>() <= p.scale * 1.0001);
  QVERIFY(diff.gt(1e-6).to(at::kDouble).mean().item<double>() < 1e-4);
  QVERIFY(testsupport::maxAbsDiff(seen, fpInput) > 0.1 * p.scale);  // it did quantize
  // The layer computes on the quantized input; the layers before it are untouched.
  const LayerInfo& info = q.layer(name);
  QVERIFY(testsupport::maxAbsDiff(r.layers.at(name)[0].output, applyLayer(info, seen, q.weight(name), q.bias(name))) <
          1e-4);
  QCOMPARE(testsupport::maxAbsDiff(r.layers.at("layer1.0.conv2")[0].args[0].toTensor(),
                                   layerInputs(fp, x).at("layer1.0.conv2")),
           0.0);
  QVERIFY(testsupport::maxAbsDiff(q.forward(x), fp.forward(x)) > 0);
  // Turning it off restores the FP model exactly.
  q.setActivationQuantization({});
  QCOMPARE(testsupport::maxAbsDiff(q.forward(x), fp.forward(x)), 0.0);
}

void ActivationQuantizationTests::everyLayerInputOnItsGrid_data() {
  QTest::addColumn<QString>("file");
  QTest::newRow("resnet") << "fmnist_resnet.pt";
  QTest::newRow("transformer") << "fmnist_transformer.pt";
}

void ActivationQuantizationTests::everyLayerInputOnItsGrid() {
  QFETCH(QString, file);
  Model m = testsupport::demoCopy(file.toStdString());
  const at::Tensor x = calibration()->read(0, 32).inputs;
  const auto params = fittedParams(m, x, 4);
  QCOMPARE(params.size(), m.summary().layers.size());
  m.setActivationQuantization(params);
  CaptureOptions o;
  o.blocks = false;
  ActivationCapture cap(m, o);
  torch::NoGradGuard g;
  const CaptureResult r = cap.run(x);
  for (const auto& [name, p] : params) {
    QVERIFY2(r.layers.count(name), name.c_str());
    QVERIFY2(offGrid(r.layers.at(name)[0].args[0].toTensor(), p) < 1e-3, name.c_str());
  }
  // Model::forward (eval, no autograd: where attention would take its fused kernel and skip the
  // projections' quantizers) computes what the capture pass computes.
  QVERIFY(testsupport::maxAbsDiff(m.forward(x), r.modelOutput) < 1e-5);
}

void ActivationQuantizationTests::exportCarriesActivationQuantization_data() { everyLayerInputOnItsGrid_data(); }

void ActivationQuantizationTests::exportCarriesActivationQuantization() {
  QFETCH(QString, file);
  const Model& fp = testsupport::demoModel(file.toStdString());
  Model q = fp.clone();
  const auto calib = calibration();
  const at::Tensor x = calib->read(100, 48).inputs;
  q.setActivationQuantization(fittedParams(fp, calib->read(0, 32).inputs, 4));
  QTemporaryDir dir;
  const std::string path = dir.filePath("q.pt").toStdString();
  const ExportReport report = exportTorchScript(q, path, *calib, 16);
  QVERIFY(report.validated);
  const Model reloaded = Model::load(path);
  QVERIFY(reloaded.activationQuantization().empty());  // the quantizers are ops in its graph
  QCOMPARE(testsupport::maxAbsDiff(reloaded.forward(x), q.forward(x)), 0.0);
  QVERIFY(testsupport::maxAbsDiff(reloaded.forward(x), fp.forward(x)) > 0);
  QCOMPARE(reloaded.summary().layers.size(), fp.summary().layers.size());
  // Exporting rewrote a copy: the model's own module still computes the FP function.
  torch::NoGradGuard g;
  QCOMPARE(testsupport::maxAbsDiff(q.module().forward({x}).toTensor(), fp.forward(x)), 0.0);
  // A clone carries the quantizers.
  QCOMPARE(testsupport::maxAbsDiff(q.clone().forward(x), q.forward(x)), 0.0);
}

void ActivationQuantizationTests::learnedStepsInLayerReconstruction() {
  const Model& m = testsupport::demoModel("fmnist_resnet.pt");
  const std::string name = "layer2.0.conv2";
  const at::Tensor x = calibration()->read(0, 128).inputs;
  CaptureOptions o;
  o.blocks = false;
  ActivationCapture cap(m, o);
  CaptureResult r;
  {
    torch::NoGradGuard g;
    r = cap.run(x);
  }
  const at::Tensor inputs = r.layers.at(name)[0].args[0].toTensor();
  const at::Tensor targets = r.layers.at(name)[0].output;
  WeightQuantConfig wc;
  wc.bits = 4;
  const WeightGrid grid = fitUniformGrid(m.weight(name), wc);
  AdaRoundConfig ac;
  ac.iterations = 150;
  ac.seed = 2;
  for (double p : {1.0, 0.5}) {
    ActivationSteps steps;
    steps.dropProbability = p;
    steps.learningRate = 4e-4;
    steps.quantizers.try_emplace(name, inputs, 3);
    const double initialStep = steps.quantizers.at(name).stepValue();
    AdaRoundReconstructor recon(m.layer(name), m.weight(name), m.bias(name), grid, ac);
    recon.setActivations(&steps);
    const RoundingResult result = recon.run(inputs, targets);
    // Before: RTN weights with the initial step; after: learned rounding and step. Both losses
    // are on the fully quantized input (no dropping at evaluation).
    QVERIFY2(result.lossAfter < result.lossBefore, QByteArray::number(p));
    QVERIFY(steps.quantizers.at(name).stepValue() != initialStep);
    // The reported loss is the loss of the final codes on fixed-quantized inputs.
    torch::NoGradGuard g;
    const at::Tensor xq = formula(inputs, steps.quantizers.at(name).params()).to(at::kFloat);
    const double direct =
        reconstructionLoss(applyLayer(m.layer(name), xq, result.weight, m.bias(name)), targets).item<double>();
    QVERIFY(std::abs(direct - result.lossAfter) < 1e-3 * result.lossAfter + 1e-6);
  }
}

void ActivationQuantizationTests::learnedStepsInBlockReconstruction() {
  Model m = testsupport::demoCopy("fmnist_resnet.pt");
  const BlockInfo* block = nullptr;
  for (const BlockInfo& b : m.summary().blocks)
    if (b.name == "layer2.0") block = &b;
  QVERIFY(block);
  const auto calib = subsetDataset(calibration(), 96, 1);
  const CalibrationActivations acts = captureActivations(m, *calib, 32, block->layers, {block->name}, true, {});
  std::map<std::string, WeightGrid> grids;
  WeightQuantConfig wc;
  wc.bits = 3;
  for (const std::string& l : block->layers) grids[l] = fitUniformGrid(m.weight(l), wc);
  AdaRoundConfig ac;
  ac.iterations = 80;
  ActivationSteps steps;
  steps.dropProbability = 0.5;
  steps.learningRate = 4e-4;
  std::map<std::string, double> initial;
  for (const std::string& l : block->layers) {
    steps.quantizers.try_emplace(l, acts.layers.at(l).inputs, 4);
    initial[l] = steps.quantizers.at(l).stepValue();
  }
  const at::Tensor before = m.weight(block->layers[0]).clone();
  BlockReconstructor recon(m, *block, grids, ac);
  recon.setActivations(&steps);
  const BlockRoundingResult r = recon.run(acts.blocks.at(block->name));
  QVERIFY(r.lossAfter < r.lossBefore);
  for (const std::string& l : block->layers)
    QVERIFY2(steps.quantizers.at(l).stepValue() != initial[l], l.c_str());     // every quantizer was in the graph
  QCOMPARE(testsupport::maxAbsDiff(m.weight(block->layers[0]), before), 0.0);  // model left as it was
  // Outside a scope the learned-quantizer op is the identity.
  std::shared_ptr<torch::jit::Graph> g = std::make_shared<torch::jit::Graph>();
  torch::jit::Value* in = g->addInput()->setType(c10::TensorType::get());
  torch::jit::Value* out =
      g->insert(c10::Symbol::fromQualString("roundlab::learned_act_quant"), {in, std::string("a")});
  g->registerOutput(out);
  torch::jit::GraphFunction f("identity_check", g, nullptr);
  const at::Tensor t = torch::randn({5});
  torch::jit::Stack stack{t};
  f.run(stack);
  QCOMPARE(testsupport::maxAbsDiff(stack.back().toTensor(), t), 0.0);
}

void ActivationQuantizationTests::qdropRunQuantizesEveryInput() {
  const auto calib = calibration();
  Model m = testsupport::demoCopy("fmnist_resnet.pt");
  QuantizedWeights w;
  const QuantizationResult r = quantizeModel(m, *calib, qdropRequest(10), &w);
  const auto& layers = m.summary().layers;
  QCOMPARE(m.activationQuantization().size(), layers.size());
  for (const LayerOutcome& o : r.layers) {
    const bool edge = o.layer == layers.front().name || o.layer == layers.back().name;
    QCOMPARE(o.activation.bits, edge ? 8 : 4);
    QCOMPARE(m.activationQuantization().at(o.layer).scale, o.activation.scale);
  }
  // Same request, same seed: same codes and the same steps, bit for bit.
  Model again = testsupport::demoCopy("fmnist_resnet.pt");
  QuantizedWeights w2;
  const QuantizationResult r2 = quantizeModel(again, *calib, qdropRequest(10), &w2);
  for (const auto& [name, codes] : w.codes) QVERIFY2(at::equal(codes, w2.codes.at(name)), name.c_str());
  for (size_t i = 0; i < r.layers.size(); ++i) QCOMPARE(r2.layers[i].activation.scale, r.layers[i].activation.scale);

  // A session restores the quantizers: a fresh model with the session applied computes the same.
  QTemporaryDir dir;
  Session s;
  s.result = r;
  s.weights = w;
  const std::string path = dir.filePath("s.rlab").toStdString();
  saveSession(path, s);
  const Session loaded = loadSession(path);
  QCOMPARE(loaded.result.request.activations.bits, 4);
  Model fresh = testsupport::demoCopy("fmnist_resnet.pt");
  applySession(fresh, loaded);
  const at::Tensor x = calib->read(500, 32).inputs;
  QCOMPARE(testsupport::maxAbsDiff(fresh.forward(x), m.forward(x)), 0.0);
}

void ActivationQuantizationTests::invalidActivationSettingsRejected() {
  QuantizationRequest r = qdropRequest(1);
  r.activations.bits = 0;
  EXPECT_ERROR(validate(r), ErrorCode::InvalidArgument);  // qdrop without activation bits
  r = qdropRequest(1);
  r.activations.bits = 1;
  EXPECT_ERROR(validate(r), ErrorCode::InvalidArgument);
  r = qdropRequest(1);
  r.activations.dropProbability = 0;
  EXPECT_ERROR(validate(r), ErrorCode::InvalidArgument);
  Model m = testsupport::demoCopy("fmnist_resnet.pt");
  ActivationQuantParams bad;
  bad.bits = 4;
  bad.scale = -1;
  bad.qmax = 15;
  EXPECT_ERROR(m.setActivationQuantization({{"fc", bad}}), ErrorCode::InvalidArgument);
  EXPECT_ERROR(m.setActivationQuantization({{"nope", bad}}), ErrorCode::UnknownLayer);
  QVERIFY(m.activationQuantization().empty());
}
