#pragma once
// Uniform affine weight quantizer: q = clamp(round(w/s) + z, qmin, qmax), w^ = s (q - z).
// Scales and zero points are per output channel, per tensor or per group of input columns.
// Internally a weight is viewed as rows x groups x columns ([O, G, K/G] for O output channels and
// K = inputs x kernel elements); scale and zero point are [rows, groups, 1] and broadcast.
#include <torch/types.h>

#include "engine/quant/WeightQuantConfig.h"

namespace roundlab {

struct UniformGrid {
  at::Tensor scale;      // float32, [rows, groups, 1]
  at::Tensor zeroPoint;  // float32 (integer valued), same shape; zeros when symmetric
  int bits = 4;
  int64_t qmin = 0, qmax = 15;
  Granularity granularity = Granularity::PerChannel;
  int64_t groupSize = 0;
  std::vector<int64_t> weightShape;

  // w reshaped to [rows, groups, columns] so that scale/zeroPoint broadcast over it.
  at::Tensor view(const at::Tensor& w) const;
};

// Integer range of a grid: asymmetric [0, 2^b - 1]; symmetric [-(2^(b-1) - 1), 2^(b-1) - 1].
std::pair<int64_t, int64_t> codeRange(int bits, bool symmetric);

// Grid from explicit per-row/group ranges [lo, hi] (each [rows, groups, 1]); 0 is kept inside.
UniformGrid gridFromRange(const at::Tensor& w, const at::Tensor& lo, const at::Tensor& hi,
                          const WeightQuantConfig& config);

// Range initialisation: min/max, or the shrink search with the smallest L_p error per row/group.
UniformGrid fitUniformGrid(const at::Tensor& w, const WeightQuantConfig& config);

// Integer codes (same shape as w, int32), rounded to nearest.
at::Tensor quantizeToCodes(const at::Tensor& w, const UniformGrid& grid);
// s (q - z), in w's shape.
at::Tensor dequantize(const at::Tensor& codes, const UniformGrid& grid);
// dequantize(quantizeToCodes(w)), differentiable nowhere (use the methods' own relaxations).
at::Tensor fakeQuantize(const at::Tensor& w, const UniformGrid& grid);

}  // namespace roundlab
