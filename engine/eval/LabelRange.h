#pragma once
// Labels must index the model's outputs: a label outside [0, classes) is named, with the file.
#include <cstdint>
#include <optional>
#include <string>

#include <torch/types.h>

namespace roundlab {

// Throws DataShapeMismatch "PATH has label -3, outside the model's 10 classes (0..9)"; `what`
// names the outputs ("classes", "vocabulary of"); labels equal to `ignored` are not checked.
void requireLabelsInRange(const at::Tensor& labels, int64_t classes, const std::string& path,
                          const std::string& what = "classes", std::optional<int64_t> ignored = std::nullopt);

// The labels of a batch must be one per output position (N for N x K logits, N x T for a language
// model's N x T x V) and index the outputs, ignored labels (-100) aside. Throws DataShapeMismatch
// naming `path`.
void requireLabelsFit(const at::Tensor& labels, const at::Tensor& logits, const std::string& path);

}  // namespace roundlab
