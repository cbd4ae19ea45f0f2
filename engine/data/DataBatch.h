#pragma once
#include <torch/types.h>

namespace roundlab {

struct DataBatch {
  at::Tensor inputs;  // float32, N x sampleShape, normalised; int64 N x T for token ids
  at::Tensor labels;  // int64 N (or N x T for tokens, kIgnoredLabel = not scored), undefined without labels
};

}  // namespace roundlab
