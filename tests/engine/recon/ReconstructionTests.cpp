// AdaRound and the layer-by-layer quantizer on the demo ResNet and its calibration set.
#include "EngineTests.h"
#include "TestSupport.h"
#include "engine/capture/ActivationCapture.h"
#include "engine/data/DataBatch.h"
#include "engine/data/Dataset.h"
#include "engine/export/QuantizedModelExport.h"
#include "engine/model/Model.h"
#include "engine/pipeline/Experiment.h"
#include "engine/pipeline/ModelQuantizer.h"
#include "engine/quant/PowerGrid.h"
#include "engine/quant/QuantizedWeights.h"
#include "engine/recon/AdaRoundReconstructor.h"
#include "engine/recon/BlockReconstructor.h"
#include "engine/recon/CalibrationActivations.h"
#include "engine/recon/GptqQuantizer.h"
#include "engine/recon/LayerLoss.h"
#include "engine/rounding/RoundingVariable.h"
#include "engine/session/SessionFile.h"
#include "engine/workspace/Workspace.h"

#include <H5Cpp.h>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

ROUNDLAB_ENGINE_SUITE("reconstruction", ReconstructionTests);

using namespace roundlab;

namespace {

using testsupport::demoLayer;
using testsupport::LayerCase;

AdaRoundConfig quickConfig(int iterations) {
  AdaRoundConfig a;
  a.iterations = iterations;
  a.seed = 3;
  return a;
}

WeightQuantConfig bits(int b) {
  WeightQuantConfig c;
  c.bits = b;
  return c;
}

}  // namespace

// A layer's loss computed a few rows at a time (as a language model's head is at scale) equals
// the loss of its whole output, for a conv layer (rows: images) and a linear one on [N, T, in].
void ReconstructionTests::slicedLayerLossMatchesWholeLoss() {
  const LayerCase c = demoLayer();
  const at::Tensor w = fakeQuantize(c.model.weight(c.layer.name), fitWeightGrid(c.model.weight(c.layer.name), bits(3)));
  const at::Tensor bias = c.model.bias(c.layer.name);
  const double whole = reconstructionLoss(applyLayer(c.layer, c.inputs, w, bias), c.outputs).item<double>();
  const double sliced = layerReconstructionLoss(c.layer, c.inputs, w, bias, c.outputs, c.outputs.numel() / 10);
  QVERIFY2(std::abs(sliced - whole) <= 1e-5 * whole, (std::to_string(sliced) + " vs " + std::to_string(whole)).c_str());
  QCOMPARE(layerReconstructionLoss(c.layer, c.inputs, w, bias, c.outputs), whole);  // small: one piece, as before
  LayerInfo linear;
  linear.name = "head";
  linear.kind = LayerKind::Linear;
  torch::manual_seed(3);
  const at::Tensor x = at::randn({6, 5, 16}), wl = at::randn({24, 16}), bl = at::randn({24});
  const at::Tensor y = at::linear(x, wl, bl) + 0.1 * at::randn({6, 5, 24});
  const double wholeLinear = reconstructionLoss(applyLayer(linear, x, wl, bl), y).item<double>();
  const double slicedLinear = layerReconstructionLoss(linear, x, wl, bl, y, 5 * 24);  // one sequence at a time
  QVERIFY2(std::abs(slicedLinear - wholeLinear) <= 1e-6 * wholeLinear, std::to_string(slicedLinear).c_str());
}

void ReconstructionTests::adaRoundBeatsRtnOnItsObjective() {
  LayerCase c = demoLayer();
  const at::Tensor w = c.model.weight(c.layer.name).detach();
  const WeightGrid grid = fitUniformGrid(w, bits(3));
  AdaRoundReconstructor rec(c.layer, w, c.model.bias(c.layer.name), grid, quickConfig(400));
  int progressCalls = 0;
  const RoundingResult r = rec.run(c.inputs, c.outputs, [&](const Progress&) { ++progressCalls; });
  QVERIFY2(r.lossAfter < r.lossBefore, (std::to_string(r.lossAfter) + " vs " + std::to_string(r.lossBefore)).c_str());
  QVERIFY(progressCalls >= 50);
  // RTN's loss, computed independently.
  const at::Tensor rtnW = fakeQuantize(w, grid);
  const at::Tensor yRtn = at::conv2d(c.inputs, rtnW, {}, {2, 2}, {1, 1});
  const double rtnLoss = (yRtn - c.outputs).pow(2).sum(1).mean().item<double>();
  QVERIFY(std::abs(r.lossBefore - rtnLoss) < 1e-4 * rtnLoss);
  // Rounding only: every code is floor(W/s)+z or one above it (up to the clamp).
  const at::Tensor floorCodes = (grid.view(w) / grid.scale).floor() + grid.zeroPoint;
  const at::Tensor delta = grid.view(r.codes.to(at::kFloat)) - floorCodes.clamp(grid.qmin, grid.qmax);
  QVERIFY((delta.ge(0) & delta.le(1)).all().item<bool>());
  // Flip counts agree with the codes.
  QCOMPARE(r.flipsUp, (r.codes - r.rtnCodes).gt(0).sum().item<int64_t>());
  QCOMPARE(r.flipsDown, (r.codes - r.rtnCodes).lt(0).sum().item<int64_t>());
  QVERIFY(r.flipsUp + r.flipsDown > 0);
  QVERIFY(std::abs(r.flipRate - double(r.flipsUp + r.flipsDown) / double(w.numel())) < 1e-12);
  QVERIFY(!r.curve.empty() && r.curve.back().first == 399);
}

void ReconstructionTests::adaRoundIsDeterministic() {
  LayerCase c = demoLayer("layer1.0.conv2");
  const at::Tensor w = c.model.weight(c.layer.name).detach();
  const WeightGrid grid = fitUniformGrid(w, bits(2));
  const RoundingResult a = AdaRoundReconstructor(c.layer, w, {}, grid, quickConfig(60)).run(c.inputs, c.outputs);
  const RoundingResult b = AdaRoundReconstructor(c.layer, w, {}, grid, quickConfig(60)).run(c.inputs, c.outputs);
  QVERIFY(at::equal(a.codes, b.codes));
  QCOMPARE(a.lossAfter, b.lossAfter);
}

void ReconstructionTests::adaRoundCancels() {
  LayerCase c = demoLayer("layer1.0.conv2");
  const at::Tensor w = c.model.weight(c.layer.name).detach();
  CancelToken cancel;
  int calls = 0;
  AdaRoundReconstructor rec(c.layer, w, {}, fitUniformGrid(w, bits(4)), quickConfig(5000));
  EXPECT_ERROR(rec.run(
                   c.inputs, c.outputs,
                   [&](const Progress&) {
                     if (++calls == 3) cancel.cancel();
                   },
                   cancel),
               ErrorCode::Cancelled);
  QVERIFY(calls <= 4);  // stopped within one progress interval
}

void ReconstructionTests::modelRtnPutsEveryWeightOnItsGrid() {
  Model m = testsupport::demoCopy("fmnist_resnet.pt");
  const Model fp = m.clone();
  const std::shared_ptr<const Dataset> calib = testsupport::demoData("fmnist_calib.h5");
  QuantizationRequest req;
  req.method = QuantMethod::Rtn;
  req.weights.bits = 4;
  req.calibrationCount = 128;
  QuantizedWeights qw;
  const QuantizationResult r = quantizeModel(m, *calib, req, &qw);
  QCOMPARE(r.layers.size(), m.summary().layers.size());
  for (const LayerOutcome& o : r.layers) {
    const bool edge = o.layer == "conv1" || o.layer == "fc";
    QCOMPARE(o.bits, edge ? 8 : 4);
    const at::Tensor w = m.weight(o.layer);
    QCOMPARE(testsupport::maxAbsDiff(w, dequantize(qw.codes.at(o.layer), qw.grids.at(o.layer))), 0.0);
    // Every weight is on its grid and at most half a step from the FP weight (unless clipped by the L_p range).
    const WeightGrid& g = qw.grids.at(o.layer);
    const at::Tensor steps = g.view(w) / g.scale;
    QVERIFY(testsupport::maxAbsDiff(steps, steps.round()) < 1e-3);
    QVERIFY(o.lossAfter > 0);
    QVERIFY(std::isfinite(o.sqnrDb) && o.sqnrDb > (edge ? 20 : 5));  // 8-bit layers are much cleaner
  }
  // SQNR of the first 4-bit layer, computed here from a fresh FP capture.
  {
    CaptureOptions co;
    co.blocks = false;
    ActivationCapture cap(fp, co);
    torch::NoGradGuard g;
    const auto sub = subsetDataset(calib, 128, 0);
    const CaptureResult c = cap.run(sub->read(0, 128).inputs);
    const CapturedCall& call = c.layers.at("layer1.0.conv1")[0];
    const at::Tensor y = call.output.to(at::kDouble);
    const at::Tensor yq =
        at::conv2d(call.args[0].toTensor(), m.weight("layer1.0.conv1"), {}, {1, 1}, {1, 1}).to(at::kDouble);
    const double sqnr = 10 * std::log10(y.pow(2).sum().item<double>() / (y - yq).pow(2).sum().item<double>());
    QVERIFY2(std::abs(r.layers[1].sqnrDb - sqnr) < 1e-6,
             (std::to_string(r.layers[1].sqnrDb) + " vs " + std::to_string(sqnr)).c_str());
  }
  QVERIFY(testsupport::maxAbsDiff(m.forward(calib->read(0, 8).inputs), fp.forward(calib->read(0, 8).inputs)) > 0);
}

void ReconstructionTests::bitsResolution() {
  QuantizationRequest req;
  req.weights.bits = 3;
  req.bits = {{"b", 6}};
  const auto bits = resolveBits(req, {"a", "b", "c", "d"});
  QCOMPARE(bits.at("a"), 8);
  QCOMPARE(bits.at("b"), 6);
  QCOMPARE(bits.at("c"), 3);
  QCOMPARE(bits.at("d"), 8);
  req.bits = {{"zz", 4}};
  EXPECT_ERROR(resolveBits(req, {"a"}), ErrorCode::UnknownLayer);
  req.bits.clear();
  req.firstLastEightBit = false;
  QCOMPARE(resolveBits(req, {"a", "b"}).at("a"), 3);
}

void ReconstructionTests::cancelledRunLeavesEarlierLayersQuantized() {
  Model m = testsupport::demoCopy("fmnist_resnet.pt");
  const Model fp = m.clone();
  const auto calib = testsupport::demoData("fmnist_calib.h5");
  QuantizationRequest req;
  req.weights.bits = 4;
  req.calibrationCount = 64;
  req.adaround.iterations = 40;
  req.input = ReconInput::FloatingPoint;
  CancelToken cancel;
  std::string stopAt;
  EXPECT_ERROR(quantizeModel(
                   m, *calib, req, nullptr,
                   [&](const Progress& p) {
                     if (p.message == "layer1.0.conv2" && p.fraction > 0) {
                       stopAt = p.message;
                       cancel.cancel();
                     }
                   },
                   cancel),
               ErrorCode::Cancelled);
  QCOMPARE(stopAt, std::string("layer1.0.conv2"));
  // conv1 and layer1.0.conv1 were finished: quantized. layer1.0.conv2 onwards: untouched.
  QVERIFY(testsupport::maxAbsDiff(m.weight("conv1"), fp.weight("conv1")) > 0);
  QVERIFY(testsupport::maxAbsDiff(m.weight("layer1.0.conv1"), fp.weight("layer1.0.conv1")) > 0);
  for (const char* name : {"layer1.0.conv2", "layer2.0.conv1", "fc"})
    QCOMPARE(testsupport::maxAbsDiff(m.weight(name), fp.weight(name)), 0.0);
}

namespace {

const BlockInfo& blockNamed(const Model& m, const std::string& name) {
  for (const BlockInfo& b : m.summary().blocks)
    if (b.name == name) return b;
  throw std::runtime_error("no block " + name);
}

}  // namespace

void ReconstructionTests::blockReconstructionLowersBlockLoss() {
  Model m = testsupport::demoCopy("fmnist_resnet.pt");
  const auto calib = subsetDataset(testsupport::demoData("fmnist_calib.h5"), 128, 1);
  const BlockInfo& block = blockNamed(m, "layer2.0");
  const CalibrationActivations acts = captureActivations(m, *calib, 64, {}, {block.name}, true, {});
  const BlockData& data = acts.blocks.at(block.name);
  QCOMPARE(data.samples(), int64_t(128));
  std::map<std::string, WeightGrid> grids;
  std::map<std::string, at::Tensor> original;
  for (const auto& l : block.layers) {
    grids[l] = fitUniformGrid(m.weight(l), bits(3));
    original[l] = m.weight(l).detach().clone();
  }
  const BlockRoundingResult r = BlockReconstructor(m, block, grids, quickConfig(150)).run(data);
  QVERIFY2(r.lossAfter < r.lossBefore, (std::to_string(r.lossAfter) + " vs " + std::to_string(r.lossBefore)).c_str());
  QCOMPARE(r.layers.size(), size_t(3));
  // The model's weights are back to what they were.
  for (const auto& l : block.layers) QCOMPARE(testsupport::maxAbsDiff(m.weight(l), original[l]), 0.0);
  // lossBefore is the block's loss with RTN weights, computed here through the model itself.
  Model rtn = m.clone();
  for (const auto& l : block.layers) rtn.setWeight(l, fakeQuantize(m.weight(l), grids[l]));
  torch::NoGradGuard g;
  const at::Tensor y = testsupport::submodule(rtn.module(), block.name).forward({data.args[0]}).toTensor();
  const double expected = (y - data.targets).pow(2).sum(1).mean().item<double>();
  QVERIFY2(std::abs(r.lossBefore - expected) < 1e-4 * expected,
           (std::to_string(r.lossBefore) + " vs " + std::to_string(expected)).c_str());
  // And lossAfter with the learned codes.
  Model learned = m.clone();
  for (const auto& [l, lr] : r.layers) learned.setWeight(l, dequantize(lr.codes, grids[l]));
  const at::Tensor y2 = testsupport::submodule(learned.module(), block.name).forward({data.args[0]}).toTensor();
  QVERIFY(std::abs(r.lossAfter - (y2 - data.targets).pow(2).sum(1).mean().item<double>()) < 1e-4 * r.lossAfter);
}

void ReconstructionTests::transformerBlockReconstruction() {
  Model m = testsupport::demoCopy("fmnist_transformer.pt");
  const auto calib = subsetDataset(testsupport::demoData("fmnist_calib.h5"), 64, 2);
  const BlockInfo& block = m.summary().blocks.at(0);
  QCOMPARE(block.layers.size(), size_t(4));  // in_proj, out_proj, linear1, linear2
  const CalibrationActivations acts = captureActivations(m, *calib, 32, {}, {block.name}, true, {});
  std::map<std::string, WeightGrid> grids;
  for (const auto& l : block.layers) grids[l] = fitUniformGrid(m.weight(l), bits(3));
  const at::Tensor inProj = m.weight(block.layers[0]).detach().clone();
  const BlockRoundingResult r = BlockReconstructor(m, block, grids, quickConfig(120)).run(acts.blocks.at(block.name));
  QVERIFY2(r.lossAfter < r.lossBefore, (std::to_string(r.lossAfter) + " vs " + std::to_string(r.lossBefore)).c_str());
  QCOMPARE(testsupport::maxAbsDiff(m.weight(block.layers[0]), inProj), 0.0);
}

void ReconstructionTests::brecqQuantizesBlocksTogether() {
  Model m = testsupport::demoCopy("fmnist_resnet.pt");
  const auto calib = testsupport::demoData("fmnist_calib.h5");
  QuantizationRequest req;
  req.method = QuantMethod::Brecq;
  req.weights.bits = 3;
  req.calibrationCount = 64;
  req.adaround.iterations = 30;
  QuantizedWeights qw;
  const QuantizationResult r = quantizeModel(m, *calib, req, &qw);
  QCOMPARE(r.layers.size(), size_t(10));
  for (const LayerOutcome& o : r.layers) {
    const std::string& block = m.layer(o.layer).block;
    QCOMPARE(o.unit, block.empty() ? o.layer : block);
    QCOMPARE(testsupport::maxAbsDiff(m.weight(o.layer), dequantize(qw.codes.at(o.layer), qw.grids.at(o.layer))), 0.0);
  }
  QCOMPARE(r.layers[1].layer, std::string("layer1.0.conv1"));  // reported in model order
}

void ReconstructionTests::exportsReproduceWeights() {
  Model m = testsupport::demoCopy("fmnist_transformer.pt");
  const auto calib = testsupport::demoData("fmnist_calib.h5");
  QuantizationRequest req;
  req.method = QuantMethod::Rtn;
  req.weights.bits = 3;
  req.weights.symmetric = true;
  req.calibrationCount = 32;
  QuantizedWeights qw;
  const QuantizationResult r = quantizeModel(m, *calib, req, &qw);
  QTemporaryDir dir;
  const std::string h5 = dir.filePath("q.h5").toStdString();
  exportQuantizedHdf5(h5, m, qw, {"rtn", 0, "fmnist_transformer.pt"});
  const auto back = readQuantizedHdf5(h5);
  QCOMPARE(back.size(), m.summary().layers.size());
  for (const auto& [name, w] : back) QVERIFY(at::equal(w, m.weight(name).detach()));
  {  // Independent read with the HDF5 API: 3-bit symmetric codes are int8 in [-3, 3].
    H5::H5File f(h5, H5F_ACC_RDONLY);
    H5::DataSet codes = f.openDataSet("/layers/head/codes");
    QCOMPARE(codes.getDataType().getSize(), size_t(1));
    std::vector<int8_t> v(static_cast<size_t>(codes.getSpace().getSimpleExtentNpoints()));
    codes.read(v.data(), H5::PredType::NATIVE_INT8);
    for (int8_t c : v) QVERIFY(c >= -127 && c <= 127);  // head is the last layer: 8 bits
    H5::DataSet mid = f.openDataSet("/layers/layers.0.linear1/codes");
    std::vector<int8_t> mv(static_cast<size_t>(mid.getSpace().getSimpleExtentNpoints()));
    mid.read(mv.data(), H5::PredType::NATIVE_INT8);
    for (int8_t c : mv) QVERIFY(c >= -3 && c <= 3);
  }
  const std::string enc = dir.filePath("enc.json").toStdString();
  exportEncodingsJson(enc, m, qw);
  QFile ef(QString::fromStdString(enc));
  QVERIFY(ef.open(QIODevice::ReadOnly));
  const QJsonObject params = QJsonDocument::fromJson(ef.readAll()).object()["param_encodings"].toObject();
  QCOMPARE(params.size(), int(m.summary().layers.size()));
  const LayerInfo& l1 = m.layer("layers.0.linear1");
  const QJsonArray channels = params[QString::fromStdString(l1.weightPath)].toArray();
  QCOMPARE(channels.size(), int(l1.weightShape[0]));
  const QJsonObject e0 = channels[0].toObject();
  QCOMPARE(e0["bitwidth"].toInt(), 3);
  QCOMPARE(e0["is_symmetric"].toString(), QString("True"));
  // w = scale * (u + offset) for unsigned u; check on channel 0 of the dequantized weight.
  const at::Tensor codes0 = qw.codes.at(l1.name)[0].to(at::kDouble);
  const double s = e0["scale"].toDouble(), off = e0["offset"].toDouble();
  const at::Tensor w0 = m.weight(l1.name)[0].to(at::kDouble);
  QVERIFY(testsupport::maxAbsDiff((codes0 - qw.grids.at(l1.name).qmin + off) * s, w0) < 1e-6);
  QVERIFY(std::abs(e0["min"].toDouble() - s * off) < 1e-9);
  QVERIFY(std::abs(e0["max"].toDouble() - s * (off + 6)) < 1e-7);
  const std::string csv = dir.filePath("r.csv").toStdString();
  exportResultsCsv(csv, r);
  QFile cf(QString::fromStdString(csv));
  QVERIFY(cf.open(QIODevice::ReadOnly));
  const QList<QByteArray> lines = cf.readAll().trimmed().split('\n');
  QCOMPARE(lines.size(), int(r.layers.size()) + 1);
  QVERIFY(lines[0].startsWith("layer,unit,bits"));
  // A failing export (missing folder) throws and writes nothing.
  EXPECT_ERROR(exportQuantizedHdf5(dir.filePath("no/q.h5").toStdString(), m, qw, {}), ErrorCode::WriteFailed);
}

void ReconstructionTests::powerGridThroughTheMethods() {
  const auto calib = testsupport::demoData("fmnist_calib.h5");
  QuantizationRequest req;
  req.weights.bits = 3;
  req.weights.grid = GridKind::PowerSearched;
  req.calibrationCount = 64;
  req.adaround.iterations = 60;
  req.input = ReconInput::FloatingPoint;
  Model m = testsupport::demoCopy("fmnist_resnet.pt");
  QuantizedWeights qw;
  const QuantizationResult r = quantizeModel(m, *calib, req, &qw);
  int bent = 0;
  for (const LayerOutcome& o : r.layers) {
    const WeightGrid& g = qw.grids.at(o.layer);
    QCOMPARE(o.exponent, g.exponent);
    QVERIFY(g.exponent > 0 && g.exponent <= 1);
    bent += g.exponent < 1 ? 1 : 0;
    QVERIFY(g.zeroPoint.abs().sum().item<double>() == 0);  // power grids are symmetric
    // Weights sit on the power grid: sign(w)|w|^a is a whole number of steps.
    const at::Tensor t = g.view(powerTransform(m.weight(o.layer).detach(), g.exponent)) / g.scale;
    QVERIFY(testsupport::maxAbsDiff(t, t.round()) < 2e-3);
    QVERIFY2(o.lossAfter <= o.lossBefore * 1.0001, o.layer.c_str());
  }
  QVERIFY(bent > 0);  // bell-shaped weights prefer a < 1 somewhere
  QTemporaryDir dir;
  const std::string h5 = dir.filePath("p.h5").toStdString();
  exportQuantizedHdf5(h5, m, qw, {"adaround", 0, "fmnist_resnet.pt"});
  for (const auto& [name, w] : readQuantizedHdf5(h5)) QVERIFY(at::equal(w, m.weight(name).detach()));
  EXPECT_ERROR(exportEncodingsJson(dir.filePath("e.json").toStdString(), m, qw), ErrorCode::InvalidArgument);
}

void ReconstructionTests::gptqBeatsRtnOnItsObjective() {
  for (const char* name : {"layer2.0.conv1", "fc"}) {
    LayerCase c = demoLayer(name);
    const at::Tensor w = c.model.weight(name).detach();
    const WeightGrid grid = fitUniformGrid(w, bits(3));
    // The Hessian, computed here from the definition for a conv: unfold, then 2/N sum x x^T.
    const at::Tensor H = layerHessian(c.layer, c.inputs);
    if (c.layer.conv) {
      const at::Tensor cols =
          at::im2col(c.inputs, {3, 3}, {1, 1}, {1, 1}, {2, 2}).transpose(1, 2).reshape({-1, 16 * 9});
      const at::Tensor expected = cols.t().mm(cols).to(at::kDouble) * (2.0 / static_cast<double>(cols.size(0)));
      QVERIFY(testsupport::maxAbsDiff(H, expected) < 1e-6 * (1 + expected.abs().max().item<double>()));
    }
    const at::Tensor codes = gptqCodes(c.layer, w, c.inputs, grid);
    QVERIFY(codes.min().item<int>() >= grid.qmin && codes.max().item<int>() <= grid.qmax);
    // Its own objective: ||W X - Q X||^2 on the calibration inputs (bias cancels).
    auto objective = [&](const at::Tensor& q) {
      return (applyLayer(c.layer, c.inputs, w, {}) - applyLayer(c.layer, c.inputs, q, {})).pow(2).sum().item<double>();
    };
    const double gptq = objective(dequantize(codes, grid)), rtn = objective(fakeQuantize(w, grid));
    QVERIFY2(gptq < 0.9 * rtn,
             (std::string(name) + ": " + std::to_string(gptq) + " vs " + std::to_string(rtn)).c_str());
  }
  EXPECT_ERROR(layerHessian(Model::load(testsupport::fixture("depthwise_scripted.pt")).layer("block.depthwise"),
                            at::zeros({1, 32, 4, 4})),
               ErrorCode::InvalidArgument);
}

void ReconstructionTests::designSpaceVariantsOfTheRounding() {
  LayerCase c = demoLayer();
  const at::Tensor w = c.model.weight(c.layer.name).detach();
  const WeightGrid grid = fitUniformGrid(w, bits(2));
  const at::Tensor floorCodes = ((grid.view(w) / grid.scale).floor() + grid.zeroPoint).clamp(grid.qmin, grid.qmax);
  auto run = [&](AdaRoundConfig a) { return AdaRoundReconstructor(c.layer, w, {}, grid, a).run(c.inputs, c.outputs); };
  // Additive offset with straight-through rounding, rounding only: floor or floor + 1.
  AdaRoundConfig offset = quickConfig(200);
  offset.variable = RoundingVariableKind::AdditiveOffset;
  const RoundingResult o = run(offset);
  QVERIFY2(o.lossAfter < o.lossBefore, (std::to_string(o.lossAfter) + " vs " + std::to_string(o.lossBefore)).c_str());
  const at::Tensor d = grid.view(o.codes.to(at::kFloat)) - floorCodes;
  QVERIFY((d.ge(0) & d.le(1)).all().item<bool>());
  // Free integers may leave {floor, floor+1} but stay on the grid.
  offset.freedom = DegreesOfFreedom::FreeIntegers;
  offset.learningRate = 0.05;
  const RoundingResult f = run(offset);
  QVERIFY(f.codes.min().item<int>() >= grid.qmin && f.codes.max().item<int>() <= grid.qmax);
  const at::Tensor df = grid.view(f.codes.to(at::kFloat)) - floorCodes;
  QVERIFY((df.lt(0) | df.gt(1)).any().item<bool>());  // some weights moved beyond floor/ceil
  QVERIFY(std::isfinite(f.lossAfter));                // (whether that helps is what the experiment measures)
  // Rounding plus learned step sizes: the grid's scales move, the codes are on the learned grid.
  AdaRoundConfig step = quickConfig(200);
  step.freedom = DegreesOfFreedom::RoundingAndStep;
  const RoundingResult st = run(step);
  QVERIFY(st.lossAfter < st.lossBefore);
  QVERIFY(!at::equal(st.grid.scale, grid.scale));
  QVERIFY(at::equal(st.weight, dequantize(st.codes, st.grid)));
  {
    Model m = testsupport::demoCopy("fmnist_resnet.pt");
    QuantizationRequest req;
    req.weights.bits = 3;
    req.calibrationCount = 32;
    req.adaround.iterations = 20;
    req.adaround.freedom = DegreesOfFreedom::RoundingAndStep;
    QuantizedWeights qw;
    quantizeModel(m, *testsupport::demoData("fmnist_calib.h5"), req, &qw);
    for (const LayerInfo& l : m.summary().layers)
      QVERIFY(at::equal(m.weight(l.name), dequantize(qw.codes.at(l.name), qw.grids.at(l.name))));
  }
  // Only 10% of the weights, those nearest the rounding boundary, may leave round-to-nearest.
  AdaRoundConfig select = quickConfig(200);
  select.selection = WeightSelection::NearestBoundary;
  select.selectFraction = 0.1;
  const RoundingResult s = run(select);
  QVERIFY(s.flipsUp + s.flipsDown <= static_cast<int64_t>(std::ceil(0.1 * w.numel())));
  const at::Tensor frac = (grid.view(w) / grid.scale).frac().abs();
  const at::Tensor flipped = grid.view((s.codes != s.rtnCodes).to(at::kFloat)).to(at::kBool);
  if (flipped.any().item<bool>())  // flipped weights lie near the boundary
    QVERIFY((frac.masked_select(flipped) - 0.5).abs().max().item<double>() < 0.3);
  // SGD with momentum and a cosine learning rate also improves on RTN.
  AdaRoundConfig sgd = quickConfig(300);
  sgd.optimizer = OptimizerKind::Sgd;
  sgd.learningRate = 0.5;
  sgd.cosineLr = true;
  const RoundingResult g = run(sgd);
  QVERIFY2(g.lossAfter < g.lossBefore, (std::to_string(g.lossAfter) + " vs " + std::to_string(g.lossBefore)).c_str());
  // Inconsistent settings are refused.
  AdaRoundConfig bad = quickConfig(10);
  bad.freedom = DegreesOfFreedom::FreeIntegers;
  EXPECT_ERROR(run(bad), ErrorCode::InvalidArgument);
  bad = quickConfig(10);
  bad.selectFraction = 0;
  EXPECT_ERROR(run(bad), ErrorCode::InvalidArgument);
}

void ReconstructionTests::fisherWeightedBlockLoss() {
  const Model& fp = testsupport::demoModel("fmnist_resnet.pt");
  const auto calib = subsetDataset(testsupport::demoData("fmnist_calib.h5"), 48, 4);
  std::vector<std::string> blocks;
  for (const BlockInfo& b : fp.summary().blocks) blocks.push_back(b.name);
  // On the FP model itself KL(p || p) has zero gradient: every weight is exactly 1.
  for (const auto& [name, g] : blockFisherWeights(fp, fp, *calib, 16, blocks, {}))
    QVERIFY2(testsupport::maxAbsDiff(g, at::ones_like(g)) < 1e-6, name.c_str());
  // On a 2-bit round-to-nearest copy the weights rise above 1, with the block outputs' shape.
  Model rtn = fp.clone();
  for (const LayerInfo& l : fp.summary().layers)
    rtn.setWeight(l.name, fakeQuantize(fp.weight(l.name), fitUniformGrid(fp.weight(l.name), bits(2))));
  const auto fisher = blockFisherWeights(fp, rtn, *calib, 16, blocks, {});
  const CalibrationActivations acts = captureActivations(rtn, *calib, 16, {}, blocks, true, {});
  QCOMPARE(fisher.size(), blocks.size());
  for (const auto& [name, g] : fisher) {
    QCOMPARE(g.sizes().vec(), acts.blocks.at(name).targets.sizes().vec());
    QVERIFY(g.min().item<double>() >= 1.0);
    QVERIFY(g.max().item<double>() > 1.0);
  }
  // The last block's weights equal |dKL/dz| + 1 computed directly: z -> avgpool -> fc.
  {
    const at::Tensor x = calib->read(0, 48).inputs;
    const at::Tensor z = acts.blocks.at("layer3.0").targets.clone().requires_grad_(true);
    const at::Tensor logits =
        at::linear(at::adaptive_avg_pool2d(z, {1, 1}).flatten(1), rtn.weight("fc"), rtn.bias("fc"));
    const at::Tensor logP = at::log_softmax(fp.forward(x), 1);
    const at::Tensor kl = (logP.exp() * (logP - at::log_softmax(logits, 1))).sum();
    const at::Tensor expected = torch::autograd::grad({kl}, {z})[0].abs() + 1;
    QVERIFY(testsupport::maxAbsDiff(fisher.at("layer3.0"), expected) < 1e-6);
  }
  // BRECQ with the Fisher-weighted loss runs end to end and records the setting.
  Model m = fp.clone();
  QuantizationRequest req;
  req.method = QuantMethod::Brecq;
  req.blockLoss = BlockLoss::Fisher;
  req.weights.bits = 3;
  req.calibrationCount = 48;
  req.adaround.iterations = 30;
  const QuantizationResult r = quantizeModel(m, *testsupport::demoData("fmnist_calib.h5"), req);
  bool hasFisherPhase = false;
  for (const auto& [phase, seconds] : r.phases) hasFisherPhase |= phase == "fisher";
  QVERIFY(hasFisherPhase);
  for (const LayerOutcome& o : r.layers) QVERIFY(std::isfinite(o.lossAfter));
}

void ReconstructionTests::biasAsDegreeOfFreedom() {
  Model m = testsupport::demoCopy("fmnist_transformer.pt");
  const char* name = "layers.0.linear1";
  const LayerInfo info = m.layer(name);
  const auto calib = testsupport::demoData("fmnist_calib.h5");
  CaptureOptions o;
  o.blocks = false;
  ActivationCapture cap(m, o);
  const CaptureResult cr = [&] {
    torch::NoGradGuard g;
    return cap.run(calib->read(0, 64).inputs);
  }();
  const at::Tensor x = cr.layers.at(name)[0].args[0].toTensor(), y = cr.layers.at(name)[0].output;
  const at::Tensor w = m.weight(name).detach(), b = m.bias(name).detach().clone();
  const WeightGrid grid = fitUniformGrid(w, bits(2));
  AdaRoundConfig a = quickConfig(200);
  a.freedom = DegreesOfFreedom::RoundingAndStep;
  const RoundingResult step = AdaRoundReconstructor(info, w, b, grid, a).run(x, y);
  QVERIFY(!step.bias.defined());  // the bias is learned only when asked for
  a.freedom = DegreesOfFreedom::RoundingStepAndBias;
  const RoundingResult biased = AdaRoundReconstructor(info, w, b, grid, a).run(x, y);
  QVERIFY(biased.bias.defined());
  QVERIFY(testsupport::maxAbsDiff(biased.bias, b) > 1e-4);
  QVERIFY(biased.lossAfter < biased.lossBefore);
  // lossAfter is the layer's loss (squared error summed over dim 1, averaged over the rest) with
  // the learned codes, steps and bias, computed here directly.
  const double direct =
      (applyLayer(info, x, dequantize(biased.codes, biased.grid), biased.bias) - y).pow(2).sum(1).mean().item<double>();
  QVERIFY2(std::abs(direct - biased.lossAfter) < 1e-4 * direct,
           (std::to_string(direct) + " vs " + std::to_string(biased.lossAfter)).c_str());
  QVERIFY(at::equal(m.bias(name), b));  // the reconstructor leaves the model alone

  // Whole runs (block reconstruction): the model carries the learned biases, and so does a session.
  QuantizationRequest req;
  req.method = QuantMethod::Brecq;
  req.weights.bits = 3;
  req.calibrationCount = 32;
  req.adaround.iterations = 20;
  req.adaround.freedom = DegreesOfFreedom::RoundingStepAndBias;
  Session s;
  s.result = quantizeModel(m, *calib, req, &s.weights);
  int learned = 0;
  for (const LayerInfo& l : m.summary().layers) {
    if (l.biasPath.empty()) continue;
    QVERIFY2(s.weights.biases.count(l.name), l.name.c_str());
    QVERIFY(at::equal(m.bias(l.name), s.weights.biases.at(l.name)));
    learned += testsupport::maxAbsDiff(m.bias(l.name), testsupport::demoModel(m.path()).bias(l.name)) > 0 ? 1 : 0;
  }
  QVERIFY(learned > 0);
  QTemporaryDir dir;
  const std::string path = dir.filePath("b.rlab").toStdString();
  saveSession(path, s);
  Model fresh = testsupport::demoCopy(m.path());
  applySession(fresh, loadSession(path));
  const at::Tensor input = calib->read(0, 16).inputs;
  QVERIFY(at::equal(fresh.forward(input), m.forward(input)));
}

void ReconstructionTests::learnedPowerExponent() {
  // The exponent gets a finite, non-zero gradient and moves the grid's levels.
  LayerCase c = demoLayer();
  const at::Tensor w = c.model.weight(c.layer.name).detach();
  WeightQuantConfig wc = bits(3);
  const WeightGrid searched = searchPowerGrid(w, wc);
  AdaRoundConfig a = quickConfig(150);
  a.learnExponent = true;
  a.learningRate = 3e-3;
  {
    RoundingVariable v(w, searched, a);
    QCOMPARE(v.parameters().size(), size_t(2));
    (v.softWeight() - w).pow(2).sum().backward();
    const at::Tensor g = v.parameters()[1].grad();
    QVERIFY(g.defined() && std::isfinite(g.item<double>()) && g.item<double>() != 0);
  }
  const RoundingResult r = AdaRoundReconstructor(c.layer, w, {}, searched, a).run(c.inputs, c.outputs);
  QVERIFY(r.grid.exponent != searched.exponent);
  QVERIFY(r.grid.exponent > 0 && r.grid.exponent <= 1);
  QVERIFY(at::allclose(r.weight, dequantize(r.codes, r.grid)));
  QVERIFY(r.lossAfter < r.lossBefore);

  // Through a whole run: every layer's grid records its learned exponent, and the model's weights
  // are the codes on those grids.
  Model m = testsupport::demoCopy("fmnist_resnet.pt");
  QuantizationRequest req;
  req.weights.bits = 3;
  req.weights.grid = GridKind::PowerLearned;
  req.calibrationCount = 32;
  req.adaround.iterations = 30;
  QuantizedWeights qw;
  const QuantizationResult result = quantizeModel(m, *testsupport::demoData("fmnist_calib.h5"), req, &qw);
  int moved = 0;
  for (const LayerOutcome& o : result.layers) {
    QCOMPARE(o.exponent, qw.grids.at(o.layer).exponent);
    WeightQuantConfig lc = req.weights;
    lc.bits = o.bits;
    moved += o.exponent != searchPowerGrid(testsupport::demoModel(m.path()).weight(o.layer), lc).exponent ? 1 : 0;
    QVERIFY(at::allclose(m.weight(o.layer), dequantize(qw.codes.at(o.layer), qw.grids.at(o.layer))));
  }
  QVERIFY(moved > 0);
}
