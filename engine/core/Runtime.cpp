#include "engine/core/Runtime.h"

#include <H5public.h>
#include <link.h>
#include <zlib.h>

#include <cstring>

#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <torch/version.h>

#include "engine/core/Error.h"

namespace roundlab {

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
  // Which BLAS the dynamic linker bound libblas.so.3 to (Debian's alternatives decide it).
  std::string blas = "reference BLAS (slow: see scripts/setup.sh)";
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* out) {
        const char* name = info->dlpi_name ? info->dlpi_name : "";
        if (std::strstr(name, "openblas"))
          *static_cast<std::string*>(out) = "OpenBLAS";
        else if (std::strstr(name, "blis"))
          *static_cast<std::string*>(out) = "BLIS";
        else if (std::strstr(name, "libmkl"))
          *static_cast<std::string*>(out) = "MKL";
        return 0;
      },
      &blas);
  return vector + " kernels, " + blas + ", " + std::to_string(at::get_num_threads()) + " thread" +
         (at::get_num_threads() == 1 ? "" : "s");
}

}  // namespace roundlab
