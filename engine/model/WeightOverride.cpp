#include "engine/model/WeightOverride.h"

#include "engine/model/Model.h"
#include "engine/model/ModelInternals.h"

namespace roundlab {

WeightOverride::Slot WeightOverride::slotAt(Model& model, const std::string& path) {
  const auto dot = path.rfind('.');
  Slot s;
  s.owner = dot == std::string::npos ? model.module() : attributeAt(model.module(), path.substr(0, dot)).toModule();
  s.attribute = dot == std::string::npos ? path : path.substr(dot + 1);
  s.original = s.owner.attr(s.attribute).toTensor();
  return s;
}

WeightOverride::WeightOverride(Model& model, const std::vector<std::string>& layers) {
  for (const std::string& name : layers) {
    const LayerInfo& info = model.layer(name);
    slots_.emplace(name, slotAt(model, info.weightPath));
    if (!info.biasPath.empty()) biasSlots_.emplace(name, slotAt(model, info.biasPath));
  }
}

WeightOverride::~WeightOverride() {
  for (auto& [name, s] : slots_) s.owner.setattr(s.attribute, s.original);
  for (auto& [name, s] : biasSlots_) s.owner.setattr(s.attribute, s.original);
}

void WeightOverride::setBias(const std::string& layer, const at::Tensor& bias) {
  Slot& s = biasSlots_.at(layer);
  s.owner.setattr(s.attribute, bias);
}

void WeightOverride::set(const std::string& layer, const at::Tensor& weight) {
  Slot& s = slots_.at(layer);
  s.owner.setattr(s.attribute, weight);
}

}  // namespace roundlab
