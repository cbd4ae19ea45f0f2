#include "engine/model/LayerInfo.h"

namespace roundlab {

const EnumTable<LayerKind>& layerKindTable() {
  static const EnumTable<LayerKind> t{"layer kind",
                                      {{LayerKind::Conv1d, "Conv1d", ""},
                                       {LayerKind::Conv2d, "Conv2d", ""},
                                       {LayerKind::Linear, "Linear", ""},
                                       {LayerKind::AttentionInProj, "MultiheadAttention.in_proj", ""},
                                       {LayerKind::AttentionOutProj, "MultiheadAttention.out_proj", ""}}};
  return t;
}

const LayerInfo* ModelSummary::findLayer(const std::string& name) const {
  for (const LayerInfo& l : layers)
    if (l.name == name) return &l;
  return nullptr;
}

}  // namespace roundlab
