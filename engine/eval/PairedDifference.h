#pragma once
// The difference of two models measured on the same samples, with its noise. The samples are
// paired (each one seen by both), so the spread of the per-sample differences is what the mean
// difference could have been on other samples of the same kind: the standard error of that mean.
// A difference within 1.96 standard errors of zero is not told apart from none (95 %).
#include <cstdint>
#include <vector>

namespace roundlab {

struct PairedDifference {
  double mean = 0;           // mean of a - b per sample
  double standardError = 0;  // of that mean; 0 for fewer than two samples
  int64_t samples = 0;
  double interval() const { return 1.96 * standardError; }  // half-width of the 95 % interval
  bool significantlyBelowZero() const { return mean + interval() < 0; }
  bool withinNoise() const { return mean - interval() <= 0 && mean + interval() >= 0; }
};

// Throws InvalidArgument when the two differ in length (not the same samples).
PairedDifference pairedDifference(const std::vector<float>& a, const std::vector<float>& b);
// Of 1/0 correctness (EvalReport::sampleCorrect), in percentage points.
PairedDifference pairedAccuracyDifference(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b);

}  // namespace roundlab
