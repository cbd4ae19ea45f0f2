// libFuzzer target: the model file's front checks (zip structure and every record's CRC-32),
// which run before LibTorch sees a file.
#include "FuzzInput.h"
#include "engine/core/Error.h"
#include "engine/model/ModelArchive.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    roundlab::checkModelArchive("model.pt", reinterpret_cast<const char*>(data), size);
  } catch (const roundlab::Error&) {
  }
  return 0;
}
