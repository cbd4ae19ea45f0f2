// Session files: SHA-256 against the standard's vectors; a saved session restores every setting,
// result and weight exactly; damaged files give specific errors.
#include <QFile>
#include <QTemporaryDir>

#include <filesystem>

#include "EngineTests.h"
#include "TestSupport.h"
#include "engine/core/Sha256.h"
#include "engine/data/Dataset.h"
#include "engine/model/Model.h"
#include "engine/pipeline/Experiment.h"
#include "engine/pipeline/ModelQuantizer.h"
#include "engine/pipeline/RequestFields.h"
#include "engine/quant/PowerGrid.h"
#include "engine/quant/WeightGrid.h"
#include "engine/session/SessionFile.h"

ROUNDLAB_ENGINE_SUITE("session", SessionTests);

using namespace roundlab;

namespace {

Session quantizedSession(Model& m) {
  const auto calib = testsupport::demoData("fmnist_calib.h5");
  QuantizationRequest req;
  req.method = QuantMethod::Brecq;
  req.weights.bits = 3;
  req.weights.grid = GridKind::PowerSearched;
  req.bits = {{"layer2.0.conv2", 5}};
  req.calibrationCount = 64;
  req.adaround.iterations = 20;
  req.seed = 42;
  req.adaround.variable = RoundingVariableKind::AdditiveOffset;
  req.adaround.selection = WeightSelection::LargestMagnitude;
  req.adaround.selectFraction = 0.5;
  req.adaround.optimizer = OptimizerKind::Sgd;
  req.augmentation = parseAugmentation("flip+noise");
  Session s;
  s.result = quantizeModel(m, *calib, req, &s.weights);
  s.modelPath = testsupport::demoFile("fmnist_resnet.pt");
  s.modelSha256 = sha256File(s.modelPath);
  s.calibrationPath = testsupport::demoFile("fmnist_calib.h5");
  s.calibrationSha256 = sha256File(s.calibrationPath);
  s.versions = libraryVersions();
  return s;
}

}  // namespace

void SessionTests::sha256MatchesStandardVectors() {
  QCOMPARE(sha256Hex("abc"), std::string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
  QCOMPARE(sha256Hex(""), std::string("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  QCOMPARE(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
           std::string("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
  QCOMPARE(sha256Hex(std::string(1000000, 'a')),
           std::string("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
  QTemporaryDir dir;
  QFile f(dir.filePath("abc"));
  QVERIFY(f.open(QIODevice::WriteOnly));
  f.write("abc");
  f.close();
  QCOMPARE(sha256File(dir.filePath("abc").toStdString()), sha256Hex("abc"));
  EXPECT_ERROR(sha256File(dir.filePath("missing").toStdString()), ErrorCode::FileNotFound);
}

void SessionTests::sessionRoundTripRestoresEverything() {
  Model m = testsupport::demoCopy("fmnist_resnet.pt");
  Session s = quantizedSession(m);
  // How the calibration set was read; floats that no short decimal holds must come back exactly.
  s.calibrationOptions.normalization = Normalization::None;
  s.calibrationOptions.mean = {0.1f, 1.0f / 3.0f, -2.5e-8f};
  s.calibrationOptions.std = {0.7f};
  s.calibrationOptions.labelsPath = "/data/labels-idx1-ubyte";
  QTemporaryDir dir;
  const std::string path = dir.filePath("run.rlab").toStdString();
  saveSession(path, s);
  const Session r = loadSession(path);
  QCOMPARE(int(r.calibrationOptions.normalization), int(Normalization::None));
  QCOMPARE(r.calibrationOptions.mean, s.calibrationOptions.mean);
  QCOMPARE(r.calibrationOptions.std, s.calibrationOptions.std);
  QCOMPARE(r.calibrationOptions.labelsPath, s.calibrationOptions.labelsPath);
  QCOMPARE(r.modelPath, s.modelPath);
  QCOMPARE(r.modelSha256, s.modelSha256);
  QCOMPARE(r.calibrationSha256, s.calibrationSha256);
  QCOMPARE(r.versions.torch, s.versions.torch);
  const QuantizationRequest &a = r.result.request, &b = s.result.request;
  QCOMPARE(int(a.method), int(b.method));
  QCOMPARE(a.weights.bits, b.weights.bits);
  QCOMPARE(int(a.weights.grid), int(b.weights.grid));
  QCOMPARE(a.bits, b.bits);
  QCOMPARE(a.adaround.iterations, b.adaround.iterations);
  QCOMPARE(a.adaround.learningRate, b.adaround.learningRate);
  QCOMPARE(int(a.adaround.variable), int(RoundingVariableKind::AdditiveOffset));
  QCOMPARE(int(a.adaround.selection), int(WeightSelection::LargestMagnitude));
  QCOMPARE(a.adaround.selectFraction, 0.5);
  QCOMPARE(int(a.adaround.optimizer), int(OptimizerKind::Sgd));
  QCOMPARE(augmentationName(a.augmentation), std::string("flip+noise"));
  QCOMPARE(a.seed, b.seed);
  QCOMPARE(a.calibrationCount, b.calibrationCount);
  QCOMPARE(r.result.wallSeconds, s.result.wallSeconds);
  QCOMPARE(r.result.phases.size(), s.result.phases.size());
  QCOMPARE(r.result.layers.size(), s.result.layers.size());
  for (size_t i = 0; i < s.result.layers.size(); ++i) {
    const LayerOutcome &x = r.result.layers[i], &y = s.result.layers[i];
    QCOMPARE(x.layer, y.layer);
    QCOMPARE(x.unit, y.unit);
    QCOMPARE(x.bits, y.bits);
    QCOMPARE(x.exponent, y.exponent);
    QCOMPARE(x.flipsUp, y.flipsUp);
    QCOMPARE(x.flipsDown, y.flipsDown);
    QCOMPARE(x.lossBefore, y.lossBefore);
    QCOMPARE(x.lossAfter, y.lossAfter);
    QCOMPARE(x.sqnrDb, y.sqnrDb);
    QCOMPARE(x.curve, y.curve);
    QVERIFY(at::equal(r.weights.codes.at(x.layer), s.weights.codes.at(x.layer)));
    QVERIFY(at::equal(r.weights.rtnCodes.at(x.layer), s.weights.rtnCodes.at(x.layer)));
    QVERIFY(at::equal(r.weights.grids.at(x.layer).scale, s.weights.grids.at(x.layer).scale));
  }
  QCOMPARE(r.result.layers[4].layer, std::string("layer2.0.conv2"));
  QCOMPARE(r.result.layers[4].bits, 5);  // the override survived
  // Applying the session to a freshly loaded model reproduces the quantized weights exactly.
  Model fresh = Model::load(r.modelPath);
  applySession(fresh, r);
  for (const LayerInfo& l : m.summary().layers) QVERIFY(at::equal(fresh.weight(l.name), m.weight(l.name)));
}

void SessionTests::badSessionFiles() {
  QTemporaryDir dir;
  EXPECT_ERROR(loadSession(dir.filePath("none.rlab").toStdString()), ErrorCode::FileNotFound);
  EXPECT_ERROR(loadSession(testsupport::demoFile("fmnist_val.h5")), ErrorCode::BadDataFile);  // HDF5, not a session
  EXPECT_ERROR(loadSession(testsupport::fixture("not_a_model.pt")), ErrorCode::BadDataFile);
  Model m = testsupport::demoCopy("fmnist_resnet.pt");
  const std::string path = dir.filePath("cut.rlab").toStdString();
  saveSession(path, quantizedSession(m));
  std::filesystem::resize_file(path, std::filesystem::file_size(path) / 3);
  EXPECT_ERROR(loadSession(path), ErrorCode::BadDataFile);
  // A rounding trace with a value outside [0, 1], or iterations that go back: one clear line.
  Session traced = quantizedSession(m);
  RoundingTrace& t = traced.result.layers.front().trace;
  t.iterations = {0, 10};
  t.histogram.assign(2 * RoundingTrace::kBins, 0.05f);
  t.undecided = {0.5f, 0.4f};
  t.tracked = {3};
  t.trajectories = {0.5f, 1.5f};
  const std::string damaged = dir.filePath("trace.rlab").toStdString();
  saveSession(damaged, traced);
  try {
    loadSession(damaged);
    QFAIL("a rounding value of 1.5 was accepted");
  } catch (const Error& e) {
    QCOMPARE(e.code(), ErrorCode::BadDataFile);
    QVERIFY2(std::string(e.what()).find("rounding_trace") != std::string::npos, e.what());
    QVERIFY2(std::string(e.what()).find(damaged) == 0, e.what());
  }
  t.trajectories = {0.5f, 1.0f};
  t.iterations = {10, 0};
  saveSession(damaged, traced);
  EXPECT_ERROR(loadSession(damaged), ErrorCode::BadDataFile);
  t.iterations = {0, 10};
  saveSession(damaged, traced);
  QVERIFY(loadSession(damaged).result.layers.front().trace.trajectories == t.trajectories);
  // An embedding table's codes read back exactly; codes that are no [rows, columns] table, or a
  // table the model does not have, are one clear error naming the file and the table.
  Session tabled = quantizedSession(m);
  WeightQuantConfig config;
  config.bits = 4;
  const at::Tensor table = at::randn({3, 8});
  tabled.weights.tableGrids["emb.weight"] = fitWeightGrid(table, config);
  tabled.weights.tableCodes["emb.weight"] = quantizeToCodes(table, tabled.weights.tableGrids["emb.weight"]);
  tabled.result.tables.push_back({"emb.weight", 4, 3, 8, 20.0});
  const std::string withTable = dir.filePath("table.rlab").toStdString();
  saveSession(withTable, tabled);
  const Session back = loadSession(withTable);
  QCOMPARE(back.result.tables.size(), size_t{1});
  QCOMPARE(back.result.tables[0].columns, int64_t{8});
  QVERIFY(at::equal(back.weights.tableCodes.at("emb.weight"), tabled.weights.tableCodes.at("emb.weight")));
  Model other = testsupport::demoCopy("fmnist_resnet.pt");
  EXPECT_ERROR(applySession(other, back), ErrorCode::UnknownLayer);  // the ResNet has no such table
  tabled.weights.tableCodes["emb.weight"] = tabled.weights.tableCodes["emb.weight"].flatten();
  saveSession(withTable, tabled);
  try {
    loadSession(withTable);
    QFAIL("a table's flat codes were accepted");
  } catch (const Error& e) {
    QCOMPARE(e.code(), ErrorCode::BadDataFile);
    QVERIFY2(std::string(e.what()).find(withTable + ": embedding table emb.weight") == 0, e.what());
  }
  // Saving over an existing session into a missing folder fails without touching anything.
  EXPECT_ERROR(saveSession(dir.filePath("no/such.rlab").toStdString(), Session{}), ErrorCode::WriteFailed);
}

// The settings as text (what the workbench remembers): every field reads back exactly, each
// field's text reaches its own setting and no other, and bad text names its field.
void SessionTests::requestFieldsRoundTripAsText() {
  QuantizationRequest r;
  r.method = QuantMethod::Qdrop;
  r.weights.bits = 3;
  r.weights.symmetric = true;
  r.weights.granularity = Granularity::PerGroup;
  r.weights.groupSize = 32;
  r.weights.rangeInit = RangeInit::MinMax;
  r.weights.lpNorm = 0.1 + 0.2;  // no short decimal: must come back bit for bit
  r.weights.rangeCandidates = 33;
  r.weights.grid = GridKind::PowerLearned;
  r.weights.exponent = 1.0 / 3.0;
  r.firstLastEightBit = false;
  r.adaround.iterations = 777;
  r.adaround.batch = 48;
  r.adaround.learningRate = 3e-4;
  r.adaround.lambda = 0.02;
  r.adaround.warmup = 0.3;
  r.adaround.betaStart = 19;
  r.adaround.betaEnd = 3;
  r.adaround.cosineBeta = !r.adaround.cosineBeta;
  r.adaround.reluAfter = !r.adaround.reluAfter;
  r.adaround.curvePoints = 17;
  r.adaround.optimizer = OptimizerKind::Sgd;
  r.adaround.momentum = 0.8;
  r.adaround.cosineLr = !r.adaround.cosineLr;
  r.adaround.variable = RoundingVariableKind::AdditiveOffset;
  r.adaround.freedom = DegreesOfFreedom::RoundingAndStep;
  r.adaround.selection = WeightSelection::LargestMagnitude;
  r.adaround.selectFraction = 0.25;
  r.input = ReconInput::FloatingPoint;
  r.blockLoss = BlockLoss::Fisher;
  r.calibrationCount = 333;
  r.augmentation = parseAugmentation("flip+noise");
  r.captureBatch = 16;
  r.seed = 0xfedcba9876543210ull;  // above the largest signed 64-bit integer
  r.activations.bits = 4;
  r.activations.dropProbability = 0.7;
  r.activations.learningRate = 5e-5;
  r.activations.lpNorm = 2.2;
  r.outputKlWeight = 10;
  r.klTemperature = 2;
  r.gptqDamping = 0.05;
  r.gptqActOrder = true;
  r.embeddingBits = 6;
  r.adaround.stopWhenSettled = true;
  r.adaround.targetAfterActivation = true;
  const std::map<std::string, std::string> text = requestToText(r);
  QCOMPARE(text.size(), requestFields().size());
  QCOMPARE(text.at("lambda"), std::string("0.02"));  // shortest, and a point in every locale
  const QuantizationRequest back = requestFromText(text);
  QCOMPARE(requestToText(back), text);
  QCOMPARE(back.seed, r.seed);
  QCOMPARE(back.weights.lpNorm, 0.1 + 0.2);
  QCOMPARE(back.weights.exponent, 1.0 / 3.0);
  QCOMPARE(int(back.adaround.freedom), int(DegreesOfFreedom::RoundingAndStep));
  QCOMPARE(augmentationName(back.augmentation), std::string("flip+noise"));
  // Each key sets its own member: changing one field's text changes that field alone.
  const std::map<std::string, std::string> defaults = requestToText(QuantizationRequest{});
  for (const RequestField& f : requestFields()) {
    QVERIFY2(text.at(f.key) != defaults.at(f.key), f.key);  // the request above sets every field
    std::map<std::string, std::string> one = defaults;
    one[f.key] = text.at(f.key);
    QCOMPARE(requestToText(requestFromText(one)), one);
  }
  // Keys not given keep the base; bad text names the field.
  QuantizationRequest base;
  base.adaround.iterations = 123;
  QCOMPARE(requestFromText({{"wbits", "2"}}, base).adaround.iterations, 123);
  QCOMPARE(requestFromText({{"wbits", "2"}}, base).weights.bits, 2);
  for (const auto& [key, bad] : std::map<std::string, std::string>{
           {"wbits", "four"}, {"learning_rate", "1e-3x"}, {"method", "magic"}, {"iterations", ""}}) {
    try {
      requestFromText({{key, bad}});
      QFAIL(("accepted " + key + " = " + bad).c_str());
    } catch (const Error& e) {
      QCOMPARE(e.code(), ErrorCode::InvalidArgument);
      QVERIFY2(std::string(e.what()).find("setting " + key) != std::string::npos, e.what());
    }
  }
}

// A session written before the settings were read through one field list (commit c5d1a1c, kept as
// a fuzz seed) reads with the settings it was written with, and writes back unchanged.
void SessionTests::sessionsOfEarlierVersionsStillOpen() {
  const Session s = loadSession(ROUNDLAB_SOURCE_DIR "/tests/fuzz/corpus/fuzzsessionreader/depthwise-w2.rlab");
  const QuantizationRequest& r = s.result.request;
  QCOMPARE(r.method, QuantMethod::Rtn);
  QCOMPARE(r.weights.bits, 2);
  QCOMPARE(r.seed, uint64_t(0));
  QVERIFY(s.runName.empty());
  QCOMPARE(s.result.layers.size(), size_t(7));
  QTemporaryDir dir;
  const std::string again = dir.filePath("again.rlab").toStdString();
  saveSession(again, s);
  const Session back = loadSession(again);
  QCOMPARE(requestToText(back.result.request), requestToText(r));
  QCOMPARE(back.result.request.bits, r.bits);
}

// Experiments in a session: plans (a grid, a Pareto measurement whose cells hold whole
// allocations, "=" inside the value) and rows read back exactly; a plan whose cells do not fit its
// kind, or two experiments with one number, is a damaged file named as such, never a crash later.
void SessionTests::experimentsRoundTripAndDamageIsNamed() {
  QTemporaryDir dir;
  Model m = testsupport::demoCopy("fmnist_resnet.pt");
  Session s = quantizedSession(m);
  QuantizationRequest base;
  base.method = QuantMethod::Rtn;
  ExperimentRecord grid;
  grid.number = 1;
  grid.plan = gridPlan(base, "wbits", {"4", "3"}, "granularity", {"channel", "tensor"});
  for (size_t c = 0; c < 3; ++c) {  // the last cell unfinished (a cancelled experiment)
    ExperimentRow r;
    r.cell = c;
    r.evaluated = true;
    r.compared = c != 1;
    r.top1 = 90.0 + 0.1 * static_cast<double>(c);
    r.kl = 0.01 / (1.0 + static_cast<double>(c));
    r.meanLossAfter = 1.0 / 3.0;
    r.seconds = 0.25;
    grid.rows.push_back(r);
  }
  ExperimentRecord pareto;
  pareto.number = 2;
  pareto.plan = paretoPlan(base, {{{"conv1", 8}, {"fc", 4}}, {{"conv1", 8}, {"fc", 2}}}, {6.0, 5.0});
  QCOMPARE(pareto.plan.cells[0].settings[0].second, std::string("conv1=8 fc=4"));
  QCOMPARE(pareto.plan.request(1).bits.at("fc"), 2);
  s.experiments = {grid, pareto};
  const std::string path = dir.filePath("experiments.rlab").toStdString();
  saveSession(path, s);
  const Session back = loadSession(path);
  QCOMPARE(back.experiments.size(), size_t(2));
  const ExperimentRecord& g = back.experiments[0];
  QCOMPARE(int(g.plan.kind), int(ExperimentKind::Grid));
  QCOMPARE(g.plan.axes, grid.plan.axes);
  QCOMPARE(g.plan.cells.size(), size_t(4));
  QVERIFY(!g.complete() && g.row(3) == nullptr);
  for (size_t c = 0; c < 3; ++c) {
    QCOMPARE(g.plan.cells[c].settings, grid.plan.cells[c].settings);
    QCOMPARE(g.row(c)->top1, grid.rows[c].top1);  // exactly
    QCOMPARE(g.row(c)->kl, grid.rows[c].kl);
    QCOMPARE(g.row(c)->compared, grid.rows[c].compared);
    QCOMPARE(g.row(c)->meanLossAfter, grid.rows[c].meanLossAfter);
  }
  QCOMPARE(requestToText(g.plan.base), requestToText(grid.plan.base));
  const ExperimentRecord& p = back.experiments[1];
  QCOMPARE(p.plan.cells[1].label(), std::string("5.000 bits"));
  QCOMPARE(p.plan.request(0).bits, (std::map<std::string, int>{{"conv1", 8}, {"fc", 4}}));
  QVERIFY(!p.plan.base.firstLastEightBit);  // the allocation decides every layer

  // Damaged: a sweep cell that does not set its axis; two experiments with one number.
  Session damaged = s;
  damaged.experiments[0].plan.kind = ExperimentKind::Sweep;
  const std::string bad = dir.filePath("damaged.rlab").toStdString();
  saveSession(bad, damaged);
  try {
    loadSession(bad);
    QFAIL("a sweep with two axes was accepted");
  } catch (const Error& e) {
    QCOMPARE(e.code(), ErrorCode::BadDataFile);
    QVERIFY2(std::string(e.what()).find(bad) == 0 && std::string(e.what()).find("experiment 1") != std::string::npos,
             e.what());
  }
  damaged = s;
  damaged.experiments[1].number = 1;
  const std::string before = sha256File(bad);
  EXPECT_ERROR(saveSession(bad, damaged), ErrorCode::WriteFailed);  // one group per number: refused whole
  QCOMPARE(sha256File(bad), before);                                // the file there is untouched
  // An allocation written across lines is refused when it is set, not when a session is read.
  QuantizationRequest r;
  EXPECT_ERROR(setAxis(r, "bits", "conv1=8\nfc=4"), ErrorCode::InvalidArgument);
  EXPECT_ERROR(setAxis(r, "bits", "conv1"), ErrorCode::InvalidArgument);
}
