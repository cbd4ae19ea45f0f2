#include "engine/recon/ActivationCache.h"

#include <H5Cpp.h>
#include <unistd.h>

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
    for (const Part& part : parts) write(key, part.data());
}

at::Tensor ActivationCache::Part::data() const { return filled == rows.size(0) ? rows : rows.narrow(0, 0, filled); }

void ActivationCache::appendInMemory(const std::string& key, const at::Tensor& rows) {
  std::vector<Part>& parts = memory_[key];
  const int64_t n = rows.size(0);
  if (!parts.empty()) {
    Part& last = parts.back();
    if (last.filled + n <= last.rows.size(0) && last.rows.scalar_type() == rows.scalar_type() &&
        last.rows.sizes().slice(1) == rows.sizes().slice(1)) {
      last.rows.narrow(0, last.filled, n).copy_(rows);
      last.filled += n;
      return;
    }
  }
  if (parts.empty() && expectedAppends_ > 1 && n > 0) {
    std::vector<int64_t> shape = rows.sizes().vec();
    shape[0] = n * expectedAppends_;
    Part reserved{at::empty(shape, rows.options().memory_format(at::MemoryFormat::Contiguous)), n};
    reserved.rows.narrow(0, 0, n).copy_(rows);
    parts.push_back(std::move(reserved));
    return;
  }
  parts.push_back({rows, n});
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
        if (p.rows.sizes().slice(1) != parts.front().rows.sizes().slice(1))
          throw Error(ErrorCode::InvalidArgument, "cached activations for " + key + " have rows of different shapes");
        data.push_back(p.data());
      }
      const at::Tensor joined = at::cat(data);
      parts = {Part{joined, joined.size(0)}};
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
