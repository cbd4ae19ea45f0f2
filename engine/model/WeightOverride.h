#pragma once
// Puts arbitrary tensors (e.g. soft-quantized weights that carry gradients, learned biases) into
// a model's weight and bias slots for the duration of a reconstruction, and puts the original
// parameters back when destroyed, whatever happened in between (errors, cancel).
#include <map>
#include <string>
#include <vector>

#include <torch/script.h>

namespace roundlab {

class Model;

class WeightOverride {
 public:
  WeightOverride(Model& model, const std::vector<std::string>& layers);
  ~WeightOverride();
  WeightOverride(const WeightOverride&) = delete;
  WeightOverride& operator=(const WeightOverride&) = delete;

  void set(const std::string& layer, const at::Tensor& weight);    // [out, in, ...], as Model::weight
  void setBias(const std::string& layer, const at::Tensor& bias);  // the layer must have a bias

 private:
  struct Slot {
    torch::jit::Module owner;
    std::string attribute;
    at::Tensor original;
    bool transposed = false;  // stored [in, out]: set() takes [out, in] like Model::weight
  };
  static Slot slotAt(Model& model, const std::string& path);
  std::multimap<std::string, Slot> slots_;  // a layer's weight, and its tied names
  std::map<std::string, Slot> biasSlots_;
};

}  // namespace roundlab
