#pragma once
// The difference of two models measured on the same samples, with its noise. The samples are
// paired (each one seen by both), so the spread of the per-sample differences is what the mean
// difference could have been on other samples of the same kind: the standard error of that mean.
// A language model's tokens are grouped by sequence (a cluster): tokens of one sequence are not
// independent, so the error is that of the sequences' sums (the cluster-robust estimate).
// A difference within 1.96 standard errors of zero is not told apart from none (95 %).
#include <cstdint>
#include <optional>
#include <vector>

namespace roundlab {

struct EvalReport;

struct PairedDifference {
  double mean = 0;           // per position: Σ (a_i − b_i) / Σ n_i
  double standardError = 0;  // of that mean; 0 when unknown (fewer than two samples)
  int64_t samples = 0;       // samples (sequences) paired
  bool known() const { return samples >= 2; }
  double interval() const { return 1.96 * standardError; }  // half-width of the 95 % interval
  // Below zero beyond the 95 % interval; never with fewer than two samples.
  bool significantlyBelowZero() const { return known() && mean + interval() < 0; }
};

// Per sample i: a_i and b_i are sums over its n_i positions (n_i = 1 for one value per sample).
// Throws InvalidArgument when the lengths differ (not the same samples).
PairedDifference pairedDifference(const std::vector<double>& a, const std::vector<double>& b,
                                  const std::vector<double>& positions);

// Two evaluations (EvalOptions::perSample) of the same data: the KL of `a` minus that of `b` per
// compared position, and the top-1 in percentage points; none when either lacks the per-sample
// figures or they are not of the same samples.
std::optional<PairedDifference> klDifference(const EvalReport& a, const EvalReport& b);
std::optional<PairedDifference> top1Difference(const EvalReport& a, const EvalReport& b);

}  // namespace roundlab
