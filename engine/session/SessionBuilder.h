#pragma once
// A session document from a finished run: absolute input paths with their SHA-256 hashes and the
// library versions beside the run's settings, results and weights.
#include <string>

#include "engine/session/SessionFile.h"

namespace roundlab {

Session makeSession(const std::string& modelPath, const std::string& calibrationPath,
                    const DataOptions& calibrationOptions, const QuantizationResult& result,
                    const QuantizedWeights& weights);

}  // namespace roundlab
