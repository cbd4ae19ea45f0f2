#pragma once
// Quantizes a model's weights layer by layer (RTN or AdaRound) and writes them into the model.
//
// A cancelled run (Error Cancelled) leaves every layer finished before the cancel quantized,
// the layer in progress and all later ones untouched at full precision; the model is always
// usable.
#include "engine/core/Job.h"
#include "engine/pipeline/QuantizationRequest.h"

namespace roundlab {

class Model;
class Dataset;
struct QuantizedWeights;

QuantizationResult quantizeModel(Model& model, const Dataset& calibration, const QuantizationRequest& request,
                                 QuantizedWeights* weightsOut = nullptr, const ProgressFn& progress = {},
                                 const CancelToken& cancel = {}, const LayerDoneFn& layerDone = {});

}  // namespace roundlab
