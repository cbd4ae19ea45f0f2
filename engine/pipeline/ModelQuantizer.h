#pragma once
// Quantizes a model's weights layer by layer (RTN or AdaRound) and writes them into the model.
//
// A cancelled run (Error Cancelled) leaves every layer finished before the cancel quantized,
// the layer in progress and all later ones untouched at full precision; the model is always
// usable.
#include <string>

#include "engine/core/Job.h"
#include "engine/pipeline/QuantizationRequest.h"

namespace roundlab {

class Model;
class Dataset;
struct QuantizedWeights;

QuantizationResult quantizeModel(Model& model, const Dataset& calibration, const QuantizationRequest& request,
                                 QuantizedWeights* weightsOut = nullptr, const ProgressFn& progress = {},
                                 const CancelToken& cancel = {}, const LayerDoneFn& layerDone = {});

// What the stopping rule did in a run (from each unit's loss curve, so also for a run read from a
// session): "4 of 5 units stopped when settled; units ran 150-400 iterations (mean 280) of at most 1000".
std::string stoppingSummary(const QuantizationResult& result);

}  // namespace roundlab
