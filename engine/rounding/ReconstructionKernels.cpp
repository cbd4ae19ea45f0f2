#include "engine/rounding/ReconstructionKernels.h"

#include <atomic>

#if defined(__SSE2__)
#include <xmmintrin.h>
#endif

namespace roundlab {

// One implementation per instruction set (ReconstructionKernels.inl).
#define ROUNDLAB_DECLARE_KERNELS(ns)                                                                            \
  namespace ns {                                                                                                \
  void softWeight(const RoundingStepArrays& a, float lo, float hi, int64_t begin, int64_t end);                 \
  void step(const RoundingStepArrays& a, const RoundingStepScalars& c, int64_t begin, int64_t end);             \
  double regularizer(const float* v, const float* mask, float beta, float* dv, int64_t begin, int64_t end);     \
  double squaredErrorRow(const float* prediction, const float* target, float twoScale, float* grad, int64_t n); \
  }
ROUNDLAB_DECLARE_KERNELS(baselineKernels)
#if defined(ROUNDLAB_AVX2_KERNELS)
ROUNDLAB_DECLARE_KERNELS(avx2Kernels)
#endif
#undef ROUNDLAB_DECLARE_KERNELS

namespace {

bool hasAvx2() {
#if defined(ROUNDLAB_AVX2_KERNELS)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2");
#else
  return false;
#endif
}

std::atomic<RoundingKernels>& active() {
  static std::atomic<RoundingKernels> kernels{hasAvx2() ? RoundingKernels::Avx2 : RoundingKernels::Baseline};
  return kernels;
}

// Denormals flushed to zero while a kernel runs: the regulariser's gradient near h = 1/2 squares
// to below 1e-38 in Adam's second moment, and denormal arithmetic is some 100x slower on x86.
// Values that small are zero for every purpose here.
class FlushDenormals {
 public:
#if defined(__SSE2__)
  FlushDenormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | 0x8040u); }  // FTZ | DAZ
  ~FlushDenormals() { _mm_setcsr(saved_); }

 private:
  unsigned saved_;
#endif
};

}  // namespace

RoundingKernels roundingKernels() { return active().load(); }

bool setRoundingKernels(RoundingKernels kernels) {
  if (kernels == RoundingKernels::Avx2 && !hasAvx2()) return false;
  active() = kernels;
  return true;
}

const char* roundingKernelsName(RoundingKernels kernels) {
  return kernels == RoundingKernels::Avx2 ? "avx2" : "baseline";
}

#if defined(ROUNDLAB_AVX2_KERNELS)
#define ROUNDLAB_DISPATCH(call) \
  (active().load(std::memory_order_relaxed) == RoundingKernels::Avx2 ? avx2Kernels::call : baselineKernels::call)
#else
#define ROUNDLAB_DISPATCH(call) baselineKernels::call
#endif

void rectifiedSigmoidSoftWeight(const RoundingStepArrays& a, float lo, float hi, int64_t begin, int64_t end) {
  const FlushDenormals flush;
  ROUNDLAB_DISPATCH(softWeight(a, lo, hi, begin, end));
}

void rectifiedSigmoidStep(const RoundingStepArrays& a, const RoundingStepScalars& c, int64_t begin, int64_t end) {
  const FlushDenormals flush;
  ROUNDLAB_DISPATCH(step(a, c, begin, end));
}

double rectifiedSigmoidRegularizer(const float* v, const float* mask, float beta, float* dv, int64_t begin,
                                   int64_t end) {
  const FlushDenormals flush;
  return ROUNDLAB_DISPATCH(regularizer(v, mask, beta, dv, begin, end));
}

double squaredErrorRow(const float* prediction, const float* target, float twoScale, float* grad, int64_t n) {
  return ROUNDLAB_DISPATCH(squaredErrorRow(prediction, target, twoScale, grad, n));
}

}  // namespace roundlab
