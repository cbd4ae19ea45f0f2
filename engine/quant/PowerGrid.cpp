#include "engine/quant/PowerGrid.h"

#include <cmath>

#include <torch/torch.h>

namespace roundlab {

WeightGrid fitPowerGrid(const at::Tensor& w, const WeightQuantConfig& config, double exponent) {
  WeightQuantConfig c = config;
  c.symmetric = true;  // sign(q)|s q|^(1/a) needs a grid symmetric about zero
  c.exponent = exponent;
  torch::NoGradGuard noGrad;
  WeightGrid g = fitUniformGrid(powerTransform(w.detach().to(at::kFloat), exponent), c);
  g.exponent = exponent;
  return g;
}

WeightGrid searchPowerGrid(const at::Tensor& weight, const WeightQuantConfig& config, double lo, int iterations) {
  torch::NoGradGuard noGrad;
  const at::Tensor w = weight.detach().to(at::kFloat);
  auto error = [&](double a, WeightGrid* out) {
    WeightGrid g = fitPowerGrid(w, config, a);
    const double e = (w - fakeQuantize(w, g)).pow(2).sum().item<double>();
    if (out) *out = std::move(g);
    return e;
  };
  const double phi = (std::sqrt(5.0) - 1.0) / 2.0;
  double a = lo, b = 1.0;
  double x1 = b - phi * (b - a), x2 = a + phi * (b - a);
  double f1 = error(x1, nullptr), f2 = error(x2, nullptr);
  for (int i = 0; i < iterations; ++i) {
    if (f1 < f2) {
      b = x2, x2 = x1, f2 = f1;
      x1 = b - phi * (b - a);
      f1 = error(x1, nullptr);
    } else {
      a = x1, x1 = x2, f1 = f2;
      x2 = a + phi * (b - a);
      f2 = error(x2, nullptr);
    }
  }
  // The bracket's best point, or the uniform grid if that is better still (a = 1 is the edge).
  WeightGrid best, uniform;
  const double fBest = error(f1 < f2 ? x1 : x2, &best);
  return error(1.0, &uniform) <= fBest ? uniform : best;
}

WeightGrid fitWeightGrid(const at::Tensor& w, const WeightQuantConfig& config) {
  return config.grid == GridKind::Uniform ? fitUniformGrid(w, config) : searchPowerGrid(w, config);
}

}  // namespace roundlab
