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
// The CPU kernels LibTorch dispatches to, oneDNN's kernel cap (convolutions: AVX2 unless the
// environment's ONEDNN_MAX_CPU_ISA says otherwise, so results agree across processors), the BLAS it
// calls and its thread count, e.g. "AVX2 kernels, oneDNN up to AVX2, OpenBLAS, 1 thread" (About).
std::string computeKernels();

// Hands memory that was freed back to the system when the heap holds more of it than 512 MiB and
// than it has in use. glibc keeps freed blocks below its mmap threshold (up to 32 MB: one batch's
// activations of a language model) in its heap, which then only grows: measured on the
// 90M-parameter bench, 4 GB held for 1.2 GB in use. Smaller amounts stay for the next unit's
// buffers. Called between the phases of a run; a no-op elsewhere than glibc.
void releaseFreedMemory();

// Serves large buffers (a calibration set's activations: tens of MB each, above glibc's 32 MB mmap
// ceiling) from the heap instead of a fresh mapping per allocation: the kernel faults in and zeroes
// every fresh page, which perf put at 30-40 % of a reconstruction's fixed cost on the development
// VM (a 10-iteration QDrop run on the demo ResNet: 23.1 s, 16.3 s with this). Freed memory stays in
// the heap for reuse until releaseFreedMemory. For a process's main (the CLI, the workbench, the
// bench), once at start; a no-op elsewhere than glibc.
void keepLargeBuffersInHeap();

}  // namespace roundlab
