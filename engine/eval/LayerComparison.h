#pragma once
// Per-layer agreement between two models of the same architecture on the same data (e.g. FP
// reference vs quantized): output MSE, SQNR in dB and cosine similarity of each layer's output.
#include <string>
#include <vector>

#include "engine/core/Job.h"

namespace roundlab {

class Model;
class Dataset;

struct LayerComparison {
  std::string layer;
  double mse = 0;
  double sqnrDb = 0;  // 10 log10(sum ref^2 / sum (ref - other)^2); +inf when identical
  double cosine = 0;  // of the flattened outputs over all samples
  int64_t elements = 0;
};

struct CompareOptions {
  int64_t batch = 64;
  int64_t maxSamples = 0;  // 0 = all
  ProgressFn progress;
  CancelToken cancel;
};

std::vector<LayerComparison> compareLayerOutputs(const Model& reference, const Model& other, const Dataset& data,
                                                 const CompareOptions& options = {});

}  // namespace roundlab
