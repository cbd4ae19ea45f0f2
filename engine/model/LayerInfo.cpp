#include "engine/model/LayerInfo.h"

namespace roundlab {

const EnumTable<LayerKind>& layerKindTable() {
  static const EnumTable<LayerKind> t{"layer kind",
                                      {{LayerKind::Conv1d, "Conv1d", ""},
                                       {LayerKind::Conv2d, "Conv2d", ""},
                                       {LayerKind::Linear, "Linear", ""},
                                       {LayerKind::AttentionInProj, "MultiheadAttention.in_proj", ""},
                                       {LayerKind::AttentionOutProj, "MultiheadAttention.out_proj", ""},
                                       {LayerKind::MatmulWeight, "matmul weight", ""}}};
  return t;
}

std::string layerKindText(const LayerInfo& layer) {
  if (layer.kind != LayerKind::MatmulWeight) return layerKindName(layer.kind);
  return (layer.moduleType.empty() ? std::string("matmul weight") : layer.moduleType) + " (" + layer.op + ")";
}

const LayerInfo* ModelSummary::findLayer(const std::string& name) const {
  for (const LayerInfo& l : layers)
    if (l.name == name) return &l;
  return nullptr;
}

int64_t layerMacs(const LayerInfo& layer, const std::vector<int64_t>& output) {
  if (layer.weightShape.size() < 2 || layer.weightShape[0] <= 0 || output.empty()) return 0;
  // A conv weight is out × in/groups × kernel, a linear one out × in: what one output element reads.
  const int64_t perOutput = layer.params / layer.weightShape[0];
  int64_t elements = 1;
  for (int64_t d : output) elements *= d;
  return elements * perOutput;
}

void ModelSummary::copyShapes(const ModelSummary& shaped) {
  inputShape = shaped.inputShape;
  outputShape = shaped.outputShape;
  for (LayerInfo& l : layers) {
    const LayerInfo* s = shaped.findLayer(l.name);
    l.inputShape = s ? s->inputShape : std::vector<int64_t>();
    l.outputShape = s ? s->outputShape : std::vector<int64_t>();
    l.macs = s ? s->macs : -1;
  }
}

}  // namespace roundlab
