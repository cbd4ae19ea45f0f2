#include "engine/importance/Importance.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <set>

#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/torch.h>

#include "engine/capture/ActivationCapture.h"
#include "engine/core/Error.h"
#include "engine/data/DataBatch.h"
#include "engine/data/Dataset.h"
#include "engine/eval/LabelRange.h"
#include "engine/model/Model.h"
#include "engine/model/ModelOutput.h"
#include "engine/model/ModelSuffix.h"
#include "engine/model/WeightOverride.h"
#include "engine/quant/PowerGrid.h"

namespace roundlab {

const EnumTable<ImportanceEstimator>& importanceEstimatorTable() {
  static const EnumTable<ImportanceEstimator> t{
      "importance estimator",
      {{ImportanceEstimator::Measured, "measured", "measured"},
       {ImportanceEstimator::IntegratedGradients, "ig", "integrated gradients"},
       {ImportanceEstimator::Hessian, "hessian", "Hessian trace"}}};
  return t;
}

namespace {

// The calibration samples and what the loss compares the model's logits with.
struct LossData {
  at::Tensor inputs, labels, fpLogProbs;  // labels, or the FP model's log-probabilities

  int64_t rows() const { return inputs.size(0); }
  // Per-row loss of rows [begin, end) given their logits: cross-entropy with the labels (a
  // language model's row: the mean over its scored tokens), or KL from the FP model (per token).
  at::Tensor rowLosses(const at::Tensor& logits, int64_t begin, int64_t end) const {
    const at::Tensor logQ = torch::log_softmax(logits.to(at::kFloat), -1);
    if (labels.defined()) {
      const at::Tensor y = labels.slice(0, begin, end);
      const at::Tensor scored = y.ne(kIgnoredLabel).to(at::kFloat);
      const at::Tensor nll = -logQ.gather(-1, y.clamp_min(0).unsqueeze(-1)).squeeze(-1) * scored;
      if (nll.dim() == 1) return nll;
      return nll.flatten(1).sum(1) / scored.flatten(1).sum(1).clamp_min(1.f);
    }
    const at::Tensor logP = fpLogProbs.slice(0, begin, end);
    const at::Tensor kl = (logP.exp() * (logP - logQ)).sum(-1);
    return kl.dim() == 1 ? kl : kl.flatten(1).mean(1);
  }
  // Mean loss of rows [begin, end) given their logits.
  at::Tensor loss(const at::Tensor& logits, int64_t begin, int64_t end) const {
    return rowLosses(logits, begin, end).mean();
  }
};

LossData lossData(const Model& model, const Dataset& calibration, const ImportanceRequest& r) {
  std::shared_ptr<const Dataset> all(&calibration, [](const Dataset*) {});  // not owned
  const auto subset = subsetDataset(all, r.calibrationCount, r.seed);
  const DataBatch batch = subset->read(0, subset->info().samples);
  LossData d;
  d.inputs = batch.inputs;
  if (batch.labels.defined()) {
    torch::NoGradGuard noGrad;
    const at::Tensor first = model.forward(d.inputs.slice(0, 0, 1)).to(at::kFloat);
    requireLabelsFit(batch.labels.slice(0, 0, 1), first, calibration.info().path);
    requireLabelsInRange(batch.labels, first.size(-1), calibration.info().path,
                         first.dim() == 3 ? "vocabulary of" : "classes", kIgnoredLabel);
    d.labels = batch.labels;
    return d;
  }
  std::vector<at::Tensor> parts;
  for (int64_t b = 0; b < d.rows(); b += r.batch)
    parts.push_back(torch::log_softmax(model.forward(d.inputs.slice(0, b, b + r.batch)).to(at::kFloat), -1));
  d.fpLogProbs = at::cat(parts);
  return d;
}

// Each calibration row's loss, in float64.
at::Tensor datasetRowLosses(const Model& model, const LossData& d, int64_t batch) {
  torch::NoGradGuard noGrad;
  std::vector<at::Tensor> parts;
  for (int64_t b = 0; b < d.rows(); b += batch) {
    const int64_t e = std::min(d.rows(), b + batch);
    parts.push_back(d.rowLosses(model.forward(d.inputs.slice(0, b, e)), b, e).to(at::kDouble));
  }
  return at::cat(parts);
}

double datasetLoss(const Model& model, const LossData& d, int64_t batch) {
  torch::NoGradGuard noGrad;
  double total = 0;
  for (int64_t b = 0; b < d.rows(); b += batch) {
    const int64_t e = std::min(d.rows(), b + batch);
    total += d.loss(model.forward(d.inputs.slice(0, b, e)), b, e).item<double>() * static_cast<double>(e - b);
  }
  return total / static_cast<double>(d.rows());
}

// The module's forward with autograd, on the weights in its slots.
at::Tensor forwardWithGrad(Model& model, const at::Tensor& x) {
  torch::AutoGradMode grad(true);
  return selectModelOutput(model.module().forward({x}), model.summary().outputChoice, model.path());
}
// Rows [begin, end) of the calibration set that path point / probe k of n uses.
std::pair<int64_t, int64_t> rowsOf(int k, int n, int64_t rows, bool all) {
  if (all || rows < n) return {0, rows};
  return {k * rows / n, (k + 1) * rows / n};
}

at::Tensor perChannel(const at::Tensor& t) { return t.reshape({t.size(0), -1}).sum(1).to(at::kDouble); }

std::vector<double> toVector(const at::Tensor& t) {
  const at::Tensor c = t.to(at::kDouble).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

// The model's activation quantization off for the weights' importance, back on whatever happens.
class ActivationQuantizationOff {
 public:
  explicit ActivationQuantizationOff(Model& model) : model_(model), saved_(model.activationQuantization()) {
    model_.setActivationQuantization({});
  }
  ~ActivationQuantizationOff() { model_.setActivationQuantization(saved_); }

 private:
  Model& model_;
  std::map<std::string, ActivationQuantParams> saved_;
};

// Round to nearest on the request's grid at `bits`, in the weight's own type.
at::Tensor nearestAt(const at::Tensor& weight, const ImportanceRequest& request, int bits) {
  WeightQuantConfig wc = request.weights;
  wc.bits = bits;
  return fakeQuantize(weight, fitWeightGrid(weight, wc)).to(weight.scalar_type());
}

// Puts the weights back whatever happens.
class WeightRestore {
 public:
  WeightRestore(Model& model, const std::vector<std::string>& layers) : model_(model) {
    for (const std::string& l : layers) original_[l] = model.weight(l).detach().clone();
  }
  ~WeightRestore() {
    for (const auto& [l, w] : original_) {
      try {
        model_.setWeight(l, w);
      } catch (const Error&) {  // a destructor must not throw; the values were the model's own
      }
    }
  }
  const at::Tensor& operator[](const std::string& l) const { return original_.at(l); }

 private:
  Model& model_;
  std::map<std::string, at::Tensor> original_;
};

struct Context {
  Model& model;
  const ImportanceRequest& request;
  const LossData& data;
  const WeightRestore& fp;
  std::map<std::string, std::map<int, at::Tensor>> quantized;  // layer -> bits -> Q_b(W)
  const ProgressFn& progress;
  const CancelToken& cancel;

  void report(double fraction, const std::string& what) const {
    if (progress) progress({"importance", fraction, what, 0, false});
  }
};

// The mean of the per-sample loss changes and its standard error: the changes are paired (the
// same samples with and without the layer quantized), so their spread is the noise of the mean.
// Around an allocation, its layers at their widths are the base every change is measured from.
void measured(Context& c, ImportanceTable& t) {
  for (const auto& [l, b] : t.around) c.model.setWeight(l, c.quantized[l][b]);
  const size_t total = t.layers.size() * t.bits.size();
  size_t done = 0;
  const at::Tensor baseRows = datasetRowLosses(c.model, c.data, c.request.batch);
  t.baseLoss = t.around.empty() ? t.fpLoss : baseRows.mean().item<double>();
  const double rows = static_cast<double>(baseRows.numel());
  for (const std::string& l : t.layers) {
    const auto own = t.around.find(l);
    for (int b : t.bits) {
      c.cancel.throwIfCancelled("importance");
      if (own != t.around.end() && own->second == b) {  // no change: nothing to measure
        t.values[l][b] = t.errors[l][b] = 0;
      } else {
        c.model.setWeight(l, c.quantized[l][b]);
        const at::Tensor change = datasetRowLosses(c.model, c.data, c.request.batch) - baseRows;
        t.values[l][b] = change.mean().item<double>();
        t.errors[l][b] = rows > 1 ? change.std(/*unbiased=*/true).item<double>() / std::sqrt(rows) : 0.0;
      }
      c.report(static_cast<double>(++done) / static_cast<double>(total), l);
    }
    c.model.setWeight(l, own != t.around.end() ? c.quantized[l][own->second] : c.fp[l]);
  }
}

// Each layer's FP input per calibration sample, where the layer runs once per sample on its
// batch dimension (the integrated gradients then run only the rest of the model).
std::map<std::string, at::Tensor> perSampleLayerInputs(const Model& model, const LossData& d, int64_t batch) {
  CaptureOptions o;
  o.blocks = false;
  o.outputs = false;
  ActivationCapture capture(model, o);
  std::map<std::string, std::vector<at::Tensor>> parts;
  std::set<std::string> unusable;
  torch::NoGradGuard noGrad;
  for (int64_t b = 0; b < d.rows(); b += batch) {
    const int64_t e = std::min(d.rows(), b + batch);
    for (const auto& [name, calls] : capture.run(d.inputs.slice(0, b, e)).layers) {
      const at::Tensor x = calls.size() == 1 ? calls[0].args[0].toTensor() : at::Tensor();
      if (!x.defined() || x.dim() == 0 || x.size(0) != e - b) unusable.insert(name);
      if (!unusable.count(name)) parts[name].push_back(x);
    }
  }
  std::map<std::string, at::Tensor> out;
  for (auto& [name, list] : parts)
    if (!unusable.count(name)) out[name] = at::cat(list);
  return out;
}

// Rows [begin, end) of the calibration set that each path point sees: point k its own slice of
// the first pathSampleShare of the rows (or every row with fullSetPerPoint). The same for every
// layer and width.
using PathSlices = std::vector<std::pair<int64_t, int64_t>>;
PathSlices pathSlices(const Context& c) {
  const int points = std::max(1, c.request.pathPoints);
  const int64_t rows =
      c.request.fullSetPerPoint
          ? c.data.rows()
          : std::min(c.data.rows(), std::max<int64_t>(points, std::llround(c.request.pathSampleShare * c.data.rows())));
  PathSlices slices;
  for (int k = 0; k < points; ++k) slices.push_back(rowsOf(k, points, rows, c.request.fullSetPerPoint));
  return slices;
}

// FP copies of the layers' weights that require gradients, put in the model's slots.
std::vector<at::Tensor> differentiableWeights(const Context& c, const std::vector<std::string>& layers,
                                              WeightOverride& slots) {
  std::vector<at::Tensor> weights;
  for (const std::string& l : layers) {
    weights.push_back(c.fp[l].detach().clone().requires_grad_(true));
    slots.set(l, weights.back());
  }
  return weights;
}

// Control variate for a path that sees a subset of the samples: d = ∇L_path(W) − ∇L_all(W) at the
// FP weights, for every layer from one backward pass. Adding ⟨W − Q, d⟩ to the subset's path
// integral replaces its first-order term (the sample-noisy part) by the one on every sample, so
// the estimate keeps the full set's precision where the perturbation is small.
std::map<std::string, at::Tensor> pathGradientCorrection(Context& c, const std::vector<std::string>& layers,
                                                         const PathSlices& slices) {
  std::map<std::string, at::Tensor> out;
  int64_t seen = 0;
  for (const auto& [begin, end] : slices) seen = std::max(seen, end);
  if (seen >= c.data.rows()) return out;  // the path sees every sample: nothing to correct
  // Loss weight of each row in the path integral: its slice averaged, the points averaged.
  std::vector<double> pathWeight(static_cast<size_t>(c.data.rows()), 0.0);
  for (const auto& [begin, end] : slices)
    for (int64_t i = begin; i < end; ++i)
      pathWeight[static_cast<size_t>(i)] +=
          1.0 / (static_cast<double>(slices.size()) * static_cast<double>(end - begin));
  WeightOverride slots(c.model, layers);
  const std::vector<at::Tensor> weights = differentiableWeights(c, layers, slots);
  std::vector<at::Tensor> sum(weights.size());
  const double n = static_cast<double>(c.data.rows());
  for (int64_t r = 0; r < c.data.rows(); r += c.request.batch) {
    c.cancel.throwIfCancelled("importance");
    const int64_t e = std::min(c.data.rows(), r + c.request.batch);
    std::vector<float> rowWeight;
    for (int64_t i = r; i < e; ++i)
      rowWeight.push_back(static_cast<float>(pathWeight[static_cast<size_t>(i)] - 1.0 / n));
    const at::Tensor loss =
        (c.data.rowLosses(forwardWithGrad(c.model, c.data.inputs.slice(0, r, e)), r, e) * torch::tensor(rowWeight))
            .sum();
    const auto g = torch::autograd::grad({loss}, weights, {}, false, false, /*allow_unused=*/true);
    for (size_t i = 0; i < g.size(); ++i)
      if (g[i].defined()) sum[i] = sum[i].defined() ? sum[i] + g[i] : g[i];
  }
  for (size_t i = 0; i < layers.size(); ++i)
    if (sum[i].defined()) out[layers[i]] = sum[i].to(at::kFloat);
  return out;
}

// One piece of a batched suffix pass: rows [begin, end) at path point k.
struct PathPiece {
  int k;
  int64_t begin, end;
};

// One layer's path at one width: its weight moves from Q to W, every other layer stays FP.
// With the layer's FP inputs at hand the points' slices run through the rest of the model
// together, a batch of rows at a time (each slice through the layer at its own point).
at::Tensor layerPathIntegral(Context& c, WeightOverride& slots, const std::string& l, int b, const ModelSuffix* suffix,
                             const at::Tensor& layerInputs, const PathSlices& slices) {
  const int points = static_cast<int>(slices.size());
  const at::Tensor q = c.quantized[l][b].to(at::kFloat);
  const at::Tensor delta = c.fp[l].to(at::kFloat) - q;
  const LayerInfo& info = c.model.layer(l);
  const at::Tensor bias = c.model.bias(l);
  at::Tensor total = at::zeros_like(delta);
  torch::AutoGradMode grad(true);
  std::vector<at::Tensor> point(static_cast<size_t>(points));
  std::vector<PathPiece> pieces;
  for (int k = 0; k < points; ++k) {
    point[k] = (q + ((k + 0.5) / points) * delta).detach().requires_grad_(true);  // midpoint rule
    const auto [begin, end] = slices[static_cast<size_t>(k)];
    for (int64_t r = begin; r < end; r += c.request.batch) pieces.push_back({k, r, std::min(end, r + c.request.batch)});
  }
  auto sliceSize = [&](int k) {
    return static_cast<double>(slices[static_cast<size_t>(k)].second - slices[static_cast<size_t>(k)].first);
  };
  if (!suffix) {  // the whole model per piece, the layer's slot at the piece's point
    for (const PathPiece& p : pieces) {
      c.cancel.throwIfCancelled("importance");
      slots.set(l, point[p.k].to(c.fp[l].scalar_type()));
      const at::Tensor part =
          c.data.loss(forwardWithGrad(c.model, c.data.inputs.slice(0, p.begin, p.end)), p.begin, p.end) *
          (static_cast<double>(p.end - p.begin) / sliceSize(p.k));
      const at::Tensor g = torch::autograd::grad({part}, {point[p.k]}, {}, false, false, true)[0];
      if (g.defined()) total -= delta * g.to(at::kFloat) / points;
    }
    slots.set(l, c.fp[l]);
    return total;
  }
  for (size_t first = 0; first < pieces.size();) {
    c.cancel.throwIfCancelled("importance");
    // Pieces up to one batch of rows.
    size_t last = first;
    int64_t rows = 0;
    while (last < pieces.size() && (last == first || rows + pieces[last].end - pieces[last].begin <= c.request.batch))
      rows += pieces[last].end - pieces[last].begin, ++last;
    std::vector<at::Tensor> inputs, outputs, used;
    for (size_t i = first; i < last; ++i) {
      const PathPiece& p = pieces[i];
      inputs.push_back(c.data.inputs.slice(0, p.begin, p.end));
      outputs.push_back(
          applyLayer(info, layerInputs.slice(0, p.begin, p.end), point[p.k].to(c.fp[l].scalar_type()), bias));
      if (used.empty() || !used.back().is_same(point[p.k])) used.push_back(point[p.k]);
    }
    const at::Tensor logits = suffix->run(at::cat(inputs), at::cat(outputs));
    at::Tensor loss = at::zeros({}, at::kFloat);
    int64_t offset = 0;
    for (size_t i = first; i < last; ++i) {
      const PathPiece& p = pieces[i];
      const int64_t n = p.end - p.begin;
      loss = loss + c.data.rowLosses(logits.slice(0, offset, offset + n), p.begin, p.end).sum() / sliceSize(p.k);
      offset += n;
    }
    // Only the points' gradients: no weight gradients elsewhere, no backward below the layer.
    const auto g = torch::autograd::grad({loss}, used, {}, false, false, true);
    for (size_t i = 0; i < g.size(); ++i)
      if (g[i].defined()) total -= delta * g[i].to(at::kFloat) / points;
    first = last;
  }
  return total;
}

void integratedGradients(Context& c, ImportanceTable& t) {
  const std::map<std::string, at::Tensor> inputs = perSampleLayerInputs(c.model, c.data, c.request.batch);
  const PathSlices slices = pathSlices(c);
  const std::map<std::string, at::Tensor> correction = pathGradientCorrection(c, t.layers, slices);
  WeightOverride slots(c.model, t.layers);
  const size_t steps = t.layers.size() * t.bits.size();
  size_t done = 0;
  for (const std::string& l : t.layers) {
    std::unique_ptr<ModelSuffix> suffix;
    if (inputs.count(l)) suffix = ModelSuffix::build(c.model, l, false, nullptr);
    for (int b : t.bits) {
      at::Tensor total = layerPathIntegral(c, slots, l, b, suffix.get(), suffix ? inputs.at(l) : at::Tensor(), slices);
      if (correction.count(l)) total += (c.fp[l].to(at::kFloat) - c.quantized[l][b].to(at::kFloat)) * correction.at(l);
      t.values[l][b] = total.sum().item<double>();
      t.channels[l][b] = toVector(perChannel(total));
      c.report(static_cast<double>(++done) / static_cast<double>(steps), l);
    }
  }
}

// The standard error of the mean of `x` (0 for fewer than two values).
double standardError(const std::vector<double>& x) {
  if (x.size() < 2) return 0;
  const double n = static_cast<double>(x.size());
  const double mean = std::accumulate(x.begin(), x.end(), 0.0) / n;
  double ss = 0;
  for (double v : x) ss += (v - mean) * (v - mean);
  return std::sqrt(ss / (n - 1) / n);
}

void hessian(Context& c, ImportanceTable& t) {
  const int probes = std::max(1, c.request.hutchinsonSamples);
  WeightOverride slots(c.model, t.layers);
  const std::vector<at::Tensor> weights = differentiableWeights(c, t.layers, slots);
  std::vector<at::Tensor> diag;
  for (const at::Tensor& w : weights) diag.push_back(at::zeros_like(w, at::kDouble));
  // Each probe's own estimate of Tr(H_l)/n_l: their spread is the estimate's noise.
  std::vector<std::vector<double>> probeCurvature(weights.size(),
                                                  std::vector<double>(static_cast<size_t>(probes), 0.0));
  auto gen = at::detail::createCPUGenerator(c.request.seed ^ 0x4855'7463ull);
  // Double backward needs every op recorded by autograd: the plain interpreter, no fused graphs.
  torch::jit::GraphOptimizerEnabledGuard plain(false);
  torch::AutoGradMode grad(true);
  for (int k = 0; k < probes; ++k) {
    c.cancel.throwIfCancelled("importance");
    const auto [begin, end] = rowsOf(k, probes, c.data.rows(), false);
    std::vector<at::Tensor> v;
    for (const at::Tensor& w : weights) v.push_back(at::randint(0, 2, w.sizes(), gen, at::kFloat).mul_(2).sub_(1));
    for (int64_t r = begin; r < end; r += c.request.batch) {
      const int64_t e = std::min(end, r + c.request.batch);
      const at::Tensor loss = c.data.loss(forwardWithGrad(c.model, c.data.inputs.slice(0, r, e)), r, e) *
                              (static_cast<double>(e - r) / static_cast<double>(end - begin));
      const auto g = torch::autograd::grad({loss}, weights, {}, /*retain_graph=*/true, /*create_graph=*/true);
      // One Hessian-vector product per layer (its own block H_ll v_l): with one joint product the
      // cross-layer terms v_l ⊙ H_lj v_j only vanish in expectation, and their variance swamped
      // small layers (a negative trace for the convex last layer with 16 probes).
      for (size_t i = 0; i < g.size(); ++i) {
        const auto hv = torch::autograd::grad({(g[i] * v[i]).sum()}, {weights[i]}, {}, /*retain_graph=*/true, false,
                                              /*allow_unused=*/true);
        if (!hv[0].defined()) continue;
        const at::Tensor vhv = (v[i] * hv[0]).to(at::kDouble);
        diag[i] += vhv / probes;  // E[v ⊙ Hv] = diag(H)
        probeCurvature[i][static_cast<size_t>(k)] += vhv.sum().item<double>() / static_cast<double>(vhv.numel());
      }
    }
    c.report((k + 1.0) / probes, "probe " + std::to_string(k + 1));
  }
  for (size_t i = 0; i < t.layers.size(); ++i) {
    const std::string& l = t.layers[i];
    const double meanCurvature = diag[i].sum().item<double>() / static_cast<double>(diag[i].numel());  // Tr(H)/n
    const double curvatureError = standardError(probeCurvature[i]);
    for (int b : t.bits) {
      const at::Tensor d2 = (c.fp[l] - c.quantized[l][b]).to(at::kDouble).pow(2);
      t.values[l][b] = 0.5 * meanCurvature * d2.sum().item<double>();
      t.errors[l][b] = 0.5 * curvatureError * d2.sum().item<double>();
      t.channels[l][b] = toVector(perChannel(0.5 * diag[i].clamp_min(0) * d2));
    }
  }
}

}  // namespace

ImportanceTable estimateImportance(Model& model, const Dataset& calibration, const ImportanceRequest& request,
                                   const ProgressFn& progress, const CancelToken& cancel) {
  const auto t0 = std::chrono::steady_clock::now();
  if (request.bits.empty()) throw Error(ErrorCode::InvalidArgument, "importance needs at least one bit-width");
  for (int b : request.bits)
    if (b < 2 || b > 8) throw Error(ErrorCode::InvalidArgument, "bit-widths must be 2..8, got " + std::to_string(b));
  if (request.calibrationCount < 1 || request.batch < 1 || request.pathPoints < 1 || request.hutchinsonSamples < 1)
    throw Error(ErrorCode::InvalidArgument, "calibration count, batch, path points and probes must be positive");
  if (!(request.pathSampleShare > 0 && request.pathSampleShare <= 1))
    throw Error(ErrorCode::InvalidArgument, "the path's sample share must be in (0, 1]");
  ImportanceTable t;
  t.estimator = request.estimator;
  t.bits = request.bits;
  std::sort(t.bits.begin(), t.bits.end());
  t.bits.erase(std::unique(t.bits.begin(), t.bits.end()), t.bits.end());
  for (const LayerInfo& l : model.summary().layers)
    if (request.layers.empty() || std::count(request.layers.begin(), request.layers.end(), l.name))
      t.layers.push_back(l.name);
  for (const std::string& l : request.layers) model.layer(l);  // throws UnknownLayer
  if (!request.around.empty() && request.estimator != ImportanceEstimator::Measured)
    throw Error(ErrorCode::InvalidArgument, "importance around an allocation is measured only");
  std::vector<std::string> touched = t.layers;  // every layer whose weight changes
  for (const auto& [l, b] : request.around) {
    model.layer(l);  // throws UnknownLayer
    if (b < 2 || b > 8) throw Error(ErrorCode::InvalidArgument, "bit-widths must be 2..8, got " + std::to_string(b));
    if (!std::count(touched.begin(), touched.end(), l)) touched.push_back(l);
  }
  t.around = request.around;

  const ActivationQuantizationOff weightsAlone(model);
  const LossData data = lossData(model, calibration, request);
  const WeightRestore fp(model, touched);
  Context c{model, request, data, fp, {}, progress, cancel};
  for (const std::string& l : t.layers)
    for (int b : t.bits) c.quantized[l][b] = nearestAt(fp[l], request, b);
  for (const auto& [l, b] : request.around)
    if (!c.quantized[l].count(b)) c.quantized[l][b] = nearestAt(fp[l], request, b);
  t.fpLoss = datasetLoss(model, data, request.batch);
  t.baseLoss = t.fpLoss;  // measured around an allocation replaces it
  switch (request.estimator) {
    case ImportanceEstimator::Measured:
      measured(c, t);
      break;
    case ImportanceEstimator::IntegratedGradients:
      integratedGradients(c, t);
      break;
    case ImportanceEstimator::Hessian:
      hessian(c, t);
      break;
  }
  t.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return t;
}

std::vector<double> allocationSampleLosses(Model& model, const Dataset& calibration, const ImportanceRequest& request,
                                           const std::map<std::string, int>& bits, const CancelToken& cancel) {
  if (request.calibrationCount < 1 || request.batch < 1)
    throw Error(ErrorCode::InvalidArgument, "calibration count and batch must be positive");
  std::vector<std::string> layers;
  for (const auto& [l, b] : bits) {
    model.layer(l);  // throws UnknownLayer
    if (b < 2 || b > 8) throw Error(ErrorCode::InvalidArgument, "bit-widths must be 2..8, got " + std::to_string(b));
    layers.push_back(l);
  }
  const ActivationQuantizationOff weightsAlone(model);
  const LossData data = lossData(model, calibration, request);
  const WeightRestore fp(model, layers);
  for (const auto& [l, b] : bits) model.setWeight(l, nearestAt(fp[l], request, b));
  cancel.throwIfCancelled("importance");
  return toVector(datasetRowLosses(model, data, request.batch));
}

double importanceInterval(const ImportanceTable& t, const std::string& layer, int bits) {
  const auto l = t.errors.find(layer);
  if (l == t.errors.end()) return 0;
  const auto b = l->second.find(bits);
  return b == l->second.end() ? 0 : 1.96 * b->second;
}

bool importanceWithinNoise(const ImportanceTable& t, const std::string& layer, int bits) {
  const double interval = importanceInterval(t, layer, bits);
  return interval > 0 && std::abs(t.values.at(layer).at(bits)) <= interval;
}

namespace {

std::vector<double> ranks(const std::vector<double>& x) {
  std::vector<size_t> order(x.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return x[a] < x[b]; });
  std::vector<double> r(x.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && x[order[j + 1]] == x[order[i]]) ++j;
    for (size_t k = i; k <= j; ++k) r[order[k]] = (static_cast<double>(i + j) / 2.0) + 1;  // average rank
    i = j + 1;
  }
  return r;
}

}  // namespace

double spearman(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size() || a.size() < 2)
    throw Error(ErrorCode::InvalidArgument, "Spearman needs two series of equal length >= 2");
  const std::vector<double> ra = ranks(a), rb = ranks(b);
  const double n = static_cast<double>(a.size());
  const double ma = std::accumulate(ra.begin(), ra.end(), 0.0) / n, mb = std::accumulate(rb.begin(), rb.end(), 0.0) / n;
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < ra.size(); ++i) {
    sab += (ra[i] - ma) * (rb[i] - mb);
    saa += (ra[i] - ma) * (ra[i] - ma);
    sbb += (rb[i] - mb) * (rb[i] - mb);
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : 0.0;
}

std::map<int, double> rankAgreement(const ImportanceTable& reference, const ImportanceTable& other) {
  std::map<int, double> out;
  double sum = 0;
  for (int b : reference.bits) {
    if (std::find(other.bits.begin(), other.bits.end(), b) == other.bits.end()) continue;
    std::vector<double> x, y;
    for (const std::string& l : reference.layers)
      if (other.values.count(l)) {
        x.push_back(reference.values.at(l).at(b));
        y.push_back(other.values.at(l).at(b));
      }
    if (x.size() < 2) continue;
    out[b] = spearman(x, y);
    sum += out[b];
  }
  if (!out.empty()) out[0] = sum / static_cast<double>(out.size());
  return out;
}

}  // namespace roundlab
