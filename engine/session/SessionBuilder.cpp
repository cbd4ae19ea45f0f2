#include "engine/session/SessionBuilder.h"

#include <filesystem>

#include "engine/core/Error.h"
#include "engine/core/Runtime.h"
#include "engine/core/Sha256.h"

namespace roundlab {

namespace {
std::string absolutePath(const std::string& path) {
  std::error_code ec;
  const std::filesystem::path p = std::filesystem::absolute(path, ec);
  return ec ? path : p.lexically_normal().string();
}
}  // namespace

Session makeSession(const std::string& modelPath, const std::string& calibrationPath,
                    const DataOptions& calibrationOptions, const QuantizationResult& result,
                    const QuantizedWeights& weights) {
  Session s;
  s.calibrationOptions = calibrationOptions;
  s.modelPath = absolutePath(modelPath);
  s.calibrationPath = absolutePath(calibrationPath);
  s.modelSha256 = sha256File(modelPath);
  s.calibrationSha256 = sha256File(calibrationPath);
  s.versions = libraryVersions();
  s.result = result;
  s.weights = weights;
  return s;
}

}  // namespace roundlab
