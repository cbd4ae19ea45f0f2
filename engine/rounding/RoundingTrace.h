#pragma once
// How one layer's learned rounding evolved, kept small enough for every run and session: at about
// kSnapshots iterations (and before the first step), the distribution of the soft rounding values
// h (0 = floor, 1 = ceil; AdaRound's h(V), or the offset's position) of the learned weights in
// kBins bins over [0, 1], the share still undecided (0.1 < h < 0.9), and h of the kTracked
// weights that started nearest 0.5. About 1,500 numbers (6 KB) per layer. Torch-free.
#include <cstdint>
#include <vector>

namespace roundlab {

struct RoundingTrace {
  static constexpr int kBins = 20, kTracked = 8, kSnapshots = 50;
  std::vector<int> iterations;      // the snapshots' iterations (0: before the first step)
  std::vector<float> histogram;     // [snapshots × kBins]: share of the learned weights per bin
  std::vector<float> undecided;     // [snapshots]
  std::vector<int64_t> tracked;     // flat indices (weight order) of the tracked weights
  std::vector<float> trajectories;  // [snapshots × tracked]: their h
  bool empty() const { return iterations.empty(); }
};

}  // namespace roundlab
