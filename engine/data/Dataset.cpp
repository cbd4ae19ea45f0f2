#include <algorithm>
#include <filesystem>
#include <fstream>

#include "engine/core/Error.h"
#include "engine/core/FileChecks.h"
#include "engine/data/DatasetInternals.h"
#include "engine/io/Hdf5MemoryFile.h"

namespace roundlab {

namespace {

// SplitMix64: tiny, fully specified, identical on every platform.
struct SplitMix64 {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t bound) {  // unbiased, by rejection
    const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    uint64_t r;
    do r = next();
    while (r >= limit);
    return r % bound;
  }
};

class SubsetDataset : public Dataset {
 public:
  SubsetDataset(std::shared_ptr<const Dataset> base, std::vector<int64_t> indices)
      : base_(std::move(base)), indices_(std::move(indices)), info_(base_->info()) {
    info_.samples = static_cast<int64_t>(indices_.size());
  }
  const DatasetInfo& info() const override { return info_; }
  DataBatch read(int64_t begin, int64_t count) const override {
    if (begin < 0 || count < 0 || begin + count > info_.samples)
      throw Error(ErrorCode::InvalidArgument, "read beyond the end of the subset");
    return base_->readIndices({indices_.begin() + begin, indices_.begin() + begin + count});
  }
  DataBatch readIndices(const std::vector<int64_t>& idx) const override {
    std::vector<int64_t> mapped;
    mapped.reserve(idx.size());
    for (int64_t i : idx) mapped.push_back(indices_.at(static_cast<size_t>(i)));
    return base_->readIndices(mapped);
  }

 private:
  std::shared_ptr<const Dataset> base_;
  std::vector<int64_t> indices_;
  DatasetInfo info_;
};

bool startsWith(const std::string& path, const unsigned char* magic, size_t n) {
  std::ifstream f(path, std::ios::binary);
  std::vector<unsigned char> buf(n);
  if (!f.read(reinterpret_cast<char*>(buf.data()), static_cast<std::streamsize>(n))) return false;
  return std::equal(buf.begin(), buf.end(), magic);
}

}  // namespace

const EnumTable<Normalization>& normalizationTable() {
  static const EnumTable<Normalization> t{
      "normalization",
      {{Normalization::Auto, "auto", "apply the file's mean/std to uint8 images and to float data in [0, 1]"},
       {Normalization::Apply, "apply", "always subtract the file's mean and divide by its std"},
       {Normalization::None, "none", "ignore the file's mean/std: float data as stored, uint8 scaled to [0, 1]"}}};
  return t;
}

std::vector<int64_t> sampleIndices(int64_t size, int64_t count, uint64_t seed) {
  std::vector<int64_t> idx(static_cast<size_t>(size));
  for (int64_t i = 0; i < size; ++i) idx[static_cast<size_t>(i)] = i;
  if (count <= 0 || count >= size) return idx;
  SplitMix64 rng{seed};
  // Partial Fisher-Yates: the first `count` positions become a uniform sample.
  for (int64_t i = 0; i < count; ++i) {
    const int64_t j = i + static_cast<int64_t>(rng.below(static_cast<uint64_t>(size - i)));
    std::swap(idx[static_cast<size_t>(i)], idx[static_cast<size_t>(j)]);
  }
  idx.resize(static_cast<size_t>(count));
  std::sort(idx.begin(), idx.end());
  return idx;
}

std::unique_ptr<Dataset> subsetDataset(std::shared_ptr<const Dataset> base, int64_t count, uint64_t seed) {
  auto idx = sampleIndices(base->info().samples, count, seed);
  return std::make_unique<SubsetDataset>(std::move(base), std::move(idx));
}

std::unique_ptr<Dataset> openDataset(const std::string& path, const DataOptions& options) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw Error(ErrorCode::BadDataFile, path + " is a folder; convert image folders with `roundlab-cli make-calib`");
  requireReadableFile(path, "data file", ErrorCode::BadDataFile);
  static const unsigned char hdf5Magic[] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  static const unsigned char gzipMagic[] = {0x1f, 0x8b};
  static const unsigned char idxMagic[] = {0x00, 0x00};  // then the type code and the number of dimensions
  if (std::filesystem::file_size(path, ec) == 0 && !ec)
    throw Error(ErrorCode::BadDataFile, path + " is empty (0 bytes), not a data file");
  if (startsWith(path, hdf5Magic, sizeof hdf5Magic) || hdf5::hasSeal(path)) return openHdf5Dataset(path, options);
  if (startsWith(path, gzipMagic, sizeof gzipMagic) || startsWith(path, idxMagic, sizeof idxMagic))
    return openIdxDataset(path, options);
  throw Error(ErrorCode::BadDataFile,
              path + " is neither an HDF5 data file (/images or /inputs) nor an MNIST-style IDX file");
}

void applyNormalisationOptions(DatasetInfo& info, const DataOptions& options) {
  if (options.mean.empty() && options.std.empty()) return;
  const size_t channels = info.sampleShape.size() == 3 ? static_cast<size_t>(info.sampleShape[0]) : 1;
  auto expand = [&](std::vector<float> v, const char* what) {
    if (v.size() == 1 && channels > 1) v.assign(channels, v[0]);
    if (v.size() != channels)
      throw Error(ErrorCode::InvalidArgument, std::string(what) + " has " + std::to_string(v.size()) +
                                                  " values; the data has " + std::to_string(channels) + " channels");
    return v;
  };
  info.mean = expand(options.mean.empty() ? std::vector<float>{0.f} : options.mean, "mean");
  info.std = expand(options.std.empty() ? std::vector<float>{1.f} : options.std, "std");
  for (float s : info.std)
    if (!(s > 0.f)) throw Error(ErrorCode::InvalidArgument, "std values must be positive");
}

at::Tensor normalizeInputs(const at::Tensor& raw, const DatasetInfo& info) {
  if (info.tokenIds) return raw;  // ids index an embedding: used exactly as stored
  at::Tensor x = raw.scalar_type() == at::kByte ? raw.to(at::kFloat).div_(255.0f) : raw.to(at::kFloat);
  if (!info.mean.empty() && x.dim() == 4) {
    const int64_t c = x.size(1);
    at::Tensor mean = at::tensor(info.mean).view({1, c, 1, 1});
    at::Tensor std = at::tensor(info.std).view({1, c, 1, 1});
    x = x.sub_(mean).div_(std);
  }
  if (raw.scalar_type() != at::kByte && !at::isfinite(x).all().item<bool>())
    throw Error(ErrorCode::NonFiniteValues, info.path + " contains NaN or Inf input values");
  return x;
}

}  // namespace roundlab
