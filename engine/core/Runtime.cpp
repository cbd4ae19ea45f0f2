#include "engine/core/Runtime.h"

#include <H5public.h>
#include <dlfcn.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <zlib.h>

#include <strings.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <torch/version.h>

#include "engine/core/Error.h"

namespace roundlab {

namespace {

// Freed heap memory kept for reuse (up to this much, or as much as is in use).
constexpr size_t kFreeMemoryKept = size_t(512) << 20;

// LibTorch's convolutions run in oneDNN, which picks its kernels for the processor it finds: on an
// AMD EPYC with AVX-512 its AVX-512 kernels sum in another order than on the Intel machine the
// lessons' figures came from, and a QDrop W4A4 run on the demo ResNet ends 0.05 points apart
// (91.45 % vs 91.50 %). With oneDNN capped at AVX2, which every x86-64 laptop of the last decade
// has, the AMD machine gives the Intel figure at no measurable cost (24.4 s vs 24.7 s for that
// run). This covers oneDNN only (OpenBLAS picks its kernels when it loads). oneDNN reads the cap
// once, at its first convolution, so it is set while the program loads; a cap the user set in the
// environment (under either name) is kept.
struct ConvolutionKernelCap {
  ConvolutionKernelCap() {
    if (!std::getenv("ONEDNN_MAX_CPU_ISA") && !std::getenv("DNNL_MAX_CPU_ISA")) setenv("ONEDNN_MAX_CPU_ISA", "AVX2", 0);
  }
} const kConvolutionKernelCap;

// The kernels OpenBLAS chose for this processor ("Haswell"), or null where OpenBLAS is not loaded.
const char* openblasKernels() {
  using CoreName = char* (*)();
  const auto coreName = reinterpret_cast<CoreName>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  return coreName ? coreName() : nullptr;
}

// OpenBLAS (the Linear layers' sgemm) picks its kernels for the processor when it loads, before
// any of RoundLab's code runs: on an AMD EPYC with AVX-512 BF16 it takes its Cooperlake kernels,
// which sum in another order than the Haswell kernels it takes on the other machines here, and the
// demo's transformer W4A4 run ends at 87.35 % instead of 87.30 %. It reads OPENBLAS_CORETYPE only
// while it loads, so where it chose other kernels and the processor has what Haswell's need (AVX2,
// FMA) the program starts itself again, once, with the variable set; children inherit it. A
// choice the user set in the environment is kept.
struct BlasKernelChoice {
  BlasKernelChoice() {
    if (std::getenv("OPENBLAS_CORETYPE")) return;
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return;
    const char* chosen = openblasKernels();
    if (!chosen) return;  // another BLAS
    setenv("OPENBLAS_CORETYPE", "Haswell", 1);
    if (strcasecmp(chosen, "haswell") == 0) return;
    std::ifstream in("/proc/self/cmdline", std::ios::binary);
    std::vector<std::string> args;
    for (std::string arg; std::getline(in, arg, '\0');) args.push_back(arg);
    if (args.empty()) return;
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv("/proc/self/exe", argv.data());
    unsetenv("OPENBLAS_CORETYPE");  // it failed: this process keeps OpenBLAS's choice, and so do its children
  }
} const kBlasKernelChoice;

}  // namespace

void setComputeThreads(int threads) {
  if (threads < 1) throw Error(ErrorCode::InvalidArgument, "thread count must be at least 1");
  at::set_num_threads(threads);
}

LibraryVersions libraryVersions() {
  unsigned maj = 0, min = 0, rel = 0;
  H5get_libversion(&maj, &min, &rel);
  return {ROUNDLAB_VERSION, TORCH_VERSION, std::to_string(maj) + "." + std::to_string(min) + "." + std::to_string(rel),
          zlibVersion()};
}

std::string computeKernels() {
  // LibTorch reports its dispatch level in its build configuration ("CPU capability usage: AVX2").
  std::string vector = "portable";
  const std::string config = at::show_config();
  const std::string key = "CPU capability usage: ";
  if (const size_t at = config.find(key); at != std::string::npos)
    vector = config.substr(at + key.size(), config.find('\n', at) - at - key.size());
  // The BLAS that serves LibTorch's sgemm_ calls: the library the dynamic linker resolved it in,
  // through its symlinks (Debian's alternatives point libblas.so.3 at one implementation).
  std::string blas = "no BLAS";
  Dl_info info{};
  if (void* gemm = dlsym(RTLD_DEFAULT, "sgemm_"); gemm && dladdr(gemm, &info) && info.dli_fname) {
    char resolved[PATH_MAX];
    const std::string path = realpath(info.dli_fname, resolved) ? resolved : info.dli_fname;
    if (path.find("openblas") != std::string::npos) {
      const char* core = openblasKernels();
      blas = core ? std::string("OpenBLAS (") + core + " kernels)" : "OpenBLAS";
    } else if (path.find("blis") != std::string::npos)
      blas = "BLIS";
    else if (path.find("mkl") != std::string::npos)
      blas = "MKL";
    else
      blas = "reference BLAS (slow: scripts/setup.sh selects OpenBLAS)";
  }
  const char* convolutionCap = std::getenv("ONEDNN_MAX_CPU_ISA");  // oneDNN reads it before DNNL_'s
  if (!convolutionCap) convolutionCap = std::getenv("DNNL_MAX_CPU_ISA");
  const std::string convolutions = convolutionCap ? std::string("oneDNN up to ") + convolutionCap : "oneDNN";
  return vector + " kernels, " + convolutions + ", " + blas + ", " + std::to_string(at::get_num_threads()) + " thread" +
         (at::get_num_threads() == 1 ? "" : "s");
}

void releaseFreedMemory() {
#if defined(__GLIBC__)
  // Trimming is not free: every page handed back is faulted in and zeroed again at the next large
  // allocation, which on the development VM took a third of a short run on the demo ResNet
  // (a 10-iteration run: 6.4-8.2 s without the trims between units, 10.9-11.3 s with them).
#if __GLIBC_PREREQ(2, 33)
  const struct mallinfo2 heap = mallinfo2();
  if (heap.fordblks <= std::max<size_t>(kFreeMemoryKept, heap.uordblks)) return;
#endif
  malloc_trim(0);
#endif
}

void keepLargeBuffersInHeap() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_MAX, 0);
  // Without a ceiling on the heap's free top glibc would hand it back after every large free.
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
#endif
}

}  // namespace roundlab
