#pragma once
// Converts a folder of PNG/JPEG images into RoundLab's calibration layout (uint8 N x C x H x W).
// Sub-folders are classes (sorted by name, labels 0..k-1); images directly in the folder are
// unlabelled. Files are taken in name order, so the same folder and seed give the same set.
#include <QString>

#include "engine/data/Dataset.h"

namespace roundlab::app {

struct ImageImportOptions {
  int width = 0, height = 0;  // 0: keep the images' own size (they must then all agree)
  int channels = 1;           // 1 = grayscale, 3 = RGB
  std::vector<float> mean, std;
  int64_t count = 0;  // 0 = every image
  uint64_t seed = 0;
};

// Throws roundlab::Error (BadDataFile for unreadable images or size mismatches).
ImageSet importImageFolder(const QString& folder, const ImageImportOptions& options);

}  // namespace roundlab::app
