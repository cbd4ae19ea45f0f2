#include "engine/activation/LearnedActivationScope.h"

#include <torch/torch.h>

#include "engine/activation/ActivationQuantizer.h"

namespace roundlab {

namespace {
thread_local LearnedActivationScope* currentScope = nullptr;
}  // namespace

at::Tensor applyLearnedActivationQuant(const at::Tensor& x, const std::string& layer) {
  return currentScope ? currentScope->apply(layer, x) : x.clone();
}

LearnedActivationScope::LearnedActivationScope(std::map<std::string, ActivationQuantizer*> quantizers,
                                               double dropProbability, uint64_t seed)
    : quantizers_(std::move(quantizers)),
      dropProbability_(dropProbability),
      generator_(at::detail::createCPUGenerator(seed)),
      previous_(currentScope) {
  currentScope = this;
}

LearnedActivationScope::~LearnedActivationScope() { currentScope = previous_; }

at::Tensor LearnedActivationScope::apply(const std::string& layer, const at::Tensor& x) {
  if (recorder_) (*recorder_)[layer].push_back(x.detach());
  const auto it = quantizers_.find(layer);
  if (it == quantizers_.end()) {
    const auto fixed = fixed_.find(layer);
    return fixed != fixed_.end() && fixed->second.enabled() ? fakeQuantizeActivation(x, fixed->second) : x.clone();
  }
  const at::Tensor q = it->second->forward(x);
  return mixing_ ? qdropMix(x, q, dropProbability_, generator_) : q;
}

}  // namespace roundlab
