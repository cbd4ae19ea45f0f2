#pragma once
// Settings of the rounding optimisation (defaults of the reference implementations;
// algorithms.md §2) and the design-space axes that change it (algorithms.md §3).
#include <cstdint>
#include <string>

#include "engine/core/EnumTable.h"

namespace roundlab {

enum class OptimizerKind { Adam, Sgd };
// The optimised variable: AdaRound's V through the rectified sigmoid, or an additive offset on
// W/s rounded with a straight-through estimator.
enum class RoundingVariableKind { RectifiedSigmoid, AdditiveOffset };
// Rounding only (floor or ceil of W/s); rounding plus the grid's step sizes (one log-scale factor
// per channel/group, learned jointly); rounding, steps and the layer's bias (kept in floating
// point, learned jointly to absorb the quantization's mean shift); or any integer of the grid
// (straight-through; needs the additive-offset variable).
enum class DegreesOfFreedom { Rounding, RoundingAndStep, RoundingStepAndBias, FreeIntegers };
// Which weights learn their rounding; the others stay at round-to-nearest.
enum class WeightSelection { All, NearestBoundary, LargestMagnitude };

struct AdaRoundConfig {
  int iterations = 2000;
  int64_t batch = 32;
  double learningRate = 1e-3;
  OptimizerKind optimizer = OptimizerKind::Adam;
  double momentum = 0.9;  // SGD only
  bool cosineLr = false;  // cosine decay of the learning rate to 0; constant otherwise
  double lambda = 0.01;   // regulariser weight (0.1 suits depthwise-heavy nets)
  double warmup = 0.2;    // fraction of iterations without the regulariser
  double betaStart = 20, betaEnd = 2;
  bool cosineBeta = false;  // linear decay otherwise
  bool reluAfter = false;   // f includes the ReLU that follows the layer
  // Layer-wise: f is what the model applies to the layer's output before anything else reads it
  // (its BatchNorm and activation function; LayerEpilogue), where there is such a chain.
  bool targetAfterActivation = false;
  RoundingVariableKind variable = RoundingVariableKind::RectifiedSigmoid;
  DegreesOfFreedom freedom = DegreesOfFreedom::Rounding;
  WeightSelection selection = WeightSelection::All;
  double selectFraction = 1.0;  // share of weights selected by `selection`
  uint64_t seed = 0;
  int curvePoints = 100;  // loss-curve samples kept
  // The stopping rule: run `iterations` (false), or stop a unit once its rounding has settled
  // (true; `iterations` is then the most it runs): checked every max(25, iterations / 40)
  // iterations, the mean batch loss of two windows in a row within 1 % of the best window before,
  // at most 5 % of the codes changed per 25 iterations of the last window, and a sigmoid variable
  // with every soft value decided and its regulariser on. Deterministic: the same seed stops at the
  // same iteration.
  bool stopWhenSettled = false;
  // Learn the power grid's exponent jointly (set from the grid kind power-learned); it starts
  // from the grid's (searched) exponent.
  bool learnExponent = false;
};

const EnumTable<OptimizerKind>& optimizerTable();        // "adam" | "sgd"
const EnumTable<RoundingVariableKind>& variableTable();  // "sigmoid" | "offset"
const EnumTable<DegreesOfFreedom>& freedomTable();       // "rounding" | "step" | "bias" | "free"
const EnumTable<WeightSelection>& selectionTable();      // "all" | "boundary" | "magnitude"
inline const char* optimizerName(OptimizerKind k) { return optimizerTable().name(k); }
inline const char* variableName(RoundingVariableKind k) { return variableTable().name(k); }
inline const char* freedomName(DegreesOfFreedom k) { return freedomTable().name(k); }
inline const char* selectionName(WeightSelection k) { return selectionTable().name(k); }
inline OptimizerKind parseOptimizer(const std::string& s) { return optimizerTable().parse(s); }
inline RoundingVariableKind parseVariable(const std::string& s) { return variableTable().parse(s); }
inline DegreesOfFreedom parseFreedom(const std::string& s) { return freedomTable().parse(s); }
inline WeightSelection parseSelection(const std::string& s) { return selectionTable().parse(s); }
// "fixed" (run every iteration) | "settled" (stopWhenSettled), for options and experiment axes.
const char* stopRuleName(bool stopWhenSettled);
bool parseStopRule(const std::string& name);
// "output" | "activation" (targetAfterActivation), for options and experiment axes.
const char* layerTargetName(bool afterActivation);
bool parseLayerTarget(const std::string& name);
// Throws InvalidArgument for inconsistent settings (e.g. free integers with the sigmoid variable).
void validate(const AdaRoundConfig& config);

}  // namespace roundlab
