// Language models: token-id data, GPT-style layers in both weight layouts, perplexity against the
// figures PyTorch computed when the fixtures were made (tests/data/make_lm_fixtures.py), capture
// and quantization of a decoder.
#include <H5Cpp.h>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

#include <algorithm>
#include <cmath>
#include <set>

#include "EngineTests.h"
#include "TestSupport.h"
#include "engine/capture/ActivationCapture.h"
#include "engine/data/DataBatch.h"
#include "engine/data/Dataset.h"
#include "engine/data/TextTokens.h"
#include "engine/eval/Evaluation.h"
#include "engine/export/QuantizedModelExport.h"
#include "engine/model/Model.h"
#include "engine/model/WeightOverride.h"
#include "engine/workspace/Workspace.h"

ROUNDLAB_ENGINE_SUITE("language-models", LanguageModelTests);

using namespace roundlab;
using testsupport::fixture;
using testsupport::maxAbsDiff;

namespace {

QJsonObject manifest() {
  QFile f(QString::fromStdString(fixture("lm_fixtures.json")));
  if (!f.open(QIODevice::ReadOnly)) return {};
  return QJsonDocument::fromJson(f.readAll()).object();
}

std::set<std::string> strings(const QJsonValue& v) {
  std::set<std::string> out;
  for (const QJsonValue& s : v.toArray()) out.insert(s.toString().toStdString());
  return out;
}

at::Tensor parameter(const Model& m, const std::string& path) {
  for (const auto& p : m.module().named_parameters(true))
    if (p.name == path) return p.value;
  return {};
}

// A token file with /inputs of `type` and optional labels and attributes, written with HDF5 itself.
std::string tokenFile(const QTemporaryDir& dir, const char* name, const std::vector<hsize_t>& shape,
                      const H5::PredType& type, const std::vector<hsize_t>& labelShape = {},
                      bool meanAttribute = false) {
  const std::string path = dir.filePath(name).toStdString();
  H5::H5File f(path, H5F_ACC_TRUNC);
  hsize_t n = 1;
  for (hsize_t d : shape) n *= d;
  std::vector<int64_t> ids(n);
  for (hsize_t i = 0; i < n; ++i) ids[i] = static_cast<int64_t>((i * 7) % 50);
  f.createDataSet("inputs", type, H5::DataSpace(static_cast<int>(shape.size()), shape.data()))
      .write(ids.data(), H5::PredType::NATIVE_INT64);
  if (!labelShape.empty()) {
    hsize_t m = 1;
    for (hsize_t d : labelShape) m *= d;
    std::vector<int64_t> labels(m, 3);
    f.createDataSet("labels", H5::PredType::STD_I64LE,
                    H5::DataSpace(static_cast<int>(labelShape.size()), labelShape.data()))
        .write(labels.data(), H5::PredType::NATIVE_INT64);
  }
  if (meanAttribute) {
    const float v = 0.5f;
    hsize_t one = 1;
    f.createAttribute("mean", H5::PredType::NATIVE_FLOAT, H5::DataSpace(1, &one)).write(H5::PredType::NATIVE_FLOAT, &v);
  }
  return path;
}

}  // namespace

void LanguageModelTests::tokenFilesAreReadAsIds() {
  const auto plain = openDataset(fixture("lm_tokens.h5"));
  const DatasetInfo& info = plain->info();
  QVERIFY(info.tokenIds);
  QCOMPARE(info.storedType, std::string("int64"));
  QCOMPARE(info.sampleShape, std::vector<int64_t>{32});
  QVERIFY(info.hasLabels && info.labelsShifted);
  QCOMPARE(info.labelShape, std::vector<int64_t>{32});
  const DataBatch b = plain->read(0, 16);
  QCOMPARE(b.inputs.scalar_type(), at::kLong);
  QCOMPARE(b.inputs.sizes().vec(), (std::vector<int64_t>{16, 32}));
  // Derived labels: the next input; the last position of every row is not scored.
  QVERIFY(b.labels.slice(1, 0, 31).equal(b.inputs.slice(1, 1, 32)));
  QVERIFY(b.labels.select(1, 31).eq(kIgnoredLabel).all().item<bool>());
  // A subset reads the same rows with their own shifted labels.
  const DataBatch some = plain->readIndices({5, 2});
  QVERIFY(some.inputs[0].equal(b.inputs[5]) && some.labels[1].equal(b.labels[2]));

  const auto labelled = openDataset(fixture("lm_tokens_labelled.h5"));
  QCOMPARE(labelled->info().storedType, std::string("int32"));
  QVERIFY(labelled->info().hasLabels && !labelled->info().labelsShifted);
  const DataBatch l = labelled->read(0, 16);
  QVERIFY(l.inputs.equal(b.inputs));  // the same windows, stored as int32
  QCOMPARE(l.labels.sizes().vec(), (std::vector<int64_t>{16, 32}));
  QVERIFY(l.labels.slice(1, 0, 31).equal(l.inputs.slice(1, 1, 32)));  // windows of 33: labels are the next bytes
  QVERIFY(l.labels.ge(0).all().item<bool>());
}

void LanguageModelTests::badTokenFilesAreRefusedClearly() {
  QTemporaryDir dir;
  std::string msg;
  // uint16 ids are fine; labels one short per row are not.
  QVERIFY(openDataset(tokenFile(dir, "u16.h5", {4, 8}, H5::PredType::STD_U16LE))->info().tokenIds);
  QVERIFY(testsupport::errorOf(
              [&] {
                openDataset(tokenFile(dir, "short.h5", {4, 8}, H5::PredType::STD_I64LE, {4, 7}));
              },
              &msg) == ErrorCode::DataShapeMismatch);
  QVERIFY2(msg.find("[4,7]") != std::string::npos && msg.find("[4,8]") != std::string::npos, msg.c_str());
  QVERIFY2(msg.find("short.h5") != std::string::npos, msg.c_str());
  EXPECT_ERROR(openDataset(tokenFile(dir, "cube.h5", {4, 8, 2}, H5::PredType::STD_I32LE)),
               ErrorCode::DataShapeMismatch);
  EXPECT_ERROR(openDataset(tokenFile(dir, "mean.h5", {4, 8}, H5::PredType::STD_I32LE, {}, true)),
               ErrorCode::BadDataFile);
  // Sequences of one token with derived labels leave nothing to score: said, not perplexity 1.
  const Model gpt = Model::load(fixture("gpt_scripted.pt"));
  const auto single = openDataset(tokenFile(dir, "one.h5", {4, 1}, H5::PredType::STD_I64LE));
  QVERIFY(testsupport::errorOf([&] { evaluate(gpt, *single); }, &msg) == ErrorCode::DataShapeMismatch);
  QVERIFY2(msg.find("no position has a label to score") != std::string::npos, msg.c_str());
  DataOptions normalise;
  normalise.mean = {0.5f};
  normalise.std = {0.2f};
  EXPECT_ERROR(openDataset(tokenFile(dir, "ids.h5", {4, 8}, H5::PredType::STD_I32LE), normalise),
               ErrorCode::InvalidArgument);
}

void LanguageModelTests::textBecomesTokenWindows() {
  const std::string text = "abcab\nab";
  QCOMPARE(tokenize(text, byteVocabulary(), "t"), (std::vector<int64_t>{'a', 'b', 'c', 'a', 'b', '\n', 'a', 'b'}));
  const Vocabulary chars = charVocabulary("héllo");
  QCOMPARE(chars.tokens, (std::vector<std::string>{"h", "l", "o", "é"}));  // by code point
  QCOMPARE(tokenize("hélo", chars, "t"), (std::vector<int64_t>{0, 3, 1, 2}));
  // A listed vocabulary takes the longest token at each position.
  const Vocabulary listed = listedVocabulary({"a", "b", "ab", "c", "\n"}, "v.json");
  QCOMPARE(tokenize(text, listed, "t"), (std::vector<int64_t>{2, 3, 2, 4, 2}));
  std::string msg;
  QVERIFY(testsupport::errorOf([&] { tokenize("ab\nxa", listed, "story.txt"); }, &msg) == ErrorCode::BadDataFile);
  QVERIFY2(msg.find("story.txt line 2") != std::string::npos && msg.find("'x'") != std::string::npos, msg.c_str());
  EXPECT_ERROR(listedVocabulary({"a", "a"}, "v.json"), ErrorCode::InvalidArgument);

  // Windows of context + 1 at stride context: the labels are each input's next token.
  std::vector<int64_t> ids(41);
  for (int64_t i = 0; i < 41; ++i) ids[static_cast<size_t>(i)] = 100 + i;
  const TokenSet all = tokenWindows(ids, 8, 0, 0, "t");
  QCOMPARE(all.n, int64_t(5));
  for (int64_t w = 0; w < 5; ++w)
    for (int64_t t = 0; t < 8; ++t) {
      QCOMPARE(all.inputs[static_cast<size_t>(w * 8 + t)], 100 + w * 8 + t);
      QCOMPARE(all.labels[static_cast<size_t>(w * 8 + t)], 100 + w * 8 + t + 1);
    }
  const TokenSet some = tokenWindows(ids, 8, 2, 7, "t");
  const std::vector<int64_t> picked = sampleIndices(5, 2, 7);
  QCOMPARE(some.n, int64_t(2));
  QCOMPARE(some.inputs[8], 100 + picked[1] * 8);
  EXPECT_ERROR(tokenWindows(std::vector<int64_t>(8, 1), 8, 0, 0, "t"), ErrorCode::InvalidArgument);

  // Written and read back: uint16 ids with explicit labels.
  QTemporaryDir dir;
  TokenSet s = all;
  s.vocab = listed;
  const std::string path = dir.filePath("tokens.h5").toStdString();
  writeTokenSet(path, s);
  const auto back = openDataset(path);
  QCOMPARE(back->info().storedType, std::string("uint16"));
  QVERIFY(back->info().tokenIds && !back->info().labelsShifted);
  QCOMPARE(back->info().vocab, listed.tokens);
  const DataBatch b = back->read(0, 5);
  QCOMPARE(b.inputs.flatten()[9].item<int64_t>(), int64_t(109));
  QCOMPARE(b.labels.flatten()[39].item<int64_t>(), int64_t(140));

  // A word-piece-sized vocabulary (more than an HDF5 attribute holds) is kept whole.
  std::vector<std::string> many;
  for (int i = 0; i < 5000; ++i) many.push_back("token" + std::to_string(i));
  s.vocab = listedVocabulary(many, "big.json");
  const std::string bigPath = dir.filePath("big.h5").toStdString();
  writeTokenSet(bigPath, s);
  QCOMPARE(openDataset(bigPath)->info().vocab, many);
  // A Latin-1 byte starts no UTF-8 character: it is one character, never the ones after it.
  QCOMPARE(charVocabulary(std::string("\xe9") + "ab").tokens, (std::vector<std::string>{"a", "b", "\xe9"}));
}

void LanguageModelTests::everyProjectionIsALayer_data() {
  QTest::addColumn<QString>("file");
  QTest::newRow("scripted nanoGPT") << "gpt_scripted.pt";
  QTest::newRow("traced Hugging Face GPT-2") << "gpt2_traced.pt";
}

void LanguageModelTests::everyProjectionIsALayer() {
  QFETCH(QString, file);
  const QJsonObject spec = manifest()["models"].toObject()[file].toObject();
  QVERIFY2(!spec.isEmpty(), "tests/data/lm_fixtures.json lacks the model");
  const Model m = Model::load(fixture(file.toUtf8().constData()));
  const ModelSummary& s = m.summary();
  // Each projection is one layer, under the name the manifest gives or a name tied to it (a traced
  // Hugging Face LM head reads the embedding's name for its weight).
  const std::set<std::string> projections = strings(spec["projections"]);
  std::set<std::string> weights;
  for (const LayerInfo& l : s.layers) {
    std::string listed = l.weightPath;
    for (const std::string& alias : l.tiedWith)
      if (projections.count(alias)) listed = alias;
    weights.insert(listed);
  }
  QCOMPARE(weights, projections);
  const bool hf = file.startsWith("gpt2");
  for (const LayerInfo& l : s.layers) {
    const at::Tensor p = parameter(m, l.weightPath);
    const bool conv1d = hf && l.name != "lm_head";
    QCOMPARE(l.kind, conv1d ? LayerKind::MatmulWeight : LayerKind::Linear);
    QCOMPARE(l.weightTransposed, conv1d);
    if (conv1d) {
      QCOMPARE(l.op, std::string("addmm"));
      QCOMPARE(layerKindText(l), std::string("Conv1D (addmm)"));
      QVERIFY(!l.biasPath.empty());
    }
    // Rows are output features whatever the stored layout.
    const at::Tensor canonical = conv1d ? p.t() : p;
    QCOMPARE(l.weightShape, canonical.sizes().vec());
    QVERIFY(m.weight(l.name).equal(canonical));
  }
  // The packed q|k|v projection is one layer of 3d outputs.
  const LayerInfo* qkv = s.findLayer(hf ? "transformer.h.0.attn.c_attn" : "h.0.attn.c_attn");
  QVERIFY(qkv);
  QCOMPARE(qkv->weightShape, (std::vector<int64_t>{96, 32}));
  // The LM head shares its tensor with the token embedding: one layer named lm_head that knows
  // both names; the embedding is not listed as unquantized (it takes the head's values); the
  // tensor is counted once.
  const std::string wte = hf ? "transformer.wte.weight" : "wte.weight";
  const LayerInfo* head = s.findLayer("lm_head");
  QVERIFY(head && head->tiedWith.size() == 1);
  QCOMPARE((std::set<std::string>{head->weightPath, head->tiedWith[0]}),
           (std::set<std::string>{"lm_head.weight", wte}));
  for (const UnquantizedParameter& u : s.notQuantized) QVERIFY(u.name != wte && u.name != "lm_head.weight");
  QCOMPARE(s.totalParams, static_cast<int64_t>(spec["parameters"].toInt()));
  // Blocks, each with its four projections.
  std::set<std::string> blocks;
  for (const BlockInfo& b : s.blocks) {
    blocks.insert(b.name);
    QCOMPARE(b.layers.size(), size_t(4));
  }
  QCOMPARE(blocks, strings(spec["blocks"]));
  // Dataflow: the packed projection feeds the attention's output projection through the q/k/v
  // matmuls (no layers; split(self.n_embd) reads an int attribute, no weight); every layer is fed
  // and feeds something.
  const std::string attn = hf ? "transformer.h.0.attn." : "h.0.attn.";
  QVERIFY(std::find(s.dataflow.begin(), s.dataflow.end(), DataflowEdge{attn + "c_attn", attn + "c_proj"}) !=
          s.dataflow.end());
  for (const LayerInfo& l : s.layers) {
    const auto fed = [&](const DataflowEdge& e) { return e.to == l.name; };
    const auto feeds = [&](const DataflowEdge& e) { return e.from == l.name; };
    QVERIFY2(std::any_of(s.dataflow.begin(), s.dataflow.end(), fed), l.name.c_str());
    QVERIFY2(std::any_of(s.dataflow.begin(), s.dataflow.end(), feeds), l.name.c_str());
  }
  // Registration order, the head last (a traced model reads it under the embedding's name).
  QCOMPARE(s.layers.front().name, std::string(hf ? "transformer.h.0.attn.c_attn" : "h.0.attn.c_attn"));
  QCOMPARE(s.layers.back().name, std::string("lm_head"));
}

void LanguageModelTests::newWeightsReachTheStoredLayout() {
  Model m = Model::load(fixture("gpt2_traced.pt"));
  const std::string layer = "transformer.h.1.mlp.c_fc";
  const at::Tensor x = openDataset(fixture("lm_tokens.h5"))->read(0, 2).inputs;
  const at::Tensor before = m.forward(x);
  const at::Tensor w = m.weight(layer).clone();
  const at::Tensor changed = w * 0.5;
  {
    WeightOverride o(m, {layer});
    o.set(layer, changed);
    QVERIFY(parameter(m, "transformer.h.1.mlp.c_fc.weight").equal(changed.t()));
    QVERIFY(maxAbsDiff(m.forward(x), before) > 1e-4);
  }
  QVERIFY(m.forward(x).equal(before));  // put back
  m.setWeight(layer, changed);
  QVERIFY(parameter(m, "transformer.h.1.mlp.c_fc.weight").equal(changed.t()));
  QVERIFY(m.weight(layer).equal(changed));
}

void LanguageModelTests::perplexityMatchesPyTorch_data() {
  QTest::addColumn<QString>("file");
  QTest::addColumn<QString>("data");
  for (const char* f : {"gpt_scripted.pt", "gpt2_traced.pt"})
    for (const char* d : {"lm_tokens.h5", "lm_tokens_labelled.h5"})
      QTest::newRow((std::string(f) + " " + d).c_str()) << f << d;
}

void LanguageModelTests::perplexityMatchesPyTorch() {
  QFETCH(QString, file);
  QFETCH(QString, data);
  const QJsonObject want = manifest()["models"].toObject()[file].toObject()["data"].toObject()[data].toObject();
  QVERIFY(!want.isEmpty());
  const Model m = Model::load(fixture(file.toUtf8().constData()));
  const Model copy = m.clone();
  const auto set = openDataset(fixture(data.toUtf8().constData()));
  EvalOptions o;
  o.batch = 5;  // several batches, a short last one
  o.reference = &copy;
  const EvalReport r = evaluate(m, *set, o);
  QCOMPARE(r.task, EvalTask::LanguageModel);
  QCOMPARE(r.samples, int64_t(16));
  QCOMPARE(r.scored, static_cast<int64_t>(want["tokens"].toInt()));
  QVERIFY2(std::abs(r.loss - want["loss"].toDouble()) < 1e-5, std::to_string(r.loss).c_str());
  QVERIFY(std::abs(r.perplexity() - want["perplexity"].toDouble()) < 1e-4 * want["perplexity"].toDouble());
  QVERIFY(std::abs(r.top1 - want["token_top1"].toDouble()) < 1e-9);
  // Against itself: every token agrees, no divergence; every position is compared.
  QCOMPARE(r.compared, int64_t(16 * 32));
  QCOMPARE(r.agreement, 100.0);
  QVERIFY(std::abs(r.kl) < 1e-9);
  QVERIFY(std::abs(r.referenceLoss - r.loss) < 1e-12);
  // Asked to classify, the N x T x V output is refused with what it is.
  o.task = EvalTask::Classification;
  std::string msg;
  QVERIFY(testsupport::errorOf([&] { evaluate(m, *set, o); }, &msg) == ErrorCode::InvalidArgument);
  QVERIFY2(msg.find(",32,256]") != std::string::npos && msg.find("N x classes") != std::string::npos, msg.c_str());
}

void LanguageModelTests::captureReplaysEveryProjection() {
  for (const char* file : {"gpt_scripted.pt", "gpt2_traced.pt"}) {
    const Model m = Model::load(fixture(file));
    const at::Tensor x = openDataset(fixture("lm_tokens.h5"))->read(0, 3).inputs;
    ActivationCapture capture(m);
    const CaptureResult r = capture.run(x);
    QVERIFY(maxAbsDiff(r.modelOutput, m.forward(x)) < 1e-5);
    torch::NoGradGuard noGrad;
    for (const LayerInfo& l : m.summary().layers) {
      const auto it = r.layers.find(l.name);
      QVERIFY2(it != r.layers.end() && it->second.size() == 1, (std::string(file) + " " + l.name).c_str());
      const CapturedCall& call = it->second[0];
      const at::Tensor replay = applyLayer(l, call.args[0].toTensor(), m.weight(l.name), m.bias(l.name));
      QVERIFY2(maxAbsDiff(replay, call.output) < 1e-5, (std::string(file) + " " + l.name).c_str());
    }
    QCOMPARE(r.blocks.size(), size_t(2));
  }
}

void LanguageModelTests::decoderQuantizes() {
  Workspace ws;
  ws.loadModel(fixture("gpt2_traced.pt"));
  ws.setCalibration({fixture("lm_tokens.h5"), {}, 0, 0});
  ws.setEvaluation({fixture("lm_tokens_labelled.h5"), {}, 0, 0});
  QuantizationRequest r;
  r.method = QuantMethod::Rtn;
  r.weights.bits = 8;
  r.firstLastEightBit = false;
  const RunPtr eight = ws.quantize(r);
  QVERIFY(eight->evaluated && eight->evaluation.languageModel());
  const double fp = eight->evaluation.referencePerplexity(), q8 = eight->evaluation.perplexity();
  QVERIFY2(std::abs(q8 - fp) < 0.02 * fp, (std::to_string(fp) + " vs " + std::to_string(q8)).c_str());
  // At 3 bits the first projection and the LM head (tied to the embedding) stay at 8.
  r.weights.bits = 3;
  r.firstLastEightBit = true;
  const double rtn3 = ws.quantize(r)->evaluation.perplexity();
  for (QuantMethod method : {QuantMethod::Gptq, QuantMethod::AdaRound, QuantMethod::Brecq}) {
    QuantizationRequest learned = r;
    learned.method = method;
    learned.adaround.iterations = 40;
    const RunPtr run = ws.quantize(learned);
    const double ppl = run->evaluation.perplexity();
    QVERIFY2(std::isfinite(ppl) && ppl > 1, quantMethodName(method));
    QCOMPARE(run->result.layers.size(), size_t(9));
    double before = 0, after = 0;  // the reconstruction objective, over the layers
    for (const LayerOutcome& l : run->result.layers) before += l.lossBefore, after += l.lossAfter;
    QVERIFY2(after < before, quantMethodName(method));
    if (method == QuantMethod::Gptq)  // the LLM baseline earns its place over rounding to nearest
      QVERIFY2(ppl < rtn3, (std::to_string(ppl) + " vs RTN " + std::to_string(rtn3)).c_str());
  }
}

void LanguageModelTests::demoLanguageModelReproducesItsPerplexity() {
  QFile f(QString::fromStdString(testsupport::demoFile("demo.json")));
  QVERIFY(f.open(QIODevice::ReadOnly));
  const QJsonObject lm = QJsonDocument::fromJson(f.readAll()).object()["language_model"].toObject();
  const QJsonObject val = lm["validation"].toObject();
  const Model m = Model::load(testsupport::demoFile(lm["model"].toString().toUtf8().constData()));
  QCOMPARE(static_cast<int>(m.summary().layers.size()), lm["quantizable_layers"].toInt());
  QCOMPARE(m.summary().tokenTable.rows, int64_t(256));
  QCOMPARE(m.summary().positionTable.rows, int64_t(128));  // the context
  const auto data = openDataset(testsupport::demoFile(val["file"].toString().toUtf8().constData()));
  QCOMPARE(data->info().samples, static_cast<int64_t>(val["sequences"].toInt()));
  const EvalReport r = evaluate(m, *data);
  QCOMPARE(r.scored, static_cast<int64_t>(val["tokens"].toInt()));
  // The trainer's PyTorch figure, to its recorded digits.
  QVERIFY2(std::abs(r.perplexity() - val["perplexity"].toDouble()) < 2e-4, std::to_string(r.perplexity()).c_str());
  QVERIFY(std::abs(r.top1 - val["token_top1"].toDouble()) < 2e-4);
  // Per sample means per sequence: its tokens' sums, which add up to the whole set's figures.
  Model other = m.clone();
  const std::string layer = m.summary().layers.front().name;
  other.setWeight(layer, other.weight(layer) * 1.05);
  EvalOptions o;
  o.reference = &m;
  o.perSample = true;
  const EvalReport p = evaluate(other, *data, o);
  QCOMPARE(p.sampleKl.size(), static_cast<size_t>(data->info().samples));
  QCOMPARE(p.positionsPerSample, p.compared / data->info().samples);
  QVERIFY(p.positionsPerSample > 1);
  double kl = 0;
  int64_t right = 0, scored = 0;
  for (size_t i = 0; i < p.sampleKl.size(); ++i)
    kl += p.sampleKl[i], right += p.sampleCorrect[i], scored += p.sampleScored[i];
  QVERIFY(std::abs(kl / static_cast<double>(p.compared) - p.kl) < 1e-5 * (1 + p.kl));
  QCOMPARE(right, p.correct);
  QCOMPARE(scored, p.scored);
}

void LanguageModelTests::tiedHeadAndEmbeddingStayOneTensor() {
  // The scripted nanoGPT reads its head as lm_head.weight and its embedding as wte.weight: after
  // quantization, and in the exported file, both names hold the same quantized values.
  QTemporaryDir dir;
  Workspace ws;
  ws.loadModel(fixture("gpt_scripted.pt"));
  ws.setCalibration({fixture("lm_tokens.h5"), {}, 0, 0});
  QuantizationRequest r;
  r.method = QuantMethod::Rtn;
  r.weights.bits = 3;
  r.firstLastEightBit = false;  // the head at 3 bits too
  ws.quantize(r);
  const std::string path = dir.filePath("tied.pt").toStdString();
  ws.exportRun(ExportKind::TorchScript, path);
  const torch::jit::Module exported = torch::jit::load(path);
  const Model original = Model::load(fixture("gpt_scripted.pt"));
  at::Tensor head, embedding;
  for (const auto& p : exported.named_parameters(true)) {
    if (p.name == "lm_head.weight") head = p.value;
    if (p.name == "wte.weight") embedding = p.value;
  }
  QVERIFY(head.defined() && embedding.defined());
  QVERIFY(head.equal(embedding));
  QVERIFY(!head.equal(parameter(original, "lm_head.weight")));  // quantized: 3 bits moved it
  // At most 2^3 distinct values per row of the head: it is on the grid.
  QVERIFY(std::get<0>(at::_unique(head[0])).numel() <= 8);
}

// An embedding table that is no layer's weight (the position table; the token table is the tied
// head's layer) stays in floating point unless asked; asked, each row is rounded to nearest on its
// own grid, checked against a symmetric min/max grid computed here, and the codes reach the
// exports, the session and its rerun.
void LanguageModelTests::embeddingTablesQuantizePerRowOnRequest() {
  for (const auto& [file, table] : {std::pair<const char*, const char*>{"gpt_scripted.pt", "wpe.weight"},
                                    {"gpt2_traced.pt", "transformer.wpe.weight"}}) {
    const ModelSummary s = Model::load(fixture(file)).summary();
    QCOMPARE(s.embeddingTables.size(), size_t{1});
    QCOMPARE(s.embeddingTables[0].name, std::string(table));
    QCOMPARE(s.embeddingTables[0].rows, int64_t{32});
  }
  QTemporaryDir dir;
  const Model original = Model::load(fixture("gpt_scripted.pt"));
  const at::Tensor fpTable = parameter(original, "wpe.weight").detach().clone();
  QuantizationRequest r;
  r.method = QuantMethod::AdaRound;
  r.adaround.iterations = 20;
  r.calibrationCount = 8;
  r.weights.bits = 3;
  r.weights.symmetric = true;
  r.weights.rangeInit = RangeInit::MinMax;
  r.weights.granularity = Granularity::PerGroup;  // the layers' grids; a table's stays per row
  r.weights.groupSize = 16;
  const auto exportedTable = [&](Workspace& ws, const char* name) {
    const std::string path = dir.filePath(name).toStdString();
    ws.exportRun(ExportKind::TorchScript, path);
    for (const auto& p : torch::jit::load(path).named_parameters(true))
      if (p.name == "wpe.weight") return p.value.detach().clone();
    return at::Tensor();
  };

  Workspace ws;
  ws.loadModel(fixture("gpt_scripted.pt"));
  ws.setCalibration({fixture("lm_tokens.h5"), {}, 0, 0});
  ws.quantize(r);  // embedding bits 0: the table stays as it was
  QVERIFY(ws.currentRun()->result.tables.empty());
  QVERIFY(at::equal(exportedTable(ws, "fp-table.pt"), fpTable));

  r.embeddingBits = 4;
  const RunPtr run = ws.quantize(r);
  QCOMPARE(run->result.tables.size(), size_t{1});
  const TableOutcome& t = run->result.tables[0];
  QCOMPARE(t.parameter, std::string("wpe.weight"));
  QCOMPARE(t.bits, 4);
  QCOMPARE(t.columns, int64_t{32});
  const at::Tensor table = exportedTable(ws, "table.pt");
  // Independently: per row, step max|w| / 7, codes round(w / step) in [-7, 7].
  const at::Tensor w = fpTable.to(at::kFloat).contiguous(), q = table.to(at::kFloat).contiguous();
  double signal = 0, noise = 0;
  for (int64_t row = 0; row < w.size(0); ++row) {
    float absmax = 0;
    for (int64_t c = 0; c < w.size(1); ++c) absmax = std::max(absmax, std::abs(w[row][c].item<float>()));
    const float step = std::max(absmax / 7.0f, 1e-8f);
    for (int64_t c = 0; c < w.size(1); ++c) {
      const float x = w[row][c].item<float>(), expected = std::clamp(std::nearbyint(x / step), -7.0f, 7.0f) * step;
      QVERIFY2(std::abs(q[row][c].item<float>() - expected) <= 1e-6f * step,
               (std::to_string(row) + "," + std::to_string(c)).c_str());
      signal += double(x) * x;
      noise += double(x - expected) * (x - expected);
    }
  }
  QVERIFY(std::abs(t.sqnrDb - 10 * std::log10(signal / noise)) < 1e-3);
  // The first layer is reconstructed on the quantized tables' output, not on the FP model's.
  QuantizationRequest fpInputs = r;
  fpInputs.input = ReconInput::FloatingPoint;
  QVERIFY(ws.quantize(fpInputs)->result.layers[0].lossBefore != run->result.layers[0].lossBefore);
  ws.selectRun(run->number);
  // Learned rounding does not touch a table (nearest is already optimal there), and says so.
  QVERIFY(std::any_of(run->result.notes.begin(), run->result.notes.end(),
                      [](const std::string& n) { return n.find("embedding tables rounded to nearest") == 0; }));

  const std::string h5 = dir.filePath("q.h5").toStdString(), session = dir.filePath("q.rlab").toStdString();
  ws.exportRun(ExportKind::QuantizedHdf5, h5);
  const auto tables = readQuantizedTablesHdf5(h5);
  QCOMPARE(tables.size(), size_t{1});
  QVERIFY(at::equal(tables.at("wpe.weight"), table));
  const std::string encodings = dir.filePath("q.json").toStdString();
  ws.exportRun(ExportKind::Encodings, encodings);
  QFile json(QString::fromStdString(encodings));
  QVERIFY(json.open(QIODevice::ReadOnly));
  const QJsonArray rows =
      QJsonDocument::fromJson(json.readAll()).object()["param_encodings"].toObject()["wpe.weight"].toArray();
  QCOMPARE(rows.size(), 32);
  QCOMPARE(rows[0].toObject()["bitwidth"].toInt(), 4);
  ws.saveSession(session);

  Workspace reopened;
  reopened.openSession(session);
  QCOMPARE(reopened.currentRun()->result.tables.size(), size_t{1});
  QVERIFY(at::equal(exportedTable(reopened, "reopened.pt"), table));
  Workspace rerun;
  const RerunOutcome again = rerun.rerunSession(session);
  QVERIFY(again.identical);
  QCOMPARE(again.tables, int64_t{1});

  r.embeddingBits = 1;
  QCOMPARE(testsupport::errorOf([&] { ws.quantize(r); }), ErrorCode::InvalidArgument);
}

// A model returning a tuple or a dict: its logits are the first element or "logits" unless the
// user names another; a wrong choice is refused with what the model returns. Checked against the
// wrapped model's own logits and PyTorch's perplexity of the wrapped fixture.
void LanguageModelTests::tupleOrDictOutputIsChosenByIndexOrKey() {
  const torch::jit::Module lm = torch::jit::load(fixture("gpt_scripted.pt"));
  const at::Tensor ids = openDataset(fixture("lm_tokens.h5"))->read(0, 3).inputs;
  torch::NoGradGuard noGrad;
  const at::Tensor logits = lm.get_method("forward")({ids}).toTensor();
  const auto wrapped = [&](const char* name, const char* body) {
    torch::jit::Module w(name);
    w.register_module("lm", lm);
    w.define(std::string("def forward(self, x):\n    y = self.lm.forward(x)\n    return ") + body + "\n");
    return Model::fromModule(w, name);
  };
  Model tuple = wrapped("TupleLM", "(y, y * 2.0)");
  QVERIFY(at::equal(tuple.forward(ids), logits));
  tuple.setOutputChoice("1");
  QVERIFY(at::equal(tuple.forward(ids), logits * 2.0));
  std::string msg;
  tuple.setOutputChoice("2");
  QCOMPARE(testsupport::errorOf([&] { tuple.forward(ids); }, &msg), ErrorCode::InvalidArgument);
  QVERIFY2(
      msg.find(
          "TupleLM returns a tuple of 2 outputs (0: tensor [3,32,256], 1: tensor [3,32,256]): it has no output 2") !=
          std::string::npos,
      msg.c_str());
  tuple.setOutputChoice("logits");
  QCOMPARE(testsupport::errorOf([&] { tuple.forward(ids); }, &msg), ErrorCode::InvalidArgument);
  QVERIFY2(msg.find("not an index") != std::string::npos && msg.find("--model-output N") != std::string::npos,
           msg.c_str());

  Model dict = wrapped("DictLM", "{'hidden': y * 2.0, 'logits': y}");
  QVERIFY(at::equal(dict.forward(ids), logits));  // "logits" by default, not the first key
  dict.setOutputChoice("hidden");
  QVERIFY(at::equal(dict.forward(ids), logits * 2.0));
  Model noLogits = wrapped("ScoresLM", "{'scores': y, 'aux': y.sum()}");
  QCOMPARE(testsupport::errorOf([&] { noLogits.forward(ids); }, &msg), ErrorCode::InvalidArgument);
  QVERIFY2(msg.find("it has no \"logits\"") != std::string::npos &&
               msg.find("scores: tensor [3,32,256]") != std::string::npos &&
               msg.find("aux: tensor []") != std::string::npos && msg.find("--model-output KEY") != std::string::npos,
           msg.c_str());
  Model single = Model::fromModule(lm, "single");
  single.setOutputChoice("0");
  QCOMPARE(testsupport::errorOf([&] { single.forward(ids); }, &msg), ErrorCode::InvalidArgument);
  QVERIFY2(msg.find("returns a single tensor") != std::string::npos, msg.c_str());

  // Through the workspace, as the command line's --model-output does: the chosen output is scored,
  // and the summary says which output is used among which.
  QTemporaryDir dir;
  const std::string path = dir.filePath("scores.pt").toStdString();
  {
    torch::jit::Module w("ScoresLM");
    w.register_module("lm", lm);
    w.define("def forward(self, x):\n    y = self.lm.forward(x)\n    return {'scores': y, 'aux': y.sum()}\n");
    w.save(path);
  }
  Workspace ws;
  ws.loadModel(path, "scores");
  DataSource source;
  source.path = fixture("lm_tokens.h5");
  ws.setEvaluation(source);
  EvaluationSettings settings;
  settings.reference = EvaluationSettings::Reference::None;
  const EvalReport r = ws.evaluate(settings).report;
  const QJsonObject want =
      manifest()["models"].toObject()["gpt_scripted.pt"].toObject()["data"].toObject()["lm_tokens.h5"].toObject();
  QVERIFY(!want.isEmpty());
  QVERIFY2(std::abs(r.perplexity() - want["perplexity"].toDouble()) < 1e-4 * want["perplexity"].toDouble(),
           std::to_string(r.perplexity()).c_str());
  const std::string note = ws.outputNote();
  QVERIFY2(note.find("returns a dict of 2 outputs") != std::string::npos &&
               note.find("uses output scores") != std::string::npos,
           note.c_str());

  // Quantized with the output-level term (the rest of the model run on each block's output), then
  // exported (the reloaded file compared on the same output) and saved: the session reopens and
  // reruns on the chosen output, without being told again.
  DataSource calibration;
  calibration.path = fixture("lm_tokens.h5");
  ws.setCalibration(calibration);
  QuantizationRequest request;
  request.method = QuantMethod::Brecq;  // blocks run once per sequence: the term applies
  request.weights.bits = 4;
  request.adaround.iterations = 5;
  request.outputKlWeight = 1;
  request.calibrationCount = 8;
  const RunPtr run = ws.quantize(request);
  QVERIFY(run->evaluated);
  QVERIFY(std::isfinite(run->evaluation.perplexity()));
  for (const std::string& n : run->result.notes)  // every block had the term (the LM head, a layer, has not)
    QVERIFY2(n.find("output-level term for lm.h.") == std::string::npos, n.c_str());
  const ExportOutcome exported = ws.exportRun(ExportKind::TorchScript, dir.filePath("q.pt").toStdString());
  QCOMPARE(exported.maxAbsDiff, 0.0);
  const std::string session = dir.filePath("s.rlab").toStdString();
  ws.saveSession(session);
  Workspace reopened;
  reopened.openSession(session);
  QCOMPARE(reopened.summary().outputChoice, std::string("scores"));
  const RerunOutcome again = reopened.rerunSession(session);
  QVERIFY(again.identical);
}
