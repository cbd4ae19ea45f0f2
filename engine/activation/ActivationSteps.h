#pragma once
// The activation quantizers a reconstruction unit learns alongside its rounding: one LSQ input
// quantizer per layer of the unit, and QDrop's drop probability. Owned by the model quantizer,
// lent to the layer and block reconstructors.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "engine/activation/ActivationQuantizer.h"
#include "engine/activation/LearnedActivationScope.h"

namespace roundlab {

struct ActivationSteps {
  std::map<std::string, ActivationQuantizer> quantizers;  // by layer: its input quantizer
  double dropProbability = 1.0;                           // QDrop's p (1: no dropping)
  double learningRate = 4e-5;                             // Adam, cosine decay to 0

  bool empty() const { return quantizers.empty(); }
  std::map<std::string, ActivationQuantizer*> pointers();
  std::vector<at::Tensor> parameters() const;
};

// A reconstruction's use of its steps: while alive (and `active`), the steps' quantizers serve
// the thread's learned activation ops through a LearnedActivationScope that `current` points at;
// `current` is reset on destruction, whatever happened (errors, cancel).
class ActivationStepsInUse {
 public:
  ActivationStepsInUse(ActivationSteps* steps, bool active, uint64_t seed, LearnedActivationScope*& current);
  ~ActivationStepsInUse() { current_ = nullptr; }
  ActivationStepsInUse(const ActivationStepsInUse&) = delete;
  ActivationStepsInUse& operator=(const ActivationStepsInUse&) = delete;

  std::vector<at::Tensor> parameters() const;  // empty when not active
  double learningRate() const;

 private:
  std::optional<LearnedActivationScope> scope_;
  LearnedActivationScope*& current_;
  ActivationSteps* steps_;
};

}  // namespace roundlab
