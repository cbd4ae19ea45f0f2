#pragma once
// Runs a piece of work in a forked child process, so that a fault inside a library RoundLab
// cannot fix (a crash or an endless loop in HDF5 on a damaged file, docs/reliability.md) ends the
// child and not RoundLab. The child hands back only the bytes its work returns.
#include <functional>
#include <string>

namespace roundlab {

struct ChildOutcome {
  enum class Kind { Finished, Crashed, TimedOut, NotStarted };
  Kind kind = Kind::NotStarted;
  int signal = 0;      // for Crashed: the signal that ended the child (0 when it exited otherwise)
  std::string output;  // for Finished: what `work` returned
};

// Calls `work` in a child whose stdout and stderr go to /dev/null, and returns its result. An
// exception escaping `work` counts as a crash. Kills the child after `timeoutSeconds`. Safe to
// call from any thread: the child runs only `work`, then _exit.
ChildOutcome runInChildProcess(const std::function<std::string()>& work, double timeoutSeconds);

}  // namespace roundlab
