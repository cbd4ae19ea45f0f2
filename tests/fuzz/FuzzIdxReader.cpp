// libFuzzer target: MNIST-style IDX images (raw or gzip) through readIdxImages.
#include "FuzzInput.h"
#include "engine/core/Error.h"
#include "engine/data/Dataset.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = roundlab::fuzz::writeInput(data, size, "-images-idx3-ubyte");
  try {
    const roundlab::ImageSet s = roundlab::readIdxImages(path);
    (void)s.pixels.size();
  } catch (const roundlab::Error&) {
  }
  return 0;
}
