#pragma once
// Design-space experiments: rerun quantization varying one setting (an "axis") while holding the
// rest, and tabulate accuracy, reconstruction loss and time per value (the founding paper's study,
// as a command).
#include <string>
#include <vector>

#include "engine/core/Job.h"
#include "engine/pipeline/QuantizationRequest.h"

namespace roundlab {

class Model;
class Dataset;

// Axes that can be swept, e.g. "wbits", "method", "grid", "iters", "lambda", "lr", "calib-count".
const std::vector<std::string>& experimentAxes();
// Sets one axis of a request from its text value. Throws InvalidArgument for an unknown axis or a
// value it cannot take.
void setAxis(QuantizationRequest& request, const std::string& axis, const std::string& value);

struct ExperimentRow {
  std::string value;
  bool evaluated = false;
  double top1 = 0, kl = 0, agreement = 0;
  double meanLossBefore = 0, meanLossAfter = 0;  // over layers, of the reconstruction objective
  double seconds = 0;                            // quantization wall time
};

// Runs the base request once per value of the axis, each time on a fresh copy of `model` (which
// is left untouched). `evaluation` may be null (no accuracy columns).
std::vector<ExperimentRow> runExperiment(const Model& model, const Dataset& calibration, const Dataset* evaluation,
                                         const QuantizationRequest& base, const std::string& axis,
                                         const std::vector<std::string>& values, const ProgressFn& progress = {},
                                         const CancelToken& cancel = {});

}  // namespace roundlab
