#include "TestSupport.h"

namespace testsupport {

std::string fixture(const char* name) { return std::string(ROUNDLAB_TEST_DATA_DIR) + "/" + name; }
std::string demoFile(const char* name) { return std::string(ROUNDLAB_DEMO_DIR) + "/" + name; }

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

double maxAbsDiff(const at::Tensor& a, const at::Tensor& b) {
  if (!a.sizes().equals(b.sizes())) return std::numeric_limits<double>::infinity();
  return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

}  // namespace testsupport
