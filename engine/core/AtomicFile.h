#pragma once
// Atomic replacement of a user's file: the bytes go to a temporary file beside the target, are
// flushed to disk (fsync), and only then renamed over the target. Until commit() succeeds the
// target is untouched; a writer destroyed without commit() removes its temporary file. A full
// disk or a kill therefore never leaves a truncated target.
//
// Temporary files are named ".NAME.roundlab-tmp.PID.N"; one left by a process that no longer
// runs (killed during a save) is removed by the next save into the same folder.
#include <cstddef>
#include <functional>
#include <string>

namespace roundlab {

class AtomicFile {
 public:
  // Throws WriteFailed when the target's folder does not exist.
  explicit AtomicFile(std::string target);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  const std::string& tempPath() const { return temp_; }
  const std::string& target() const { return target_; }
  // Writes the whole content to the temporary file and flushes it to disk. Throws WriteFailed
  // naming the target and the reason (e.g. "no space left on device"); the temporary file is gone.
  void write(const void* data, std::size_t size);
  void write(const std::string& bytes) { write(bytes.data(), bytes.size()); }
  // Renames the temporary file over the target (keeping an existing target's permissions) and
  // flushes the folder. Throws WriteFailed.
  void commit();

 private:
  [[noreturn]] void fail(const std::string& what, int error);

  std::string target_, temp_;
  bool committed_ = false;
};

// Removes the temporary files of RoundLab saves in `folder` whose process is no longer running.
// Returns how many were removed. Called by every AtomicFile; public for tests.
int removeStaleTemporaryFiles(const std::string& folder);
// The same for any naming: `ownerOf` gives the PID a file name carries (0: not such a file).
int removeFilesOfEndedProcesses(const std::string& folder, const std::function<long(const std::string&)>& ownerOf);

}  // namespace roundlab
