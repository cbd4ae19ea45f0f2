#pragma once
// Calibration and evaluation data: HDF5 files in RoundLab's layout (docs/data-format.md) and
// MNIST-style IDX files, read in batches so large sets are streamed rather than held in RAM.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/core/EnumTable.h"

namespace roundlab {

struct DataBatch;  // DataBatch.h: normalised float inputs (or int64 token ids) + int64 labels

// The label of a position that is not scored (PyTorch's ignore_index).
inline constexpr int64_t kIgnoredLabel = -100;

struct DatasetInfo {
  std::string path;
  std::string format;      // "hdf5" or "idx"
  std::string storedType;  // "uint8", "float32", or for token ids the integer type ("int64", "uint16", ...)
  int64_t samples = 0;
  std::vector<int64_t> sampleShape;  // e.g. {1, 28, 28}
  bool hasLabels = false;
  // Token ids (integer /inputs, N x T): DataBatch inputs are int64, never normalised.
  bool tokenIds = false;
  // Per-sample label shape: {} for one class per sample, {T} for a label per token (-100 = none).
  std::vector<int64_t> labelShape;
  // No /labels in a token file: each position's label is the next token; the last is not scored.
  bool labelsShifted = false;
  std::vector<std::string> vocab;  // token texts by id, when the file records its vocabulary
  std::vector<float> mean, std;    // per channel; empty = no normalisation
  std::vector<std::string> classNames;
  std::string source;
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual const DatasetInfo& info() const = 0;
  // Samples [begin, begin+count): float32 inputs normalised as info() says, labels if any.
  virtual DataBatch read(int64_t begin, int64_t count) const = 0;
  // Arbitrary samples, in the order given.
  virtual DataBatch readIndices(const std::vector<int64_t>& indices) const = 0;
};

// How a file's mean/std attributes are used (docs/data-format.md, "Normalisation"). Auto: applied
// to uint8 images and to float data within [0, 1]; float data outside [0, 1] with mean/std is
// ambiguous (already normalised, or not?) and refused until the user says which.
enum class Normalization { Auto, Apply, None };
const EnumTable<Normalization>& normalizationTable();

struct DataOptions {
  Normalization normalization = Normalization::Auto;
  // Override or supply normalisation (IDX files carry none). Empty = keep the file's.
  std::vector<float> mean, std;
  std::string labelsPath;  // IDX: labels file; default: derived from the images file name
};

// Opens an HDF5 calibration file or an IDX images file (.gz or raw), judged by content.
// Throws FileNotFound, BadDataFile, DataShapeMismatch.
std::unique_ptr<Dataset> openDataset(const std::string& path, const DataOptions& options = {});

// A deterministic subset of `count` samples drawn without replacement with `seed`
// (count >= size or count <= 0 keeps everything, in file order).
std::unique_ptr<Dataset> subsetDataset(std::shared_ptr<const Dataset> base, int64_t count, uint64_t seed);

// Indices of that subset, sorted ascending (sequential reads). Same seed -> same indices on
// every platform: the generator and the shuffle are RoundLab's own, not the standard library's.
std::vector<int64_t> sampleIndices(int64_t size, int64_t count, uint64_t seed);

// Images as stored on disk: uint8 N x C x H x W.
struct ImageSet {
  int64_t n = 0, channels = 0, height = 0, width = 0;
  std::vector<uint8_t> pixels;
  std::vector<int64_t> labels;  // empty, or one per image
  std::vector<float> mean, std;
  std::vector<std::string> classNames;
  std::string source;
};

// Reads MNIST-style IDX images (magic 0x803) and, if found, labels (0x801); .gz or raw.
ImageSet readIdxImages(const std::string& imagesPath, const std::string& labelsPath = {});
// Keeps the images at `indices` (in that order).
ImageSet selectImages(const ImageSet& images, const std::vector<int64_t>& indices);
// Writes images in RoundLab's HDF5 layout, atomically (temporary file, then rename).
// Throws WriteFailed (disk full, permissions) leaving any existing file untouched.
void writeImageSet(const std::string& path, const ImageSet& images);

}  // namespace roundlab
