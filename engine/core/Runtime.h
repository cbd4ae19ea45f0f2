#pragma once
// Process-wide compute settings and the library versions every run records.
#include <string>

namespace roundlab {

// LibTorch intra-op threads. On small VMs more threads are often slower (OpenMP spin-waits);
// the default is 1, and callers running > 1 should set OMP_WAIT_POLICY=PASSIVE before start.
void setComputeThreads(int threads);

struct LibraryVersions {
  std::string roundlab, torch, hdf5, zlib;
};
LibraryVersions libraryVersions();
// The CPU kernels LibTorch dispatches to, the BLAS it calls and its thread count, e.g.
// "AVX2 kernels, OpenBLAS, 1 thread" (About, and slow runs explained).
std::string computeKernels();

}  // namespace roundlab
