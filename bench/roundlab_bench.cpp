// roundlab-bench: load, forward, capture and evaluation figures on the bundled demo models.
// One line per figure: `bench <model> <metric> <value> <unit>`; medians over repeats.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "bench/BenchOutput.h"
#include "bench/RecommendedBench.h"
#include "engine/capture/ActivationCapture.h"
#include "engine/core/Runtime.h"
#include "engine/data/DataBatch.h"
#include "engine/data/Dataset.h"
#include "engine/eval/Evaluation.h"
#include "engine/importance/BitAllocation.h"
#include "engine/importance/Importance.h"
#include "engine/model/Model.h"
#include "engine/pipeline/ModelQuantizer.h"
#include "engine/recon/AdaRoundReconstructor.h"
#include "engine/recon/IndexedSquaredError.h"
#include "engine/rounding/OffsetSoftWeight.h"
#include "engine/rounding/ReconstructionKernels.h"

using namespace roundlab;
using namespace roundlab::bench;

namespace {

double peakRssMiB() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

constexpr const char* kUsage =
    "Usage: roundlab-bench [-h|--help] [DEMO_DIR] [--quick] [--only models|step|importance|allocation|methods]\n"
    "                      [--baseline-kernels]\n"
    "       roundlab-bench [DEMO_DIR] --only recommended [--seeds N] [--all-settings] [--curves]\n"
    "       roundlab-bench [DEMO_DIR] --only layerwise [--seeds N]\n"
    "Prints stable 'bench SUBJECT MEASURE VALUE UNIT' lines (docs/bench.md).\n";

// The arguments' error, or "" when they make one run (anything else would run the whole bench,
// which takes many minutes, or silently ignore an option).
std::string argumentError(const std::vector<std::string>& args) {
  const std::vector<std::string> sections = {"models",  "step",        "importance", "allocation",
                                             "methods", "recommended", "layerwise"};
  std::string section;
  bool seeds = false, recommendedOnly = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--quick" || a == "--baseline-kernels") continue;
    if (a == "--all-settings" || a == "--curves") {
      recommendedOnly = true;
      continue;
    }
    if (a != "--only" && a != "--seeds") return "unknown argument '" + a + "'";
    if (i + 1 == args.size()) return a + " needs a value";
    const std::string& value = args[++i];
    if (a == "--only") {
      if (!section.empty()) return "--only is given twice";
      if (std::find(sections.begin(), sections.end(), value) == sections.end())
        return "--only takes one of models, step, importance, allocation, methods, recommended, layerwise, not '" +
               value + "'";
      section = value;
      continue;
    }
    char* end = nullptr;
    const long n = std::strtol(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0' || n < 1 || n > 100)
      return "--seeds takes a whole number of seeds from 1 to 100, not '" + value + "'";
    seeds = true;
  }
  if (seeds && section != "recommended" && section != "layerwise")
    return "--seeds needs --only recommended or --only layerwise";
  if (recommendedOnly && section != "recommended") return "--all-settings and --curves need --only recommended";
  return "";
}

int runBench(int argc, char** argv) {
  const bool dirGiven = argc > 1 && std::string(argv[1]).rfind("-", 0) != 0;
  const std::string dir = dirGiven ? argv[1] : ROUNDLAB_DEMO_DIR;
  const std::vector<std::string> args(argv + (dirGiven ? 2 : 1), argv + argc);
  if (std::count(args.begin(), args.end(), "--help") || std::count(args.begin(), args.end(), "-h")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (const std::string error = argumentError(args); !error.empty()) {
    std::fprintf(stderr, "roundlab-bench: %s\n%s", error.c_str(), kUsage);
    return 2;
  }
  if (!std::filesystem::is_regular_file(dir + "/fmnist_val.h5")) {
    std::fprintf(stderr, "roundlab-bench: %s holds no fmnist_val.h5: give the folder of the bundled demo\n",
                 dir.c_str());
    return 2;
  }
  const auto only = std::find(args.begin(), args.end(), "--only");  // with its value: argumentError
  const std::string onlySection = only != args.end() ? only[1] : "";
  const auto want = [&](const char* section) { return onlySection.empty() || onlySection == section; };
  setComputeThreads(1);
  keepLargeBuffersInHeap();  // as the CLI and the workbench run
  if (std::find(args.begin(), args.end(), "--baseline-kernels") != args.end())
    setRoundingKernels(RoundingKernels::Baseline);
  const auto v = libraryVersions();
  std::printf("# roundlab-bench %s, LibTorch %s, 1 thread, %s kernels\n", v.roundlab.c_str(), v.torch.c_str(),
              roundingKernelsName(roundingKernels()));
  const auto val = openDataset(dir + "/fmnist_val.h5");
  const at::Tensor x = val->read(0, 64).inputs;
  for (const char* name : {"fmnist_resnet.pt", "fmnist_transformer.pt"}) {
    if (!want("models")) break;
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
  // AdaRound step against the bare forward+backward of the same op, shapes and loss (batch 32).
  for (const auto& [file, layerEntry] : {std::pair<const char*, const char*>{"fmnist_resnet.pt", "layer2.0.conv2"},
                                         {"fmnist_transformer.pt", "layers.0.linear1"}}) {
    if (!want("step")) break;
    const std::string layerName = layerEntry;  // lambdas below capture it (C++17: not a binding)
    const Model model = Model::load(dir + "/" + file);
    const LayerInfo& layer = model.layer(layerName);
    CaptureOptions co;
    co.blocks = false;
    ActivationCapture capture(model, co);
    CaptureResult r;
    {
      torch::NoGradGuard g;
      r = capture.run(val->read(0, 256).inputs);
    }
    const at::Tensor x = r.layers.at(layerName)[0].args[0].toTensor(), y = r.layers.at(layerName)[0].output;
    const at::Tensor w = model.weight(layerName).detach();
    WeightQuantConfig wc;
    wc.bits = 4;
    const WeightGrid grid = fitUniformGrid(w, wc);
    AdaRoundConfig ac;
    ac.iterations = 300;
    const std::string tag = std::string(file) + ":" + layerName;
    // Both as the mean over 300 steps (the reconstruction's includes its set-up: the losses before
    // and after), the median of five repetitions, alternating so that machine noise hits both
    // alike. The bare pass reads its batch in place, with the reconstruction's own loss.
    std::vector<double> recon, bare, draw;
    const at::Tensor xb = x.slice(0, 0, 32), rows = at::arange(32, at::kLong);
    for (int rep = 0; rep < 5; ++rep) {
      recon.push_back(seconds([&] { AdaRoundReconstructor(layer, w, model.bias(layerName), grid, ac).run(x, y); }));
      const at::Tensor leaf = w.clone().requires_grad_(true);
      bare.push_back(seconds([&] {
        for (int i = 0; i < ac.iterations; ++i)
          indexedReconstructionLoss(applyLayer(layer, xb, leaf, model.bias(layerName)), y, rows).backward();
      }));
      // The random batch a step draws (its indices and inputs; the loss reads the targets in place).
      auto gen = at::detail::createCPUGenerator(rep);
      draw.push_back(seconds([&] {
        for (int i = 0; i < ac.iterations; ++i)
          x.index_select(0, at::randperm(x.size(0), gen, at::kLong).slice(0, 0, 32));
      }));
    }
    const double step = median(recon) / ac.iterations, bareStep = median(bare) / ac.iterations;
    line(tag.c_str(), "adaround_step_ms", 1e3 * step, "ms");
    line(tag.c_str(), "bare_fwd_bwd_ms", 1e3 * bareStep, "ms");
    line(tag.c_str(), "step_over_bare", step / bareStep, "ratio");
    const double drawStep = median(draw) / ac.iterations;
    line(tag.c_str(), "batch_draw_ms", 1e3 * drawStep, "ms");
    line(tag.c_str(), "step_over_bare_and_draw", step / (bareStep + drawStep), "ratio");
    // The recommended method's variable (straight-through offset, learned steps and bias): its soft
    // weight as one autograd node (OffsetSoftWeight) and composed from ATen ops.
    AdaRoundConfig oc = ac;
    oc.variable = RoundingVariableKind::AdditiveOffset;
    oc.freedom = DegreesOfFreedom::RoundingStepAndBias;
    std::vector<double> fusedOffset, composedOffset;
    for (int rep = 0; rep < 5; ++rep)
      for (bool fused : {true, false}) {
        setOffsetSoftWeightFused(fused);
        (fused ? fusedOffset : composedOffset).push_back(seconds([&] {
          AdaRoundReconstructor(layer, w, model.bias(layerName), grid, oc).run(x, y);
        }));
      }
    setOffsetSoftWeightFused(true);
    line(tag.c_str(), "offset_bias_step_ms", 1e3 * median(fusedOffset) / oc.iterations, "ms");
    line(tag.c_str(), "offset_composed_step_ms", 1e3 * median(composedOffset) / oc.iterations, "ms");
    line(tag.c_str(), "offset_bias_over_adaround", median(fusedOffset) / median(recon), "ratio");
  }
  // Importance: each estimator's time and how it ranks layers against measured (256 samples);
  // the interactive estimate of an edited allocation, the exact DP, the Pareto front, and the
  // full evaluation of an allocation (RTN at those bits, then the validation set).
  if (want("importance")) {
    const auto calibSet = openDataset(dir + "/fmnist_calib.h5");
    for (const char* file : {"fmnist_resnet.pt", "fmnist_transformer.pt"}) {
      Model model = Model::load(dir + "/" + file);
      const std::string tag = std::string("importance:") + file;
      ImportanceRequest ir;
      std::map<ImportanceEstimator, ImportanceTable> tables;
      for (ImportanceEstimator e :
           {ImportanceEstimator::Measured, ImportanceEstimator::IntegratedGradients, ImportanceEstimator::Hessian}) {
        ir.estimator = e;
        tables[e] = estimateImportance(model, *calibSet, ir);
        line(tag.c_str(), (std::string(importanceEstimatorName(e)) + "_s").c_str(), tables[e].seconds, "s");
        if (e != ImportanceEstimator::Measured) {
          line(tag.c_str(), (std::string(importanceEstimatorName(e)) + "_cost_ratio").c_str(),
               tables[e].seconds / tables[ImportanceEstimator::Measured].seconds, "ratio");
          line(tag.c_str(), (std::string(importanceEstimatorName(e)) + "_spearman").c_str(),
               rankAgreement(tables[ImportanceEstimator::Measured], tables[e]).at(0), "rho");
        }
      }
      const BitAllocationModel allocator(tables[ImportanceEstimator::Measured], layerCosts(model, *calibSet));
      std::map<std::string, int> bits;
      for (const std::string& l : allocator.layers()) bits[l] = 4;
      std::vector<double> estimate;
      for (int i = 0; i < 200; ++i) {
        bits[allocator.layers()[static_cast<size_t>(i) % allocator.layers().size()]] = 2 + i % 7;  // an edit
        estimate.push_back(seconds([&] { (void)allocator.totals(bits); }));
      }
      line(tag.c_str(), "estimate_ms", 1e3 * median(estimate), "ms");
      line(tag.c_str(), "estimate_max_ms", 1e3 * *std::max_element(estimate.begin(), estimate.end()), "ms");
      Allocation chosen;
      line(tag.c_str(), "dp_allocate_ms",
           1e3 * seconds([&] { chosen = allocator.allocate(BudgetKind::AverageBits, 3.0); }), "ms");
      line(tag.c_str(), "pareto_25_ms",
           1e3 * seconds([&] { (void)allocator.paretoFront(BudgetKind::AverageBits, 25); }), "ms");
      line(tag.c_str(), "full_evaluation_s", seconds([&] {
             QuantizationRequest req;
             req.method = QuantMethod::Rtn;
             req.bits = chosen.bits;
             req.firstLastEightBit = false;
             req.calibrationCount = 256;
             Model m = model.clone();
             quantizeModel(m, *calibSet, req);
             (void)evaluate(m, *val);
           }),
           "s");
    }
  }
  if (want("allocation")) {
    // The allocation at language-model scale (issue target: <= 50 ms): 75 layers x 7 widths,
    // GPT-2-small-sized layers (c_attn, c_proj, c_fc, mlp c_proj, cycling). The importance values
    // are made up: the DP's time depends on the table's size, not on how it was measured.
    ImportanceTable table;
    table.bits = {2, 3, 4, 5, 6, 7, 8};
    std::map<std::string, LayerCost> costs;
    const int64_t shapes[4] = {768 * 2304, 768 * 768, 768 * 3072, 3072 * 768};
    for (int l = 0; l < 75; ++l) {
      const std::string name = "h." + std::to_string(l / 4) + ".layer" + std::to_string(l % 4);
      table.layers.push_back(name);
      for (int b : table.bits) table.values[name][b] = (1.0 + (l * 37) % 11) * std::pow(4.0, -b);
      costs[name] = {shapes[l % 4], shapes[l % 4] * 256};
    }
    const BitAllocationModel allocator(table, costs);
    std::vector<double> dp, pareto;
    for (int i = 0; i < 5; ++i) {
      dp.push_back(seconds([&] { (void)allocator.allocate(BudgetKind::AverageBits, 3.0); }));
      pareto.push_back(seconds([&] { (void)allocator.paretoFront(BudgetKind::AverageBits, 25); }));
    }
    line("allocation:75_layers_x_7_widths", "dp_allocate_ms", 1e3 * median(dp), "ms");
    line("allocation:75_layers_x_7_widths", "dp_allocate_max_ms", 1e3 * *std::max_element(dp.begin(), dp.end()), "ms");
    line("allocation:75_layers_x_7_widths", "pareto_25_ms", 1e3 * median(pareto), "ms");
  }
  // Methods x bit-widths at a fixed iteration count, weights only (A32) and with 4-bit
  // activations (A4; qdrop only there), on 256 calibration samples. Skipped with --quick.
  const bool quick = std::count(args.begin(), args.end(), "--quick") > 0 || !want("methods");
  const auto calib = openDataset(dir + "/fmnist_calib.h5");
  for (const char* file : {"fmnist_resnet.pt", "fmnist_transformer.pt"}) {
    if (quick) break;
    const Model fp = Model::load(dir + "/" + file);
    for (int abits : {0, 4})
      for (int bits : {4, 3, 2})
        for (QuantMethod method :
             {QuantMethod::Rtn, QuantMethod::Gptq, QuantMethod::AdaRound, QuantMethod::Brecq, QuantMethod::Qdrop}) {
          if ((method == QuantMethod::Qdrop) != (abits > 0) && method != QuantMethod::Rtn &&
              method != QuantMethod::AdaRound)
            continue;
          QuantizationRequest req;
          req.method = method;
          req.weights.bits = bits;
          req.activations.bits = abits;
          req.calibrationCount = 256;
          req.adaround.iterations = 200;
          Model m = fp.clone();
          const QuantizationResult r = quantizeModel(m, *calib, req);
          EvalOptions eo;
          const EvalReport e = evaluate(m, *val, eo);
          const std::string tag = std::string(file) + ":W" + std::to_string(bits) + "A" +
                                  (abits ? std::to_string(abits) : "32") + ":" + quantMethodName(method);
          line(tag.c_str(), "top1", e.top1, "%");
          line(tag.c_str(), "wall_s", r.wallSeconds, "s");
          for (const auto& [phase, seconds] : r.phases) line(tag.c_str(), (phase + "_s").c_str(), seconds, "s");
        }
  }
  // The long sections run only when asked.
  if (onlySection == "recommended" || onlySection == "layerwise") {
    int seedCount = 1;  // checked by argumentError
    if (const auto seeds = std::find(args.begin(), args.end(), "--seeds"); seeds != args.end())
      seedCount = std::stoi(seeds[1]);
    if (onlySection == "layerwise") {
      runLayerwiseBench(dir, seedCount);
    } else {
      RecommendedBenchOptions o;
      o.seeds = seedCount;
      o.allSettings = std::count(args.begin(), args.end(), "--all-settings") > 0;
      o.curves = std::count(args.begin(), args.end(), "--curves") > 0;
      runRecommendedBench(dir, o);
    }
  }
  line("process", "peak_rss", peakRssMiB(), "MiB");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return runBench(argc, argv);
  } catch (const std::exception& e) {  // a missing or unreadable model: one line, not an abort
    std::fprintf(stderr, "roundlab-bench: %s\n", e.what());
    return 1;
  }
}
