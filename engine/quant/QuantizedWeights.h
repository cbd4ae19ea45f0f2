#pragma once
// A quantized model's weights as integers: per layer the codes learned (or rounded), the
// round-to-nearest codes on the same grid (flip maps), the grid, and a learned bias where the
// method learned one. What sessions and exports write and what the views' per-layer data reads.
#include <map>
#include <string>

#include <torch/types.h>

#include "engine/quant/WeightGrid.h"

namespace roundlab {

struct QuantizedWeights {
  std::map<std::string, at::Tensor> codes;     // int32 codes per layer
  std::map<std::string, at::Tensor> rtnCodes;  // round-to-nearest codes on the same grids (flip maps)
  std::map<std::string, WeightGrid> grids;     // their grids
  std::map<std::string, at::Tensor> biases;    // learned biases (float32), where the bias was learned
  // Embedding tables quantized per row, by parameter name (EmbeddingQuantization.h): their codes
  // are also their round-to-nearest codes.
  std::map<std::string, at::Tensor> tableCodes;
  std::map<std::string, WeightGrid> tableGrids;
};

}  // namespace roundlab
