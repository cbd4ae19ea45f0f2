#include "engine/core/Runtime.h"

#include <H5public.h>
#include <zlib.h>

#include <ATen/Parallel.h>
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

}  // namespace roundlab
