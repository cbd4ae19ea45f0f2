#include "engine/recon/BlockReconstructor.h"

#include <set>

#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/passes/inliner.h>
#include <torch/torch.h>

#include "engine/model/ActivationFakeQuant.h"
#include "engine/model/Model.h"
#include "engine/model/ModelInternals.h"
#include "engine/model/WeightOverride.h"
#include "engine/recon/IndexedSquaredError.h"

namespace roundlab {

BlockReconstructor::BlockReconstructor(Model& model, const BlockInfo& block, std::map<std::string, WeightGrid> grids,
                                       AdaRoundConfig config)
    : model_(model),
      block_(block),
      grids_(std::move(grids)),
      config_(config),
      module_(attributeAt(model.module(), block.name).toModule()) {}

BlockReconstructor::~BlockReconstructor() = default;

void BlockReconstructor::setActivations(ActivationSteps* activations) {
  activations_ = activations;
  quantizedForward_.reset();
  std::set<std::string> layers;
  if (activations)
    for (const std::string& l : block_.layers)
      if (activations->quantizers.count(l)) layers.insert(l);
  if (layers.empty()) return;
  std::shared_ptr<torch::jit::Graph> g = module_.get_method("forward").graph()->copy();
  torch::jit::Inline(*g);
  avoidFusedAttention(*g);
  insertLearnedActivationQuant(*g, layersByWeightPath(model_.summary(), block_.name), layers);
  quantizedForward_ =
      std::make_unique<torch::jit::GraphFunction>(c10::QualifiedName("roundlab_block_forward"), g, nullptr);
}

at::Tensor BlockReconstructor::forward(const BlockData& data, const at::Tensor& index) const {
  std::vector<c10::IValue> args;
  for (const c10::IValue& a : data.args)
    args.push_back(a.isTensor() && a.toTensor().dim() > 0 && a.toTensor().size(0) == data.samples()
                       ? c10::IValue(a.toTensor().index_select(0, index))
                       : a);
  if (!quantizedForward_) return const_cast<torch::jit::Module&>(module_).forward(args).toTensor();
  torch::jit::Stack stack{module_._ivalue()};
  stack.insert(stack.end(), args.begin(), args.end());
  quantizedForward_->run(stack);
  return stack.back().toTensor();
}

at::Tensor BlockReconstructor::loss(const BlockData& data, const at::Tensor& index,
                                    const at::Tensor& prediction) const {
  if (!data.fisher.defined()) return indexedReconstructionLoss(prediction, data.targets, index);
  const at::Tensor g = data.fisher.index_select(0, index);  // BRECQ: ((g (pred - target))^2)
  return reconstructionLoss(prediction * g, data.targets.index_select(0, index) * g);
}

double BlockReconstructor::datasetLoss(const BlockData& data) const {
  torch::NoGradGuard noGrad;
  if (scope_) scope_->setMixing(false);  // QDrop mixes during training only
  double total = 0;
  const int64_t n = data.samples(), step = 256;
  for (int64_t b = 0; b < n; b += step) {
    const at::Tensor idx = at::arange(b, std::min(n, b + step), at::kLong);
    total += loss(data, idx, forward(data, idx)).item<double>() * static_cast<double>(idx.size(0));
  }
  if (scope_) scope_->setMixing(true);
  return total / static_cast<double>(n);
}

BlockRoundingResult BlockReconstructor::run(const BlockData& data, const ProgressFn& progress,
                                            const CancelToken& cancel) {
  torch::AutoGradMode enableGrad(true);  // whatever guard the calling thread holds
  WeightOverride slots(model_, block_.layers);
  const ActivationStepsInUse acts(activations_, quantizedForward_ != nullptr, config_.seed, scope_);
  BlockRoundingResult r;
  std::vector<std::pair<std::string, RoundingVariable>> vars;
  for (const std::string& name : block_.layers) {
    const at::Tensor w = model_.weight(name).detach();
    RoundingResult lr;
    lr.rtnCodes = quantizeToCodes(w, grids_.at(name));
    slots.set(name, dequantize(lr.rtnCodes, grids_.at(name)).to(w.scalar_type()));
    r.layers[name] = std::move(lr);
    vars.emplace_back(name, RoundingVariable(w, grids_.at(name), config_, model_.bias(name)));
  }
  r.lossBefore = datasetLoss(data);

  std::vector<RoundingVariable*> variables;
  for (auto& [name, var] : vars) variables.push_back(&var);
  std::vector<RoundingTrace> traces;
  r.curve = optimiseRounding(
      variables, data.samples(), config_,
      [&](const at::Tensor& idx) {
        for (auto& [name, var] : vars) {
          slots.set(name, var.softWeight());
          if (var.softBias().defined()) slots.setBias(name, var.softBias());
        }
        const at::Tensor prediction = forward(data, idx);
        const at::Tensor rec = loss(data, idx, prediction);
        return outputLoss_ ? rec + outputLoss_->term(idx, prediction) : rec;
      },
      [&](double fraction, double loss) {
        if (progress) progress({"brecq", fraction, block_.name, loss, true});
      },
      [&] { cancel.throwIfCancelled("block reconstruction of " + block_.name); }, acts.parameters(),
      acts.learningRate(), &traces);
  for (size_t i = 0; i < vars.size(); ++i) r.layers[vars[i].first].trace = std::move(traces[i]);

  torch::NoGradGuard noGrad;
  for (auto& [name, var] : vars) {
    RoundingResult& lr = r.layers[name];
    lr.codes = var.codes();
    lr.grid = var.grid();
    lr.weight = dequantize(lr.codes, lr.grid);
    lr.bias = var.learnedBias();
    slots.set(name, lr.weight);
    if (lr.bias.defined()) slots.setBias(name, lr.bias);
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
