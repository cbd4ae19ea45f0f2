#include "engine/recon/AdaRoundConfig.h"

#include "engine/EnumNames.h"
#include "engine/Error.h"

namespace roundlab {

const char* optimizerName(OptimizerKind k) { return k == OptimizerKind::Adam ? "adam" : "sgd"; }
const char* variableName(RoundingVariableKind k) {
  return k == RoundingVariableKind::RectifiedSigmoid ? "sigmoid" : "offset";
}
const char* freedomName(DegreesOfFreedom k) {
  switch (k) {
    case DegreesOfFreedom::Rounding:
      return "rounding";
    case DegreesOfFreedom::RoundingAndStep:
      return "step";
    case DegreesOfFreedom::RoundingStepAndBias:
      return "bias";
    case DegreesOfFreedom::FreeIntegers:
      return "free";
  }
  return "?";
}
const char* selectionName(WeightSelection k) {
  switch (k) {
    case WeightSelection::All:
      return "all";
    case WeightSelection::NearestBoundary:
      return "boundary";
    case WeightSelection::LargestMagnitude:
      return "magnitude";
  }
  return "?";
}

OptimizerKind parseOptimizer(const std::string& s) {
  return parseEnumName<OptimizerKind>(s, "optimizer", {{"adam", OptimizerKind::Adam}, {"sgd", OptimizerKind::Sgd}});
}
RoundingVariableKind parseVariable(const std::string& s) {
  return parseEnumName<RoundingVariableKind>(
      s, "variable",
      {{"sigmoid", RoundingVariableKind::RectifiedSigmoid}, {"offset", RoundingVariableKind::AdditiveOffset}});
}
DegreesOfFreedom parseFreedom(const std::string& s) {
  return parseEnumName<DegreesOfFreedom>(s, "freedom",
                                         {{"rounding", DegreesOfFreedom::Rounding},
                                          {"step", DegreesOfFreedom::RoundingAndStep},
                                          {"bias", DegreesOfFreedom::RoundingStepAndBias},
                                          {"free", DegreesOfFreedom::FreeIntegers}});
}
WeightSelection parseSelection(const std::string& s) {
  return parseEnumName<WeightSelection>(s, "selection",
                                        {{"all", WeightSelection::All},
                                         {"boundary", WeightSelection::NearestBoundary},
                                         {"magnitude", WeightSelection::LargestMagnitude}});
}

void validate(const AdaRoundConfig& c) {
  if (c.iterations < 1) throw Error(ErrorCode::InvalidArgument, "iterations must be at least 1");
  if (c.batch < 1) throw Error(ErrorCode::InvalidArgument, "batch must be at least 1");
  if (!(c.learningRate > 0)) throw Error(ErrorCode::InvalidArgument, "learning rate must be positive");
  if (!(c.selectFraction > 0 && c.selectFraction <= 1))
    throw Error(ErrorCode::InvalidArgument, "selected fraction must be in (0, 1]");
  if (c.freedom == DegreesOfFreedom::FreeIntegers && c.variable == RoundingVariableKind::RectifiedSigmoid)
    throw Error(ErrorCode::InvalidArgument,
                "free integers need the additive-offset variable (--variable offset); the rectified sigmoid only "
                "chooses between floor and ceil");
}

}  // namespace roundlab
