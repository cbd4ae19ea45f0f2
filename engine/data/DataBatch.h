#pragma once
#include <torch/types.h>

namespace roundlab {

struct DataBatch {
  at::Tensor inputs;  // float32, N x sampleShape, normalised
  at::Tensor labels;  // int64 N, undefined without labels
};

}  // namespace roundlab
