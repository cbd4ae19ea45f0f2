#pragma once
#include <QString>
#include <QTest>

#include <functional>
#include <string>

#include <torch/script.h>
#include <torch/torch.h>

#include "engine/core/Error.h"

namespace testsupport {

std::string fixture(const char* name);        // tests/data/<name>
std::string demoFile(const char* name);       // resources/demo/<name>
at::Tensor images(int64_t n, uint64_t seed);  // N x 1 x 28 x 28 standard normal, seeded

// The error code thrown by fn, or nullopt if it threw nothing (other exceptions propagate).
std::optional<roundlab::ErrorCode> errorOf(const std::function<void()>& fn, std::string* message = nullptr);

// The submodule at a module path such as "layer1.0" (independent of the engine's lookup).
torch::jit::Module submodule(const torch::jit::Module& root, const std::string& path);

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
