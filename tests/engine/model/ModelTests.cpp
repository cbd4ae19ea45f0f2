// Model loading and layer discovery, checked against the module tree, the scripted class
// constants and the parameter list (independent of the graph walk the engine uses).
#include <dlfcn.h>

#include <QTemporaryDir>

#include <regex>
#include <set>

#include "EngineTests.h"
#include "TestSupport.h"
#include "engine/capture/ActivationCapture.h"
#include "engine/model/Model.h"

ROUNDLAB_ENGINE_SUITE("models", ModelTests);

// oneDNN (LibTorch's convolutions) runs at most its AVX2 kernels, whatever the processor: its
// AVX-512 kernels sum in another order on AMD than on Intel, and runs must give the same bits on
// every machine (Runtime.cpp caps it while the program loads).
void ModelTests::convolutionKernelsAreCappedAtAvx2() {
  using EffectiveIsa = unsigned (*)();
  const auto effectiveIsa = reinterpret_cast<EffectiveIsa>(dlsym(RTLD_DEFAULT, "dnnl_get_effective_cpu_isa"));
  if (!effectiveIsa) QSKIP("this LibTorch does not use oneDNN");
  const QString cap = std::getenv("ONEDNN_MAX_CPU_ISA");
  if (std::getenv("DNNL_MAX_CPU_ISA") || (!cap.isEmpty() && cap != "AVX2"))
    QSKIP("the environment sets another oneDNN cap");
  QCOMPARE(cap, QString("AVX2"));
  torch::NoGradGuard noGrad;
  const at::Tensor y = at::conv2d(at::randn({8, 16, 28, 28}), at::randn({16, 16, 3, 3}));
  QCOMPARE(y.size(1), int64_t(16));
  constexpr unsigned kAvx2 = 0x7;  // dnnl_cpu_isa_avx2; wider sets have bits above it
  QVERIFY2((effectiveIsa() & ~kAvx2) == 0, QByteArray::number(effectiveIsa(), 16).constData());
}

using namespace roundlab;
using testsupport::fixture;
using testsupport::submodule;

namespace {

std::string typeShortName(const torch::jit::Module& m) {
  static const std::regex mangle(R"(___torch_mangle_[0-9]+\.)");
  std::string n = std::regex_replace(m.type()->name()->qualifiedName(), mangle, "");
  return n.substr(n.rfind('.') + 1);
}

std::vector<int64_t> intsFromConstant(const c10::IValue& v) {
  std::vector<int64_t> out;
  if (v.isTuple())
    for (const auto& e : v.toTupleRef().elements()) out.push_back(e.toInt());
  else if (v.isIntList())
    out = v.toIntVector();
  else
    out.push_back(v.toInt());
  return out;
}

}  // namespace

void ModelTests::scriptedResNetLayersMatchModuleTree() {
  const Model m = Model::load(fixture("resnet_scripted.pt"));
  std::set<std::string> expected;
  for (const auto& nm : m.module().named_modules()) {
    const std::string t = typeShortName(nm.value);
    if (t == "Conv2d" || t == "Linear") expected.insert(nm.name);
  }
  std::set<std::string> found;
  for (const LayerInfo& l : m.summary().layers) {
    found.insert(l.name);
    const at::Tensor w = submodule(m.module(), l.name).attr("weight").toTensor();
    QCOMPARE(l.weightShape, w.sizes().vec());
    QCOMPARE(l.params, w.numel());
  }
  QCOMPARE(found, expected);
  QCOMPARE(m.summary().layers.size(), size_t(9));
  std::vector<std::string> blocks;
  for (const BlockInfo& b : m.summary().blocks) {
    blocks.push_back(b.name);
    QCOMPARE(b.moduleType, std::string("BasicBlock"));
  }
  QCOMPARE(blocks, (std::vector<std::string>{"layer1.0", "layer1.1", "layer2.0"}));
  QCOMPARE(m.layer("layer2.0.downsample.0").block, std::string("layer2.0"));
  QVERIFY(m.layer("conv1").block.empty());
  QVERIFY(m.layer("fc").block.empty());
}

void ModelTests::tracedAndScriptedAgree_data() {
  QTest::addColumn<QString>("stem");
  QTest::newRow("resnet") << "resnet";
  QTest::newRow("depthwise") << "depthwise";
  QTest::newRow("attention") << "attention";
}

void ModelTests::tracedAndScriptedAgree() {
  QFETCH(QString, stem);
  const Model s = Model::load(fixture((stem + "_scripted.pt").toUtf8().constData()));
  const Model t = Model::load(fixture((stem + "_traced.pt").toUtf8().constData()));
  QCOMPARE(s.summary().layers.size(), t.summary().layers.size());
  for (size_t i = 0; i < s.summary().layers.size(); ++i) {
    const LayerInfo &a = s.summary().layers[i], &b = t.summary().layers[i];
    QCOMPARE(a.name, b.name);
    QCOMPARE(int(a.kind), int(b.kind));
    QCOMPARE(a.weightShape, b.weightShape);
    QCOMPARE(a.biasPath, b.biasPath);
    QCOMPARE(a.block, b.block);
    QCOMPARE(a.conv.has_value(), b.conv.has_value());
    if (a.conv) {
      QCOMPARE(a.conv->stride, b.conv->stride);
      QCOMPARE(a.conv->padding, b.conv->padding);
      QCOMPARE(a.conv->dilation, b.conv->dilation);
      QCOMPARE(a.conv->groups, b.conv->groups);
    }
  }
  QCOMPARE(s.summary().blocks.size(), t.summary().blocks.size());
}

void ModelTests::convAttributesMatchScriptedConstants() {
  for (const char* file : {"resnet_scripted.pt", "depthwise_scripted.pt", "attention_scripted.pt"}) {
    const Model m = Model::load(fixture(file));
    int convs = 0;
    for (const LayerInfo& l : m.summary().layers) {
      if (!l.conv) continue;
      ++convs;
      const auto type = submodule(m.module(), l.name).type();
      QCOMPARE(l.conv->stride, intsFromConstant(type->getConstant("stride")));
      QCOMPARE(l.conv->padding, intsFromConstant(type->getConstant("padding")));
      QCOMPARE(l.conv->dilation, intsFromConstant(type->getConstant("dilation")));
      QCOMPARE(l.conv->groups, type->getConstant("groups").toInt());
    }
    QVERIFY(convs > 0);
  }
}

void ModelTests::depthwiseGroupedAndConv1d() {
  const Model m = Model::load(fixture("depthwise_traced.pt"));
  const LayerInfo& dw = m.layer("block.depthwise");
  QVERIFY(dw.conv && dw.conv->depthwise);
  QCOMPARE(dw.conv->groups, int64_t(32));
  const LayerInfo& g = m.layer("grouped");
  QVERIFY(g.conv && !g.conv->depthwise);
  QCOMPARE(g.conv->groups, int64_t(2));
  QCOMPARE(g.conv->dilation, (std::vector<int64_t>{2, 2}));
  QCOMPARE(int(m.layer("rows").kind), int(LayerKind::Conv1d));
  QCOMPARE(m.layer("rows").weightShape, (std::vector<int64_t>{16, 112, 3}));
  QCOMPARE(m.summary().blocks.size(), size_t(1));
  QCOMPARE(m.summary().blocks[0].name, std::string("block"));
  QCOMPARE(m.summary().blocks[0].layers.size(), size_t(3));
}

void ModelTests::attentionProjectionsAreLayers_data() {
  QTest::addColumn<QString>("file");
  QTest::newRow("scripted") << "attention_scripted.pt";
  QTest::newRow("traced") << "attention_traced.pt";
}

void ModelTests::attentionProjectionsAreLayers() {
  QFETCH(QString, file);
  const Model m = Model::load(fixture(file.toUtf8().constData()));
  const LayerInfo& in = m.layer("encoder.self_attn.in_proj");
  QCOMPARE(int(in.kind), int(LayerKind::AttentionInProj));
  QCOMPARE(in.weightPath, std::string("encoder.self_attn.in_proj_weight"));
  QCOMPARE(in.weightShape, (std::vector<int64_t>{96, 32}));
  QCOMPARE(in.biasPath, std::string("encoder.self_attn.in_proj_bias"));
  QCOMPARE(int(m.layer("encoder.self_attn.out_proj").kind), int(LayerKind::AttentionOutProj));
  QCOMPARE(int(m.layer("attn.in_proj").kind), int(LayerKind::AttentionInProj));
  QCOMPARE(int(m.layer("attn.out_proj").kind), int(LayerKind::AttentionOutProj));
  QCOMPARE(int(m.layer("encoder.linear1").kind), int(LayerKind::Linear));
  // The transformer layer is a block; a bare attention module is not.
  QCOMPARE(m.summary().blocks.size(), size_t(1));
  QCOMPARE(m.summary().blocks[0].name, std::string("encoder"));
  QCOMPARE(m.summary().blocks[0].moduleType, std::string("TransformerEncoderLayer"));
  QCOMPARE(m.summary().blocks[0].layers.size(), size_t(4));
  QVERIFY(m.layer("attn.in_proj").block.empty());
}

void ModelTests::sharedAndBranchLayers() {
  const Model m = Model::load(fixture("mlp_scripted.pt"));
  QCOMPARE(m.summary().layers.size(), size_t(5));
  QCOMPARE(m.layer("shared").callSites, 2);
  QCOMPARE(m.layer("pos").callSites, 1);
  QCOMPARE(m.layer("neg").callSites, 1);
  QVERIFY(m.summary().blocks.empty());
}

void ModelTests::everyParameterIsAccountedFor_data() {
  QTest::addColumn<QString>("file");
  for (const char* f : {"resnet_scripted.pt", "resnet_traced.pt", "depthwise_scripted.pt", "mlp_scripted.pt",
                        "attention_scripted.pt", "attention_traced.pt"})
    QTest::newRow(f) << f;
}

void ModelTests::everyParameterIsAccountedFor() {
  QFETCH(QString, file);
  const Model m = Model::load(fixture(file.toUtf8().constData()));
  std::set<std::string> params;
  int64_t total = 0;
  for (const auto& p : m.module().named_parameters(true)) {
    params.insert(p.name);
    total += p.value.numel();
  }
  std::set<std::string> listed;
  for (const LayerInfo& l : m.summary().layers) QVERIFY(listed.insert(l.weightPath).second);
  for (const auto& p : m.summary().notQuantized) {
    QVERIFY2(listed.insert(p.name).second, p.name.c_str());
    QVERIFY2(!p.reason.empty(), p.name.c_str());
  }
  QCOMPARE(listed, params);
  QCOMPARE(m.summary().totalParams, total);
}

void ModelTests::setWeightChangesOutputAndRestores() {
  Model m = Model::load(fixture("resnet_scripted.pt"));
  const at::Tensor x = testsupport::images(4, 1);
  const at::Tensor y0 = m.forward(x);
  const at::Tensor w = m.weight("layer1.0.conv1").detach().clone();
  m.setWeight("layer1.0.conv1", w * 0.5);
  QVERIFY(testsupport::maxAbsDiff(m.forward(x), y0) > 1e-4);
  QCOMPARE(testsupport::maxAbsDiff(m.weight("layer1.0.conv1"), w * 0.5), 0.0);
  m.setWeight("layer1.0.conv1", w);
  QCOMPARE(testsupport::maxAbsDiff(m.forward(x), y0), 0.0);
  // weightValues is the same data, flattened.
  const std::vector<float> flat = m.weightValues("layer1.0.conv1");
  QCOMPARE(int64_t(flat.size()), w.numel());
  QCOMPARE(flat[5], w.flatten()[5].item<float>());
}

void ModelTests::setWeightRejectsBadValues() {
  Model m = Model::load(fixture("mlp_scripted.pt"));
  const at::Tensor before = m.weight("fc_out").detach().clone();
  EXPECT_ERROR(m.setWeight("fc_out", at::zeros({3, 3})), ErrorCode::WeightShapeMismatch);
  at::Tensor nan = before.clone();
  nan[0][0] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_ERROR(m.setWeight("fc_out", nan), ErrorCode::NonFiniteValues);
  QCOMPARE(testsupport::maxAbsDiff(m.weight("fc_out"), before), 0.0);
}

void ModelTests::cloneIsIndependent() {
  const Model m = Model::load(fixture("resnet_traced.pt"));
  Model c = m.clone();
  const at::Tensor x = testsupport::images(2, 2);
  const at::Tensor y = m.forward(x);
  QCOMPARE(testsupport::maxAbsDiff(c.forward(x), y), 0.0);
  c.setWeight("fc", at::zeros_like(c.weight("fc")));
  QVERIFY(testsupport::maxAbsDiff(c.forward(x), y) > 1e-4);
  QCOMPARE(testsupport::maxAbsDiff(m.forward(x), y), 0.0);
}

void ModelTests::missingFileError() { EXPECT_ERROR(Model::load(fixture("no_such_model.pt")), ErrorCode::FileNotFound); }

void ModelTests::notTorchScriptError() {
  std::string msg;
  QVERIFY(testsupport::errorOf([] { Model::load(fixture("not_a_model.pt")); }, &msg) == ErrorCode::NotTorchScript);
  QVERIFY(msg.find("not_a_model.pt") != std::string::npos);
  EXPECT_ERROR(Model::load(fixture("make_fixtures.py")), ErrorCode::NotTorchScript);
  EXPECT_ERROR(Model::load(ROUNDLAB_TEST_DATA_DIR), ErrorCode::NotTorchScript);
}

void ModelTests::noForwardError() {
  QTemporaryDir dir;
  torch::jit::Module mod("NoForward");
  mod.register_parameter("w", torch::ones({4, 4}), false);
  const std::string path = dir.filePath("noforward.pt").toStdString();
  mod.save(path);
  std::string msg;
  QVERIFY(testsupport::errorOf([&] { Model::load(path); }, &msg) == ErrorCode::NoForwardMethod);
  QVERIFY(msg.find("forward") != std::string::npos);
}

void ModelTests::noQuantizableLayerError() {
  std::string msg;
  QVERIFY(testsupport::errorOf([] { Model::load(fixture("no_layers.pt")); }, &msg) == ErrorCode::NoQuantizableLayer);
  QVERIFY2(msg.find("norm.weight") != std::string::npos, msg.c_str());
}

void ModelTests::inputShapeMismatchError() {
  const Model m = Model::load(fixture("resnet_scripted.pt"));
  std::string msg;
  QVERIFY(testsupport::errorOf(
              [&] {
                m.forward(torch::randn({2, 3, 28, 28}));
              },
              &msg) == ErrorCode::InputShapeMismatch);
  QVERIFY2(msg.find("[2,3,28,28]") != std::string::npos, msg.c_str());
  QVERIFY2(msg.find("channels") != std::string::npos, msg.c_str());
  QVERIFY2(msg.find('\n') == std::string::npos, msg.c_str());
}

void ModelTests::unknownLayerError() {
  const Model m = Model::load(fixture("resnet_scripted.pt"));
  EXPECT_ERROR(m.layer("layer9.conv"), ErrorCode::UnknownLayer);
  EXPECT_ERROR(m.weight("bn1"), ErrorCode::UnknownLayer);
}

void ModelTests::demoModelsListEveryWeight() {
  for (const char* file : {"fmnist_resnet.pt", "fmnist_transformer.pt"}) {
    const Model m = Model::load(testsupport::demoFile(file));
    std::set<std::string> weights;
    for (const auto& p : m.module().named_parameters(true)) {
      const std::string& n = p.name;
      if (p.value.dim() >= 2 && n.size() >= 6 && n.compare(n.size() - 6, 6, "weight") == 0) weights.insert(n);
    }
    std::set<std::string> layers;
    for (const LayerInfo& l : m.summary().layers) layers.insert(l.weightPath);
    QCOMPARE(layers, weights);
    QCOMPARE(m.summary().layers.size(), size_t(10));
  }
}

// The demo ResNet (stem conv, three BasicBlocks, the second and third with a 1×1 downsample, a
// linear head), written out by hand from its architecture: each block's output is the sum of its
// second conv and its shortcut (the block's input, or the downsample), so the next block's convs
// read both.
void ModelTests::demoResNetDataflowFollowsItsArchitecture() {
  const Model m = Model::load(testsupport::demoFile("fmnist_resnet.pt"));
  std::vector<DataflowEdge> expected{
      {kModelInput, "conv1"}, {"conv1", "layer1.0.conv1"}, {"layer1.0.conv1", "layer1.0.conv2"}};
  const std::vector<std::pair<std::string, std::string>> blockOutputs{{"layer1.0.conv2", "conv1"},
                                                                      {"layer2.0.conv2", "layer2.0.downsample.0"}};
  const std::vector<std::string> nextBlocks{"layer2.0", "layer3.0"};
  for (size_t b = 0; b < 2; ++b)
    for (const std::string& from : {blockOutputs[b].first, blockOutputs[b].second})
      for (const std::string& to : {nextBlocks[b] + ".conv1", nextBlocks[b] + ".downsample.0"})
        expected.push_back({from, to});
  for (const char* b : {"layer2.0", "layer3.0"})
    expected.push_back({std::string(b) + ".conv1", std::string(b) + ".conv2"});
  expected.push_back({"layer3.0.conv2", "fc"});
  expected.push_back({"layer3.0.downsample.0", "fc"});
  expected.push_back({"fc", kModelOutput});
  std::sort(expected.begin(), expected.end());
  std::vector<std::string> got;
  for (const DataflowEdge& e : m.summary().dataflow) got.push_back(e.from + " -> " + e.to);
  std::vector<std::string> want;
  for (const DataflowEdge& e : expected) want.push_back(e.from + " -> " + e.to);
  QCOMPARE(got, want);
}

// A scripted and a traced export of the same network describe the same dataflow, although their
// graphs differ (calls inlined or recorded, _convolution or conv2d).
void ModelTests::dataflowSameScriptedAndTraced() {
  const Model scripted = Model::load(fixture("resnet_scripted.pt"));
  const Model traced = Model::load(fixture("resnet_traced.pt"));
  QVERIFY(scripted.summary().dataflow.size() >= scripted.summary().layers.size());
  QCOMPARE(scripted.summary().dataflow, traced.summary().dataflow);
  // Every layer is reached from the input and reaches the output.
  for (const LayerInfo& l : scripted.summary().layers) {
    bool in = false, out = false;
    for (const DataflowEdge& e : scripted.summary().dataflow) {
      in = in || e.to == l.name;
      out = out || e.from == l.name;
    }
    QVERIFY2(in && out, l.name.c_str());
  }
}

// Attention's output projection reads the attention of its own q, k and v — in_proj's output —
// and nothing else, although TorchScript's nn.MultiheadAttention code also holds branches (separate
// q/k/v weights, raising paths) that would read the block's input directly.
void ModelTests::attentionOutputReadsOnlyItsProjection() {
  const Model m = Model::load(testsupport::demoFile("fmnist_transformer.pt"));
  int checked = 0;
  for (const LayerInfo& l : m.summary().layers) {
    if (l.kind != LayerKind::AttentionOutProj) continue;
    const std::string inProj = l.name.substr(0, l.name.rfind('.')) + ".in_proj";
    std::vector<std::string> sources;
    for (const DataflowEdge& e : m.summary().dataflow)
      if (e.to == l.name) sources.push_back(e.from);
    QCOMPARE(sources, std::vector<std::string>{inProj});
    ++checked;
  }
  QCOMPARE(checked, 2);
}

namespace {

torch::jit::Module linearModule(int64_t features) {
  torch::jit::Module m("Lin");
  m.register_parameter("weight", torch::randn({features, features}), false);
  m.register_parameter("bias", torch::randn({features}), false);
  m.define("def forward(self, x):\n    return torch.linear(x, self.weight, self.bias)\n");
  return m;
}

std::vector<std::string> edgesOf(const Model& m) {
  std::vector<std::string> out;
  for (const DataflowEdge& e : m.summary().dataflow) out.push_back(e.from + " -> " + e.to);
  return out;
}

}  // namespace

// A submodule returning a tuple feeds each consumer only the element it takes, and a dict passes
// its values on: (h, k, v) with only h used has no k/v edge onward; {"out": ...} reaches the output.
void ModelTests::dataflowFollowsTuplesAndDicts() {
  torch::jit::Module qkv("Qkv");
  for (const char* n : {"q", "k", "v"}) qkv.register_module(n, linearModule(4));
  qkv.define("def forward(self, x):\n    return (self.q.forward(x), self.k.forward(x), self.v.forward(x))\n");
  torch::jit::Module tuple("TupleTop");
  tuple.register_module("attn", qkv);
  tuple.register_module("fc2", linearModule(4));
  tuple.define("def forward(self, x):\n    h, k, v = self.attn.forward(x)\n    return self.fc2.forward(h)\n");
  QCOMPARE(edgesOf(Model::fromModule(tuple, "tuple")),
           (std::vector<std::string>{"(input) -> attn.k", "(input) -> attn.q", "(input) -> attn.v", "attn.q -> fc2",
                                     "fc2 -> (output)"}));

  torch::jit::Module dict("DictTop");
  dict.register_module("fc", linearModule(4));
  dict.register_module("fc2", linearModule(4));
  dict.define(
      "def forward(self, x):\n    feats = {'out': self.fc.forward(x)}\n"
      "    return {'out': self.fc2.forward(feats['out'])}\n");
  QCOMPARE(edgesOf(Model::fromModule(dict, "dict")),
           (std::vector<std::string>{"(input) -> fc", "fc -> fc2", "fc2 -> (output)"}));
}

namespace {

std::vector<int64_t> convOutput(int64_t size, int64_t kernel, int64_t stride, int64_t pad, int64_t dilation = 1) {
  return {(size + 2 * pad - dilation * (kernel - 1) - 1) / stride + 1};
}

}  // namespace

// The shapes one sample makes flow through the demo ResNet, and each layer's multiply-accumulates,
// against its definition in tools/train_demo_models.py: 28×28 inputs; 3×3 convs with padding 1,
// stride 2 at the first conv of layer2 and layer3 and at their 1×1 downsample convs; global
// average pooling; fc 64 → 10. The strides and paddings written here are checked against the
// scripted module's constants, the channels against the weights.
void ModelTests::demoResNetShapesFollowItsArchitecture() {
  const Model& m = testsupport::demoModel("fmnist_resnet.pt");
  struct Conv {
    const char* name;
    int64_t in, out, kernel, stride, pad, size;  // size: the input's height and width
  };
  const std::vector<Conv> convs{{"conv1", 1, 16, 3, 1, 1, 28},
                                {"layer1.0.conv1", 16, 16, 3, 1, 1, 28},
                                {"layer1.0.conv2", 16, 16, 3, 1, 1, 28},
                                {"layer2.0.conv1", 16, 32, 3, 2, 1, 28},
                                {"layer2.0.conv2", 32, 32, 3, 1, 1, 14},
                                {"layer2.0.downsample.0", 16, 32, 1, 2, 0, 28},
                                {"layer3.0.conv1", 32, 64, 3, 2, 1, 14},
                                {"layer3.0.conv2", 64, 64, 3, 1, 1, 7},
                                {"layer3.0.downsample.0", 32, 64, 1, 2, 0, 14}};
  ModelSummary s = m.summary();
  QVERIFY(!s.hasShapes());
  recordShapes(m, testsupport::images(4, 3), s);  // a batch: its first sample
  QVERIFY(s.hasShapes());
  QCOMPARE(s.inputShape, (std::vector<int64_t>{1, 1, 28, 28}));
  QCOMPARE(s.outputShape, (std::vector<int64_t>{1, 10}));
  QCOMPARE(s.layers.size(), convs.size() + 1);
  for (const Conv& c : convs) {
    const LayerInfo* l = s.findLayer(c.name);
    QVERIFY2(l, c.name);
    const auto type = submodule(m.module(), c.name).type();
    QCOMPARE(intsFromConstant(type->getConstant("stride")), (std::vector<int64_t>{c.stride, c.stride}));
    QCOMPARE(intsFromConstant(type->getConstant("padding")), (std::vector<int64_t>{c.pad, c.pad}));
    QCOMPARE(type->getConstant("groups").toInt(), int64_t(1));
    QCOMPARE(l->weightShape, (std::vector<int64_t>{c.out, c.in, c.kernel, c.kernel}));
    const int64_t size = convOutput(c.size, c.kernel, c.stride, c.pad)[0];
    QCOMPARE(l->inputShape, (std::vector<int64_t>{1, c.in, c.size, c.size}));
    QCOMPARE(l->outputShape, (std::vector<int64_t>{1, c.out, size, size}));
    QCOMPARE(l->macs, size * size * c.out * c.in * c.kernel * c.kernel);  // out_h·out_w·out_c·in_c·kh·kw
  }
  const LayerInfo* fc = s.findLayer("fc");
  QVERIFY(fc);
  QCOMPARE(fc->inputShape, (std::vector<int64_t>{1, 64}));
  QCOMPARE(fc->outputShape, (std::vector<int64_t>{1, 10}));
  QCOMPARE(fc->macs, int64_t(10 * 64));

  // The first sample of the calibration set says the same; a sample the model cannot read leaves
  // the summary as it was.
  ModelSummary fromData = m.summary();
  QVERIFY(recordShapes(m, *testsupport::demoData("fmnist_calib.h5"), fromData));
  QCOMPARE(fromData.inputShape, s.inputShape);
  for (size_t i = 0; i < s.layers.size(); ++i) {
    QCOMPARE(fromData.layers[i].outputShape, s.layers[i].outputShape);
    QCOMPARE(fromData.layers[i].macs, s.layers[i].macs);
  }
  ModelSummary untouched = m.summary();
  EXPECT_ERROR(recordShapes(m, torch::randn({1, 3, 28, 28}), untouched), ErrorCode::InputShapeMismatch);
  QVERIFY(!untouched.hasShapes());
  QCOMPARE(untouched.layers.front().macs, int64_t(-1));
}

// The demo transformer (tools/train_demo_models.py): 4×4 patches of 28×28 make 49 tokens and a
// class token, 64 features, feed-forward 128; nn.MultiheadAttention runs its projections over the
// 50 tokens, the head over the class token alone.
void ModelTests::demoTransformerShapesFollowItsArchitecture() {
  const Model& m = testsupport::demoModel("fmnist_transformer.pt");
  ModelSummary s = m.summary();
  recordShapes(m, testsupport::images(1, 4), s);
  QCOMPARE(s.outputShape, (std::vector<int64_t>{1, 10}));
  const int64_t tokens = 7 * 7 + 1, dim = 64, ff = 128;
  const LayerInfo* patches = s.findLayer("patch_embed");
  QVERIFY(patches);
  QCOMPARE(patches->outputShape, (std::vector<int64_t>{1, dim, 7, 7}));
  QCOMPARE(patches->macs, 7 * 7 * dim * 1 * 4 * 4);
  auto numel = [](const std::vector<int64_t>& shape) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  };
  int encoderLayers = 0;
  for (const LayerInfo& l : s.layers) {
    if (l.name.rfind("layers.", 0) != 0) continue;
    ++encoderLayers;
    const int64_t in = l.kind == LayerKind::AttentionInProj || l.kind == LayerKind::AttentionOutProj ||
                               l.name.find("linear1") != std::string::npos
                           ? dim
                           : ff;
    const int64_t out = l.kind == LayerKind::AttentionInProj          ? 3 * dim
                        : l.name.find("linear1") != std::string::npos ? ff
                                                                      : dim;
    QVERIFY2(numel(l.inputShape) == tokens * in && l.inputShape.back() == in, l.name.c_str());
    QVERIFY2(numel(l.outputShape) == tokens * out && l.outputShape.back() == out, l.name.c_str());
    QCOMPARE(l.macs, tokens * out * in);
  }
  QCOMPARE(encoderLayers, 2 * 4);  // in_proj, out_proj, linear1, linear2 of each of two layers
  const LayerInfo* head = s.findLayer("head");
  QVERIFY(head);
  QCOMPARE(head->inputShape, (std::vector<int64_t>{1, dim}));
  QCOMPARE(head->macs, 10 * dim);
}

// Multiply-accumulates by the textbook formulas, from the recorded shapes and the module's own
// constants: conv out_h·out_w·out_c·(in_c/groups)·kh·kw (grouped, depthwise, dilated, Conv1d),
// linear out·in per token; a layer called twice counts twice, one on a branch not taken has none.
void ModelTests::macsFollowTheConvAndLinearFormulas() {
  const Model dw = Model::load(fixture("depthwise_scripted.pt"));
  ModelSummary s = dw.summary();
  recordShapes(dw, testsupport::images(1, 5), s);
  for (const LayerInfo& l : s.layers) {
    QVERIFY2(!l.inputShape.empty() && !l.outputShape.empty(), l.name.c_str());
    int64_t expected = 0;
    if (l.conv) {
      const auto type = submodule(dw.module(), l.name).type();
      const int64_t groups = type->getConstant("groups").toInt();
      const std::vector<int64_t> stride = intsFromConstant(type->getConstant("stride"));
      const std::vector<int64_t> pad = intsFromConstant(type->getConstant("padding"));
      const std::vector<int64_t> dilation = intsFromConstant(type->getConstant("dilation"));
      expected = l.outputShape[1] * (l.inputShape[1] / groups);
      for (size_t d = 2; d < l.outputShape.size(); ++d) {
        const int64_t kernel = l.weightShape[d];
        QCOMPARE(l.outputShape[d], convOutput(l.inputShape[d], kernel, stride[d - 2], pad[d - 2], dilation[d - 2])[0]);
        expected *= l.outputShape[d] * kernel;
      }
    } else {
      expected = l.outputShape.back() * l.inputShape.back();
    }
    QCOMPARE(l.macs, expected);
  }
  const LayerInfo* depthwise = s.findLayer("block.depthwise");  // one input channel per output
  QCOMPARE(depthwise->macs, depthwise->outputShape[1] * depthwise->outputShape[2] * depthwise->outputShape[3] * 9);

  const Model mlp = Model::load(fixture("mlp_scripted.pt"));
  ModelSummary b = mlp.summary();
  recordShapes(mlp, testsupport::images(1, 6), b);
  QCOMPARE(b.findLayer("fc1")->macs, int64_t(784 * 64));
  QCOMPARE(b.findLayer("shared")->macs, int64_t(2 * 64 * 64));
  const LayerInfo *pos = b.findLayer("pos"), *neg = b.findLayer("neg");
  QVERIFY((pos->macs == 64 * 32) != (neg->macs == 64 * 32));  // one branch ran
  QCOMPARE(std::min(pos->macs, neg->macs), int64_t(-1));      // the other did not: nothing known of it
  QVERIFY(pos->inputShape.empty() != neg->inputShape.empty());
}
