#include "engine/activation/ActivationSteps.h"

namespace roundlab {

std::map<std::string, ActivationQuantizer*> ActivationSteps::pointers() {
  std::map<std::string, ActivationQuantizer*> out;
  for (auto& [name, q] : quantizers) out[name] = &q;
  return out;
}

std::vector<at::Tensor> ActivationSteps::parameters() const {
  std::vector<at::Tensor> out;
  for (const auto& [name, q] : quantizers) out.push_back(q.step());
  return out;
}

ActivationStepsInUse::ActivationStepsInUse(ActivationSteps* steps, bool active, uint64_t seed,
                                           LearnedActivationScope*& current)
    : current_(current), steps_(active ? steps : nullptr) {
  if (!steps_) return;
  scope_.emplace(steps_->pointers(), steps_->dropProbability, seed ^ 0xAC7u);
  current_ = &*scope_;
}

std::vector<at::Tensor> ActivationStepsInUse::parameters() const {
  return steps_ ? steps_->parameters() : std::vector<at::Tensor>{};
}

double ActivationStepsInUse::learningRate() const { return steps_ ? steps_->learningRate : 0; }

}  // namespace roundlab
