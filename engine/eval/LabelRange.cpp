#include "engine/eval/LabelRange.h"

#include <torch/torch.h>

#include "engine/core/Error.h"
#include "engine/core/Shape.h"
#include "engine/data/Dataset.h"

namespace roundlab {

void requireLabelsInRange(const at::Tensor& labels, int64_t classes, const std::string& path, const std::string& what,
                          std::optional<int64_t> ignored) {
  at::Tensor outside = labels.lt(0).logical_or(labels.ge(classes));
  if (ignored) outside = outside.logical_and(labels.ne(*ignored));
  const at::Tensor where = outside.flatten().nonzero();
  if (where.numel() == 0) return;
  const int64_t label = labels.flatten()[where[0][0].item<int64_t>()].item<int64_t>();
  const std::string outputs =
      what == "classes" ? std::to_string(classes) + " classes" : what + " " + std::to_string(classes);
  throw Error(ErrorCode::DataShapeMismatch, path + " has label " + std::to_string(label) + ", outside the model's " +
                                                outputs + " (0.." + std::to_string(classes - 1) + ")");
}

void requireLabelsFit(const at::Tensor& labels, const at::Tensor& logits, const std::string& path) {
  const bool tokens = logits.dim() == 3;
  const std::vector<int64_t> want(logits.sizes().begin(), logits.sizes().end() - 1);
  if (labels.sizes().vec() != want)
    throw Error(ErrorCode::DataShapeMismatch,
                path + " has labels of shape " + formatShape(labels.sizes().vec()) + " per batch; the model's " +
                    (tokens ? "per-token " : "") + "output needs " + formatShape(want) +
                    (tokens ? " (one next-token label per position)" : " (one class per sample)"));
  requireLabelsInRange(labels, logits.size(-1), path, tokens ? "vocabulary of" : "classes", kIgnoredLabel);
}

}  // namespace roundlab
