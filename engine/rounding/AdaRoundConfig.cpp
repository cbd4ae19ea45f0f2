#include "engine/rounding/AdaRoundConfig.h"

#include "engine/core/Error.h"

namespace roundlab {

const EnumTable<OptimizerKind>& optimizerTable() {
  static const EnumTable<OptimizerKind> t{
      "optimizer", {{OptimizerKind::Adam, "adam", ""}, {OptimizerKind::Sgd, "sgd", "momentum 0.9"}}};
  return t;
}
const EnumTable<RoundingVariableKind>& variableTable() {
  static const EnumTable<RoundingVariableKind> t{
      "variable",
      {{RoundingVariableKind::RectifiedSigmoid, "sigmoid", "AdaRound's V through the rectified sigmoid"},
       {RoundingVariableKind::AdditiveOffset, "offset", "additive offset, straight-through"}}};
  return t;
}
const EnumTable<DegreesOfFreedom>& freedomTable() {
  static const EnumTable<DegreesOfFreedom> t{
      "freedom",
      {{DegreesOfFreedom::Rounding, "rounding", "floor or ceil"},
       {DegreesOfFreedom::RoundingAndStep, "step", "rounding + learned step sizes"},
       {DegreesOfFreedom::RoundingStepAndBias, "bias", "rounding, steps and the layer's bias"},
       {DegreesOfFreedom::FreeIntegers, "free", "any grid integer; needs the offset variable"}}};
  return t;
}
const EnumTable<WeightSelection>& selectionTable() {
  static const EnumTable<WeightSelection> t{
      "selection",
      {{WeightSelection::All, "all", ""},
       {WeightSelection::NearestBoundary, "boundary", "nearest the rounding boundary"},
       {WeightSelection::LargestMagnitude, "magnitude", "largest"}}};
  return t;
}

const char* stopRuleName(bool stopWhenSettled) { return stopWhenSettled ? "settled" : "fixed"; }
bool parseStopRule(const std::string& name) {
  if (name == "settled") return true;
  if (name == "fixed") return false;
  throw Error(ErrorCode::InvalidArgument, "unknown stopping rule '" + name +
                                              "' (fixed: run every iteration; settled: stop a unit when its rounding "
                                              "has settled)");
}

const char* layerTargetName(bool afterActivation) { return afterActivation ? "activation" : "output"; }
bool parseLayerTarget(const std::string& name) {
  if (name == "activation") return true;
  if (name == "output") return false;
  throw Error(ErrorCode::InvalidArgument, "unknown layer target '" + name +
                                              "' (output: the layer's own output; activation: after the BatchNorm "
                                              "and activation function that follow it)");
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
