// The rounding kernels' implementation, compiled once per instruction set by the
// ReconstructionKernels*.cpp files that define ROUNDLAB_KERNEL_NS and ROUNDLAB_LANE_BYTES.
#include <algorithm>
#include <cmath>

#include "engine/rounding/ReconstructionKernels.h"
#include "engine/rounding/RectifiedSigmoidMath.h"

namespace roundlab::ROUNDLAB_KERNEL_NS {

namespace {

using lanes::Floats;

// Lanes i..i+n of the soft weight, dW~/dV, h and dh/dV at the current V. Inlined with a constant
// n, the loads and stores are single vector moves.
[[gnu::always_inline]] inline void softWeightLanes(const RoundingStepArrays& a, float lo, float hi, int64_t i,
                                                   int64_t n) {
  const Floats zero = {};
  const Floats z = lanes::load(a.zero + i, n), scale = lanes::load(a.scale + i, n);
  const auto learned = lanes::load(a.mask + i, n) > zero;
  const rsig::RectifiedSigmoid<Floats> r(learned ? lanes::load(a.v + i, n) : zero);
  const Floats raw = lanes::load(a.base + i, n) + (learned ? r.h : lanes::load(a.nearest + i, n)) + z;
  Floats t = raw > lo ? raw : lanes::splat<Floats>(lo);
  t = t < hi ? t : lanes::splat<Floats>(hi);
  lanes::store(a.soft + i, (t - z) * scale, n);
  // The clamp passes the gradient at its bounds.
  lanes::store(a.dsoft + i, (learned & (raw >= lo) & (raw <= hi)) ? scale * r.dh : zero, n);
  lanes::store(a.h + i, r.h, n);
  lanes::store(a.dh + i, r.dh, n);
}

[[gnu::always_inline]] inline void stepLanes(const RoundingStepArrays& a, const RoundingStepScalars& c, int64_t i,
                                             int64_t n) {
  const Floats zero = {};
  Floats g = a.grad ? lanes::load(a.grad + i, n) * lanes::load(a.dsoft + i, n) : zero;
  if (c.regularize) {
    const rsig::RegularizerTerm<Floats> t(lanes::load(a.h + i, n), lanes::load(a.dh + i, n), c.beta);
    g += lanes::load(a.mask + i, n) > zero ? c.lambda * t.dv : zero;
  }
  Floats v = lanes::load(a.v + i, n), m1 = lanes::load(a.moment1 + i, n);
  if (c.adam) {  // Adam (Kingma & Ba, Algorithm 1) in torch::optim's order of operations
    m1 = m1 * c.beta1 + c.oneMinusBeta1 * g;
    Floats m2 = lanes::load(a.moment2 + i, n) * c.beta2 + c.oneMinusBeta2 * g * g;
    lanes::store(a.moment2 + i, m2, n);
    for (int64_t k = 0; k < lanes::kWidth; ++k) m2[k] = std::sqrt(m2[k]);
    v -= c.stepSize * (m1 / (m2 / c.sqrtCorrection2 + c.eps));
  } else {  // SGD, with momentum: the buffer starts as the first gradient
    m1 = c.momentum == 0.0f || c.firstStep ? g : m1 * c.momentum + g;
    v -= c.rate * m1;
  }
  lanes::store(a.moment1 + i, m1, n);
  lanes::store(a.v + i, v, n);
}

// Sums kept as eight partial sums, one per position in a block of eight floats, whatever the lane
// width, and added in position order: every instruction set adds the same numbers in the same
// order.
constexpr int64_t kSumBlock = 8, kChunks = kSumBlock / lanes::kWidth;
struct BlockSum {
  Floats part[kChunks] = {};
  double total() const {
    double t = 0;
    for (int64_t h = 0; h < kChunks; ++h)
      for (int64_t k = 0; k < lanes::kWidth; ++k) t += part[h][k];
    return t;
  }
};

// body(i, n, h) over [begin, end) in chunks of n <= kWidth lanes, chunk h of its block of eight;
// the last block is padded (its chunks are partial or absent).
template <class Body>
[[gnu::always_inline]] inline void forEachChunk(int64_t begin, int64_t end, const Body& body) {
  int64_t i = begin;
  for (; i + kSumBlock <= end; i += kSumBlock)
    for (int64_t h = 0; h < kChunks; ++h) body(i + h * lanes::kWidth, lanes::kWidth, h);
  for (int64_t h = 0; i + h * lanes::kWidth < end; ++h)
    body(i + h * lanes::kWidth, std::min(lanes::kWidth, end - i - h * lanes::kWidth), h);
}

}  // namespace

void softWeight(const RoundingStepArrays& a, float lo, float hi, int64_t begin, int64_t end) {
  int64_t i = begin;
  for (; i + lanes::kWidth <= end; i += lanes::kWidth) softWeightLanes(a, lo, hi, i, lanes::kWidth);
  if (i < end) softWeightLanes(a, lo, hi, i, end - i);
}

void step(const RoundingStepArrays& a, const RoundingStepScalars& c, int64_t begin, int64_t end) {
  int64_t i = begin;
  for (; i + lanes::kWidth <= end; i += lanes::kWidth) stepLanes(a, c, i, lanes::kWidth);
  if (i < end) stepLanes(a, c, i, end - i);
  softWeight(a, c.lo, c.hi, begin, end);
}

double regularizer(const float* v, const float* mask, float beta, float* dv, int64_t begin, int64_t end) {
  BlockSum sum;
  const Floats zero = {};
  forEachChunk(begin, end, [&](int64_t i, int64_t n, int64_t h) {
    const rsig::RectifiedSigmoid<Floats> r(lanes::load(v + i, n));
    const rsig::RegularizerTerm<Floats> t(r.h, r.dh, beta);
    const auto learned = lanes::load(mask + i, n) > zero;  // (lanes past n have mask 0)
    sum.part[h] += learned ? t.value : zero;
    lanes::store(dv + i, learned ? t.dv : zero, n);
  });
  return sum.total();
}

double squaredErrorRow(const float* prediction, const float* target, float twoScale, float* grad, int64_t n) {
  BlockSum sum;
  forEachChunk(0, n, [&](int64_t i, int64_t k, int64_t h) {
    const Floats d = lanes::load(prediction + i, k) - lanes::load(target + i, k);  // (padding: 0 - 0)
    sum.part[h] += d * d;
    lanes::store(grad + i, twoScale * d, k);
  });
  return sum.total();
}

}  // namespace roundlab::ROUNDLAB_KERNEL_NS
