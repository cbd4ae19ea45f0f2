#include "engine/recon/ActivationSteps.h"

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

}  // namespace roundlab
