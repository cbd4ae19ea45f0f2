// RoundLab's HDF5 data layout (docs/data-format.md): /images (uint8 or float32, N x C x H x W)
// or /inputs (float32, N x ...; or integer token ids, N x T), optional /labels (integers, N, or
// N x T for tokens), normalisation attributes.
#include <H5Cpp.h>

#include <cmath>
#include <cstdio>
#include <numeric>

#include "engine/core/AtomicFile.h"
#include "engine/core/Error.h"
#include "engine/core/NumberText.h"
#include "engine/core/Shape.h"
#include "engine/data/DatasetInternals.h"
#include "engine/data/TextTokens.h"
#include "engine/io/Hdf5IsolatedOpen.h"
#include "engine/io/Hdf5MemoryFile.h"

namespace roundlab {

namespace {

std::vector<float> floatAttribute(const H5::H5Object& obj, const char* name) {
  if (!obj.attrExists(name)) return {};
  H5::Attribute a = obj.openAttribute(name);
  const hssize_t n = a.getSpace().getSimpleExtentNpoints();
  std::vector<float> v(static_cast<size_t>(n));
  a.read(H5::PredType::NATIVE_FLOAT, v.data());
  return v;
}

std::vector<std::string> stringsAttribute(const H5::H5Object& obj, const char* name) {
  if (!obj.attrExists(name)) return {};
  H5::Attribute a = obj.openAttribute(name);
  H5::StrType type = a.getStrType();
  const hssize_t n = a.getSpace().getSimpleExtentNpoints();
  std::vector<std::string> out;
  if (type.isVariableStr()) {
    std::vector<char*> raw(static_cast<size_t>(n));
    a.read(type, raw.data());
    for (char* s : raw) out.emplace_back(s ? s : "");
    H5Dvlen_reclaim(type.getId(), a.getSpace().getId(), H5P_DEFAULT, raw.data());
  } else {
    const size_t len = type.getSize();
    std::vector<char> raw(len * static_cast<size_t>(n));
    a.read(type, raw.data());
    for (hssize_t i = 0; i < n; ++i) {
      std::string s(raw.data() + i * len, len);
      out.push_back(s.substr(0, s.find('\0')));
    }
  }
  return out;
}

// A dataset of variable-length strings (a vocabulary: too many for an attribute's 64 KiB header).
std::vector<std::string> stringsDataset(const H5::H5File& file, const char* name) {
  if (!file.nameExists(name)) return {};
  H5::DataSet set = file.openDataSet(name);
  const H5::StrType type(H5::PredType::C_S1, H5T_VARIABLE);
  const hssize_t n = set.getSpace().getSimpleExtentNpoints();
  if (set.getDataType().getClass() != H5T_STRING || n <= 0) return {};
  std::vector<char*> raw(static_cast<size_t>(n));
  set.read(raw.data(), type);
  std::vector<std::string> out;
  for (char* s : raw) out.emplace_back(s ? s : "");
  H5Dvlen_reclaim(type.getId(), set.getSpace().getId(), H5P_DEFAULT, raw.data());
  return out;
}

class Hdf5Dataset : public Dataset {
 public:
  Hdf5Dataset(const std::string& path, const DataOptions& options) {
    info_.path = path;
    info_.format = "hdf5";
    try {
      file_ = hdf5::openForReading(path);
    } catch (const H5::Exception&) {
      throw Error(ErrorCode::BadDataFile, path + " cannot be opened as an HDF5 file (corrupt or truncated?)");
    }
    try {
      openInputs(path);
      openLabels(path);
      readAttributes();
    } catch (const H5::Exception& e) {
      throw Error(ErrorCode::BadDataFile, path + ": unreadable HDF5 content (" + e.getDetailMsg() + ")");
    }
    if (options.normalization == Normalization::None) {
      info_.mean.clear();
      info_.std.clear();
    } else if (options.normalization == Normalization::Auto && dtype_ == at::kFloat && !info_.mean.empty() &&
               options.mean.empty() && options.std.empty()) {
      requireUnitRange();
    }
    if (info_.tokenIds && (!options.mean.empty() || !options.std.empty()))
      throw Error(ErrorCode::InvalidArgument,
                  path + " holds token ids, which are never normalised: --mean/--std do not apply");
    applyNormalisationOptions(info_, options);
  }

  const DatasetInfo& info() const override { return info_; }

  DataBatch read(int64_t begin, int64_t count) const override {
    if (begin < 0 || count < 0 || begin + count > info_.samples)
      throw Error(ErrorCode::InvalidArgument, "read of samples [" + std::to_string(begin) + ", " +
                                                  std::to_string(begin + count) + ") beyond " + info_.path);
    std::vector<int64_t> idx(static_cast<size_t>(count));
    std::iota(idx.begin(), idx.end(), begin);
    return readSorted(idx);
  }

  DataBatch readIndices(const std::vector<int64_t>& indices) const override {
    std::vector<int64_t> sorted = indices;
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    if (!sorted.empty() && (sorted.front() < 0 || sorted.back() >= info_.samples))
      throw Error(ErrorCode::InvalidArgument, "sample index out of range for " + info_.path);
    DataBatch b = readSorted(sorted);
    if (sorted == indices) return b;
    std::vector<int64_t> pos;
    pos.reserve(indices.size());
    for (int64_t i : indices) pos.push_back(std::lower_bound(sorted.begin(), sorted.end(), i) - sorted.begin());
    const at::Tensor p = at::tensor(pos, at::kLong);
    return {b.inputs.index_select(0, p), b.labels.defined() ? b.labels.index_select(0, p) : at::Tensor()};
  }

 private:
  void openInputs(const std::string& path) {
    const bool images = file_.nameExists("images");
    if (!images && !file_.nameExists("inputs"))
      throw Error(ErrorCode::BadDataFile, path + " has neither an /images nor an /inputs dataset");
    data_ = file_.openDataSet(images ? "images" : "inputs");
    const H5::DataType t = data_.getDataType();
    const std::string object = std::string("/") + (images ? "images" : "inputs");
    if (t.getClass() == H5T_INTEGER && t.getSize() == 1 && data_.getIntType().getSign() != H5T_SGN_NONE)
      throw Error(ErrorCode::BadDataFile, path + ": " + object +
                                              " holds signed int8 values; RoundLab reads uint8 pixels (0..255) or "
                                              "float32 values (store it as one of those)");
    if (t.getClass() == H5T_FLOAT && t.getSize() != 4)
      throw Error(ErrorCode::BadDataFile, path + ": " + object + " holds float" + std::to_string(8 * t.getSize()) +
                                              " values; RoundLab reads float32 (or uint8): store it as float32");
    if (t.getClass() == H5T_INTEGER && t.getSize() == 1) {
      info_.storedType = "uint8";
      memType_ = H5::PredType::NATIVE_UINT8;
      dtype_ = at::kByte;
    } else if (t.getClass() == H5T_INTEGER && !images) {
      const bool isSigned = data_.getIntType().getSign() != H5T_SGN_NONE;
      info_.storedType = (isSigned ? "int" : "uint") + std::to_string(8 * t.getSize());
      info_.tokenIds = true;
      memType_ = H5::PredType::NATIVE_INT64;
      dtype_ = at::kLong;
    } else if (t.getClass() == H5T_FLOAT) {
      info_.storedType = "float32";
      memType_ = H5::PredType::NATIVE_FLOAT;
      dtype_ = at::kFloat;
    } else {
      throw Error(ErrorCode::BadDataFile,
                  path + ": " + object + " must be uint8 or float32" + (images ? "" : " (or integer token ids)"));
    }
    H5::DataSpace space = data_.getSpace();
    dims_.resize(static_cast<size_t>(space.getSimpleExtentNdims()));
    space.getSimpleExtentDims(dims_.data());
    std::vector<int64_t> shape(dims_.begin(), dims_.end());
    if (images && shape.size() != 4)
      throw Error(ErrorCode::DataShapeMismatch, path + ": /images must be N x C x H x W, found " + formatShape(shape));
    if (shape.size() < 2)
      throw Error(ErrorCode::DataShapeMismatch, path + ": /inputs must be N x ..., found " + formatShape(shape));
    if (info_.tokenIds && shape.size() != 2)
      throw Error(ErrorCode::DataShapeMismatch, path + ": /inputs holds " + info_.storedType +
                                                    " values, which RoundLab reads as token ids, N sequences x T "
                                                    "tokens; found " +
                                                    formatShape(shape) + " (store other data as float32)");
    info_.samples = shape[0];
    info_.sampleShape.assign(shape.begin() + 1, shape.end());
    if (info_.samples == 0) throw Error(ErrorCode::BadDataFile, path + ": " + object + " holds no samples");
    // A damaged or hostile header may claim terabytes per sample; the product is bounded as it is
    // formed so that it can neither wrap around nor reach an allocation (same 64 M limit as IDX).
    constexpr uint64_t kMaxValuesPerSample = uint64_t(1) << 26;
    uint64_t perSample = 1;
    for (size_t d = 1; d < dims_.size(); ++d) {
      if (dims_[d] == 0)
        throw Error(ErrorCode::DataShapeMismatch,
                    path + ": " + object + " is " + formatShape(shape) + ", a sample with no values");
      if (dims_[d] > kMaxValuesPerSample || perSample * dims_[d] > kMaxValuesPerSample)
        throw Error(ErrorCode::BadDataFile, path + ": " + object + " claims " + formatShape(shape) +
                                                ", more than 64 M values per sample; RoundLab reads samples of at "
                                                "most 64 M values (a damaged header?)");
      perSample *= dims_[d];
    }
  }

  void openLabels(const std::string& path) {
    if (!file_.nameExists("labels")) {
      // A token file without labels: each position predicts the next token (derived per batch).
      info_.labelsShifted = info_.hasLabels = info_.tokenIds;
      if (info_.tokenIds) info_.labelShape = {info_.sampleShape[0]};
      return;
    }
    H5::DataSet labels = file_.openDataSet("labels");
    H5::DataSpace space = labels.getSpace();
    std::vector<hsize_t> dims(static_cast<size_t>(std::max(space.getSimpleExtentNdims(), 0)));
    space.getSimpleExtentDims(dims.data());
    const std::vector<int64_t> shape(dims.begin(), dims.end());
    std::vector<int64_t> perToken{info_.samples};
    if (info_.tokenIds) perToken.push_back(info_.sampleShape[0]);
    if (shape != std::vector<int64_t>{info_.samples} && shape != perToken)
      throw Error(ErrorCode::DataShapeMismatch,
                  path + ": /labels is " + formatShape(shape) + "; it must hold one integer per sample (" +
                      std::to_string(info_.samples) + ")" +
                      (info_.tokenIds ? " or one per token (" + formatShape(perToken) + ", as /inputs)" : ""));
    if (labels.getDataType().getClass() != H5T_INTEGER)
      throw Error(ErrorCode::BadDataFile, path + ": /labels must be integers");
    labels_ = at::empty(shape, at::kLong);
    labels.read(labels_.data_ptr<int64_t>(), H5::PredType::NATIVE_INT64);
    info_.hasLabels = true;
    info_.labelShape.assign(shape.begin() + 1, shape.end());
  }

  void readAttributes() {
    info_.mean = floatAttribute(file_, "mean");
    info_.std = floatAttribute(file_, "std");
    info_.classNames = stringsAttribute(file_, "class_names");
    info_.vocab = stringsDataset(file_, "vocab");
    if (info_.tokenIds && (!info_.mean.empty() || !info_.std.empty()))
      throw Error(ErrorCode::BadDataFile, info_.path +
                                              ": /inputs holds token ids, which are never normalised, "
                                              "but the file has mean/std attributes (remove them)");
    auto src = stringsAttribute(file_, "source");
    if (!src.empty()) info_.source = src[0];
    const size_t channels = info_.sampleShape.size() == 3 ? static_cast<size_t>(info_.sampleShape[0]) : 0;
    if ((!info_.mean.empty() || !info_.std.empty()) && (info_.mean.size() != channels || info_.std.size() != channels))
      throw Error(ErrorCode::BadDataFile, info_.path + ": mean/std attributes must have one value per channel");
    for (size_t c = 0; c < info_.mean.size(); ++c) {
      if (!std::isfinite(info_.mean[c]))
        throw Error(ErrorCode::BadDataFile, info_.path + ": the mean attribute is not a finite number for channel " +
                                                std::to_string(c) + " (override it with --mean, or fix the file)");
      if (!std::isfinite(info_.std[c]) || !(info_.std[c] > 0.f))
        throw Error(ErrorCode::BadDataFile, info_.path + ": the std attribute is " + shortNumber(info_.std[c]) +
                                                " for channel " + std::to_string(c) +
                                                "; a std must be positive and finite (override it with --std, or "
                                                "fix the file)");
    }
  }

  // Float data with mean/std attributes: the attributes may say how to normalise the data or what
  // was already done to it. Data in [0, 1] are intensities (normalise them); anything else is
  // ambiguous, and a wrong guess would silently ruin every number.
  void requireUnitRange() const {
    const int64_t n = std::min<int64_t>(info_.samples, 256);
    std::vector<int64_t> first(static_cast<size_t>(n));
    std::iota(first.begin(), first.end(), 0);
    const at::Tensor x = readRaw(first);
    const double lo = x.min().item<double>(), hi = x.max().item<double>();
    if (lo >= 0.0 && hi <= 1.0) return;
    char span[96];
    std::snprintf(span, sizeof span, "span %.3g to %.3g", lo, hi);
    throw Error(ErrorCode::AmbiguousNormalization,
                info_.path + ": float data with mean/std attributes, and values outside [0, 1] (" + span +
                    "): already normalised, or to be normalised? Say which with --normalize none (use as stored) "
                    "or --normalize apply (subtract mean, divide by std)");
  }

  DataBatch readSorted(const std::vector<int64_t>& idx) const {
    DataBatch out;
    out.inputs = normalizeInputs(readRaw(idx), info_);
    if (labels_.defined()) {
      out.labels = labels_.index_select(0, at::tensor(idx, at::kLong));
    } else if (info_.labelsShifted) {  // next-token targets; the last position has none
      out.labels = at::full_like(out.inputs, kIgnoredLabel);
      const int64_t t = out.inputs.size(1);
      out.labels.slice(1, 0, t - 1).copy_(out.inputs.slice(1, 1, t));
    }
    return out;
  }

  // The samples at sorted indices `idx`, as stored (uint8 or float32).
  at::Tensor readRaw(const std::vector<int64_t>& idx) const {
    std::vector<int64_t> shape = info_.sampleShape;
    shape.insert(shape.begin(), static_cast<int64_t>(idx.size()));
    at::Tensor raw = at::empty(shape, dtype_);
    if (!idx.empty()) {
      try {
        H5::DataSpace fileSpace = data_.getSpace();
        fileSpace.selectNone();
        std::vector<hsize_t> start(dims_.size(), 0), count = dims_;
        // Runs of consecutive indices become one hyperslab each.
        for (size_t i = 0; i < idx.size();) {
          size_t j = i + 1;
          while (j < idx.size() && idx[j] == idx[j - 1] + 1) ++j;
          start[0] = static_cast<hsize_t>(idx[i]);
          count[0] = j - i;
          fileSpace.selectHyperslab(H5S_SELECT_OR, count.data(), start.data());
          i = j;
        }
        std::vector<hsize_t> memDims(shape.begin(), shape.end());
        H5::DataSpace memSpace(static_cast<int>(memDims.size()), memDims.data());
        data_.read(raw.data_ptr(), memType_, memSpace, fileSpace);
      } catch (const H5::Exception& e) {
        throw Error(ErrorCode::BadDataFile, info_.path + ": reading samples failed (" + e.getDetailMsg() + ")");
      }
    }
    return raw;
  }

  H5::H5File file_;
  H5::DataSet data_;
  H5::PredType memType_ = H5::PredType::NATIVE_FLOAT;
  at::ScalarType dtype_ = at::kFloat;
  std::vector<hsize_t> dims_;
  at::Tensor labels_;
  DatasetInfo info_;
};

void writeFloatAttribute(H5::H5Object& obj, const char* name, const std::vector<float>& v) {
  if (v.empty()) return;
  hsize_t n = v.size();
  obj.createAttribute(name, H5::PredType::NATIVE_FLOAT, H5::DataSpace(1, &n))
      .write(H5::PredType::NATIVE_FLOAT, v.data());
}

void writeStringsAttribute(H5::H5Object& obj, const char* name, const std::vector<std::string>& v) {
  if (v.empty()) return;
  H5::StrType type(H5::PredType::C_S1, H5T_VARIABLE);
  std::vector<const char*> ptrs;
  for (const auto& s : v) ptrs.push_back(s.c_str());
  hsize_t n = v.size();
  obj.createAttribute(name, type, H5::DataSpace(1, &n)).write(type, ptrs.data());
}

void writeImageSetContent(H5::H5File& f, const ImageSet& s) {
  hsize_t dims[4] = {static_cast<hsize_t>(s.n), static_cast<hsize_t>(s.channels), static_cast<hsize_t>(s.height),
                     static_cast<hsize_t>(s.width)};
  hsize_t chunk[4] = {std::min<hsize_t>(dims[0], 256), dims[1], dims[2], dims[3]};
  H5::DSetCreatPropList props;
  props.setChunk(4, chunk);
  props.setDeflate(4);  // uint8 images compress well; activations would not
  H5::DataSet images = f.createDataSet("images", H5::PredType::STD_U8LE, H5::DataSpace(4, dims), props);
  images.write(s.pixels.data(), H5::PredType::NATIVE_UINT8);
  if (!s.labels.empty()) {
    hsize_t n = s.labels.size();
    f.createDataSet("labels", H5::PredType::STD_I64LE, H5::DataSpace(1, &n))
        .write(s.labels.data(), H5::PredType::NATIVE_INT64);
  }
  writeFloatAttribute(f, "mean", s.mean);
  writeFloatAttribute(f, "std", s.std);
  writeStringsAttribute(f, "class_names", s.classNames);
  writeStringsAttribute(f, "source", {s.source.empty() ? std::string("RoundLab") : s.source});
  writeStringsAttribute(f, "format", {"roundlab-data-1"});
}

void writeTokenSetContent(H5::H5File& f, const TokenSet& s) {
  hsize_t dims[2] = {static_cast<hsize_t>(s.n), static_cast<hsize_t>(s.context)};
  hsize_t chunk[2] = {std::min<hsize_t>(dims[0], 256), dims[1]};
  H5::DSetCreatPropList props;
  props.setChunk(2, chunk);
  props.setDeflate(4);
  const bool small = s.vocab.size() <= 65536;  // ids fit 16 bits: a quarter of int64's bytes
  const H5::PredType& fileType = small ? H5::PredType::STD_U16LE : H5::PredType::STD_I32LE;
  f.createDataSet("inputs", fileType, H5::DataSpace(2, dims), props).write(s.inputs.data(), H5::PredType::NATIVE_INT64);
  f.createDataSet("labels", fileType, H5::DataSpace(2, dims), props).write(s.labels.data(), H5::PredType::NATIVE_INT64);
  writeStringsAttribute(f, "vocab_kind", {s.vocab.kind});
  if (!s.vocab.tokens.empty()) {
    const H5::StrType type(H5::PredType::C_S1, H5T_VARIABLE);
    std::vector<const char*> ptrs;
    for (const auto& t : s.vocab.tokens) ptrs.push_back(t.c_str());
    const hsize_t n = ptrs.size();
    f.createDataSet("vocab", type, H5::DataSpace(1, &n)).write(ptrs.data(), type);
  }
  writeStringsAttribute(f, "source", {s.source.empty() ? std::string("RoundLab") : s.source});
  writeStringsAttribute(f, "format", {"roundlab-data-1"});
}

// Builds a file image in memory and puts it in place atomically (never a half-written file).
template <typename Fill>
void writeAtomically(const std::string& path, Fill fill) {
  H5::Exception::dontPrint();
  AtomicFile file(path);
  std::string image;
  try {
    hdf5::MemoryFile memory;
    fill(memory.file());
    image = memory.image();
  } catch (const H5::Exception& e) {
    throw Error(ErrorCode::WriteFailed, "cannot build " + path + ": " + e.getDetailMsg());
  }
  file.write(image);
  file.commit();
}

}  // namespace

std::unique_ptr<Dataset> openHdf5Dataset(const std::string& path, const DataOptions& options) {
  H5::Exception::dontPrint();
  return std::make_unique<Hdf5Dataset>(path, options);
}

void writeImageSet(const std::string& path, const ImageSet& s) {
  if (s.n <= 0 || s.pixels.size() != static_cast<size_t>(s.n * s.channels * s.height * s.width))
    throw Error(ErrorCode::InvalidArgument, "image set is empty or its pixel buffer does not match its shape");
  if (!s.labels.empty() && s.labels.size() != static_cast<size_t>(s.n))
    throw Error(ErrorCode::InvalidArgument,
                "image set has " + std::to_string(s.labels.size()) + " labels for " + std::to_string(s.n) + " images");
  writeAtomically(path, [&](H5::H5File& f) { writeImageSetContent(f, s); });
}

void writeTokenSet(const std::string& path, const TokenSet& s) {
  if (s.n <= 0 || s.inputs.size() != static_cast<size_t>(s.n * s.context) || s.labels.size() != s.inputs.size())
    throw Error(ErrorCode::InvalidArgument, "token set is empty or its buffers do not match its shape");
  writeAtomically(path, [&](H5::H5File& f) { writeTokenSetContent(f, s); });
}

}  // namespace roundlab
