#include "engine/eval/LabelRange.h"

#include <torch/torch.h>

#include "engine/core/Error.h"

namespace roundlab {

void requireLabelsInRange(const at::Tensor& labels, int64_t classes, const std::string& path) {
  const at::Tensor outside = labels.lt(0).logical_or(labels.ge(classes)).nonzero();
  if (outside.numel() == 0) return;
  const int64_t label = labels[outside[0][0].item<int64_t>()].item<int64_t>();
  throw Error(ErrorCode::DataShapeMismatch, path + " has label " + std::to_string(label) + ", outside the model's " +
                                                std::to_string(classes) + " classes (0.." +
                                                std::to_string(classes - 1) + ")");
}

}  // namespace roundlab
