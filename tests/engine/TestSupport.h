#pragma once
#include <QString>
#include <QTest>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <torch/script.h>
#include <torch/torch.h>

#include "engine/core/Error.h"
#include "engine/data/Dataset.h"
#include "engine/model/Model.h"

namespace roundlab {
struct CaptureResult;
}

namespace testsupport {

std::string fixture(const char* name);   // tests/data/<name>
std::string demoFile(const char* name);  // resources/demo/<name>

// The bundled demo models and data sets (a name in resources/demo, or a full path), each loaded
// once per test process (ctest runs one suite per process). Tests that change weights or
// activation quantizers work on demoCopy(), a clone.
const roundlab::Model& demoModel(const std::string& name);
// Debian's Fashion-MNIST (dataset-fashion-mnist): a file of it, and whether it is installed.
std::string fashionMnist(const char* file);
bool haveFashionMnist();
roundlab::Model demoCopy(const std::string& name);
std::shared_ptr<const roundlab::Dataset> demoData(const std::string& name);
at::Tensor images(int64_t n, uint64_t seed);  // N x 1 x 28 x 28 standard normal, seeded

// The error code thrown by fn, or nullopt if it threw nothing (other exceptions propagate).
std::optional<roundlab::ErrorCode> errorOf(const std::function<void()>& fn, std::string* message = nullptr);

// The submodule at a module path such as "layer1.0" (independent of the engine's lookup).
torch::jit::Module submodule(const torch::jit::Module& root, const std::string& path);

// One layer of a demo model with its captured inputs and FP outputs.
struct LayerCase {
  roundlab::Model model;
  roundlab::LayerInfo layer;
  at::Tensor inputs, outputs;
};
// The demo ResNet's `name` (layer2.0.conv1 by default) on its first 128 calibration images.
LayerCase demoLayer(const char* name = "layer2.0.conv1");

// Every layer's and block's calls of the model on x, outputs included (no gradients).
roundlab::CaptureResult captureAll(const roundlab::Model& m, const at::Tensor& x);

// max |a - b|, with shapes checked.
double maxAbsDiff(const at::Tensor& a, const at::Tensor& b);

}  // namespace testsupport

#define EXPECT_ERROR(expr, expectedCode)                                                              \
  do {                                                                                                \
    std::string msg_;                                                                                 \
    const auto code_ = testsupport::errorOf([&] { (void)(expr); }, &msg_);                            \
    QVERIFY2(code_.has_value(), "expected an error, none was thrown");                                \
    QVERIFY2(*code_ == (expectedCode),                                                                \
             (std::string("wrong error: ") + roundlab::errorCodeName(*code_) + ": " + msg_).c_str()); \
  } while (0)

// Skips the calling test, saying why, where Fashion-MNIST is not installed (optional data).
#define SKIP_WITHOUT_FASHION_MNIST()                                                                   \
  do {                                                                                                 \
    if (!testsupport::haveFashionMnist())                                                              \
      QSKIP("Fashion-MNIST is not installed (apt install dataset-fashion-mnist): this test needs it"); \
  } while (0)
