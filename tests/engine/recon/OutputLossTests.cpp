// The output-level (PD-Quant) term: the model suffix after a unit, checked against the model's
// own forward, and the KL term against LibTorch's kl_div.
#include "EngineTests.h"
#include "TestSupport.h"
#include "engine/capture/ActivationCapture.h"
#include "engine/data/DataBatch.h"
#include "engine/data/Dataset.h"
#include "engine/model/Model.h"
#include "engine/model/ModelSuffix.h"
#include "engine/pipeline/ModelQuantizer.h"

ROUNDLAB_ENGINE_SUITE("outputloss", OutputLossTests);

using namespace roundlab;

void OutputLossTests::suffixOfFpOutputIsTheModel_data() {
  QTest::addColumn<QString>("file");
  QTest::addColumn<QString>("unit");
  QTest::addColumn<bool>("isBlock");
  QTest::newRow("resnet block") << "fmnist_resnet.pt"
                                << "layer2.0" << true;
  QTest::newRow("resnet layer in a block") << "fmnist_resnet.pt"
                                           << "layer3.0.conv1" << false;
  QTest::newRow("resnet classifier") << "fmnist_resnet.pt"
                                     << "fc" << false;
  QTest::newRow("transformer block") << "fmnist_transformer.pt"
                                     << "layers.0" << true;
  QTest::newRow("transformer attention projection") << "fmnist_transformer.pt"
                                                    << "layers.1.self_attn.in_proj" << false;
}

void OutputLossTests::suffixOfFpOutputIsTheModel() {
  QFETCH(QString, file);
  QFETCH(QString, unit);
  QFETCH(bool, isBlock);
  const Model& m = testsupport::demoModel(file.toStdString());
  const std::string name = unit.toStdString();
  const at::Tensor x = testsupport::demoData("fmnist_calib.h5")->read(0, 16).inputs;
  const CaptureResult r = testsupport::captureAll(m, x);
  const at::Tensor out = isBlock ? r.blocks.at(name)[0].output : r.layers.at(name)[0].output;
  std::string reason;
  const auto suffix = ModelSuffix::build(m, name, isBlock, &reason);
  QVERIFY2(suffix, reason.c_str());
  torch::NoGradGuard g;
  QVERIFY(testsupport::maxAbsDiff(suffix->run(x, out), m.forward(x)) < 1e-4);
  // It really starts from the given output.
  QVERIFY(testsupport::maxAbsDiff(suffix->run(x, out * 0.5), m.forward(x)) > 1e-2);
}

void OutputLossTests::klTermMatchesKlDiv() {
  const Model& m = testsupport::demoModel("fmnist_resnet.pt");
  const at::Tensor x = testsupport::demoData("fmnist_calib.h5")->read(0, 24).inputs;
  const CaptureResult r = testsupport::captureAll(m, x);
  const auto suffix = ModelSuffix::build(m, "layer2.0", true, nullptr);
  QVERIFY(suffix);
  OutputLoss loss{suffix.get(), x, r.modelOutput, 3.0, 4.0};
  const at::Tensor idx = at::arange(3, 19, at::kLong);
  const at::Tensor fpOut = r.blocks.at("layer2.0")[0].output.index_select(0, idx);
  QVERIFY(loss.term(idx, fpOut).item<double>() < 1e-6);  // the FP output: no difference
  // A perturbed output: compare with at::kl_div (batch mean), and check the gradient reaches it.
  const at::Tensor perturbed = (fpOut + 0.3 * torch::randn(fpOut.sizes())).requires_grad_(true);
  const at::Tensor t = loss.term(idx, perturbed);
  const at::Tensor zq = suffix->run(x.index_select(0, idx), perturbed.detach());
  const at::Tensor expected =
      3.0 *
      at::kl_div(at::log_softmax(zq / 4.0, -1), at::softmax(r.modelOutput.index_select(0, idx) / 4.0, -1),
                 at::Reduction::Sum) /
      16.0;
  QVERIFY(t.item<double>() > 1e-4);
  QVERIFY(std::abs(t.item<double>() - expected.item<double>()) < 1e-5 * expected.item<double>() + 1e-8);
  t.backward();
  QVERIFY(perturbed.grad().abs().sum().item<double>() > 0);
}

void OutputLossTests::brecqWithOutputTerm() {
  const auto calib = testsupport::demoData("fmnist_calib.h5");
  Model m = testsupport::demoCopy("fmnist_resnet.pt");
  QuantizationRequest r;
  r.method = QuantMethod::Brecq;
  r.weights.bits = 3;
  r.adaround.iterations = 6;
  r.calibrationCount = 64;
  r.outputKlWeight = 1;
  const QuantizationResult q = quantizeModel(m, *calib, r);
  QVERIFY2(q.notes.empty(), q.notes.empty() ? "" : q.notes.front().c_str());  // every unit had the term
  QCOMPARE(q.layers.size(), m.summary().layers.size());
  QuantizationRequest bad = r;
  bad.klTemperature = 0;
  EXPECT_ERROR(validate(bad), ErrorCode::InvalidArgument);
}
