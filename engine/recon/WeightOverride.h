#pragma once
// Puts arbitrary tensors (e.g. soft-quantized weights that carry gradients) into a model's
// weight slots for the duration of a reconstruction, and puts the original parameters back when
// destroyed, whatever happened in between (errors, cancel).
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

  void set(const std::string& layer, const at::Tensor& weight);

 private:
  struct Slot {
    torch::jit::Module owner;
    std::string attribute;
    at::Tensor original;
  };
  std::map<std::string, Slot> slots_;
};

}  // namespace roundlab
