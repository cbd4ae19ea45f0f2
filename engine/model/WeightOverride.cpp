#include "engine/model/WeightOverride.h"

#include <stdexcept>

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
    // A tied name (the token embedding of an LM head) is the same tensor: it takes the same values.
    std::vector<std::string> paths{info.weightPath};
    paths.insert(paths.end(), info.tiedWith.begin(), info.tiedWith.end());
    for (const std::string& path : paths) {
      Slot slot = slotAt(model, path);
      slot.transposed = info.weightTransposed;
      slots_.emplace(name, std::move(slot));
    }
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
  const auto [first, last] = slots_.equal_range(layer);
  if (first == last) throw std::out_of_range("WeightOverride: layer " + layer + " was not overridden");
  for (auto it = first; it != last; ++it)
    it->second.owner.setattr(it->second.attribute, it->second.transposed ? weight.t() : weight);
}

}  // namespace roundlab
