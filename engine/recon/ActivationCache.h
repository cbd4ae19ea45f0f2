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

  // How many appends each key is expected to get (a capture's batch count). A key's first append
  // in memory then reserves room for that many like it and later ones are copied into it, so a
  // read needs no join of the batches (a copy into fresh pages: a tenth of a short run on the demo
  // ResNet). A key that gets more, or rows of another shape, continues in further parts.
  void expectAppends(int64_t appends) { expectedAppends_ = appends; }

  // Throws WriteFailed (with the file's path) when the temporary file cannot be written.
  void append(const std::string& key, const at::Tensor& rows);
  bool has(const std::string& key) const;
  // Every row appended, in order. In memory, the same tensor for every read (do not modify it).
  at::Tensor read(const std::string& key) const;

  int64_t bytes() const { return bytes_; }
  bool onDisk() const { return file_ != nullptr; }
  const std::string& path() const { return path_; }  // empty until spilled

 private:
  void spill();
  void write(const std::string& key, const at::Tensor& rows);  // to the file
  // Rows [0, filled) of `rows` hold data; the rest is room reserved for later appends, which
  // bring `batchRows` rows each (the file takes the part in such slices: its chunks follow them).
  struct Part {
    at::Tensor rows;
    int64_t filled = 0, batchRows = 0;
    at::Tensor data() const;
  };
  void appendInMemory(const std::string& key, const at::Tensor& rows);
  int64_t budget_;
  std::string directory_, path_;
  int64_t bytes_ = 0, expectedAppends_ = 1;
  mutable std::map<std::string, std::vector<Part>> memory_;  // several parts joined at the first read
  struct File;
  std::unique_ptr<File> file_;
};

}  // namespace roundlab
