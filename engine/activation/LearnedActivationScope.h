#pragma once
// The learned activation quantizers a reconstruction trains (LSQ steps, QDrop's mixing), as the
// calling thread sees them: roundlab::learned_act_quant ops inserted into a forward graph
// (model/ActivationFakeQuant.h) quantize through the innermost live scope of their thread.
#include <map>
#include <string>
#include <vector>

#include <torch/types.h>

#include "engine/activation/ActivationQuantConfig.h"

namespace roundlab {

class ActivationQuantizer;

// While alive, roundlab::learned_act_quant ops run on this thread use these quantizers (not
// owned). With mixing on, each element keeps its quantized value with probability
// `dropProbability` and its FP value otherwise (QDrop); with mixing off, plain quantization.
class LearnedActivationScope {
 public:
  LearnedActivationScope(std::map<std::string, ActivationQuantizer*> quantizers, double dropProbability, uint64_t seed);
  ~LearnedActivationScope();
  LearnedActivationScope(const LearnedActivationScope&) = delete;
  LearnedActivationScope& operator=(const LearnedActivationScope&) = delete;

  void setMixing(bool on) { mixing_ = on; }
  // Fixed quantizers for layers without a learned one (applied as evaluation applies them).
  void setFixed(std::map<std::string, ActivationQuantParams> fixed) { fixed_ = std::move(fixed); }
  // Keeps every input the ops pass (before quantization), by layer, in execution order.
  void setRecorder(std::map<std::string, std::vector<at::Tensor>>* recorder) { recorder_ = recorder; }
  // Quantizes x with the layer's quantizer (a copy of x when the scope has none for the layer).
  at::Tensor apply(const std::string& layer, const at::Tensor& x);

 private:
  std::map<std::string, ActivationQuantizer*> quantizers_;
  std::map<std::string, ActivationQuantParams> fixed_;
  std::map<std::string, std::vector<at::Tensor>>* recorder_ = nullptr;
  double dropProbability_;
  at::Generator generator_;
  bool mixing_ = true;
  LearnedActivationScope* previous_;
};

// What a roundlab::learned_act_quant op computes: the thread's innermost scope applied to x
// (a copy of x outside any scope).
at::Tensor applyLearnedActivationQuant(const at::Tensor& x, const std::string& layer);

}  // namespace roundlab
