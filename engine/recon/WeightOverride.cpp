#include "engine/recon/WeightOverride.h"

#include "engine/Model.h"
#include "engine/ModelInternals.h"

namespace roundlab {

WeightOverride::WeightOverride(Model& model, const std::vector<std::string>& layers) {
  for (const std::string& name : layers) {
    const std::string& path = model.layer(name).weightPath;
    const auto dot = path.rfind('.');
    Slot s;
    s.owner = dot == std::string::npos ? model.module() : attributeAt(model.module(), path.substr(0, dot)).toModule();
    s.attribute = dot == std::string::npos ? path : path.substr(dot + 1);
    s.original = s.owner.attr(s.attribute).toTensor();
    slots_.emplace(name, std::move(s));
  }
}

WeightOverride::~WeightOverride() {
  for (auto& [name, s] : slots_) s.owner.setattr(s.attribute, s.original);
}

void WeightOverride::set(const std::string& layer, const at::Tensor& weight) {
  Slot& s = slots_.at(layer);
  s.owner.setattr(s.attribute, weight);
}

}  // namespace roundlab
