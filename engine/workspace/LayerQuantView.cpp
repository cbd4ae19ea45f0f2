#include "engine/workspace/LayerQuantView.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "engine/workspace/WorkspaceState.h"

namespace roundlab {

namespace {
template <typename T>
std::vector<T> values(const at::Tensor& t) {
  const at::Tensor c = t.contiguous();
  return std::vector<T>(c.data_ptr<T>(), c.data_ptr<T>() + c.numel());
}
}  // namespace

std::vector<double> gridLevels(const LayerQuantView& d, int64_t row) {
  std::vector<double> levels;
  if (row < 0 || row >= d.rows || d.scale.empty()) return levels;
  const size_t i = static_cast<size_t>(row * d.groups);
  for (int64_t q = d.qmin; q <= d.qmax; ++q) {
    const double u = (static_cast<double>(q) - d.zeroPoint[i]) * d.scale[i];
    // On a power grid the level is sign(u)|u|^(1/a) (algorithms.md §3, power-exponent grid).
    levels.push_back(d.exponent == 1.0 ? u : (u < 0 ? -1.0 : 1.0) * std::pow(std::abs(u), 1.0 / d.exponent));
  }
  std::sort(levels.begin(), levels.end());
  return levels;
}

LayerQuantView layerQuantView(const at::Tensor& fpWeight, const at::Tensor& codes, const at::Tensor& rtnCodes,
                              const WeightGrid& grid) {
  torch::NoGradGuard noGrad;
  LayerQuantView d;
  const at::Tensor w = fpWeight.detach().to(at::kFloat).contiguous();
  d.rows = w.size(0);
  d.columns = w.numel() / std::max<int64_t>(1, d.rows);
  d.groups = grid.scale.dim() >= 2 ? grid.scale.size(1) : 1;
  d.scale = values<float>(grid.scale.to(at::kFloat).flatten());
  d.zeroPoint = values<float>(grid.zeroPoint.to(at::kFloat).flatten());
  d.qmin = grid.qmin;
  d.qmax = grid.qmax;
  d.exponent = grid.exponent;
  d.flips = values<int8_t>((codes.to(at::kInt) - rtnCodes.to(at::kInt)).clamp(-1, 1).to(at::kChar).flatten());
  const at::Tensor scaled = grid.view(powerTransform(w, grid.exponent)) / grid.scale;
  d.fractional = values<float>((scaled - scaled.floor()).flatten());
  d.fpWeights = values<float>(w.flatten());
  return d;
}

}  // namespace roundlab
