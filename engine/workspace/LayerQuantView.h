#pragma once
// What the Weights and Rounding flips views draw of one quantized layer, row-major over
// [rows = output channels, columns = the rest of the weight]. Plain numbers: made on the engine
// side from the run's codes, grids and FP weights, read by views that never see a tensor.
#include <cstdint>
#include <vector>

namespace roundlab {

struct LayerQuantView {
  int64_t rows = 0, columns = 0, groups = 1;
  std::vector<float> scale, zeroPoint;  // [rows * groups]
  int64_t qmin = 0, qmax = 0;
  double exponent = 1;            // power grid (1: uniform)
  std::vector<int8_t> flips;      // sign(code - nearest code): +1 rounded up, -1 down, 0 kept
  std::vector<float> fractional;  // frac(t / s) of the FP weight on its grid (t = w, or |w|^a)
  std::vector<float> fpWeights;   // the FP values (a snapshot holds the quantized ones)
};

// The grid levels of one row (group 0) of a layer, dequantized, in increasing order.
std::vector<double> gridLevels(const LayerQuantView& view, int64_t row);

}  // namespace roundlab
