#pragma once
// `roundlab-bench --only recommended`: the recommended method against 1000-iteration BRECQ
// (weights only) and QDrop (4-bit activations) on the bundled image models, same machine, same
// run, same seeds; prints accuracies, wall times and their ratios (issue 19's speed target:
// at least the reference's accuracy in at most a quarter of its time).
#include <string>

namespace roundlab::bench {

struct RecommendedBenchOptions {
  int seeds = 1;             // seeds 0..seeds-1 for every run
  bool allSettings = false;  // W4A32, W3A32 and W4A4 too (default: W2A32 and W2A4)
  bool curves = false;       // time-to-accuracy points: 100 and 300 iterations (caps) too
};

void runRecommendedBench(const std::string& demoDir, const RecommendedBenchOptions& options);

// `roundlab-bench --only layerwise`: layer-wise AdaRound against block reconstruction (BRECQ), both
// at the reference's 1000 iterations, at W2A32 and W3A32 on the ResNet and the depthwise
// MobileNet-style demo model. AdaRound runs twice: with RoundLab's defaults, and as the reference
// configures it (targets after the activation; lambda 0.1 on MobileNetV2). Prints each one's top-1
// and, per AdaRound variant, `gap` (AdaRound − BRECQ, points) with `gap_noise`, twice the standard
// error of that difference over the seeds.
void runLayerwiseBench(const std::string& demoDir, int seeds);

}  // namespace roundlab::bench
