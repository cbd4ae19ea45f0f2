#pragma once
// AdaRound's optimisation settings (defaults of the reference implementations; algorithms.md §2).
#include <cstdint>

namespace roundlab {

struct AdaRoundConfig {
  int iterations = 2000;
  int64_t batch = 32;
  double learningRate = 1e-3;
  double lambda = 0.01;  // regulariser weight (0.1 suits depthwise-heavy nets)
  double warmup = 0.2;   // fraction of iterations without the regulariser
  double betaStart = 20, betaEnd = 2;
  bool cosineBeta = false;  // linear decay otherwise
  bool reluAfter = false;   // f includes the ReLU that follows the layer
  uint64_t seed = 0;
  int curvePoints = 100;  // loss-curve samples kept
};

}  // namespace roundlab
