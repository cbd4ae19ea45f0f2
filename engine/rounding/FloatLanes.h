#pragma once
// Float lanes through GCC/Clang vector extensions, one register wide (ROUNDLAB_LANE_BYTES: 16 for
// SSE2 or NEON, 32 for AVX2), and exp/log as branch-free polynomials (Cephes expf/logf, within
// 2 ulp). Loops that call std::exp do not vectorise; these do, and every lane gets the same bits
// whatever the width. Private to the rounding kernels, which are compiled once per instruction
// set: everything lives in that compilation's namespace (ROUNDLAB_KERNEL_NS), so the copies
// built for different widths never meet at link time.
#include <cstdint>
#include <cstring>

#if !defined(ROUNDLAB_KERNEL_NS) || !defined(ROUNDLAB_LANE_BYTES)
#error "FloatLanes.h is included by ReconstructionKernels.inl only"
#endif

namespace roundlab::ROUNDLAB_KERNEL_NS::lanes {

constexpr int64_t kWidth = ROUNDLAB_LANE_BYTES / 4;
using Floats = float __attribute__((vector_size(ROUNDLAB_LANE_BYTES)));
using Ints = int32_t __attribute__((vector_size(ROUNDLAB_LANE_BYTES)));

// The first n (<= kWidth) floats at p; the others are 0.
[[gnu::always_inline]] inline Floats load(const float* p, int64_t n = kWidth) {
  Floats v = {};
  std::memcpy(&v, p, static_cast<size_t>(n) * sizeof(float));
  return v;
}
[[gnu::always_inline]] inline void store(float* p, const Floats& v, int64_t n = kWidth) {
  std::memcpy(p, &v, static_cast<size_t>(n) * sizeof(float));
}

template <class T>
[[gnu::always_inline]] inline T splat(float x) {
  return T{} + x;
}

template <class To, class From>
[[gnu::always_inline]] inline To bitCast(const From& x) {
  static_assert(sizeof(To) == sizeof(From));
  To y;
  std::memcpy(&y, &x, sizeof y);
  return y;
}
[[gnu::always_inline]] inline Ints bitsOf(Floats x) { return bitCast<Ints>(x); }
[[gnu::always_inline]] inline Floats fromBits(Ints i) { return bitCast<Floats>(i); }
[[gnu::always_inline]] inline Ints toInt(Floats x) { return __builtin_convertvector(x, Ints); }
[[gnu::always_inline]] inline Floats toFloat(Ints i) { return __builtin_convertvector(i, Floats); }

// e^x for x in [-87, 88] (clamped outside).
template <class T>
[[gnu::always_inline]] inline T exp(T x) {
  x = x > -87.0f ? x : splat<T>(-87.0f);
  x = x < 88.0f ? x : splat<T>(88.0f);
  const float roundingMagic = 12582912.0f;  // 1.5 * 2^23: adding and subtracting it rounds to an integer
  const T n = (x * 1.44269504088896341f + roundingMagic) - roundingMagic;
  const T r = (x - n * 0.693359375f) - n * -2.12194440e-4f;  // x - n ln 2, ln 2 in two parts
  T p = splat<T>(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  return (p * r * r + r + 1.0f) * fromBits((toInt(n) + 127) << 23);  // times 2^n
}

// ln x for normal x > 0 (finite nonsense for 0, denormals and negatives).
template <class T>
[[gnu::always_inline]] inline T log(T x) {
  const auto ix = bitsOf(x);
  T e = toFloat((ix >> 23) - 126);
  T m = fromBits((ix & 0x007fffff) | 0x3f000000);  // x = m 2^e, m in [0.5, 1)
  const auto low = m < 0.707106781186547524f;
  e = low ? e - 1.0f : e;
  m = low ? m + m - 1.0f : m - 1.0f;
  const T z = m * m;
  T y = splat<T>(7.0376836292e-2f);
  y = y * m - 1.1514610310e-1f;
  y = y * m + 1.1676998740e-1f;
  y = y * m - 1.2420140846e-1f;
  y = y * m + 1.4249322787e-1f;
  y = y * m - 1.6668057665e-1f;
  y = y * m + 2.0000714765e-1f;
  y = y * m - 2.4999993993e-1f;
  y = y * m + 3.3333331174e-1f;
  y = y * m * z + e * -2.12194440e-4f - 0.5f * z;
  return m + y + e * 0.693359375f;
}

}  // namespace roundlab::ROUNDLAB_KERNEL_NS::lanes
