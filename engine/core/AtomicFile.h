#pragma once
// Atomic replacement of a user's file: write to a temporary file beside the target, then rename
// it over the target. Until commit() succeeds the target is untouched; a writer destroyed without
// commit() removes its temporary file.
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
  // Renames the temporary file over the target. Throws WriteFailed.
  void commit();

 private:
  std::string target_, temp_;
  bool committed_ = false;
};

}  // namespace roundlab
