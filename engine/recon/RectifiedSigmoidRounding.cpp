#include "engine/recon/RectifiedSigmoidRounding.h"

#include <algorithm>
#include <cmath>

#include <ATen/Parallel.h>

namespace roundlab {

namespace {

constexpr float kZeta = 1.1f, kGamma = -0.1f;
constexpr int64_t kGrain = 1 << 15;

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// h(V) and dh/dV, with the clamp's gradient convention (passes at the bounds).
struct RectifiedSigmoid {
  float h, dh;
  explicit RectifiedSigmoid(float v) {
    const float s = 1.0f / (1.0f + std::exp(-v));
    const float raw = s * (kZeta - kGamma) + kGamma;
    h = std::min(std::max(raw, 0.0f), 1.0f);
    dh = raw >= 0.0f && raw <= 1.0f ? (kZeta - kGamma) * s * (1.0f - s) : 0.0f;
  }
};

struct Pointers {
  const float *base, *nearest, *mask, *zero, *scale;
  explicit Pointers(const RoundingConstants& c)
      : base(c.base.data_ptr<float>()),
        nearest(c.nearest.data_ptr<float>()),
        mask(c.mask.data_ptr<float>()),
        zero(c.zeroPoint.data_ptr<float>()),
        scale(c.scale.data_ptr<float>()) {}
};

// Both ops compute their derivative in the forward loop (a backward always follows while
// optimising), so the backward is one multiplication.
class SoftWeight : public torch::autograd::Function<SoftWeight> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& v, const RoundingConstants* c) {
    const at::Tensor vc = v.contiguous();
    at::Tensor out = at::empty_like(vc), derivative = at::empty_like(vc);
    const float* pv = vc.data_ptr<float>();
    float *po = out.data_ptr<float>(), *pd = derivative.data_ptr<float>();
    const Pointers p(*c);
    const float lo = static_cast<float>(c->qmin), hi = static_cast<float>(c->qmax);
    at::parallel_for(0, vc.numel(), kGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const bool learned = p.mask[i] > 0;
        const RectifiedSigmoid r(learned ? pv[i] : 0.0f);
        const float raw = p.base[i] + (learned ? r.h : p.nearest[i]) + p.zero[i];
        const float t = std::min(std::max(raw, lo), hi);
        po[i] = (t - p.zero[i]) * p.scale[i];
        pd[i] = learned && raw >= lo && raw <= hi ? p.scale[i] * r.dh : 0.0f;  // clamp passes at its bounds
      }
    });
    ctx->save_for_backward({derivative});
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    return {grads[0] * ctx->get_saved_variables()[0], at::Tensor()};
  }
};

class Regularizer : public torch::autograd::Function<Regularizer> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& v, const RoundingConstants* c, double beta) {
    const at::Tensor vc = v.contiguous();
    at::Tensor derivative = at::empty_like(vc);
    const float* pv = vc.data_ptr<float>();
    const float* mask = c->mask.data_ptr<float>();
    float* pd = derivative.data_ptr<float>();
    const float b = static_cast<float>(beta);
    const double sum = at::parallel_reduce(
        0, vc.numel(), kGrain, 0.0,
        [&](int64_t begin, int64_t end, double acc) {
          for (int64_t i = begin; i < end; ++i) {
            if (!(mask[i] > 0)) {
              pd[i] = 0;
              continue;
            }
            const RectifiedSigmoid r(pv[i]);
            const float x = 2.0f * r.h - 1.0f, ax = std::abs(x);
            const float powLess = std::pow(ax, b - 1.0f);  // |x|^(beta-1); |x|^beta = that * |x|
            acc += 1.0f - powLess * ax;
            const float sign = x > 0 ? 1.0f : (x < 0 ? -1.0f : 0.0f);
            pd[i] = -b * powLess * sign * 2.0f * r.dh;  // d/dV (1 - |x|^beta), x = 2h - 1
          }
          return acc;
        },
        std::plus<double>());
    ctx->save_for_backward({derivative});
    return at::scalar_tensor(sum, at::kFloat);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    return {grads[0] * ctx->get_saved_variables()[0], at::Tensor(), at::Tensor()};
  }
};

}  // namespace

at::Tensor rectifiedSigmoidWeight(const at::Tensor& v, const RoundingConstants& c) { return SoftWeight::apply(v, &c); }

at::Tensor rectifiedSigmoidRegularizer(const at::Tensor& v, const RoundingConstants& c, double beta) {
  return Regularizer::apply(v, &c, beta);
}

}  // namespace roundlab
