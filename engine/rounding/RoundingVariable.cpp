#include "engine/rounding/RoundingVariable.h"

#include <algorithm>
#include <cmath>

namespace roundlab {

namespace {
constexpr double kZeta = 1.1, kGamma = -0.1;
constexpr double kPi = 3.14159265358979323846;

// Forward: round; backward: identity.
at::Tensor roundSte(const at::Tensor& x) { return x + (x.round() - x).detach(); }

// sign(u)|u|^(1/a), differentiable in a tensor exponent a, with finite gradients at u = 0.
at::Tensor powerInverseOf(const at::Tensor& u, const at::Tensor& a) {
  return u.sign() * u.abs().clamp_min(1e-20).pow(1.0 / a);
}

constexpr double kMinExponent = 0.1, kMaxExponent = 1.0;  // the grid family of algorithms.md: a in (0, 1]
}  // namespace

at::Tensor RoundingVariable::rectifiedSigmoid(const at::Tensor& v) {
  return (torch::sigmoid(v) * (kZeta - kGamma) + kGamma).clamp(0, 1);
}

at::Tensor RoundingVariable::inverseRectifiedSigmoid(const at::Tensor& h) {
  // sigmoid(V) = (h - gamma) / (zeta - gamma), so V = -log(1/that - 1)
  return -torch::log((kZeta - kGamma) / (h - kGamma) - 1);
}

RoundingVariable::RoundingVariable(const at::Tensor& weight, WeightGrid grid, const AdaRoundConfig& config,
                                   const at::Tensor& bias)
    : grid_(std::move(grid)), kind_(config.variable), freedom_(config.freedom) {
  validate(config);
  torch::NoGradGuard noGrad;
  const at::Tensor w = weight.detach().to(at::kFloat);
  shape_ = w.sizes().vec();
  // On a power grid the rounding is learned in the transformed domain t = sign(w)|w|^a.
  scaled_ = grid_.view(powerTransform(w, grid_.exponent)) / grid_.scale;
  base_ = torch::floor(scaled_);
  const at::Tensor frac = scaled_ - base_;
  nearest_ = (frac >= 0.5).to(at::kFloat);
  mask_ = at::ones_like(scaled_);
  if (config.selection != WeightSelection::All && config.selectFraction < 1.0) {
    // Higher score = selected first.
    const at::Tensor score =
        config.selection == WeightSelection::NearestBoundary ? -(frac - 0.5).abs() : grid_.view(w).abs();
    const int64_t keep =
        std::max<int64_t>(1, static_cast<int64_t>(std::llround(config.selectFraction * score.numel())));
    const at::Tensor idx = std::get<1>(score.flatten().topk(keep));
    mask_ = at::zeros({score.numel()}).index_fill_(0, idx, 1.0).view_as(score);
  }
  if (freedom_ == DegreesOfFreedom::RoundingAndStep || freedom_ == DegreesOfFreedom::RoundingStepAndBias)
    logStep_ = at::zeros_like(grid_.scale).requires_grad_(true);
  if (freedom_ == DegreesOfFreedom::RoundingStepAndBias && bias.defined())
    bias_ = bias.detach().to(at::kFloat).clone().requires_grad_(true);
  if (config.learnExponent) logExponent_ = at::zeros({}, at::kFloat).requires_grad_(true);
  v_ = kind_ == RoundingVariableKind::RectifiedSigmoid
           ? inverseRectifiedSigmoid(frac.clamp(1e-4, 1 - 1e-4)).detach().requires_grad_(true)  // keeps V finite
           : at::zeros_like(scaled_).requires_grad_(true);
  if (kind_ == RoundingVariableKind::AdditiveOffset)
    offset_ = {scaled_.contiguous(),
               base_.contiguous(),
               (mask_ > 0.5).contiguous(),
               (base_ + nearest_).contiguous(),
               grid_.zeroPoint.to(at::kFloat).contiguous(),
               grid_.scale.to(at::kFloat).contiguous(),
               static_cast<double>(grid_.qmin),
               static_cast<double>(grid_.qmax),
               freedom_ == DegreesOfFreedom::FreeIntegers,
               at::zeros_like(grid_.scale, at::kFloat)};
  if (kind_ == RoundingVariableKind::RectifiedSigmoid) {
    fused_ = {base_.contiguous(),
              nearest_.contiguous(),
              mask_.contiguous(),
              grid_.zeroPoint.to(at::kFloat).expand_as(scaled_).contiguous(),
              grid_.scale.to(at::kFloat).expand_as(scaled_).contiguous(),
              grid_.qmin,
              grid_.qmax};
    fusable_ = !logStep_.defined() && !logExponent_.defined();
  }
}

bool RoundingVariable::startFusedOptimisation(const AdaRoundConfig& config) {
  if (!fusable_) return false;
  fusedOptimizer_ = std::make_unique<RectifiedSigmoidOptimizer>(v_, fused_, shape_, config.optimizer, config.momentum);
  return true;
}

at::Tensor RoundingVariable::integerCodes(bool hard) const {
  at::Tensor q;
  if (kind_ == RoundingVariableKind::RectifiedSigmoid) {
    q = base_ + (hard ? (v_ >= 0).to(at::kFloat) : rectifiedSigmoid(v_));
  } else {
    q = hard ? (scaled_ + v_).round() : roundSte(scaled_ + v_);
    if (freedom_ != DegreesOfFreedom::FreeIntegers) q = at::minimum(at::maximum(q, base_), base_ + 1);
  }
  return mask_ * q + (1 - mask_) * (base_ + nearest_);
}

std::vector<at::Tensor> RoundingVariable::parameters() const {
  if (fusedOptimizer_) return {};
  std::vector<at::Tensor> p{v_};
  if (logStep_.defined()) p.push_back(logStep_);
  if (bias_.defined()) p.push_back(bias_);
  if (logExponent_.defined()) p.push_back(logExponent_);
  return p;
}

WeightGrid RoundingVariable::grid() const {
  WeightGrid g = grid_;
  if (logStep_.defined()) g.scale = (grid_.scale * logStep_.detach().exp()).contiguous();
  if (logExponent_.defined()) g.exponent = exponent().item<double>();
  return g;
}

at::Tensor RoundingVariable::exponent() const {
  return (grid_.exponent * logExponent_.exp()).clamp(kMinExponent, kMaxExponent);
}

at::Tensor RoundingVariable::softWeight() const {
  if (fusedOptimizer_) return powerInverse(fusedOptimizer_->softWeight(), grid_.exponent);
  if (kind_ == RoundingVariableKind::AdditiveOffset && !logExponent_.defined() && offsetSoftWeightFused()) {
    return powerInverse(
        offsetSoftWeight(v_, logStep_.defined() ? logStep_ : offset_.fixedLogStep, offset_).reshape(shape_),
        grid_.exponent);
  }
  const at::Tensor q = (integerCodes(false) + grid_.zeroPoint).clamp(grid_.qmin, grid_.qmax);
  const at::Tensor step = logStep_.defined() ? grid_.scale * logStep_.exp() : grid_.scale;
  const at::Tensor u = ((q - grid_.zeroPoint) * step).reshape(shape_);
  return logExponent_.defined() ? powerInverseOf(u, exponent()) : powerInverse(u, grid_.exponent);
}

at::Tensor RoundingVariable::regularizer(double beta) const {
  if (kind_ != RoundingVariableKind::RectifiedSigmoid) return at::zeros({});
  return rectifiedSigmoidRegularizer(v_, fused_, beta);
}

at::Tensor RoundingVariable::codes() const {
  torch::NoGradGuard noGrad;
  return (integerCodes(true) + grid_.zeroPoint).clamp(grid_.qmin, grid_.qmax).to(at::kInt).reshape(shape_);
}

at::Tensor RoundingVariable::softRounding() const {
  torch::NoGradGuard noGrad;
  const at::Tensor h =
      kind_ == RoundingVariableKind::RectifiedSigmoid ? rectifiedSigmoid(v_) : (scaled_ + v_ - base_).clamp(0, 1);
  return h.detach().reshape({-1}).to(at::kFloat).contiguous();
}

at::Tensor RoundingVariable::learned() const { return (mask_ > 0.5).reshape({-1}); }

void recordRoundingTrace(RoundingTrace& trace, const RoundingVariable& variable, int iteration) {
  torch::NoGradGuard noGrad;
  const at::Tensor h = variable.softRounding();
  const at::Tensor selected = variable.learned();
  const at::Tensor hs = h.masked_select(selected);
  const int64_t n = hs.numel();
  if (trace.empty()) {
    // The weights that start most undecided (h nearest 0.5), in weight order; a stable sort so
    // that ties pick the same weights on every machine.
    const at::Tensor indices = selected.nonzero().reshape({-1});
    const int64_t k = std::min<int64_t>(RoundingTrace::kTracked, n);
    const at::Tensor order = std::get<1>((hs - 0.5).abs().sort(/*stable=*/true, 0, false));
    const at::Tensor chosen = std::get<0>(indices.index_select(0, order.slice(0, 0, k)).sort());
    trace.tracked.assign(chosen.data_ptr<int64_t>(), chosen.data_ptr<int64_t>() + chosen.numel());
  }
  trace.iterations.push_back(iteration);
  const at::Tensor bins =
      n > 0 ? at::histc(hs, RoundingTrace::kBins, 0, 1) / static_cast<double>(n) : at::zeros({RoundingTrace::kBins});
  const at::Tensor b = bins.to(at::kFloat).contiguous();
  trace.histogram.insert(trace.histogram.end(), b.data_ptr<float>(), b.data_ptr<float>() + b.numel());
  trace.undecided.push_back(n > 0 ? ((hs > 0.1) & (hs < 0.9)).to(at::kFloat).mean().item<float>() : 0.f);
  for (int64_t i : trace.tracked) trace.trajectories.push_back(h[i].item<float>());
}

namespace {

// The stopping rule of AdaRoundConfig::stopWhenSettled, checked at the end of each window: the
// window's mean batch loss has not improved on the best window before by 1 % for two windows in
// a row, at most 5 % of the codes changed per 25 iterations of the window (the straight-through
// offset keeps flipping a few weights at their rounding boundary: about 2 % per 25 iterations on
// the demo ResNet once its loss is flat; a longer window sees proportionally more of them), and a
// sigmoid variable has decided every weight with its regulariser on.
class RoundingSettlement {
 public:
  RoundingSettlement(const std::vector<RoundingVariable*>& variables, int iterations)
      : variables_(variables),
        window_(std::max(kMinWindow, iterations / 40)),
        allowedChange_(kChangedFraction * (static_cast<double>(window_) / kMinWindow)) {}  // exactly 5 % at 25

  bool settledAfter(int iteration, double batchLoss, bool regularizerOn) {
    windowLoss_ += batchLoss;
    if ((iteration + 1) % window_ != 0) return false;
    int64_t changed = 0, total = 0;
    bool decided = true, sigmoid = false;
    std::vector<at::Tensor> codes;
    for (size_t i = 0; i < variables_.size(); ++i) {
      const at::Tensor learned = variables_[i]->learned();  // weights outside the selection never change
      codes.push_back(variables_[i]->codes().reshape({-1}).masked_select(learned));
      total += codes.back().numel();
      if (!codes_.empty()) changed += codes.back().ne(codes_[i]).sum().item<int64_t>();
      if (variables_[i]->kind() == RoundingVariableKind::RectifiedSigmoid) {
        sigmoid = true;
        const at::Tensor h = variables_[i]->softRounding().masked_select(learned);
        decided = decided && !((h > 0.1) & (h < 0.9)).any().item<bool>();
      }
    }
    const double mean = windowLoss_ / window_;
    flatWindows_ = best_ >= 0 && mean >= (1 - kFlatFraction) * best_ ? flatWindows_ + 1 : 0;
    best_ = best_ < 0 ? mean : std::min(best_, mean);
    const bool quiet = !codes_.empty() && static_cast<double>(changed) <= allowedChange_ * static_cast<double>(total);
    codes_ = std::move(codes);
    windowLoss_ = 0;
    return flatWindows_ >= kFlatWindows && quiet && decided && (regularizerOn || !sigmoid);
  }

 private:
  static constexpr double kFlatFraction = 0.01, kChangedFraction = 0.05;  // changed: per kMinWindow iterations
  static constexpr int kFlatWindows = 2, kMinWindow = 25;
  const std::vector<RoundingVariable*>& variables_;
  const int window_;
  const double allowedChange_;  // fraction of the codes that may change over a window
  double windowLoss_ = 0, best_ = -1;
  int flatWindows_ = 0;
  std::vector<at::Tensor> codes_;
};

}  // namespace

std::vector<std::pair<int, double>> optimiseRounding(const std::vector<RoundingVariable*>& variables, int64_t samples,
                                                     const AdaRoundConfig& config,
                                                     const std::function<at::Tensor(const at::Tensor&)>& batchLoss,
                                                     const std::function<void(double, double)>& progress,
                                                     const std::function<void()>& checkCancel,
                                                     const std::vector<at::Tensor>& steps, double stepLearningRate,
                                                     std::vector<RoundingTrace>* traces) {
  torch::AutoGradMode enableGrad(true);  // whatever guard the calling thread holds
  std::vector<RoundingVariable*> fused, composed;
  for (RoundingVariable* v : variables) (v->startFusedOptimisation(config) ? fused : composed).push_back(v);
  struct StopFused {  // also when cancelled
    const std::vector<RoundingVariable*>& variables;
    ~StopFused() {
      for (RoundingVariable* v : variables) v->stopFusedOptimisation();
    }
  } stopFused{fused};
  std::vector<at::Tensor> params;
  for (RoundingVariable* v : composed)
    for (const at::Tensor& t : v->parameters()) params.push_back(t);
  const auto optimizer = params.empty() ? nullptr : makeOptimizer(params, config);
  std::unique_ptr<torch::optim::Adam> stepOptimizer;
  if (!steps.empty())
    stepOptimizer = std::make_unique<torch::optim::Adam>(steps, torch::optim::AdamOptions(stepLearningRate));
  auto gen = at::detail::createCPUGenerator(config.seed);
  const int64_t batch = std::min<int64_t>(config.batch, samples);
  const int iters = config.iterations;
  const int curveEvery = std::max(1, iters / std::max(1, config.curvePoints));
  const int progressEvery = std::max(1, iters / 100);
  const int traceEvery = std::max(1, (iters + RoundingTrace::kSnapshots - 1) / RoundingTrace::kSnapshots);
  if (traces) {
    traces->assign(variables.size(), {});
    for (size_t i = 0; i < variables.size(); ++i) recordRoundingTrace((*traces)[i], *variables[i], 0);
  }
  std::vector<std::pair<int, double>> curve;
  RoundingSettlement settlement(variables, iters);
  for (int it = 0; it < iters; ++it) {
    checkCancel();
    const at::Tensor idx = at::randperm(samples, gen, at::kLong).slice(0, 0, batch);
    const at::Tensor rec = batchLoss(idx);
    at::Tensor loss = rec;
    const double beta = regularizerBeta(config, it);
    if (beta > 0)
      for (RoundingVariable* v : composed) loss = loss + config.lambda * v->regularizer(beta);
    const double lr = learningRate(config, it);
    if (optimizer) {
      for (auto& group : optimizer->param_groups()) group.options().set_lr(lr);
      optimizer->zero_grad();
    }
    if (stepOptimizer) {
      const double lr = 0.5 * stepLearningRate * (1 + std::cos(kPi * it / std::max(1, iters)));
      for (auto& group : stepOptimizer->param_groups()) group.options().set_lr(lr);
      stepOptimizer->zero_grad();
    }
    loss.backward();
    if (optimizer) optimizer->step();
    for (RoundingVariable* v : fused) v->fusedStep(lr, config.lambda, beta);
    if (stepOptimizer) stepOptimizer->step();
    const bool settled = config.stopWhenSettled && settlement.settledAfter(it, rec.item<double>(), beta > 0);
    const bool last = it == iters - 1 || settled;
    if (it % curveEvery == 0 || last) curve.emplace_back(it, rec.item<double>());
    if (traces && ((it + 1) % traceEvery == 0 || last))  // after the step of iteration it
      for (size_t i = 0; i < variables.size(); ++i) recordRoundingTrace((*traces)[i], *variables[i], it + 1);
    if (progress && (it % progressEvery == 0 || last))
      progress(last ? 1.0 : static_cast<double>(it + 1) / iters, rec.item<double>());
    if (settled) break;
  }
  return curve;
}

std::unique_ptr<torch::optim::Optimizer> makeOptimizer(const std::vector<at::Tensor>& params, const AdaRoundConfig& c) {
  if (c.optimizer == OptimizerKind::Sgd)
    return std::make_unique<torch::optim::SGD>(params, torch::optim::SGDOptions(c.learningRate).momentum(c.momentum));
  return std::make_unique<torch::optim::Adam>(params, torch::optim::AdamOptions(c.learningRate));
}

double learningRate(const AdaRoundConfig& c, int it) {
  return c.cosineLr ? 0.5 * c.learningRate * (1 + std::cos(kPi * it / std::max(1, c.iterations))) : c.learningRate;
}

double regularizerBeta(const AdaRoundConfig& c, int it) {
  const int iters = c.iterations;
  const int warm = static_cast<int>(std::round(c.warmup * iters));
  if (it < warm) return -1;
  const double t = iters > warm ? static_cast<double>(it - warm) / static_cast<double>(iters - warm) : 1.0;
  return c.cosineBeta ? c.betaEnd + 0.5 * (c.betaStart - c.betaEnd) * (1 + std::cos(kPi * t))
                      : c.betaStart + (c.betaEnd - c.betaStart) * t;
}

at::Tensor reconstructionLoss(const at::Tensor& prediction, const at::Tensor& target) {
  // One fused squared-error op (one backward node instead of sub/pow/sum/mean): the mean over
  // every dimension but 1 of the sum over dimension 1 is the total over numel / size(1).
  const double n =
      static_cast<double>(prediction.numel()) / static_cast<double>(prediction.dim() > 1 ? prediction.size(1) : 1);
  return at::mse_loss(prediction, target, at::Reduction::Sum) * (1.0 / n);
}

}  // namespace roundlab
