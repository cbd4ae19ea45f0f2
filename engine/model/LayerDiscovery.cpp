// Layer discovery: a quantizable layer is a weight parameter consumed, whole, as the weight
// operand of a conv1d/conv2d/linear op, or as the [in, out] matrix of addmm/mm/matmul, in the
// inlined forward graph. Identifying layers by op and weight path (not by module type) finds
// nn.MultiheadAttention's packed in_proj_weight and its out_proj, whose forward() is never called,
// and Hugging Face's Conv1D (addmm with W stored [in, out]) with its packed q|k|v c_attn.
#include <map>
#include <set>

#include <torch/csrc/jit/passes/constant_propagation.h>
#include <torch/csrc/jit/passes/inliner.h>
#include <torch/script.h>

#include "engine/core/Error.h"
#include "engine/model/GraphPaths.h"
#include "engine/model/ModelInternals.h"
#include "engine/model/TypeNames.h"

namespace roundlab {

using torch::jit::Node;

namespace {

bool isConvOp(const Node* n) {
  return n->kind() == c10::aten::conv1d || n->kind() == c10::aten::conv2d || n->kind() == c10::aten::_convolution;
}
bool isLinearOp(const Node* n) { return n->kind() == c10::aten::linear; }

std::vector<int64_t> intList(const Node* n, size_t input, size_t spatial) {
  auto v = torch::jit::toIValue(n->input(input));
  if (!v) return {};
  if (v->isIntList()) {
    auto l = v->toIntVector();
    if (l.size() == 1 && spatial > 1) l.assign(spatial, l[0]);
    return l;
  }
  if (v->isInt()) return std::vector<int64_t>(spatial, v->toInt());
  return {};
}

// Reads stride/padding/dilation/groups from aten::conv{1,2}d or aten::_convolution (traced).
ConvAttributes convAttributes(const Node* n, const std::vector<int64_t>& weightShape) {
  const size_t spatial = weightShape.size() - 2;
  ConvAttributes a;
  a.stride = intList(n, 3, spatial);
  if (auto pad = torch::jit::toIValue(n->input(4)); pad && pad->isString())
    a.paddingString = pad->toStringRef();
  else
    a.padding = intList(n, 4, spatial);
  a.dilation = intList(n, 5, spatial);
  const size_t groupsInput = n->kind() == c10::aten::_convolution ? 8 : 6;
  if (auto g = torch::jit::toIValue(n->input(groupsInput)); g && g->isInt()) a.groups = g->toInt();
  const int64_t inPerGroup = weightShape[1];
  a.depthwise = a.groups > 1 && inPerGroup == 1 && weightShape[0] % a.groups == 0;
  return a;
}

std::string ownerOf(const std::string& paramPath) {
  const auto dot = paramPath.rfind('.');
  return dot == std::string::npos ? std::string() : paramPath.substr(0, dot);
}
std::string leafOf(const std::string& paramPath) {
  const auto dot = paramPath.rfind('.');
  return dot == std::string::npos ? paramPath : paramPath.substr(dot + 1);
}

struct Site {
  const Node* node;
  LayerOperands operands;
  WeightSource weight;
  std::optional<std::string> bias;
};

std::string unquantizedReason(const std::string& param, const std::string& ownerType,
                              const std::map<std::string, std::string>& usedByOtherOp,
                              const std::map<std::string, std::string>& biasOf,
                              const std::set<std::string>& derivedOnly) {
  if (auto it = biasOf.find(param); it != biasOf.end())
    return "bias of quantized layer " + it->second + " (biases stay in floating point)";
  if (derivedOnly.count(param))
    return "only slices of it reach conv/linear ops (e.g. attention with separate query/key inputs); "
           "not quantized as a whole";
  if (ownerType.find("BatchNorm") != std::string::npos)
    return "BatchNorm parameter (normalisation stays in floating point)";
  if (ownerType.find("Norm") != std::string::npos)
    return ownerType + " parameter (normalisation stays in floating point)";
  const auto op = usedByOtherOp.find(param);
  if (op != usedByOtherOp.end() && (op->second.find("multi_head_attention") != std::string::npos ||
                                    op->second.find("transformer_encoder_layer") != std::string::npos))
    return "used only inside the fused op " + op->second +
           " (script the model, or trace it with autograd enabled, to expose the projections)";
  if (ownerType.find("Embedding") != std::string::npos)
    return "embedding table (a lookup, not a conv/linear/matmul weight)";
  if (op != usedByOtherOp.end()) return "input of " + op->second + ", which RoundLab does not quantize";
  return "not the weight of a conv1d/conv2d/linear/matmul op (used directly by the forward code)";
}

}  // namespace

std::map<std::string, std::string> moduleTypes(const torch::jit::Module& module) {
  std::map<std::string, std::string> types;
  for (const auto& nm : module.named_modules())
    types[nm.name] = shortTypeName(nm.value.type()->name()->qualifiedName());
  return types;
}

ModelSummary discoverLayers(const torch::jit::Module& module, const std::string& origin) {
  ModelSummary s;
  s.path = origin;
  s.rootType = shortTypeName(module.type()->name()->qualifiedName());
  const auto types = moduleTypes(module);

  auto graph = module.get_method("forward").graph()->copy();
  torch::jit::Inline(*graph);
  torch::jit::ConstantPropagation(graph);  // turns conv attribute lists into constants

  std::vector<Site> sites;
  std::map<std::string, std::string> usedByOtherOp;
  forEachNode(graph->block(), [&](Node* n) {
    if (const auto operands = layerOperands(n)) {
      if (auto w = weightSource(n->input(operands->weight))) {
        std::optional<std::string> bias;
        if (operands->bias && n->inputs().size() > *operands->bias) bias = attributePath(n->input(*operands->bias));
        sites.push_back({n, *operands, *w, bias});
        return;
      }
      if (isConvOp(n) || isLinearOp(n)) return;  // a matmul of two activations: its parameters are noted below
    }
    if (n->kind().is_aten())
      for (const torch::jit::Value* in : n->inputs())
        if (auto p = attributePath(in); p && in->type()->kind() == c10::TypeKind::TensorType)
          usedByOtherOp.emplace(*p, n->kind().toQualString());
  });

  // Tied parameters (a GPT's token embedding and its LM head) are one tensor under several names
  // (LibTorch lists each name): counted once; the layer is named after the name that is not an
  // embedding's, whichever of them the graph reads (a traced Hugging Face model reads the
  // embedding's for its LM head).
  std::map<const void*, std::vector<std::string>> namesOfTensor;
  for (const auto& p : module.named_parameters(/*recurse=*/true))
    namesOfTensor[p.value.unsafeGetTensorImpl()].push_back(p.name);
  const auto typeOf = [&](const std::string& path) {
    const auto it = types.find(ownerOf(path));
    return it == types.end() ? std::string() : it->second;
  };

  // A weight read in both layouts (x W and x W^T, a tied autoencoder) is no single layer: every
  // call of a layer must read its rows as output features.
  std::map<std::string, std::set<bool>> layoutsOf;
  for (const Site& site : sites)
    if (!site.weight.derived) layoutsOf[site.weight.path].insert(site.operands.weightInOut != site.weight.transposed);
  std::set<std::string> parameters;  // a buffer multiplied in (a fixed DCT matrix) is no layer
  for (const auto& p : module.named_parameters(/*recurse=*/true)) parameters.insert(p.name);

  std::map<std::string, std::string> biasOf;
  std::set<std::string> derivedOnly, twoLayouts;
  std::map<std::string, size_t> indexOfWeight;
  std::map<std::string, std::string> nameSource;  // layer name -> the parameter name it is named after
  for (const Site& site : sites) {
    const std::string& wp = site.weight.path;
    if (site.weight.derived) {
      if (!indexOfWeight.count(wp)) derivedOnly.insert(wp);
      continue;
    }
    derivedOnly.erase(wp);
    if (layoutsOf[wp].size() > 1) {
      twoLayouts.insert(wp);
      continue;
    }
    if (site.operands.weightInOut && !parameters.count(wp)) continue;
    if (auto it = indexOfWeight.find(wp); it != indexOfWeight.end()) {
      s.layers[it->second].callSites += 1;
      continue;
    }
    const at::Tensor w = attributeAt(module, wp).toTensor();
    if (w.dim() != 2 && w.dim() != 3 && w.dim() != 4) continue;  // conv3d etc.: reported below
    const bool matmul = site.operands.weightInOut;
    if ((matmul || site.weight.transposed) && w.dim() != 2) continue;  // a batched matmul: not a layer
    LayerInfo l;
    std::string named = wp;
    for (const std::string& alias : namesOfTensor[w.unsafeGetTensorImpl()]) {
      if (alias != wp) l.tiedWith.push_back(alias);
      if (typeOf(named).find("Embedding") != std::string::npos && typeOf(alias).find("Embedding") == std::string::npos)
        named = alias;
    }
    const std::string owner = ownerOf(named), leaf = leafOf(named);
    nameSource[wp] = named;
    l.moduleType = typeOf(named);
    l.op = site.node->kind().toUnqualString();
    l.weightPath = wp;
    l.weightTransposed = matmul != site.weight.transposed;
    l.weightShape = w.sizes().vec();
    if (l.weightTransposed) std::swap(l.weightShape[0], l.weightShape[1]);
    l.params = w.numel();
    if (leaf == "weight") {
      l.name = owner;
    } else {
      // nn.MultiheadAttention: in_proj_weight / q_proj_weight ... live on the attention module.
      const std::string stem =
          leaf.size() > 7 && leaf.substr(leaf.size() - 7) == "_weight" ? leaf.substr(0, leaf.size() - 7) : leaf;
      l.name = owner.empty() ? stem : owner + "." + stem;
    }
    if (isConvOp(site.node)) {
      l.kind = w.dim() == 3 ? LayerKind::Conv1d : LayerKind::Conv2d;
      if (w.dim() == 2) continue;
      l.conv = convAttributes(site.node, l.weightShape);
    } else if (matmul) {
      l.kind = LayerKind::MatmulWeight;
    } else if (l.moduleType == "MultiheadAttention") {
      l.kind = LayerKind::AttentionInProj;
    } else if (ownerOf(owner).size() && types.count(ownerOf(owner)) &&
               types.at(ownerOf(owner)) == "MultiheadAttention") {
      l.kind = LayerKind::AttentionOutProj;
    } else {
      l.kind = LayerKind::Linear;
    }
    if (site.bias && attributeAt(module, *site.bias).isTensor()) {  // bias=False reads a None attribute
      l.biasPath = *site.bias;
      biasOf[*site.bias] = l.name;
    }
    indexOfWeight[wp] = s.layers.size();
    s.layers.push_back(std::move(l));
  }
  for (const auto& [wp, idx] : indexOfWeight) usedByOtherOp.erase(wp);

  // Present layers in module registration order (as PyTorch lists them), not graph order,
  // which differs between scripted and traced models; a tied LM head by its own name's place
  // (last), not the embedding's (first) that a traced model reads.
  std::map<std::string, size_t> paramOrder;
  for (const auto& p : module.named_parameters(/*recurse=*/true)) paramOrder.emplace(p.name, paramOrder.size());
  std::stable_sort(s.layers.begin(), s.layers.end(), [&](const LayerInfo& a, const LayerInfo& b) {
    return paramOrder[nameSource[a.weightPath]] < paramOrder[nameSource[b.weightPath]];
  });
  indexOfWeight.clear();
  for (size_t i = 0; i < s.layers.size(); ++i) indexOfWeight[s.layers[i].weightPath] = i;

  std::set<std::string> tiedToLayer;  // other names of layer weights: quantized with them
  for (const LayerInfo& l : s.layers) tiedToLayer.insert(l.tiedWith.begin(), l.tiedWith.end());
  for (const auto& p : module.named_parameters(/*recurse=*/true)) {
    if (namesOfTensor[p.value.unsafeGetTensorImpl()].front() == p.name) s.totalParams += p.value.numel();
    if (indexOfWeight.count(p.name)) {
      s.quantizableParams += p.value.numel();
      continue;
    }
    if (tiedToLayer.count(p.name)) continue;
    const std::string ownerType = typeOf(p.name);
    s.notQuantized.push_back(
        {p.name, p.value.sizes().vec(),
         twoLayouts.count(p.name)
             ? std::string("used both as W and as its transpose; not one layer (quantized as a whole "
                           "it would need one output axis)")
             : unquantizedReason(p.name, ownerType, usedByOtherOp, biasOf, derivedOnly)});
  }

  if (s.layers.empty()) {
    std::string detail = s.notQuantized.empty() ? std::string("it has no parameters")
                                                : "its parameters are: " + s.notQuantized.front().name;
    for (size_t i = 1; i < std::min<size_t>(s.notQuantized.size(), 6); ++i) detail += ", " + s.notQuantized[i].name;
    throw Error(ErrorCode::NoQuantizableLayer,
                origin +
                    " has no quantizable layer (no Conv1d, Conv2d, Linear, attention projection or "
                    "matmul weight reaches a conv/linear/matmul op); " +
                    detail);
  }
  return s;
}

}  // namespace roundlab
