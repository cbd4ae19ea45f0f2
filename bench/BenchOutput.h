#pragma once
// The printed form every bench figure shares: `bench <tag> <metric> <value> <unit>`.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <vector>

namespace roundlab::bench {

inline double seconds(const std::function<void()>& fn) {
  const auto t0 = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

inline void line(const char* tag, const char* metric, double value, const char* unit) {
  std::printf("bench %-38s %-24s %12.4f %s\n", tag, metric, value, unit);
  std::fflush(stdout);  // long sections: each figure as soon as it is known
}

}  // namespace roundlab::bench
