#pragma once
// Builds the views' per-layer data from the engine's tensors (engine thread only: Torch).
#include <ATen/core/Tensor.h>

#include "app/gui/EngineThread.h"

namespace roundlab {
struct WeightGrid;
}

namespace roundlab::app {

LayerQuantData layerQuantData(const at::Tensor& fpWeight, const at::Tensor& codes, const at::Tensor& rtnCodes,
                              const WeightGrid& grid);

}  // namespace roundlab::app
