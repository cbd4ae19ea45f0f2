#pragma once
// What a layer's output goes through before anything else reads it: its BatchNorm (eval mode) and
// activation function, e.g. conv -> batch_norm -> relu6. Layer-wise reconstruction compares
// outputs after these (AdaRound's f(Wx), with f the activation: the reference implementations fold
// BatchNorm into the conv and reconstruct after the activation), so that a channel's error counts
// as much as the BatchNorm scales it and errors a ReLU6 clips away do not count at all.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <torch/script.h>

namespace roundlab {

class Model;

class LayerEpilogue {
 public:
  // The epilogue of each layer that has one. A layer has none, and `reasons` says why, when it is
  // called at more than one place, or when its output is first read by anything other than such a
  // chain (an addition, a reshape, the next layer).
  static std::map<std::string, std::unique_ptr<LayerEpilogue>> buildAll(const Model& model,
                                                                        const std::vector<std::string>& layers,
                                                                        std::vector<std::string>* reasons);
  ~LayerEpilogue();

  // The chain applied to the layer's output (differentiable in it).
  at::Tensor run(const at::Tensor& layerOutput) const;
  // The ops, in order ("batch_norm", "relu6").
  const std::vector<std::string>& ops() const { return names_; }
  // Whether an op needs the layer's channel dimension in place (batch_norm): the output cannot be
  // flattened to rows, as a language model's positions are.
  bool perChannel() const { return perChannel_; }

 private:
  LayerEpilogue() = default;
  // Follows the layer op's output through the chain; empty steps_ and `stop` set when there is none.
  void follow(const Model& model, torch::jit::Node* op, std::string& stop);
  struct Step {
    mutable torch::jit::Operation operation;  // its call is not const
    std::vector<c10::IValue> arguments;       // the first, left empty, is the activation
  };
  std::vector<Step> steps_;
  std::vector<std::string> names_;
  bool perChannel_ = false;
};

}  // namespace roundlab
