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

// Hands memory that was freed back to the system. glibc keeps freed blocks below its mmap
// threshold (up to 32 MB: one batch's activations of a language model) in its heap, which then
// only grows: measured on the 90M-parameter bench, 4 GB held for 1.2 GB in use. Called between
// the phases of a run; a no-op elsewhere than glibc.
void releaseFreedMemory();

}  // namespace roundlab
