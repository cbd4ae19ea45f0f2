// libFuzzer target: a data file through openDataset (HDF5 or IDX, judged by content), then the
// first samples read and normalised as an evaluation would.
#include "FuzzInput.h"
#include "engine/core/Error.h"
#include "engine/data/DataBatch.h"
#include "engine/data/Dataset.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = roundlab::fuzz::writeInput(data, size, ".h5");
  try {
    const auto set = roundlab::openDataset(path);
    const roundlab::DataBatch b = set->read(0, std::min<int64_t>(set->info().samples, 4));
    (void)b.inputs.numel();
  } catch (const roundlab::Error&) {
  }
  return 0;
}
