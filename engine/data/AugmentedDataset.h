#pragma once
// Calibration-set augmentation (a design-space axis): each sample is transformed by a
// deterministic function of (seed, sample index), so results do not depend on batch sizes.
#include <memory>
#include <string>

#include "engine/data/Dataset.h"

namespace roundlab {

struct Augmentation {
  bool flip = false;   // horizontal flip, with probability 1/2
  bool crop = false;   // shift by up to 2 pixels in each direction (zero padded), images only
  bool noise = false;  // add Gaussian noise, sigma 0.1 in normalised units
  bool mix = false;    // mix with the next sample: lambda x_i + (1 - lambda) x_j, lambda in [0.6, 1]
  bool any() const { return flip || crop || noise || mix; }
};

// "none", or a '+'- or ','-separated list of flip, crop, noise, mix. Throws InvalidArgument.
Augmentation parseAugmentation(const std::string& text);
std::string augmentationName(const Augmentation& a);  // "none" or e.g. "flip+noise"

std::unique_ptr<Dataset> augmentedDataset(std::shared_ptr<const Dataset> base, const Augmentation& augmentation,
                                          uint64_t seed);

}  // namespace roundlab
