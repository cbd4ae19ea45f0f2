#include "engine/quant/WeightQuantConfig.h"

#include "engine/EnumNames.h"
#include "engine/Error.h"

namespace roundlab {

const char* granularityName(Granularity g) {
  switch (g) {
    case Granularity::PerChannel:
      return "channel";
    case Granularity::PerTensor:
      return "tensor";
    case Granularity::PerGroup:
      return "group";
  }
  return "?";
}
const char* rangeInitName(RangeInit r) { return r == RangeInit::MinMax ? "minmax" : "lp"; }
const char* gridKindName(GridKind g) {
  switch (g) {
    case GridKind::Uniform:
      return "uniform";
    case GridKind::PowerSearched:
      return "power";
    case GridKind::PowerLearned:
      return "power-learned";
  }
  return "?";
}

Granularity parseGranularity(const std::string& s) {
  return parseEnumName<Granularity>(
      s, "granularity",
      {{"channel", Granularity::PerChannel}, {"tensor", Granularity::PerTensor}, {"group", Granularity::PerGroup}});
}
RangeInit parseRangeInit(const std::string& s) {
  return parseEnumName<RangeInit>(s, "range initialisation", {{"lp", RangeInit::Lp}, {"minmax", RangeInit::MinMax}});
}
GridKind parseGridKind(const std::string& s) {
  return parseEnumName<GridKind>(
      s, "grid",
      {{"uniform", GridKind::Uniform}, {"power", GridKind::PowerSearched}, {"power-learned", GridKind::PowerLearned}});
}

void validate(const WeightQuantConfig& c) {
  if (c.bits < 2 || c.bits > 8)
    throw Error(ErrorCode::InvalidArgument, "weight bits must be 2..8, got " + std::to_string(c.bits));
  if (c.granularity == Granularity::PerGroup && c.groupSize < 1)
    throw Error(ErrorCode::InvalidArgument, "group size must be >= 1");
  if (!(c.lpNorm > 0)) throw Error(ErrorCode::InvalidArgument, "L_p norm must be positive");
  if (c.rangeCandidates < 1 || c.rangeCandidates > 100)
    throw Error(ErrorCode::InvalidArgument, "range candidates must be 1..100");
  if (!(c.exponent > 0 && c.exponent <= 1)) throw Error(ErrorCode::InvalidArgument, "power exponent must be in (0, 1]");
}

}  // namespace roundlab
