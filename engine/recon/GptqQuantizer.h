#pragma once
// GPTQ / OBQ (Frantar et al. 2022): a non-gradient baseline. Columns of the weight are quantized
// one at a time on a fixed grid, and each column's error is spread over the not yet quantized
// columns through the inverse Hessian of the layer objective ||W X - Q X||^2:
//   H = 2/N sum x x^T (+ 1% of mean diag), U = chol(H^-1) upper; err_i = (w_i - q_i) / U_ii;
//   W[:, j>i] -= err_i U_i,j>i                                     (GPTQ Algorithm 1, blocks of 128)
// Conv inputs are unfolded (im2col); grouped convolutions are not supported (callers use RTN).
#include <torch/types.h>

#include "engine/model/LayerInfo.h"
#include "engine/quant/WeightGrid.h"

namespace roundlab {

struct GptqConfig {
  double damping = 0.01;         // fraction of the mean Hessian diagonal added to it
  int64_t blockSize = 128;       // columns per lazy-update block
  bool descendingOrder = false;  // quantize columns by descending Hessian diagonal
};

// Whether GPTQ applies to a layer (Linear, attention projections, ungrouped convolutions).
bool gptqSupports(const LayerInfo& layer);

// H = 2/N sum x x^T over the layer's calibration inputs (unfolded for convolutions).
at::Tensor layerHessian(const LayerInfo& layer, const at::Tensor& inputs);

// Returns int32 codes on `grid` for the weight, chosen by GPTQ.
at::Tensor gptqCodes(const LayerInfo& layer, const at::Tensor& weight, const at::Tensor& inputs, const WeightGrid& grid,
                     const GptqConfig& config = {});

}  // namespace roundlab
