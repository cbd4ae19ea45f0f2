#pragma once
// Weight grids. The uniform affine quantizer: q = clamp(round(w/s) + z, qmin, qmax),
// w^ = s (q - z), with scales and zero points per output channel, per tensor or per group of
// input columns. A grid may instead live in the power-transformed domain (PowerGrid.h): with
// exponent a != 1 the same formulas apply to t = sign(w)|w|^a and w^ = sign(t^)|t^|^(1/a).
// Internally a weight is viewed as rows x groups x columns ([O, G, K/G] for O output channels and
// K = inputs x kernel elements); scale and zero point are [rows, groups, 1] and broadcast.
#include <torch/types.h>

#include "engine/quant/WeightQuantConfig.h"

namespace roundlab {

struct WeightGrid {
  double exponent = 1.0;  // 1: uniform grid on w; else uniform on sign(w)|w|^exponent (symmetric)
  at::Tensor scale;       // float32, [rows, groups, 1]
  at::Tensor zeroPoint;   // float32 (integer valued), same shape; zeros when symmetric
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
WeightGrid gridFromRange(const at::Tensor& w, const at::Tensor& lo, const at::Tensor& hi,
                         const WeightQuantConfig& config);

// Range initialisation: min/max, or the shrink search with the smallest L_p error per row/group.
WeightGrid fitUniformGrid(const at::Tensor& w, const WeightQuantConfig& config);

// Integer codes (same shape as w, int32), rounded to nearest (in the transformed domain when the
// grid has an exponent).
at::Tensor quantizeToCodes(const at::Tensor& w, const WeightGrid& grid);
// s (q - z) in w's shape, mapped back through the power transform when there is one.
at::Tensor dequantize(const at::Tensor& codes, const WeightGrid& grid);

// sign(w)|w|^a and its inverse sign(t)|t|^(1/a); exactly the input when a == 1.
at::Tensor powerTransform(const at::Tensor& w, double exponent);
at::Tensor powerInverse(const at::Tensor& t, double exponent);
// dequantize(quantizeToCodes(w)), differentiable nowhere (use the methods' own relaxations).
at::Tensor fakeQuantize(const at::Tensor& w, const WeightGrid& grid);

}  // namespace roundlab
