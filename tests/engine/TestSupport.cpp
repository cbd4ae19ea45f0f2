#include "TestSupport.h"

#include "engine/capture/ActivationCapture.h"
#include "engine/data/DataBatch.h"

#include <filesystem>
#include <map>

namespace testsupport {

std::string fixture(const char* name) { return std::string(ROUNDLAB_TEST_DATA_DIR) + "/" + name; }
std::string demoFile(const char* name) { return std::string(ROUNDLAB_DEMO_DIR) + "/" + name; }

namespace {
std::string demoPath(const std::string& name) {
  return name.find('/') == std::string::npos ? demoFile(name.c_str()) : name;
}
}  // namespace

const roundlab::Model& demoModel(const std::string& name) {
  static std::map<std::string, roundlab::Model> loaded;
  const std::string path = demoPath(name);
  auto it = loaded.find(path);
  if (it == loaded.end()) it = loaded.emplace(path, roundlab::Model::load(path)).first;
  return it->second;
}

std::string fashionMnist(const char* file) { return std::string(FASHION_MNIST_DIR) + "/" + file; }

bool haveFashionMnist() { return std::filesystem::exists(fashionMnist("t10k-images-idx3-ubyte.gz")); }

roundlab::Model demoCopy(const std::string& name) { return demoModel(name).clone(); }

std::shared_ptr<const roundlab::Dataset> demoData(const std::string& name) {
  static std::map<std::string, std::shared_ptr<const roundlab::Dataset>> opened;
  const std::string path = demoPath(name);
  auto it = opened.find(path);
  if (it == opened.end()) it = opened.emplace(path, roundlab::openDataset(path)).first;
  return it->second;
}

at::Tensor images(int64_t n, uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  return at::randn({n, 1, 28, 28}, gen);
}

std::optional<roundlab::ErrorCode> errorOf(const std::function<void()>& fn, std::string* message) {
  try {
    fn();
  } catch (const roundlab::Error& e) {
    if (message) *message = e.what();
    return e.code();
  }
  return std::nullopt;
}

torch::jit::Module submodule(const torch::jit::Module& root, const std::string& path) {
  for (const auto& nm : root.named_modules())
    if (nm.name == path) return nm.value;
  throw std::runtime_error("no submodule " + path);
}

roundlab::CaptureResult captureAll(const roundlab::Model& m, const at::Tensor& x) {
  roundlab::ActivationCapture capture(m);
  torch::NoGradGuard noGrad;
  return capture.run(x);
}

double maxAbsDiff(const at::Tensor& a, const at::Tensor& b) {
  if (!a.sizes().equals(b.sizes())) return std::numeric_limits<double>::infinity();
  return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

LayerCase demoLayer(const char* name) {
  LayerCase c{demoCopy("fmnist_resnet.pt"), {}, {}, {}};
  c.layer = c.model.layer(name);
  const auto data = demoData("fmnist_calib.h5");
  roundlab::CaptureOptions o;
  o.blocks = false;
  roundlab::ActivationCapture cap(c.model, o);
  torch::NoGradGuard g;
  const roundlab::CaptureResult r = cap.run(data->read(0, 128).inputs);
  c.inputs = r.layers.at(name)[0].args[0].toTensor();
  c.outputs = r.layers.at(name)[0].output;
  return c;
}

}  // namespace testsupport
