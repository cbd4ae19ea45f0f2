#include "engine/eval/PairedDifference.h"

#include <cmath>
#include <string>

#include "engine/core/Error.h"

namespace roundlab {

namespace {

template <typename T>
PairedDifference difference(const std::vector<T>& a, const std::vector<T>& b, double scale) {
  if (a.size() != b.size())
    throw Error(ErrorCode::InvalidArgument, "a paired comparison needs the same samples: " + std::to_string(a.size()) +
                                                " against " + std::to_string(b.size()));
  PairedDifference d;
  d.samples = static_cast<int64_t>(a.size());
  if (a.empty()) return d;
  const double n = static_cast<double>(a.size());
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i) sum += static_cast<double>(a[i]) - static_cast<double>(b[i]);
  const double mean = sum / n;
  double squares = 0;  // two passes: the differences are small against the values
  for (size_t i = 0; i < a.size(); ++i) {
    const double e = static_cast<double>(a[i]) - static_cast<double>(b[i]) - mean;
    squares += e * e;
  }
  d.mean = scale * mean;
  if (a.size() > 1) d.standardError = scale * std::sqrt(squares / (n - 1) / n);
  return d;
}

}  // namespace

PairedDifference pairedDifference(const std::vector<float>& a, const std::vector<float>& b) {
  return difference(a, b, 1.0);
}

PairedDifference pairedAccuracyDifference(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  return difference(a, b, 100.0);
}

}  // namespace roundlab
