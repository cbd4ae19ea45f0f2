#include "engine/quant/WeightQuantConfig.h"

#include "engine/core/Error.h"

namespace roundlab {

const EnumTable<Granularity>& granularityTable() {
  static const EnumTable<Granularity> t{"granularity",
                                        {{Granularity::PerChannel, "channel", "one scale per output channel"},
                                         {Granularity::PerTensor, "tensor", "one scale per layer"},
                                         {Granularity::PerGroup, "group", "one scale per group of input columns"}}};
  return t;
}
const EnumTable<RangeInit>& rangeInitTable() {
  static const EnumTable<RangeInit> t{"range initialisation",
                                      {{RangeInit::Lp, "lp", "shrink search with the smallest L_p error"},
                                       {RangeInit::MinMax, "minmax", "the weights' min and max"}}};
  return t;
}
const EnumTable<GridKind>& gridKindTable() {
  static const EnumTable<GridKind> t{
      "grid",
      {{GridKind::Uniform, "uniform", ""},
       {GridKind::PowerSearched, "power", "symmetric power-exponent grid, exponent searched per layer"},
       {GridKind::PowerLearned, "power-learned", "exponent learned in reconstruction from the searched one"}}};
  return t;
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
