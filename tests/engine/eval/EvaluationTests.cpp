// Evaluation metrics against direct computations, and the shipped demo against its manifest.
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

#include <random>

#include "EngineTests.h"
#include "TestSupport.h"
#include "engine/capture/ActivationCapture.h"
#include "engine/data/DataBatch.h"
#include "engine/data/Dataset.h"
#include "engine/eval/Evaluation.h"
#include "engine/eval/LayerComparison.h"
#include "engine/eval/PairedDifference.h"
#include "engine/model/Model.h"

ROUNDLAB_ENGINE_SUITE("evaluation", EvaluationTests);

using namespace roundlab;
using testsupport::fixture;

namespace {

// A labelled set of `n` random images written through RoundLab's writer.
std::string randomLabelledSet(const QTemporaryDir& dir, int64_t n, int64_t classes, uint64_t seed) {
  ImageSet s;
  s.n = n;
  s.channels = 1;
  s.height = s.width = 28;
  std::mt19937 rng(static_cast<unsigned>(seed));
  for (int64_t i = 0; i < n * 784; ++i) s.pixels.push_back(static_cast<uint8_t>(rng() % 256));
  for (int64_t i = 0; i < n; ++i) s.labels.push_back(static_cast<int64_t>(rng() % static_cast<unsigned>(classes)));
  s.mean = {0.5f};
  s.std = {0.3f};
  const std::string path = dir.filePath("eval.h5").toStdString();
  writeImageSet(path, s);
  return path;
}

}  // namespace

void EvaluationTests::top1MatchesManualCount() {
  QTemporaryDir dir;
  const Model m = Model::load(fixture("resnet_scripted.pt"));
  const auto data = openDataset(randomLabelledSet(dir, 70, 10, 1));
  EvalOptions o;
  o.batch = 16;  // several batches, a short last one
  int progressCalls = 0;
  o.progress = [&](const Progress& p) {
    ++progressCalls;
    QVERIFY(p.fraction > 0 && p.fraction <= 1);
  };
  const EvalReport r = evaluate(m, *data, o);
  const DataBatch all = data->read(0, 70);
  const int64_t correct = m.forward(all.inputs).argmax(1).eq(all.labels).sum().item<int64_t>();
  QCOMPARE(r.samples, int64_t(70));
  QCOMPARE(r.correct, correct);
  QVERIFY(std::abs(r.top1 - 100.0 * static_cast<double>(correct) / 70.0) < 1e-9);
  QCOMPARE(progressCalls, 5);
}

void EvaluationTests::klAndAgreementAgainstReference() {
  QTemporaryDir dir;
  const Model ref = Model::load(fixture("resnet_scripted.pt"));
  const auto data = openDataset(randomLabelledSet(dir, 40, 10, 2));
  EvalOptions o;
  o.reference = &ref;
  const EvalReport self = evaluate(ref, *data, o);
  QCOMPARE(self.agreement, 100.0);
  QVERIFY(std::abs(self.kl) < 1e-9);

  Model other = ref.clone();
  other.setWeight("fc", other.weight("fc") + 0.3 * at::randn_like(other.weight("fc")));
  const EvalReport r = evaluate(other, *data, o);
  const DataBatch all = data->read(0, 40);
  const at::Tensor p = at::log_softmax(ref.forward(all.inputs).to(at::kDouble), 1);
  const at::Tensor q = at::log_softmax(other.forward(all.inputs).to(at::kDouble), 1);
  const double kl = (p.exp() * (p - q)).sum(1).mean().item<double>();
  const double agree = 100.0 * p.argmax(1).eq(q.argmax(1)).to(at::kDouble).mean().item<double>();
  QVERIFY(kl > 1e-4);
  QVERIFY2(std::abs(r.kl - kl) < 1e-5 * (1 + kl), (std::to_string(r.kl) + " vs " + std::to_string(kl)).c_str());
  QVERIFY(std::abs(r.agreement - agree) < 1e-9);
  QVERIFY(std::abs(r.referenceTop1 - self.top1) < 1e-9);
}

// Per-sample figures (batched in 7s) are the independently computed per-sample KL and
// correctness; two models' paired difference has the mean and standard error of those differences.
void EvaluationTests::pairedComparisonOfTwoModels() {
  QTemporaryDir dir;
  const Model ref = Model::load(fixture("resnet_scripted.pt"));
  const auto data = openDataset(randomLabelledSet(dir, 40, 10, 4));
  Model a = ref.clone(), b = ref.clone();
  a.setWeight("fc", a.weight("fc") + 0.3 * at::randn_like(a.weight("fc")));
  b.setWeight("fc", b.weight("fc") + 0.6 * at::randn_like(b.weight("fc")));
  EvalOptions o;
  o.reference = &ref;
  o.batch = 7;
  o.perSample = true;
  const EvalReport ra = evaluate(a, *data, o), rb = evaluate(b, *data, o);
  const DataBatch all = data->read(0, 40);
  const at::Tensor p = at::log_softmax(ref.forward(all.inputs).to(at::kDouble), 1);
  const auto perSample = [&](const Model& m, at::Tensor& correct) {
    const at::Tensor logits = m.forward(all.inputs).to(at::kDouble);
    correct = logits.argmax(1).eq(all.labels).to(at::kDouble);
    const at::Tensor q = at::log_softmax(logits, 1);
    return (p.exp() * (p - q)).sum(1);
  };
  at::Tensor correctA, correctB;
  const at::Tensor klA = perSample(a, correctA), klB = perSample(b, correctB);
  QCOMPARE(ra.sampleKl.size(), size_t{40});
  QCOMPARE(ra.sampleCorrect.size(), size_t{40});
  QCOMPARE(ra.positionsPerSample, int64_t{1});
  for (int64_t i = 0; i < 40; ++i) {
    QVERIFY(std::abs(ra.sampleKl[size_t(i)] - klA[i].item<double>()) < 1e-4 * (1 + klA[i].item<double>()));
    QCOMPARE(double(ra.sampleCorrect[size_t(i)]), correctA[i].item<double>());
    QCOMPARE(ra.sampleScored[size_t(i)], 1);
  }
  const at::Tensor dKl = klA - klB, dTop1 = 100 * (correctA - correctB);
  const PairedDifference kl = klDifference(ra, rb).value(), top1 = top1Difference(ra, rb).value();
  QCOMPARE(kl.samples, int64_t{40});
  QVERIFY(std::abs(kl.mean - (ra.kl - rb.kl)) < 1e-5 * (1 + std::abs(kl.mean)));
  QVERIFY(std::abs(kl.standardError - dKl.std().item<double>() / std::sqrt(40.0)) < 1e-4 * kl.standardError);
  QVERIFY(kl.standardError > 0);
  QVERIFY(std::abs(top1.mean - (ra.top1 - rb.top1)) < 1e-9);
  QVERIFY(std::abs(top1.standardError - dTop1.std().item<double>() / std::sqrt(40.0)) < 1e-9);
  QCOMPARE(kl.interval(), 1.96 * kl.standardError);
  // Without the option nothing is kept (no comparison); samples that do not pair are refused.
  o.perSample = false;
  const EvalReport plain = evaluate(a, *data, o);
  QVERIFY(plain.sampleKl.empty() && plain.sampleCorrect.empty());
  QVERIFY(!klDifference(ra, plain) && !top1Difference(plain, rb));
  EXPECT_ERROR(pairedDifference({1, 2}, {1}, {1, 1}), ErrorCode::InvalidArgument);
}

// Grouped positions (a language model's sequences): the mean is per position and the error that
// of the groups' sums, worked by hand. Sums 2 and 4 over 1 and 3 positions: mean 6/4 = 1.5;
// residuals 2 − 1.5 = 0.5 and 4 − 4.5 = −0.5; SE = sqrt(2/1 · 0.5) / 4 = 0.25. One sample alone
// has no error and is never significant.
void EvaluationTests::pairedDifferenceOfGroupedPositions() {
  const PairedDifference d = pairedDifference({2, 4}, {0, 0}, {1, 3});
  QCOMPARE(d.mean, 1.5);
  QCOMPARE(d.standardError, 0.25);
  QCOMPARE(d.samples, int64_t{2});
  const PairedDifference one = pairedDifference({-5}, {0}, {1});
  QCOMPARE(one.mean, -5.0);
  QVERIFY(!one.known() && !one.significantlyBelowZero());
}

void EvaluationTests::layerComparisonMatchesCapture() {
  QTemporaryDir dir;
  const Model ref = Model::load(fixture("depthwise_scripted.pt"));
  Model other = ref.clone();
  const auto data = openDataset(randomLabelledSet(dir, 12, 10, 3));
  const auto same = compareLayerOutputs(ref, ref.clone(), *data);
  for (const auto& c : same) {
    QCOMPARE(c.mse, 0.0);
    QVERIFY(std::isinf(c.sqnrDb));
    QVERIFY(std::abs(c.cosine - 1.0) < 1e-9);
  }
  other.setWeight("stem", other.weight("stem") * 1.1);
  CompareOptions o;
  o.batch = 5;
  const auto diff = compareLayerOutputs(ref, other, *data, o);
  // Independent: the stem's output is scaled by 1.1 minus the bias part.
  const at::Tensor x = data->read(0, 12).inputs.to(at::kDouble);
  const at::Tensor w = ref.weight("stem").to(at::kDouble), b = ref.bias("stem").to(at::kDouble);
  const at::Tensor y0 = at::conv2d(x, w, b, {2, 2}, {1, 1}), y1 = at::conv2d(x, w * 1.1, b, {2, 2}, {1, 1});
  const double mse = (y0 - y1).pow(2).mean().item<double>();
  const double sqnr = 10 * std::log10(y0.pow(2).sum().item<double>() / (y0 - y1).pow(2).sum().item<double>());
  QCOMPARE(diff[0].layer, std::string("stem"));
  QVERIFY2(std::abs(diff[0].mse - mse) < 1e-4 * mse,
           (std::to_string(diff[0].mse) + " vs " + std::to_string(mse)).c_str());
  QVERIFY(std::abs(diff[0].sqnrDb - sqnr) < 1e-3);
  QVERIFY(diff[0].cosine < 1.0 && diff[0].cosine > 0.99);
  QCOMPARE(diff[0].elements, y0.numel());
}

void EvaluationTests::labelsOutsideClassesRejected() {
  QTemporaryDir dir;
  const Model m = Model::load(fixture("mlp_scripted.pt"));
  const auto data = openDataset(randomLabelledSet(dir, 30, 15, 4));  // labels up to 14, model has 10 classes
  EXPECT_ERROR(evaluate(m, *data), ErrorCode::DataShapeMismatch);
}

void EvaluationTests::cancelStopsEvaluation() {
  QTemporaryDir dir;
  const Model m = Model::load(fixture("mlp_scripted.pt"));
  const auto data = openDataset(randomLabelledSet(dir, 64, 10, 5));
  EvalOptions o;
  o.batch = 8;
  int batches = 0;
  o.progress = [&](const Progress&) {
    if (++batches == 2) o.cancel.cancel();
  };
  EXPECT_ERROR(evaluate(m, *data, o), ErrorCode::Cancelled);
  QCOMPARE(batches, 2);
}

void EvaluationTests::demoModelsReproduceRecordedAccuracy() {
  QFile f(QString::fromStdString(testsupport::demoFile("demo.json")));
  QVERIFY(f.open(QIODevice::ReadOnly));
  const QJsonObject models = QJsonDocument::fromJson(f.readAll()).object()["models"].toObject();
  const auto data = openDataset(testsupport::demoFile("fmnist_val.h5"));
  QVERIFY(data->info().hasLabels);
  for (const char* file : {"fmnist_resnet.pt", "fmnist_transformer.pt", "fmnist_mobilenet.pt"}) {
    const QJsonObject rec = models[file].toObject();
    QVERIFY2(rec.contains("val_correct"), file);
    const Model m = Model::load(testsupport::demoFile(file));
    const EvalReport r = evaluate(m, *data);
    QCOMPARE(r.samples, static_cast<int64_t>(rec["val_samples"].toInteger()));
    // Same count of correct predictions; one sample of slack for BLAS rounding on other CPUs.
    QVERIFY2(std::abs(r.correct - rec["val_correct"].toInteger()) <= 1,
             (std::string(file) + ": " + std::to_string(r.correct)).c_str());
    QVERIFY(rec["test_top1"].toDouble() >= (std::string(file) == "fmnist_transformer.pt" ? 85.0 : 90.0));
  }
}
