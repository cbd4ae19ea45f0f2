#pragma once
// Quantizes a model's weights layer by layer (RTN or AdaRound) and writes them into the model.
//
// A cancelled run (Error Cancelled) leaves every layer finished before the cancel quantized,
// the layer in progress and all later ones untouched at full precision; the model is always
// usable.
#include <functional>
#include <map>

#include <torch/types.h>

#include "engine/Job.h"
#include "engine/quant/WeightGrid.h"
#include "engine/recon/QuantizationRequest.h"

namespace roundlab {

class Model;
class Dataset;

struct QuantizedWeights {
  std::map<std::string, at::Tensor> codes;     // int32 codes per layer
  std::map<std::string, at::Tensor> rtnCodes;  // round-to-nearest codes on the same grids (flip maps)
  std::map<std::string, WeightGrid> grids;     // their grids
  std::map<std::string, at::Tensor> biases;    // learned biases (float32), where the bias was learned
};

// Called with each layer's outcome as soon as its unit is finished (the GUI fills its table).
using LayerDoneFn = std::function<void(const LayerOutcome&)>;

QuantizationResult quantizeModel(Model& model, const Dataset& calibration, const QuantizationRequest& request,
                                 QuantizedWeights* weightsOut = nullptr, const ProgressFn& progress = {},
                                 const CancelToken& cancel = {}, const LayerDoneFn& layerDone = {});

}  // namespace roundlab
