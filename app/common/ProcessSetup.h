#pragma once
// Process-level compute set-up shared by roundlab and roundlab-cli.

namespace roundlab::app {

// LibTorch's OpenMP runtime reads OMP_WAIT_POLICY once, at load time. With more than one thread
// spinning workers are much slower on small VMs, so a run asking for > 1 thread re-executes
// itself with OMP_WAIT_POLICY=PASSIVE unless the user already chose a policy. Returns only when
// no re-exec was needed (or it failed, in which case the run goes on with the current policy).
void ensurePassiveOpenMp(int threads, char** argv);

// A file-size limit (ulimit -f) must read like a full disk, one clear line, not kill the process
// with SIGXFSZ half-way through a save.
void reportFileSizeLimitAsError();

// Parses --threads N / --threads=N from argv without consuming it; `absent` when it is not there.
int threadsFromArgs(int argc, char** argv, int absent = 1);
// At most the machine's hardware threads: more only adds waiting (150x slower seen with 1000).
int usableThreads(int requested);

}  // namespace roundlab::app
