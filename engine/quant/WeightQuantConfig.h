#pragma once
// How a layer's weights are quantized: bit-width, grid, granularity and range initialisation
// (../shared/design/algorithms.md §1). Torch-free: the CLI, the GUI and sessions store it.
#include <cstdint>
#include <string>

namespace roundlab {

enum class Granularity { PerChannel, PerTensor, PerGroup };
enum class RangeInit { MinMax, Lp };
enum class GridKind { Uniform, PowerSearched, PowerLearned };

struct WeightQuantConfig {
  int bits = 4;            // 2..8
  bool symmetric = false;  // symmetric: z = 0, codes in [-(2^(b-1)-1), 2^(b-1)-1]
  Granularity granularity = Granularity::PerChannel;
  int64_t groupSize = 128;  // input columns per group, for PerGroup
  RangeInit rangeInit = RangeInit::Lp;
  double lpNorm = 2.4;       // p of the L_p range search
  int rangeCandidates = 80;  // shrink factors 1.00, 0.99, ... tried by the L_p search
  GridKind grid = GridKind::Uniform;
  double exponent = 1.0;  // power grid exponent a (1 = uniform)
};

const char* granularityName(Granularity g);
const char* rangeInitName(RangeInit r);
const char* gridKindName(GridKind g);
Granularity parseGranularity(const std::string& s);  // "channel" | "tensor" | "group"
RangeInit parseRangeInit(const std::string& s);      // "lp" | "minmax"
GridKind parseGridKind(const std::string& s);        // "uniform" | "power" | "power-learned"
// Throws InvalidArgument for bits outside 2..8, groupSize < 1, p <= 0, exponent outside (0, 1],
// and for the learned power exponent, which is not available yet.
void validate(const WeightQuantConfig& config);

}  // namespace roundlab
