#pragma once
// The activation quantizers a reconstruction unit learns alongside its rounding: one LSQ input
// quantizer per layer of the unit, and QDrop's drop probability. Owned by the model quantizer,
// lent to the layer and block reconstructors.
#include <map>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "engine/quant/ActivationQuantizer.h"

namespace roundlab {

struct ActivationSteps {
  std::map<std::string, ActivationQuantizer> quantizers;  // by layer: its input quantizer
  double dropProbability = 1.0;                           // QDrop's p (1: no dropping)
  double learningRate = 4e-5;                             // Adam, cosine decay to 0

  bool empty() const { return quantizers.empty(); }
  std::map<std::string, ActivationQuantizer*> pointers();
  std::vector<at::Tensor> parameters() const;
};

}  // namespace roundlab
