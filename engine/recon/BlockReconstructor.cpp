#include "engine/recon/BlockReconstructor.h"

#include <torch/torch.h>

#include "engine/Model.h"
#include "engine/ModelInternals.h"
#include "engine/recon/WeightOverride.h"

namespace roundlab {

BlockReconstructor::BlockReconstructor(Model& model, const BlockInfo& block, std::map<std::string, WeightGrid> grids,
                                       AdaRoundConfig config)
    : model_(model),
      block_(block),
      grids_(std::move(grids)),
      config_(config),
      module_(attributeAt(model.module(), block.name).toModule()) {}

at::Tensor BlockReconstructor::forward(const BlockData& data, const at::Tensor& index) const {
  std::vector<c10::IValue> args;
  for (const c10::IValue& a : data.args)
    args.push_back(a.isTensor() && a.toTensor().dim() > 0 && a.toTensor().size(0) == data.samples()
                       ? c10::IValue(a.toTensor().index_select(0, index))
                       : a);
  return const_cast<torch::jit::Module&>(module_).forward(args).toTensor();
}

double BlockReconstructor::datasetLoss(const BlockData& data) const {
  torch::NoGradGuard noGrad;
  double total = 0;
  const int64_t n = data.samples(), step = 256;
  for (int64_t b = 0; b < n; b += step) {
    const at::Tensor idx = at::arange(b, std::min(n, b + step), at::kLong);
    total += reconstructionLoss(forward(data, idx), data.targets.index_select(0, idx)).item<double>() *
             static_cast<double>(idx.size(0));
  }
  return total / static_cast<double>(n);
}

BlockRoundingResult BlockReconstructor::run(const BlockData& data, const ProgressFn& progress,
                                            const CancelToken& cancel) {
  torch::AutoGradMode enableGrad(true);  // whatever guard the calling thread holds
  WeightOverride slots(model_, block_.layers);
  BlockRoundingResult r;
  std::vector<std::pair<std::string, RoundingVariable>> vars;
  std::vector<at::Tensor> params;
  for (const std::string& name : block_.layers) {
    const at::Tensor w = model_.weight(name).detach();
    RoundingResult lr;
    lr.rtnCodes = quantizeToCodes(w, grids_.at(name));
    slots.set(name, dequantize(lr.rtnCodes, grids_.at(name)).to(w.scalar_type()));
    r.layers[name] = std::move(lr);
    vars.emplace_back(name, RoundingVariable(w, grids_.at(name), config_));
  }
  for (auto& [name, var] : vars)
    for (const at::Tensor& t : var.parameters()) params.push_back(t);
  r.lossBefore = datasetLoss(data);

  const auto optimizer = makeOptimizer(params, config_);
  auto gen = at::detail::createCPUGenerator(config_.seed);
  const int64_t n = data.samples(), batch = std::min<int64_t>(config_.batch, n);
  const int iters = config_.iterations;
  const int curveEvery = std::max(1, iters / std::max(1, config_.curvePoints));
  const int progressEvery = std::max(1, iters / 100);
  for (int it = 0; it < iters; ++it) {
    cancel.throwIfCancelled("block reconstruction of " + block_.name);
    const at::Tensor idx = at::randperm(n, gen, at::kLong).slice(0, 0, batch);
    for (auto& [name, var] : vars) slots.set(name, var.softWeight());
    const at::Tensor rec = reconstructionLoss(forward(data, idx), data.targets.index_select(0, idx));
    at::Tensor loss = rec;
    if (const double beta = regularizerBeta(config_, it); beta > 0)
      for (auto& [name, var] : vars) loss = loss + config_.lambda * var.regularizer(beta);
    scheduleLearningRate(*optimizer, config_, it);
    optimizer->zero_grad();
    loss.backward();
    optimizer->step();
    if (it % curveEvery == 0 || it == iters - 1) r.curve.emplace_back(it, rec.item<double>());
    if (progress && (it % progressEvery == 0 || it == iters - 1))
      progress({"brecq", static_cast<double>(it + 1) / iters, block_.name, rec.item<double>(), true});
  }

  torch::NoGradGuard noGrad;
  for (auto& [name, var] : vars) {
    RoundingResult& lr = r.layers[name];
    lr.codes = var.codes();
    lr.grid = var.grid();
    lr.weight = dequantize(lr.codes, lr.grid);
    slots.set(name, lr.weight);
    countFlips(lr, lr.codes.numel());
  }
  r.lossAfter = datasetLoss(data);
  for (auto& [name, lr] : r.layers) {
    lr.lossBefore = r.lossBefore;
    lr.lossAfter = r.lossAfter;
    lr.curve = r.curve;
  }
  return r;
}

}  // namespace roundlab
