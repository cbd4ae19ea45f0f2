// libFuzzer target: a session file through loadSession (which validates codes and grids).
#include "FuzzInput.h"
#include "engine/core/Error.h"
#include "engine/session/SessionFile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = roundlab::fuzz::writeInput(data, size, ".rlab");
  try {
    const roundlab::Session s = roundlab::loadSession(path);
    (void)s.result.layers.size();
  } catch (const roundlab::Error&) {
  }
  return 0;
}
