// Calibration activations through a run. Quantized-input propagation: the inputs of each unit,
// computed segment by segment through the partially quantized model, against a full capture pass
// of that model; whole runs against runs that capture once per unit. The activation cache: spilled
// to a temporary HDF5 file beyond its memory budget, read back exactly, removed afterwards (and a
// killed run's left-over file removed at the next spill).
#include <sys/wait.h>
#include <unistd.h>

#include <QFile>
#include <QFileInfo>

#include "EngineTests.h"
#include "TestSupport.h"
#include "engine/activation/ActivationQuantizer.h"
#include "engine/data/Dataset.h"
#include "engine/model/ActivationFakeQuant.h"
#include "engine/model/Model.h"
#include "engine/pipeline/ModelQuantizer.h"
#include "engine/quant/QuantizedWeights.h"
#include "engine/quant/WeightGrid.h"
#include "engine/recon/ActivationCache.h"
#include "engine/recon/CalibrationActivations.h"
#include "engine/recon/QuantizedInputPropagation.h"

#include <QFileInfo>
#include <QTemporaryDir>

ROUNDLAB_ENGINE_SUITE("propagation", PropagationTests);

using namespace roundlab;

namespace {

std::shared_ptr<const Dataset> calibration(int64_t n) {
  return subsetDataset(testsupport::demoData("fmnist_calib.h5"), n, 5);
}

std::vector<PropagationUnit> unitsOf(const Model& m, bool blocks) {
  std::vector<PropagationUnit> units;
  std::set<std::string> seen;
  for (const LayerInfo& l : m.summary().layers) {
    if (!blocks || l.block.empty())
      units.push_back({l.name, false, {l.name}});
    else if (seen.insert(l.block).second)
      units.push_back({l.block, true, {}});
  }
  for (PropagationUnit& u : units)
    if (u.isBlock)
      for (const LayerInfo& l : m.summary().layers)
        if (l.block == u.name) u.layers.push_back(l.name);
  return units;
}

}  // namespace

void PropagationTests::inputsMatchCaptureOfPartlyQuantizedModel_data() {
  QTest::addColumn<QString>("model");
  QTest::addColumn<bool>("blocks");
  QTest::addColumn<bool>("layerInputs");  // a block unit's layers' inputs asked for
  QTest::newRow("resnet layers") << "fmnist_resnet.pt" << false << true;
  QTest::newRow("resnet blocks") << "fmnist_resnet.pt" << true << true;
  QTest::newRow("resnet blocks, block inputs only") << "fmnist_resnet.pt" << true << false;
  QTest::newRow("transformer blocks") << "fmnist_transformer.pt" << true << true;
}

void PropagationTests::inputsMatchCaptureOfPartlyQuantizedModel() {
  QFETCH(QString, model);
  QFETCH(bool, blocks);
  QFETCH(bool, layerInputs);
  Model m = testsupport::demoCopy(model.toStdString());
  const auto calib = calibration(96);
  std::vector<PropagationUnit> units = unitsOf(m, blocks);
  for (PropagationUnit& u : units) u.layerInputs = layerInputs;
  std::string reason;
  auto propagation = QuantizedInputPropagation::build(m, units, &reason);
  QVERIFY2(propagation, reason.c_str());
  propagation->start(m, *calib, 32, {});
  std::map<std::string, ActivationQuantParams> activations;
  for (size_t u = 0; u < units.size(); ++u) {
    const CalibrationActivations got = propagation->advance(u, m, {});
    const std::vector<std::string>& layers = units[u].layers;
    const bool isBlock = units[u].isBlock;
    const CalibrationActivations want =
        captureActivations(m, *calib, 32, layers,
                           isBlock ? std::vector<std::string>{units[u].name} : std::vector<std::string>{}, false, {});
    if (isBlock && !layerInputs)
      QVERIFY(got.layers.empty());  // no look-ahead through the block
    else
      for (const std::string& l : layers)
        QVERIFY2(testsupport::maxAbsDiff(got.layers.at(l).inputs, want.layers.at(l).inputs) < 1e-5, l.c_str());
    if (isBlock) {
      const BlockData& g = got.blocks.at(units[u].name);
      const BlockData& w = want.blocks.at(units[u].name);
      QCOMPARE(g.args.size(), w.args.size());
      for (size_t i = 0; i < w.args.size(); ++i) {
        QCOMPARE(g.args[i].isTensor(), w.args[i].isTensor());
        if (w.args[i].isTensor())
          QVERIFY2(testsupport::maxAbsDiff(g.args[i].toTensor(), w.args[i].toTensor()) < 1e-5, units[u].name.c_str());
      }
    }
    // Quantize the unit (3-bit weights, 4-bit inputs): later units must see it.
    for (const std::string& l : layers) {
      WeightQuantConfig wc;
      wc.bits = 3;
      m.setWeight(l, fakeQuantize(m.weight(l), fitUniformGrid(m.weight(l), wc)));
      const CalibrationActivations in = captureActivations(m, *calib, 96, {l}, {}, false, {});
      activations[l] = ActivationQuantizer(in.layers.at(l).inputs, 4).params();
    }
    m.setActivationQuantization(activations);
  }
  EXPECT_ERROR(propagation->advance(0, m, {}), ErrorCode::InvalidArgument);  // in order, once
}

void PropagationTests::runsGiveTheSameCodesAsPerUnitCapture_data() {
  QTest::addColumn<QString>("model");
  QTest::addColumn<QString>("method");
  QTest::addColumn<bool>("propagates");
  QTest::newRow("resnet adaround") << "fmnist_resnet.pt"
                                   << "adaround" << true;
  QTest::newRow("resnet qdrop") << "fmnist_resnet.pt"
                                << "qdrop" << true;
  QTest::newRow("transformer gptq") << "fmnist_transformer.pt"
                                    << "gptq" << false;
}

void PropagationTests::runsGiveTheSameCodesAsPerUnitCapture() {
  QFETCH(QString, model);
  QFETCH(QString, method);
  QFETCH(bool, propagates);
  const auto calib = calibration(64);
  QuantizationRequest req;
  req.method = parseQuantMethod(method.toStdString());
  req.weights.bits = 3;
  req.activations.bits = 4;
  req.calibrationCount = 64;
  req.captureBatch = 32;
  req.adaround.iterations = 15;
  std::map<std::string, at::Tensor> codes[2];
  QuantizationResult results[2];
  for (int mode = 0; mode < 2; ++mode) {
    Model m = testsupport::demoCopy(model.toStdString());
    req.propagateInputs = mode == 0;
    QuantizedWeights qw;
    results[mode] = quantizeModel(m, *calib, req, &qw);
    codes[mode] = qw.codes;
  }
  const auto hasPhase = [](const QuantizationResult& r, const char* name) {
    for (const auto& [phase, s] : r.phases)
      if (phase == name) return true;
    return false;
  };
  QCOMPARE(hasPhase(results[0], "propagate"), propagates);
  QCOMPARE(hasPhase(results[0], "recapture"), !propagates);
  QVERIFY(hasPhase(results[1], "recapture"));
  // A model whose graph cannot be cut says so (the transformer's attention projections sit in
  // branches) and captures per unit instead.
  QCOMPARE(results[0].notes.empty(), propagates);
  QCOMPARE(codes[0].size(), codes[1].size());
  for (const auto& [layer, c] : codes[1]) QVERIFY2(at::equal(codes[0].at(layer), c), layer.c_str());
  for (size_t i = 0; i < results[1].layers.size(); ++i)
    QCOMPARE(results[0].layers[i].activation.scale, results[1].layers[i].activation.scale);
}

void PropagationTests::activationCacheSpillsToDisk() {
  QTemporaryDir dir;
  const at::Tensor a = at::randn({10, 3, 4}), b = at::randn({6, 3, 4}), c = at::randn({5, 7}, at::kDouble);
  // What a killed run left (its PID is free again) goes at the next spill; a running one's stays.
  const pid_t ended = ::fork();
  if (ended == 0) ::_exit(0);
  ::waitpid(ended, nullptr, 0);
  const QString leftOver = dir.filePath(QString("roundlab-activations-%1-0.h5").arg(ended));
  const QString running = dir.filePath(QString("roundlab-activations-%1-0.h5").arg(::getppid()));
  for (const QString& p : {leftOver, running}) QFile(p).open(QIODevice::WriteOnly);
  std::string path;
  {
    ActivationCache cache(600, dir.path().toStdString());  // a (480 bytes) fits, a + b does not
    cache.append("a", a.slice(0, 0, 4));
    cache.append("a", a.slice(0, 4));
    QVERIFY(!cache.onDisk());
    QVERIFY(at::equal(cache.read("a"), a));
    cache.append("b", b);
    QVERIFY(cache.onDisk());
    QVERIFY(!QFileInfo::exists(leftOver));
    QVERIFY(QFileInfo::exists(running));
    path = cache.path();
    QVERIFY(QFileInfo::exists(QString::fromStdString(path)));
    cache.append("c", c);
    QVERIFY(cache.has("a") && cache.has("b") && cache.has("c") && !cache.has("d"));
    QVERIFY(at::equal(cache.read("a"), a));  // what was in memory moved to the file intact
    QVERIFY(at::equal(cache.read("b"), b));
    QCOMPARE(cache.read("c").scalar_type(), at::kDouble);
    QVERIFY(at::equal(cache.read("c"), c));
    QCOMPARE(cache.bytes(), int64_t((a.numel() + b.numel()) * 4 + c.numel() * 8));
    EXPECT_ERROR(cache.read("d"), ErrorCode::InvalidArgument);
  }
  QVERIFY(!QFileInfo::exists(QString::fromStdString(path)));  // removed with the cache
  ActivationCache nowhere(0, dir.filePath("no/such/dir").toStdString());
  EXPECT_ERROR(nowhere.append("a", a), ErrorCode::WriteFailed);
}

void PropagationTests::activationCacheReservesRoomForExpectedBatches() {
  // Three batches expected: "x" gets them (the last one short), "y" one more than expected, "z" a
  // batch of another width; every read is the rows appended, in order, whatever the storage.
  const at::Tensor x = at::randn({10, 3}), y = at::randn({16, 3}), z1 = at::randn({4, 3}), z2 = at::randn({4, 5});
  ActivationCache cache(-1);
  cache.expectAppends(3);
  at::Tensor firstBatch = x.slice(0, 0, 4).clone();
  cache.append("x", firstBatch);
  firstBatch.fill_(0);  // the cache holds its own copy of a batch it reserved room with
  cache.append("x", x.slice(0, 4, 8));
  cache.append("x", x.slice(0, 8));
  for (int64_t b = 0; b < 16; b += 4) cache.append("y", y.slice(0, b, b + 4));
  cache.append("z", z1);
  cache.append("z", z2);
  QVERIFY(at::equal(cache.read("x"), x));
  QCOMPARE(cache.read("x").sizes().vec(), x.sizes().vec());
  QVERIFY(at::equal(cache.read("y"), y));
  QVERIFY(at::equal(cache.read("y"), y));  // joined at the first read, the same at the second
  const at::Tensor before = cache.read("x");
  cache.append("x", y.slice(0, 0, 2));  // past the reserved room: a read before keeps its rows
  QVERIFY(at::equal(before, x));
  QVERIFY(at::equal(cache.read("x"), at::cat({x, y.slice(0, 0, 2)})));
  cache.append("s", at::scalar_tensor(3.0));  // a scalar argument is kept as it is
  QCOMPARE(cache.read("s").item<double>(), 3.0);
  EXPECT_ERROR(cache.read("z"), ErrorCode::InvalidArgument);
  QCOMPARE(cache.bytes(), int64_t((x.numel() + y.numel() + z1.numel() + z2.numel() + 2 * 3) * 4 + 4));
  // Reserved room that was partly filled moves to the file as the rows it holds.
  QTemporaryDir dir;
  ActivationCache spilling(100, dir.path().toStdString());
  spilling.expectAppends(4);
  spilling.append("x", x.slice(0, 0, 4));  // 48 bytes in room for 16 rows
  spilling.append("y", y.slice(0, 0, 8));  // 144 bytes in all: to the file
  QVERIFY(spilling.onDisk());
  spilling.append("x", x.slice(0, 4));
  QVERIFY(at::equal(spilling.read("x"), x));
  QVERIFY(at::equal(spilling.read("y"), y.slice(0, 0, 8)));
}

void PropagationTests::runFromDiskCacheGivesTheSameCodes() {
  const auto calib = calibration(64);
  QuantizationRequest req;
  req.method = QuantMethod::Brecq;
  req.weights.bits = 3;
  req.calibrationCount = 64;
  req.adaround.iterations = 10;
  std::map<std::string, at::Tensor> codes[2];
  QuantizationResult results[2];
  for (int mode = 0; mode < 2; ++mode) {
    Model m = testsupport::demoCopy("fmnist_resnet.pt");
    req.activationMemoryMiB = mode == 0 ? 2048 : 0;
    QuantizedWeights qw;
    results[mode] = quantizeModel(m, *calib, req, &qw);
    codes[mode] = qw.codes;
  }
  QVERIFY(results[0].notes.empty());
  QCOMPARE(results[1].notes.size(), size_t(1));
  QVERIFY(results[1].notes[0].find("temporary file") != std::string::npos);
  for (const auto& [layer, c] : codes[0]) QVERIFY2(at::equal(codes[1].at(layer), c), layer.c_str());
}
