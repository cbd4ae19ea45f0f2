// Activation capture, checked by replaying every captured layer and block on its captured input
// through the module's own forward (or, for attention projections, a direct linear) and by the
// model output being unchanged by capture.
#include "EngineTests.h"
#include "TestSupport.h"
#include "engine/capture/ActivationCapture.h"
#include "engine/model/Model.h"

ROUNDLAB_ENGINE_SUITE("capture", CaptureTests);

using namespace roundlab;
using testsupport::fixture;
using testsupport::maxAbsDiff;
using testsupport::submodule;

namespace {

at::Tensor param(const torch::jit::Module& root, const std::string& path) {
  for (const auto& p : root.named_parameters(true))
    if (p.name == path) return p.value;
  return {};
}

// Tolerance relative to the magnitude of the reference.
bool close(const at::Tensor& a, const at::Tensor& b, double rel) {
  return maxAbsDiff(a, b) <= rel * (1.0 + b.abs().max().item<double>());
}

}  // namespace

void CaptureTests::replayReproducesCaptures_data() {
  QTest::addColumn<QString>("file");
  for (const char* f : {"resnet_scripted.pt", "resnet_traced.pt", "depthwise_scripted.pt", "depthwise_traced.pt",
                        "mlp_scripted.pt", "attention_scripted.pt", "attention_traced.pt"})
    QTest::newRow(f) << f;
}

void CaptureTests::replayReproducesCaptures() {
  QFETCH(QString, file);
  const Model m = Model::load(fixture(file.toUtf8().constData()));
  const bool attention = file.startsWith("attention");
  const at::Tensor x = testsupport::images(3, 11);
  ActivationCapture capture(m);
  const CaptureResult r = capture.run(x);
  QVERIFY(capture.skippedBlocks().empty());

  // The capture pass computes the same model output.
  const at::Tensor y = m.forward(x);
  if (attention)
    QVERIFY(close(r.modelOutput, y, 1e-5));
  else
    QCOMPARE(maxAbsDiff(r.modelOutput, y), 0.0);

  torch::NoGradGuard noGrad;
  int executedLayers = 0;
  for (const LayerInfo& l : m.summary().layers) {
    auto it = r.layers.find(l.name);
    if (it == r.layers.end()) {
      QVERIFY2(l.name == "pos" || l.name == "neg", ("layer not captured: " + l.name).c_str());
      continue;
    }
    ++executedLayers;
    for (const CapturedCall& call : it->second) {
      const at::Tensor in = call.args.at(0).toTensor();
      at::Tensor replay;
      // Attention projections have no forward of their own (scripting compiles none for out_proj).
      if (l.kind == LayerKind::AttentionInProj || l.kind == LayerKind::AttentionOutProj) {
        replay = at::linear(in, param(m.module(), l.weightPath), param(m.module(), l.biasPath));
      } else {
        replay = submodule(m.module(), l.name).forward({in}).toTensor();
      }
      QVERIFY2(close(replay, call.output, 1e-6), ("layer replay differs: " + l.name).c_str());
      QVERIFY2(close(applyLayer(l, in, m.weight(l.name), m.bias(l.name)), call.output, 1e-6),
               ("applyLayer differs: " + l.name).c_str());
    }
  }
  QVERIFY(executedLayers >= static_cast<int>(m.summary().layers.size()) - 1);

  QCOMPARE(r.blocks.size(), m.summary().blocks.size());
  for (const BlockInfo& b : m.summary().blocks) {
    const auto& calls = r.blocks.at(b.name);
    QVERIFY(!calls.empty());
    for (const CapturedCall& call : calls) {
      c10::AutoGradMode grad(capture.usesAutogradPath());
      std::vector<c10::IValue> args = call.args;
      const at::Tensor replay = submodule(m.module(), b.name).forward(args).toTensor();
      QVERIFY2(close(replay, call.output, attention ? 1e-5 : 1e-6), ("block replay differs: " + b.name).c_str());
    }
  }
}

void CaptureTests::branchAndRepeatedCalls() {
  Model m = Model::load(fixture("mlp_scripted.pt"));
  ActivationCapture capture(m);
  const at::Tensor x = testsupport::images(5, 3);
  at::Tensor sharedBias = submodule(m.module(), "shared").attr("bias").toTensor();
  for (float bias : {2.0f, -50.0f}) {  // large positive: "pos" branch; large negative: "neg"
    {
      torch::NoGradGuard g;
      sharedBias.fill_(bias);
    }
    const CaptureResult r = capture.run(x);
    const auto& shared = r.layers.at("shared");
    QCOMPARE(shared.size(), size_t(2));  // called twice: two records, two call sites
    QCOMPARE(shared[0].site, 0);
    QCOMPARE(shared[1].site, 1);
    // The second call consumes relu(first call's output).
    QCOMPARE(maxAbsDiff(shared[1].args[0].toTensor(), at::relu(shared[0].output)), 0.0);
    // The branch taken, judged independently from the captured activations.
    const bool positive = at::relu(shared[1].output).mean().item<float>() > 0.1f;
    QCOMPARE(positive, bias > 0);
    QCOMPARE(r.layers.count("pos"), size_t(positive ? 1 : 0));
    QCOMPARE(r.layers.count("neg"), size_t(positive ? 0 : 1));
    QCOMPARE(maxAbsDiff(r.modelOutput, m.forward(x)), 0.0);
  }
}

void CaptureTests::captureAcrossBatchesIsConsistent() {
  const Model m = Model::load(fixture("resnet_traced.pt"));
  ActivationCapture capture(m);
  const at::Tensor x = testsupport::images(4, 5);
  const CaptureResult all = capture.run(x);
  const CaptureResult a = capture.run(x.slice(0, 0, 2));
  const CaptureResult b = capture.run(x.slice(0, 2, 4));
  for (const LayerInfo& l : m.summary().layers) {
    QCOMPARE(all.layers.at(l.name).size(), size_t(1));  // lists start empty on every run
    const at::Tensor joined = at::cat({a.layers.at(l.name)[0].output, b.layers.at(l.name)[0].output});
    QVERIFY2(close(joined, all.layers.at(l.name)[0].output, 1e-5), l.name.c_str());
  }
}

void CaptureTests::attentionFastPathIsAvoided() {
  const Model m = Model::load(fixture("attention_scripted.pt"));
  ActivationCapture capture(m);
  QVERIFY(capture.usesAutogradPath());
  torch::NoGradGuard noGrad;  // as an evaluation caller would have it
  const CaptureResult r = capture.run(testsupport::images(2, 9));
  for (const char* name :
       {"encoder.self_attn.in_proj", "encoder.self_attn.out_proj", "attn.in_proj", "attn.out_proj"}) {
    QVERIFY2(r.layers.count(name) == 1, name);
    QVERIFY(!r.layers.at(name)[0].output.requires_grad());
  }
  // Traced with autograd on, the graph has no fused kernel: no autograd needed.
  QVERIFY(!ActivationCapture(Model::load(fixture("attention_traced.pt"))).usesAutogradPath());
}

void CaptureTests::captureRejectsBadInput() {
  const Model m = Model::load(fixture("resnet_scripted.pt"));
  ActivationCapture capture(m);
  EXPECT_ERROR(capture.run(torch::randn({1, 2, 28, 28})), ErrorCode::InputShapeMismatch);
}
