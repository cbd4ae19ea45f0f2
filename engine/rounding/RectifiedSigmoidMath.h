#pragma once
// AdaRound's rectified sigmoid (eq. 23) and one weight's regulariser term (eq. 24) with their
// derivatives in V, over lanes (FloatLanes.h), branch-free so that the kernels' loops vectorise.
#include "engine/rounding/FloatLanes.h"

namespace roundlab::ROUNDLAB_KERNEL_NS::rsig {

constexpr float kZeta = 1.1f, kGamma = -0.1f;

// h(V) and dh/dV, with the clamp's gradient convention (passes at the bounds).
template <class T>
struct RectifiedSigmoid {
  T h, dh;
  [[gnu::always_inline]] explicit RectifiedSigmoid(T v) {
    const T s = 1.0f / (1.0f + lanes::exp(-v));
    const T raw = s * (kZeta - kGamma) + kGamma;
    const T zero = lanes::splat<T>(0.0f), one = lanes::splat<T>(1.0f);
    h = raw > zero ? raw : zero;
    h = h < one ? h : one;
    dh = ((raw >= zero) & (raw <= one)) ? (kZeta - kGamma) * s * (1.0f - s) : zero;
  }
};

// 1 - |x|^beta with x = 2h - 1, and its derivative in V, given h and dh/dV.
template <class T>
struct RegularizerTerm {
  T value, dv;
  [[gnu::always_inline]] RegularizerTerm(T h, T dh, float beta) {
    const T zero = lanes::splat<T>(0.0f);
    const T x = 2.0f * h - 1.0f, ax = x < zero ? -x : x;
    const T powLess = ax > zero ? lanes::exp((beta - 1.0f) * lanes::log(ax)) : zero;  // |x|^(beta-1)
    value = 1.0f - powLess * ax;
    const T sign = x > zero ? lanes::splat<T>(1.0f) : (x < zero ? lanes::splat<T>(-1.0f) : zero);
    dv = -beta * powLess * sign * 2.0f * dh;
  }
};

}  // namespace roundlab::ROUNDLAB_KERNEL_NS::rsig
