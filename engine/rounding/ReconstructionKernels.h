#pragma once
// The loops of a reconstruction step over raw arrays: the fused rounding update
// (RectifiedSigmoidOptimizer) and the squared error against indexed targets
// (IndexedSquaredError). Vectorised, with one build per instruction set and the widest the
// processor runs picked at start; every set gives the same bits (sums too: eight partial sums in
// every set). Free of Torch: the kernels are built with -fno-math-errno (without it the square
// roots do not vectorise), which a precompiled Torch header does not allow.
#include <cstdint>

namespace roundlab {

enum class RoundingKernels { Baseline, Avx2 };  // SSE2 or NEON; AVX2 on x86-64 processors with it
RoundingKernels roundingKernels();
// For tests and benchmarks; false (and no change) where the processor lacks the set.
bool setRoundingKernels(RoundingKernels kernels);
const char* roundingKernelsName(RoundingKernels kernels);

// The per-weight arrays a step reads and writes, all of one length.
struct RoundingStepArrays {
  const float* grad;                                  // dL/dW~; null where no gradient reached the soft weight
  const float *base, *nearest, *mask, *zero, *scale;  // RoundingConstants
  float *v, *soft, *dsoft, *h, *dh;                   // V, W~, dW~/dV, h(V), dh/dV
  float *moment1, *moment2;                           // Adam's averages; SGD's momentum in moment1
};

struct RoundingStepScalars {
  bool regularize, adam, firstStep;
  float lambda, beta, lo, hi;  // regulariser weight and exponent; code range
  float beta1, beta2, oneMinusBeta1, oneMinusBeta2, sqrtCorrection2, eps, stepSize;  // Adam
  float momentum, rate;                                                              // SGD
};

// Weights [begin, end): the soft weight, dW~/dV, h and dh/dV at the current V.
void rectifiedSigmoidSoftWeight(const RoundingStepArrays& a, float lo, float hi, int64_t begin, int64_t end);
// Weights [begin, end): one update of V from the gradient at the V that produced the current soft
// weight (plus lambda times the regulariser's), then the new soft weight.
void rectifiedSigmoidStep(const RoundingStepArrays& a, const RoundingStepScalars& c, int64_t begin, int64_t end);

// sum of (prediction - target)^2 over n floats, writing twoScale (prediction - target) to grad
// (the squared error's gradient, IndexedSquaredError).
double squaredErrorRow(const float* prediction, const float* target, float twoScale, float* grad, int64_t n);

// Weights [begin, end): sum of mask (1 - |2 h(V) - 1|^beta) (eq. 24), its derivative in V into dv.
double rectifiedSigmoidRegularizer(const float* v, const float* mask, float beta, float* dv, int64_t begin,
                                   int64_t end);

}  // namespace roundlab
