#pragma once
// How a layer's weights are quantized: bit-width, grid, granularity and range initialisation
// (../shared/design/algorithms.md §1). Torch-free: the CLI, the GUI and sessions store it.
#include <cstdint>
#include <string>

#include "engine/core/EnumTable.h"

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

const EnumTable<Granularity>& granularityTable();  // "channel" | "tensor" | "group"
const EnumTable<RangeInit>& rangeInitTable();      // "lp" | "minmax"
const EnumTable<GridKind>& gridKindTable();        // "uniform" | "power" | "power-learned"
inline const char* granularityName(Granularity g) { return granularityTable().name(g); }
inline const char* rangeInitName(RangeInit r) { return rangeInitTable().name(r); }
inline const char* gridKindName(GridKind g) { return gridKindTable().name(g); }
inline Granularity parseGranularity(const std::string& s) { return granularityTable().parse(s); }
inline RangeInit parseRangeInit(const std::string& s) { return rangeInitTable().parse(s); }
inline GridKind parseGridKind(const std::string& s) { return gridKindTable().parse(s); }
// Throws InvalidArgument for bits outside 2..8, groupSize < 1, p <= 0, exponent outside (0, 1],
// and for the learned power exponent, which is not available yet.
void validate(const WeightQuantConfig& config);

}  // namespace roundlab
