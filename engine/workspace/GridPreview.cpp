#include "engine/workspace/GridPreview.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <random>

#include "engine/core/Error.h"
#include "engine/quant/PowerGrid.h"
#include "engine/workspace/WorkspaceState.h"

namespace roundlab {

const EnumTable<SyntheticDistribution>& syntheticDistributionTable() {
  static const EnumTable<SyntheticDistribution> t{
      "distribution",
      {{SyntheticDistribution::Gaussian, "gaussian", "normal, the shape of most trained weights"},
       {SyntheticDistribution::Laplace, "laplace", "sharper peak, heavier tails"},
       {SyntheticDistribution::Uniform, "uniform", "flat: every level equally used"},
       {SyntheticDistribution::GaussianWithOutliers, "outliers", "normal with 0.5 % outliers at 8-12 σ"}}};
  return t;
}

GridPreview previewGrid(const std::vector<float>& weights, const std::vector<int64_t>& shape,
                        const WeightQuantConfig& config) {
  const WeightQuantConfig& c = config;
  validate(c);
  int64_t count = 1;
  for (int64_t d : shape) count *= d;
  if (shape.empty() || count != static_cast<int64_t>(weights.size()) || count == 0)
    throw Error(ErrorCode::InvalidArgument, "the weight shape does not hold the weights");
  torch::NoGradGuard noGrad;
  const at::Tensor w = at::from_blob(const_cast<float*>(weights.data()), shape, at::kFloat).clone();
  WeightGrid grid;
  if (config.grid == GridKind::PowerSearched)
    grid = searchPowerGrid(w, c);
  else if (config.exponent < 1.0)
    grid = fitPowerGrid(w, c, config.exponent);
  else
    grid = fitUniformGrid(w, c);
  const at::Tensor codes = quantizeToCodes(w, grid);
  const at::Tensor q = dequantize(codes, grid);
  GridPreview p;
  p.grid = layerQuantView(w, codes, codes, grid);
  const at::Tensor qc = q.contiguous();
  p.dequantized.assign(qc.data_ptr<float>(), qc.data_ptr<float>() + qc.numel());
  const at::Tensor w64 = w.to(at::kDouble), err = (w64 - q.to(at::kDouble)).pow(2).sum();
  const double errorSum = err.item<double>(), signal = w64.pow(2).sum().item<double>();
  p.mse = errorSum / static_cast<double>(count);
  p.sqnrDb = errorSum > 0 ? 10.0 * std::log10(signal / errorSum) : std::numeric_limits<double>::infinity();
  // Clipped: its nearest code lies outside the code range (the clamp moved it), i.e. it is more
  // than half a step beyond the outermost level. (Within half a step it simply rounds to it.)
  const at::Tensor t = powerTransform(w, grid.exponent);
  const at::Tensor nearest = ((grid.view(t) / grid.scale).round() + grid.zeroPoint).reshape(w.sizes());
  p.clippedShare = ((nearest < grid.qmin) | (nearest > grid.qmax)).to(at::kDouble).mean().item<double>();
  return p;
}

std::vector<float> syntheticWeights(SyntheticDistribution kind, int64_t count, double sigma, uint64_t seed) {
  // The standard library's engine is specified bit for bit; its distributions are not, so the
  // shapes are made here from uniform draws (Box-Muller, inverse CDF).
  std::mt19937_64 rng(seed);
  auto uniform = [&rng] { return (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53; };  // (0, 1)
  auto normal = [&] { return std::sqrt(-2.0 * std::log(uniform())) * std::cos(2.0 * M_PI * uniform()); };
  std::vector<float> v(static_cast<size_t>(std::max<int64_t>(count, 0)));
  for (float& x : v) {
    double s = 0;
    switch (kind) {
      case SyntheticDistribution::Gaussian:
      case SyntheticDistribution::GaussianWithOutliers:
        s = normal();
        break;
      case SyntheticDistribution::Laplace: {  // unit variance: scale 1/√2
        const double u = uniform() - 0.5;
        s = -(u < 0 ? -1.0 : 1.0) * std::log(1 - 2 * std::abs(u)) / std::sqrt(2.0);
        break;
      }
      case SyntheticDistribution::Uniform:  // unit variance: [-√3, √3]
        s = (2 * uniform() - 1) * std::sqrt(3.0);
        break;
    }
    if (kind == SyntheticDistribution::GaussianWithOutliers && uniform() < 0.005)
      s = (uniform() < 0.5 ? -1 : 1) * (8 + 4 * uniform());
    x = static_cast<float>(sigma * s);
  }
  return v;
}

}  // namespace roundlab
