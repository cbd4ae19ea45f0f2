#pragma once
// Power-exponent (non-uniform) weight grid: quantize t = sign(w)|w|^a on a symmetric uniform grid
// and map back with sign(q)|s q|^(1/a) (a WeightGrid with exponent a). a = 1 is the symmetric
// uniform grid exactly; a < 1 puts more levels near zero, where bell-shaped weights are dense.
#include "engine/quant/WeightGrid.h"

namespace roundlab {

// Fits the symmetric grid of config (its range init, bits, granularity) to the transformed weight.
WeightGrid fitPowerGrid(const at::Tensor& w, const WeightQuantConfig& config, double exponent);

// Golden-section search on [lo, 1] for the exponent minimising the weight reconstruction error
// sum (w - Q_a(w))^2 (unimodal in a, so golden section suffices). Returns the best grid.
WeightGrid searchPowerGrid(const at::Tensor& w, const WeightQuantConfig& config, double lo = 0.3, int iterations = 16);

// The grid of config.grid for w: uniform, or the power grid with the searched exponent (also the
// start of a learned one).
WeightGrid fitWeightGrid(const at::Tensor& w, const WeightQuantConfig& config);

}  // namespace roundlab
