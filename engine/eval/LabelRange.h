#pragma once
// Labels must index the model's outputs: a label outside [0, classes) is named, with the file.
#include <cstdint>
#include <string>

#include <torch/types.h>

namespace roundlab {

// Throws DataShapeMismatch "PATH has label -3, outside the model's 10 classes (0..9)".
void requireLabelsInRange(const at::Tensor& labels, int64_t classes, const std::string& path);

}  // namespace roundlab
