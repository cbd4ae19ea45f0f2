// MNIST-style IDX files (images 0x00000803, labels 0x00000801), gzip-compressed or raw.
#include <zlib.h>

#include <filesystem>
#include <numeric>

#include "engine/core/Error.h"
#include "engine/data/DatasetInternals.h"

namespace roundlab {

namespace {

struct GzFile {
  gzFile f;
  explicit GzFile(const std::string& path) : f(gzopen(path.c_str(), "rb")) {}
  ~GzFile() {
    if (f) gzclose(f);
  }
  bool readAll(void* dst, size_t n) {
    auto* p = static_cast<char*>(dst);
    while (n > 0) {
      const unsigned chunk = static_cast<unsigned>(std::min<size_t>(n, 1u << 30));
      const int got = gzread(f, p, chunk);
      if (got <= 0) return false;
      p += got;
      n -= static_cast<size_t>(got);
    }
    return true;
  }
};

uint32_t bigEndian(const unsigned char* b) {
  return (uint32_t(b[0]) << 24) | (uint32_t(b[1]) << 16) | (uint32_t(b[2]) << 8) | uint32_t(b[3]);
}

std::vector<uint32_t> readHeader(GzFile& in, const std::string& path, uint32_t expectedMagic, size_t dims) {
  unsigned char h[16];
  if (!in.f || !in.readAll(h, 4 + 4 * dims))
    throw Error(ErrorCode::BadDataFile, path + " is truncated or not an IDX file");
  const uint32_t magic = bigEndian(h);
  // IDX magic: 0x00 0x00, a type code (0x08 = unsigned byte), the number of dimensions.
  if (h[0] == 0 && h[1] == 0 && h[2] != 0x08 && h[3] == (expectedMagic & 0xff)) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "stores IDX type 0x%02x; RoundLab reads unsigned byte IDX files (type 0x08)", h[2]);
    throw Error(ErrorCode::BadDataFile, path + " " + buf);
  }
  if (magic != expectedMagic) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "magic 0x%08x, expected 0x%08x", magic, expectedMagic);
    throw Error(ErrorCode::BadDataFile,
                path + " is not an IDX " + (dims == 3 ? "images" : "labels") + " file (" + buf + ")");
  }
  std::vector<uint32_t> out;
  for (size_t i = 0; i < dims; ++i) out.push_back(bigEndian(h + 4 + 4 * i));
  return out;
}

// IDX labels carry no class count, and a subset of a data set may miss classes. A label standing
// far above all the others (200 among 0..9) is almost surely damage: refuse it rather than train
// or score against a phantom class.
void requireContiguousClasses(const std::vector<uint8_t>& labels, const std::string& path) {
  if (labels.empty()) return;
  const auto top = std::max_element(labels.begin(), labels.end());
  int next = -1;  // the largest label below the top one
  for (uint8_t l : labels)
    if (l < *top) next = std::max(next, static_cast<int>(l));
  if (next < 0 || *top <= 2 * next + 1) return;
  throw Error(ErrorCode::BadDataFile,
              path + ": label " + std::to_string(*top) + " (sample " + std::to_string(top - labels.begin()) +
                  ") is out of range: every other label is at most " + std::to_string(next) + " (damaged labels?)");
}

std::string guessLabelsPath(const std::string& images) {
  const std::filesystem::path p(images);
  std::string name = p.filename().string();
  for (const auto& [from, to] :
       {std::pair<std::string, std::string>{"images-idx3", "labels-idx1"}, {"images.idx3", "labels.idx1"}}) {
    if (auto pos = name.find(from); pos != std::string::npos) {
      name.replace(pos, from.size(), to);
      const auto candidate = p.parent_path() / name;
      std::error_code ec;
      if (std::filesystem::exists(candidate, ec)) return candidate.string();
    }
  }
  return {};
}

class IdxDataset : public Dataset {
 public:
  IdxDataset(ImageSet images, const std::string& path, const DataOptions& options) : images_(std::move(images)) {
    info_.path = path;
    info_.format = "idx";
    info_.storedType = "uint8";
    info_.samples = images_.n;
    info_.sampleShape = {images_.channels, images_.height, images_.width};
    info_.hasLabels = !images_.labels.empty();
    info_.source = images_.source;
    applyNormalisationOptions(info_, options);
  }
  const DatasetInfo& info() const override { return info_; }
  DataBatch read(int64_t begin, int64_t count) const override {
    std::vector<int64_t> idx(static_cast<size_t>(std::max<int64_t>(count, 0)));
    std::iota(idx.begin(), idx.end(), begin);
    return readIndices(idx);
  }
  DataBatch readIndices(const std::vector<int64_t>& indices) const override {
    for (int64_t i : indices)
      if (i < 0 || i >= info_.samples)
        throw Error(ErrorCode::InvalidArgument, "sample index out of range for " + info_.path);
    const ImageSet sel = selectImages(images_, indices);
    at::Tensor raw =
        at::from_blob(const_cast<uint8_t*>(sel.pixels.data()), {sel.n, sel.channels, sel.height, sel.width}, at::kByte);
    DataBatch b;
    b.inputs = normalizeInputs(raw, info_);  // copies: from_blob memory dies with `sel`
    if (!sel.labels.empty()) b.labels = at::tensor(sel.labels, at::kLong);
    return b;
  }

 private:
  ImageSet images_;
  DatasetInfo info_;
};

}  // namespace

ImageSet readIdxImages(const std::string& imagesPath, const std::string& labelsPath) {
  std::error_code ec;
  if (!std::filesystem::exists(imagesPath, ec))
    throw Error(ErrorCode::FileNotFound, "IDX file not found: " + imagesPath);
  ImageSet s;
  {
    GzFile in(imagesPath);
    const auto dims = readHeader(in, imagesPath, 0x803, 3);
    s.n = dims[0];
    s.channels = 1;
    s.height = dims[1];
    s.width = dims[2];
    const std::string claim =
        std::to_string(s.n) + " images of " + std::to_string(s.height) + "x" + std::to_string(s.width);
    if (s.n == 0 || s.height == 0 || s.width == 0)
      throw Error(ErrorCode::BadDataFile, imagesPath + " holds no samples (its header says " + claim + ")");
    // Bounded so that the product below cannot wrap around (a wrapped claim would read nothing).
    constexpr uint64_t kMaxPixelsPerImage = uint64_t(1) << 26;  // 64 megapixels, as for image imports
    if (static_cast<uint64_t>(s.height) * static_cast<uint64_t>(s.width) > kMaxPixelsPerImage)
      throw Error(ErrorCode::BadDataFile,
                  imagesPath + ": its header says " + claim + "; RoundLab reads images of at most 64 megapixels");
    // The header's claim is not trusted with memory: the pixels are read in pieces, so a header
    // that lies about the count ends as "truncated", not as a huge allocation.
    const uint64_t claimed =
        static_cast<uint64_t>(s.n) * static_cast<uint64_t>(s.height) * static_cast<uint64_t>(s.width);
    constexpr uint64_t kPiece = uint64_t(1) << 20;
    for (uint64_t done = 0; done < claimed;) {
      const uint64_t piece = std::min(kPiece, claimed - done);
      s.pixels.resize(static_cast<size_t>(done + piece));
      if (!in.readAll(s.pixels.data() + done, static_cast<size_t>(piece)))
        throw Error(ErrorCode::BadDataFile,
                    imagesPath + " is truncated: its header says " + claim + ", the file ends before that");
      done += piece;
    }
  }
  const std::string lp = labelsPath.empty() ? guessLabelsPath(imagesPath) : labelsPath;
  if (!lp.empty()) {
    if (!std::filesystem::exists(lp, ec)) throw Error(ErrorCode::FileNotFound, "IDX labels file not found: " + lp);
    GzFile in(lp);
    const auto dims = readHeader(in, lp, 0x801, 1);
    if (static_cast<int64_t>(dims[0]) != s.n)
      throw Error(ErrorCode::DataShapeMismatch, lp + " has " + std::to_string(dims[0]) + " labels for " +
                                                    std::to_string(s.n) + " images in " + imagesPath);
    std::vector<uint8_t> raw(dims[0]);
    if (!in.readAll(raw.data(), raw.size())) throw Error(ErrorCode::BadDataFile, lp + " is truncated");
    requireContiguousClasses(raw, lp);
    s.labels.assign(raw.begin(), raw.end());
  }
  s.source = std::filesystem::path(imagesPath).filename().string();
  return s;
}

ImageSet selectImages(const ImageSet& images, const std::vector<int64_t>& indices) {
  ImageSet out;
  out.channels = images.channels;
  out.height = images.height;
  out.width = images.width;
  out.mean = images.mean;
  out.std = images.std;
  out.classNames = images.classNames;
  out.source = images.source;
  const size_t per = static_cast<size_t>(images.channels * images.height * images.width);
  out.n = static_cast<int64_t>(indices.size());
  out.pixels.resize(per * indices.size());
  for (size_t k = 0; k < indices.size(); ++k) {
    const size_t i = static_cast<size_t>(indices[k]);
    std::copy_n(images.pixels.begin() + static_cast<std::ptrdiff_t>(i * per), per,
                out.pixels.begin() + static_cast<std::ptrdiff_t>(k * per));
    if (!images.labels.empty()) out.labels.push_back(images.labels[i]);
  }
  return out;
}

std::unique_ptr<Dataset> openIdxDataset(const std::string& path, const DataOptions& options) {
  return std::make_unique<IdxDataset>(readIdxImages(path, options.labelsPath), path, options);
}

}  // namespace roundlab
