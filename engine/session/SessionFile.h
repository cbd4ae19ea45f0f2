#pragma once
// RoundLab session files (.rlab, HDF5; docs/session-format.md): everything needed to see a
// quantization run again without rerunning it, and to rerun it to the same bits: input paths and
// SHA-256 hashes, every setting and the seed, library versions, the bit allocation, and per layer
// the integer codes, round-to-nearest codes (flip maps), grids, losses and loss curves.
// Written atomically; a corrupt or foreign file gives BadDataFile naming what is wrong.
#include <string>

#include <vector>

#include "engine/core/Runtime.h"
#include "engine/data/Dataset.h"
#include "engine/importance/Importance.h"
#include "engine/pipeline/Experiment.h"
#include "engine/pipeline/QuantizationRequest.h"
#include "engine/quant/QuantizedWeights.h"

namespace roundlab {

class Model;

struct Session {
  std::string modelPath, modelSha256;
  std::string modelOutput;  // which output of a tuple/dict model is its logits (empty: the default)
  std::string calibrationPath, calibrationSha256;
  DataOptions calibrationOptions;  // how the calibration set was read (normalisation, overrides)
  LibraryVersions versions;
  std::string runName;        // the user's name for the run (may be empty)
  QuantizationResult result;  // request (settings, seed) and per-layer outcomes
  QuantizedWeights weights;
  std::vector<ImportanceTable> importance;    // one per estimator (may be empty); loaded in estimator order
  std::vector<ExperimentRecord> experiments;  // plans and rows (their runs are not in the file)
};

void saveSession(const std::string& path, const Session& session);
Session loadSession(const std::string& path);

// Puts the session's quantized weights into a model loaded from the session's model file.
// Throws UnknownLayer / WeightShapeMismatch when the model does not match the session.
void applySession(Model& model, const Session& session);
// Puts a run's quantized weights, learned biases and activation quantizers into a model loaded
// from the run's model file (its FP weights).
void applyRun(Model& model, const QuantizationResult& result, const QuantizedWeights& weights);

}  // namespace roundlab
