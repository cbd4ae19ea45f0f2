// The rounding kernels for AVX2 (built with -mavx2 on x86-64; used only where the processor has
// it). Without FMA, on purpose: contracted multiply-adds would change the bits against the
// baseline kernels, and a run must reproduce on any machine.
#define ROUNDLAB_KERNEL_NS avx2Kernels
#define ROUNDLAB_LANE_BYTES 32
#include "engine/rounding/ReconstructionKernels.inl"
