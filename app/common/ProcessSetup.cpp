#include "app/common/ProcessSetup.h"

#include <unistd.h>

#include <csignal>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

namespace roundlab::app {

void ensurePassiveOpenMp(int threads, char** argv) {
  if (threads <= 1 || std::getenv("OMP_WAIT_POLICY")) return;
  setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
  execv("/proc/self/exe", argv);  // only returns on failure
}

void reportFileSizeLimitAsError() { std::signal(SIGXFSZ, SIG_IGN); }

namespace {
// A thread count the option parser will accept (1..4096); anything else counts as 1 here and is
// reported by the parser.
int threadCount(const char* text) {
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text, &end, 10);
  return errno == 0 && end != text && *end == '\0' && v >= 1 && v <= 4096 ? static_cast<int>(v) : 1;
}
}  // namespace

int threadsFromArgs(int argc, char** argv, int absent) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc) return threadCount(argv[i + 1]);
    if (std::strncmp(argv[i], "--threads=", 10) == 0) return threadCount(argv[i] + 10);
  }
  return absent;
}

int usableThreads(int requested) {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::min(requested, cores);
}

}  // namespace roundlab::app
