#include "app/common/ProcessSetup.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace roundlab::app {

void ensurePassiveOpenMp(int threads, char** argv) {
  if (threads <= 1 || std::getenv("OMP_WAIT_POLICY")) return;
  setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
  execv("/proc/self/exe", argv);  // only returns on failure
}

int threadsFromArgs(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc) return std::atoi(argv[i + 1]);
    if (std::strncmp(argv[i], "--threads=", 10) == 0) return std::atoi(argv[i] + 10);
  }
  return 1;
}

}  // namespace roundlab::app
