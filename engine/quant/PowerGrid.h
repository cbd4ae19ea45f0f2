#pragma once
// Power-exponent (non-uniform) weight grid: quantize t = sign(w)|w|^a on a symmetric uniform grid
// and map back with sign(q)|s q|^(1/a). a = 1 is the symmetric uniform grid exactly; a < 1 puts
// more levels near zero, where bell-shaped weights are dense.
#include "engine/quant/UniformQuantizer.h"

namespace roundlab {

struct PowerGrid {
  UniformGrid grid;  // symmetric, over the transformed values t
  double exponent = 1.0;
};

// sign(w)|w|^a (exactly w when a == 1).
at::Tensor powerTransform(const at::Tensor& w, double exponent);
// sign(t)|t|^(1/a) (exactly t when a == 1).
at::Tensor powerInverse(const at::Tensor& t, double exponent);

// Fits the symmetric grid of config (its range init, bits, granularity) to the transformed weight.
PowerGrid fitPowerGrid(const at::Tensor& w, const WeightQuantConfig& config, double exponent);
at::Tensor powerCodes(const at::Tensor& w, const PowerGrid& grid);
at::Tensor powerDequantize(const at::Tensor& codes, const PowerGrid& grid);
at::Tensor powerFakeQuantize(const at::Tensor& w, const PowerGrid& grid);

// Golden-section search on (lo, 1] for the exponent minimising the weight reconstruction error
// sum (w - Q_a(w))^2 (unimodal in a, so golden section suffices). Returns the best grid.
PowerGrid searchPowerGrid(const at::Tensor& w, const WeightQuantConfig& config, double lo = 0.3, int iterations = 16);

}  // namespace roundlab
