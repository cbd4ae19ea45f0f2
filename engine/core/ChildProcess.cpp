#include "engine/core/ChildProcess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>

// Set by the sanitizers (and libFuzzer through them) to act when a run dies; absent otherwise.
extern "C" void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

namespace roundlab {

namespace {

bool writeAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// The child: the result goes out as an 8-byte length and the bytes, so that the parent can tell a
// whole answer from one cut short by a crash.
[[noreturn]] void runChild(const std::function<std::string()>& work, int outputFd) {
  const int devNull = ::open("/dev/null", O_WRONLY);
  if (devNull >= 0) {  // a library's complaints (or a sanitizer's report) stay out of RoundLab's output
    ::dup2(devNull, STDOUT_FILENO);
    ::dup2(devNull, STDERR_FILENO);
  }
  // A death here is the parent's to report: not a fuzzer's crash report about the parent's input.
  if (__sanitizer_set_death_callback) __sanitizer_set_death_callback(nullptr);
  // A fault ends the child at once with its signal: an inherited handler (a sanitizer's, which
  // symbolises a report first) could take longer than the watchdog and read as a hang.
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL}) ::signal(sig, SIG_DFL);
  std::string output;
  try {
    output = work();
  } catch (...) {
    ::_exit(70);
  }
  const uint64_t size = output.size();
  char header[sizeof size];
  std::memcpy(header, &size, sizeof size);
  const bool sent = writeAll(outputFd, header, sizeof header) && writeAll(outputFd, output.data(), output.size());
  ::_exit(sent ? 0 : 71);  // no atexit handlers, no flush of buffers the parent owns
}

int reap(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

}  // namespace

ChildOutcome runInChildProcess(const std::function<std::string()>& work, double timeoutSeconds) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return {};
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return {};
  }
  if (pid == 0) {
    ::close(fds[0]);
    runChild(work, fds[1]);
  }
  ::close(fds[1]);
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::duration<double>(timeoutSeconds);
  std::string received;
  bool timedOut = false;
  char buffer[1 << 16];
  for (;;) {  // read until the child closes its end (it finished or died) or time runs out
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      timedOut = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 1000)));
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    received.append(buffer, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  if (timedOut) ::kill(pid, SIGKILL);
  const int status = reap(pid);
  ChildOutcome out;
  if (timedOut) {
    out.kind = ChildOutcome::Kind::TimedOut;
    return out;
  }
  uint64_t size = 0;
  if (received.size() >= sizeof size) std::memcpy(&size, received.data(), sizeof size);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && received.size() >= sizeof size &&
      received.size() - sizeof size == size) {
    out.kind = ChildOutcome::Kind::Finished;
    out.output = received.substr(sizeof size);
    return out;
  }
  out.kind = ChildOutcome::Kind::Crashed;
  if (WIFSIGNALED(status)) out.signal = WTERMSIG(status);
  return out;
}

}  // namespace roundlab
