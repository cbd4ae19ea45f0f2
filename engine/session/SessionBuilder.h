#pragma once
// A session document from a finished run: absolute input paths with their SHA-256 hashes and the
// library versions beside the run's settings, results and weights.
#include <string>

#include "engine/session/SessionFile.h"

namespace roundlab {

Session makeSession(const std::string& modelPath, const std::string& calibrationPath,
                    const DataOptions& calibrationOptions, const QuantizationResult& result,
                    const QuantizedWeights& weights);

// Throws BadDataFile when the file at `path` no longer hashes to `recordedSha256` (a session's
// input changed since it was saved); `what` names it ("model", "calibration set").
void checkRecordedHash(const std::string& path, const std::string& recordedSha256, const std::string& what);

}  // namespace roundlab
