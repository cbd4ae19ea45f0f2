// roundlab-bench: load, forward, capture and evaluation figures on the bundled demo models.
// One line per figure: `bench <model> <metric> <value> <unit>`; medians over repeats.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <vector>

#include <torch/torch.h>

#include "engine/ActivationCapture.h"
#include "engine/DataBatch.h"
#include "engine/Dataset.h"
#include "engine/Evaluation.h"
#include "engine/Model.h"
#include "engine/Runtime.h"

using namespace roundlab;

namespace {

double seconds(const std::function<void()>& fn) {
  const auto t0 = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double peakRssMiB() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

void line(const char* model, const char* metric, double value, const char* unit) {
  std::printf("bench %-24s %-26s %12.4f %s\n", model, metric, value, unit);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : ROUNDLAB_DEMO_DIR;
  setComputeThreads(1);
  const auto v = libraryVersions();
  std::printf("# roundlab-bench %s, LibTorch %s, 1 thread\n", v.roundlab.c_str(), v.torch.c_str());
  const auto val = openDataset(dir + "/fmnist_val.h5");
  const at::Tensor x = val->read(0, 64).inputs;
  for (const char* name : {"fmnist_resnet.pt", "fmnist_transformer.pt"}) {
    std::optional<Model> model;
    line(name, "load_s", seconds([&] { model = Model::load(dir + "/" + name); }), "s");
    std::vector<double> fwd, cap;
    ActivationCapture capture(*model);
    for (int i = 0; i < 7; ++i) {
      fwd.push_back(seconds([&] { model->forward(x); }));
      cap.push_back(seconds([&] {
        torch::NoGradGuard g;
        capture.run(x);
      }));
    }
    line(name, "forward_b64_ms", 1e3 * median(fwd), "ms");
    line(name, "capture_b64_ms", 1e3 * median(cap), "ms");
    line(name, "capture_over_forward", median(cap) / median(fwd), "ratio");
    const EvalReport r = evaluate(*model, *val);
    line(name, "eval_samples_per_s", static_cast<double>(r.samples) / r.wallSeconds, "1/s");
    line(name, "val_top1", r.top1, "%");
  }
  line("process", "peak_rss", peakRssMiB(), "MiB");
  return 0;
}
