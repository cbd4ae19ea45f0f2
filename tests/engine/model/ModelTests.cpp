// Model loading and layer discovery, checked against the module tree, the scripted class
// constants and the parameter list (independent of the graph walk the engine uses).
#include <QTemporaryDir>

#include <regex>
#include <set>

#include "EngineTests.h"
#include "TestSupport.h"
#include "engine/model/Model.h"

ROUNDLAB_ENGINE_SUITE("models", ModelTests);

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
