#pragma once
// Calibration activations by key, gathered batch by batch (rows along dim 0): held in memory
// while they fit a budget, then moved to a temporary HDF5 file so that large models keep memory
// bounded (reconstruction then reads one unit's activations at a time). The file is removed when
// the cache is destroyed.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <torch/types.h>

namespace roundlab {

class ActivationCache {
 public:
  // `memoryBudgetBytes` < 0: never spill. `directory` empty: the system's temporary directory.
  explicit ActivationCache(int64_t memoryBudgetBytes, std::string directory = {});
  ~ActivationCache();
  ActivationCache(const ActivationCache&) = delete;
  ActivationCache& operator=(const ActivationCache&) = delete;

  // Throws WriteFailed (with the file's path) when the temporary file cannot be written.
  void append(const std::string& key, const at::Tensor& rows);
  bool has(const std::string& key) const;
  at::Tensor read(const std::string& key) const;  // every row appended, in order

  int64_t bytes() const { return bytes_; }
  bool onDisk() const { return file_ != nullptr; }
  const std::string& path() const { return path_; }  // empty until spilled

 private:
  void spill();
  void write(const std::string& key, const at::Tensor& rows);  // to the file
  int64_t budget_;
  std::string directory_, path_;
  int64_t bytes_ = 0;
  std::map<std::string, std::vector<at::Tensor>> memory_;
  struct File;
  std::unique_ptr<File> file_;
};

}  // namespace roundlab
