#include "engine/eval/PairedDifference.h"

#include <cmath>
#include <string>

#include "engine/core/Error.h"
#include "engine/eval/Evaluation.h"

namespace roundlab {

PairedDifference pairedDifference(const std::vector<double>& a, const std::vector<double>& b,
                                  const std::vector<double>& positions) {
  if (a.size() != b.size() || a.size() != positions.size())
    throw Error(ErrorCode::InvalidArgument, "a paired comparison needs the same samples: " + std::to_string(a.size()) +
                                                " against " + std::to_string(b.size()));
  PairedDifference d;
  d.samples = static_cast<int64_t>(a.size());
  double sum = 0, count = 0;
  for (size_t i = 0; i < a.size(); ++i) sum += a[i] - b[i], count += positions[i];
  if (count <= 0) return d;
  d.mean = sum / count;
  if (!d.known()) return d;
  // Cluster-robust: the residual of each sample's sum around mean × its positions.
  double squares = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double e = a[i] - b[i] - d.mean * positions[i];
    squares += e * e;
  }
  const double n = static_cast<double>(a.size());
  d.standardError = std::sqrt(n / (n - 1) * squares) / count;
  return d;
}

std::optional<PairedDifference> klDifference(const EvalReport& a, const EvalReport& b) {
  if (a.sampleKl.empty() || a.sampleKl.size() != b.sampleKl.size() || a.positionsPerSample != b.positionsPerSample)
    return std::nullopt;
  return pairedDifference(a.sampleKl, b.sampleKl,
                          std::vector<double>(a.sampleKl.size(), static_cast<double>(a.positionsPerSample)));
}

std::optional<PairedDifference> top1Difference(const EvalReport& a, const EvalReport& b) {
  if (a.sampleCorrect.empty() || a.sampleScored != b.sampleScored || a.sampleCorrect.size() != b.sampleCorrect.size())
    return std::nullopt;
  std::vector<double> right(a.sampleCorrect.begin(), a.sampleCorrect.end());
  std::vector<double> other(b.sampleCorrect.begin(), b.sampleCorrect.end());
  for (size_t i = 0; i < right.size(); ++i) right[i] *= 100, other[i] *= 100;  // percentage points
  return pairedDifference(right, other, std::vector<double>(a.sampleScored.begin(), a.sampleScored.end()));
}

}  // namespace roundlab
