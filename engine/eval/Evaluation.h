#pragma once
// Model evaluation: top-1 accuracy on labelled data; KL divergence and top-1 agreement
// against a reference model (usually the FP original) on any data.
#include <cstdint>

#include "engine/core/Job.h"

namespace roundlab {

class Model;
class Dataset;

struct EvalOptions {
  int64_t batch = 256;
  const Model* reference = nullptr;  // FP model for KL / agreement
  ProgressFn progress;
  CancelToken cancel;
};

struct EvalReport {
  int64_t samples = 0;
  bool hasLabels = false;
  int64_t correct = 0;
  double top1 = 0;  // percent, when labelled
  bool hasReference = false;
  double referenceTop1 = 0;  // percent, when labelled
  double kl = 0;             // mean KL(p_reference || p_model), nats
  double agreement = 0;      // percent of samples where both predict the same class
  double wallSeconds = 0;
};

// Throws InputShapeMismatch (data does not fit the model), DataShapeMismatch (labels outside
// the model's classes), Cancelled.
EvalReport evaluate(const Model& model, const Dataset& data, const EvalOptions& options = {});

}  // namespace roundlab
