#pragma once
// Export of a (quantized) model as TorchScript with its current weights baked in. The file is
// written atomically and validated by reloading it and comparing outputs on a probe batch.
#include <cstdint>
#include <string>

namespace roundlab {

class Model;
class Dataset;

struct ExportReport {
  std::string path;
  bool validated = false;
  double maxAbsDiff = 0;  // reloaded vs in-app output on the probe batch (0 = identical)
  int64_t probeSamples = 0;
};

// The probe batch is the first `probeSamples` samples of `probeData`. Throws WriteFailed (leaving
// any existing file untouched) or Internal when the reloaded file does not reproduce the in-app
// output exactly.
ExportReport exportTorchScript(const Model& model, const std::string& path, const Dataset& probeData,
                               int64_t probeSamples = 32);

}  // namespace roundlab
