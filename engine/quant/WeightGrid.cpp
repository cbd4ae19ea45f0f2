#include "engine/quant/WeightGrid.h"

#include <torch/torch.h>

#include "engine/core/Error.h"

namespace roundlab {

namespace {

// [rows, groups, columns] view dimensions of a weight for a granularity.
std::array<int64_t, 3> viewDims(const std::vector<int64_t>& shape, Granularity g, int64_t groupSize) {
  int64_t numel = 1;
  for (int64_t d : shape) numel *= d;
  const int64_t rows = shape.empty() ? 1 : shape[0];
  const int64_t cols = rows ? numel / rows : 0;
  switch (g) {
    case Granularity::PerTensor:
      return {1, 1, numel};
    case Granularity::PerChannel:
      return {rows, 1, cols};
    case Granularity::PerGroup: {
      if (cols % groupSize != 0)
        throw Error(ErrorCode::InvalidArgument, "group size " + std::to_string(groupSize) + " does not divide the " +
                                                    std::to_string(cols) + " input columns of the weight");
      return {rows, cols / groupSize, groupSize};
    }
  }
  return {1, 1, numel};
}

}  // namespace

at::Tensor WeightGrid::view(const at::Tensor& w) const {
  const auto d = viewDims(weightShape, granularity, groupSize);
  return w.reshape({d[0], d[1], d[2]});
}

std::pair<int64_t, int64_t> codeRange(int bits, bool symmetric) {
  const int64_t n = int64_t(1) << bits;
  return symmetric ? std::pair<int64_t, int64_t>{-(n / 2 - 1), n / 2 - 1} : std::pair<int64_t, int64_t>{0, n - 1};
}

WeightGrid gridFromRange(const at::Tensor& w, const at::Tensor& lo, const at::Tensor& hi, const WeightQuantConfig& c) {
  WeightGrid g;
  g.weightShape = w.sizes().vec();
  g.granularity = c.granularity;
  g.groupSize = c.groupSize;
  g.bits = c.bits;
  std::tie(g.qmin, g.qmax) = codeRange(c.bits, c.symmetric);
  constexpr float kTiny = 1e-8f;  // all-zero rows still get a usable step
  if (c.symmetric) {
    const at::Tensor absmax = at::maximum(lo.abs(), hi.abs());
    g.scale = (absmax / static_cast<float>(g.qmax)).clamp_min(kTiny);
    g.zeroPoint = at::zeros_like(g.scale);
  } else {
    const at::Tensor l = lo.clamp_max(0), h = hi.clamp_min(0);
    g.scale = ((h - l) / static_cast<float>(g.qmax - g.qmin)).clamp_min(kTiny);
    g.zeroPoint = (-l / g.scale).round().clamp(g.qmin, g.qmax);
  }
  return g;
}

WeightGrid fitUniformGrid(const at::Tensor& weight, const WeightQuantConfig& c) {
  validate(c);
  torch::NoGradGuard noGrad;
  const at::Tensor w = weight.detach().to(at::kFloat);
  WeightGrid probe;
  probe.weightShape = w.sizes().vec();
  probe.granularity = c.granularity;
  probe.groupSize = c.groupSize;
  const at::Tensor v = probe.view(w);
  const at::Tensor lo = std::get<0>(v.min(2, true)), hi = std::get<0>(v.max(2, true));
  WeightGrid best = gridFromRange(w, lo, hi, c);
  if (c.rangeInit == RangeInit::MinMax) return best;
  // Shrink the range in 1% steps; per row/group keep the candidate with the smallest
  // sum |w - Q(w)|^p (the L_p range search of learned-rounding reference code).
  at::Tensor bestErr = (v - best.view(fakeQuantize(w, best))).abs().pow(c.lpNorm).sum(2, true);
  for (int i = 1; i < c.rangeCandidates; ++i) {
    const float f = 1.0f - 0.01f * static_cast<float>(i);
    const WeightGrid g = gridFromRange(w, lo * f, hi * f, c);
    const at::Tensor err = (v - g.view(fakeQuantize(w, g))).abs().pow(c.lpNorm).sum(2, true);
    const at::Tensor better = err < bestErr;
    best.scale = at::where(better, g.scale, best.scale);
    best.zeroPoint = at::where(better, g.zeroPoint, best.zeroPoint);
    bestErr = at::where(better, err, bestErr);
  }
  return best;
}

at::Tensor powerTransform(const at::Tensor& w, double a) { return a == 1.0 ? w : w.sign() * w.abs().pow(a); }

at::Tensor powerInverse(const at::Tensor& t, double a) { return a == 1.0 ? t : t.sign() * t.abs().pow(1.0 / a); }

at::Tensor quantizeToCodes(const at::Tensor& w, const WeightGrid& g) {
  const at::Tensor t = powerTransform(w.to(at::kFloat), g.exponent);
  const at::Tensor q = (g.view(t) / g.scale).round() + g.zeroPoint;
  return q.clamp(g.qmin, g.qmax).to(at::kInt).reshape(w.sizes());
}

at::Tensor dequantize(const at::Tensor& codes, const WeightGrid& g) {
  return powerInverse(((g.view(codes.to(at::kFloat)) - g.zeroPoint) * g.scale).reshape(codes.sizes()), g.exponent);
}

at::Tensor fakeQuantize(const at::Tensor& w, const WeightGrid& g) { return dequantize(quantizeToCodes(w, g), g); }

}  // namespace roundlab
