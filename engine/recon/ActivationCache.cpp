#include "engine/recon/ActivationCache.h"

#include <H5Cpp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>

#include <torch/torch.h>

#include "engine/core/AtomicFile.h"
#include "engine/core/Error.h"
#include "engine/io/Hdf5Io.h"

namespace roundlab {

struct ActivationCache::File {
  H5::H5File h5;
  std::set<std::string> keys;
};

ActivationCache::ActivationCache(int64_t memoryBudgetBytes, std::string directory)
    : budget_(memoryBudgetBytes), directory_(std::move(directory)) {}

ActivationCache::~ActivationCache() {
  if (!file_) return;
  try {
    file_->h5.close();
  } catch (const H5::Exception&) {  // nothing more to do: the file is removed anyway
  }
  std::error_code ignored;
  std::filesystem::remove(path_, ignored);
}

namespace {
constexpr const char* kSpillPrefix = "roundlab-activations-";

// The PID in "roundlab-activations-PID-N.h5", or 0 when `name` is not a spill file.
long spillFileOwner(const std::string& name) {
  const size_t prefix = std::strlen(kSpillPrefix);
  if (name.compare(0, prefix, kSpillPrefix) != 0 || name.size() < 4 || name.compare(name.size() - 3, 3, ".h5") != 0)
    return 0;
  char* end = nullptr;
  const long pid = std::strtol(name.c_str() + prefix, &end, 10);
  return end != name.c_str() + prefix && *end == '-' && pid > 0 ? pid : 0;
}
}  // namespace

void ActivationCache::spill() {
  static std::atomic<int> counter{0};
  namespace fs = std::filesystem;
  const fs::path dir = directory_.empty() ? fs::temp_directory_path() : fs::path(directory_);
  // A killed run's cache would stay until the system cleans the folder: the next spill removes it.
  removeFilesOfEndedProcesses(dir.string(), spillFileOwner);
  path_ = (dir / (kSpillPrefix + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".h5")).string();
  H5::Exception::dontPrint();
  try {
    file_ = std::make_unique<File>();
    file_->h5 = H5::H5File(path_, H5F_ACC_TRUNC);
  } catch (const H5::Exception& e) {
    file_.reset();
    throw Error(ErrorCode::WriteFailed,
                "cannot create the temporary activation cache " + path_ + ": " + e.getDetailMsg());
  }
  auto pending = std::move(memory_);
  memory_.clear();
  for (auto& [key, parts] : pending)
    for (const Part& part : parts) {
      if (part.rows.dim() == 0) {
        write(key, part.rows);
        continue;
      }
      const int64_t step = std::max<int64_t>(1, part.batchRows);
      for (int64_t r = 0; r < part.filled; r += step)
        write(key, part.rows.slice(0, r, std::min(part.filled, r + step)));
    }
}

at::Tensor ActivationCache::Part::data() const {
  return rows.dim() == 0 || filled == rows.size(0) ? rows : rows.narrow(0, 0, filled);
}

void ActivationCache::appendInMemory(const std::string& key, const at::Tensor& rows) {
  std::vector<Part>& parts = memory_[key];
  if (rows.dim() == 0) {  // a scalar argument: kept as it is
    parts.push_back({rows, 1, 1});
    return;
  }
  const int64_t n = rows.size(0);
  if (!parts.empty()) {
    Part& last = parts.back();
    if (last.rows.dim() > 0 && last.filled + n <= last.rows.size(0) && last.rows.scalar_type() == rows.scalar_type() &&
        last.rows.sizes().slice(1) == rows.sizes().slice(1)) {
      last.rows.narrow(0, last.filled, n).copy_(rows);
      last.filled += n;
      return;
    }
  }
  if (parts.empty() && expectedAppends_ > 1 && n > 0) {
    // No more room than the memory budget leaves: beyond it the rows go to the file anyway.
    int64_t reserve = n * expectedAppends_;
    const int64_t rowBytes = static_cast<int64_t>(rows.nbytes()) / n;
    if (budget_ >= 0 && rowBytes > 0) reserve = std::min(reserve, std::max(n, (budget_ - bytes_) / rowBytes + n));
    std::vector<int64_t> shape = rows.sizes().vec();
    shape[0] = reserve;
    try {
      Part reserved{at::empty(shape, rows.options().memory_format(at::MemoryFormat::Contiguous)), n, n};
      reserved.rows.narrow(0, 0, n).copy_(rows);
      parts.push_back(std::move(reserved));
      return;
    } catch (const c10::Error&) {  // no room for it: the batches as they come
    }
  }
  parts.push_back({rows, n, n});
}

void ActivationCache::append(const std::string& key, const at::Tensor& rows) {
  const at::Tensor t = rows.detach();
  bytes_ += static_cast<int64_t>(t.numel() * t.element_size());
  if (!file_ && budget_ >= 0 && bytes_ > budget_) spill();
  if (file_)
    write(key, t);
  else
    appendInMemory(key, t);
}

void ActivationCache::write(const std::string& key, const at::Tensor& t) {
  try {
    hdf5::appendRows(file_->h5, key.c_str(), t);
    file_->keys.insert(key);
  } catch (const H5::Exception& e) {
    throw Error(ErrorCode::WriteFailed,
                "cannot write the temporary activation cache " + path_ + " (disk full?): " + e.getDetailMsg());
  }
}

bool ActivationCache::has(const std::string& key) const {
  return memory_.count(key) > 0 || (file_ && file_->keys.count(key) > 0);
}

at::Tensor ActivationCache::read(const std::string& key) const {
  if (auto m = memory_.find(key); m != memory_.end()) {
    std::vector<Part>& parts = m->second;
    if (parts.size() > 1) {  // joined once: a unit's data and then its layers' SQNR read a key
      std::vector<at::Tensor> data;
      for (const Part& p : parts) {
        if (p.rows.dim() == 0 || parts.front().rows.dim() == 0 ||
            p.rows.sizes().slice(1) != parts.front().rows.sizes().slice(1))
          throw Error(ErrorCode::InvalidArgument, "cached activations for " + key + " have rows of different shapes");
        data.push_back(p.data());
      }
      const at::Tensor joined = at::cat(data);
      parts = {Part{joined, joined.size(0), parts.front().batchRows}};
    }
    return parts.front().data();
  }
  if (!file_ || !file_->keys.count(key)) throw Error(ErrorCode::InvalidArgument, "no cached activations for " + key);
  try {
    return hdf5::readTensor(file_->h5, key.c_str());
  } catch (const H5::Exception& e) {
    throw Error(ErrorCode::BadDataFile,
                "cannot read the temporary activation cache " + path_ + ": " + e.getDetailMsg());
  }
}

}  // namespace roundlab
