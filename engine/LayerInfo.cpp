#include "engine/LayerInfo.h"

namespace roundlab {

const char* layerKindName(LayerKind kind) {
  switch (kind) {
    case LayerKind::Conv1d:
      return "Conv1d";
    case LayerKind::Conv2d:
      return "Conv2d";
    case LayerKind::Linear:
      return "Linear";
    case LayerKind::AttentionInProj:
      return "MultiheadAttention.in_proj";
    case LayerKind::AttentionOutProj:
      return "MultiheadAttention.out_proj";
  }
  return "?";
}

const LayerInfo* ModelSummary::findLayer(const std::string& name) const {
  for (const LayerInfo& l : layers)
    if (l.name == name) return &l;
  return nullptr;
}

std::string formatShape(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace roundlab
