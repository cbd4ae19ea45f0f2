// The rounding kernels for the baseline instruction set (SSE2 on x86-64, NEON on arm64).
#define ROUNDLAB_KERNEL_NS baselineKernels
#define ROUNDLAB_LANE_BYTES 16
#include "engine/rounding/ReconstructionKernels.inl"
