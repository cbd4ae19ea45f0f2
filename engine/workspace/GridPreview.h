#pragma once
// The grid playground's engine: a weight tensor (a layer's, or a synthetic one) rounded to
// nearest on the grid a WeightQuantConfig describes, fitted as a run fits it (range rule, L_p
// search, granularity, power exponent), with the error it makes. Torch-free, fast enough to
// follow a slider (a few milliseconds for the demo's largest layer).
#include <cstdint>
#include <vector>

#include "engine/quant/WeightQuantConfig.h"
#include "engine/workspace/LayerQuantView.h"

namespace roundlab {

struct GridPreview {
  LayerQuantView grid;             // scales, zero points, code range, exponent (gridLevels draws them)
  std::vector<float> dequantized;  // every weight on its nearest level, in the weights' order
  double mse = 0;                  // mean (w - ŵ)²
  double sqnrDb = 0;               // 10 log10(Σw² / Σ(w - ŵ)²); +inf when exact
  double clippedShare = 0;         // share clamped: over half a step beyond their grid's outermost level
};

// `shape`: the weight's shape, output channels first ({n} for a plain vector: one row).
// config.grid PowerSearched searches the exponent (the one found is grid.exponent); Uniform with
// config.exponent < 1 fits the power grid of that exponent. Throws InvalidArgument for settings
// validate() refuses and for a shape that does not hold the weights.
GridPreview previewGrid(const std::vector<float>& weights, const std::vector<int64_t>& shape,
                        const WeightQuantConfig& config);

// Distributions to try grids on without a model.
enum class SyntheticDistribution { Gaussian, Laplace, Uniform, GaussianWithOutliers };
const EnumTable<SyntheticDistribution>& syntheticDistributionTable();  // "gaussian" | "laplace" | ...
// `count` values with standard deviation `sigma` (outliers: 0.5 % of them at 8 to 12 σ), the same
// for a seed on every machine.
std::vector<float> syntheticWeights(SyntheticDistribution kind, int64_t count, double sigma, uint64_t seed);

}  // namespace roundlab
