// Blocks for block reconstruction come from the module tree: the outermost non-container
// submodule holding >= 2 quantizable layers (nn.MultiheadAttention excluded: it is part of a
// transformer layer), unless it merely stacks >= 2 such modules in a container (a stage, like a
// TransformerEncoder and its ModuleList); it must also be called as a whole from the forward
// graph. A GPT block's attention and MLP are its own attributes, not a stack: the block is kept.
#include <set>

#include <torch/script.h>

#include "engine/model/ModelInternals.h"
#include "engine/model/PartialInline.h"

namespace roundlab {

namespace {

bool isContainer(const std::string& type) {
  return type == "Sequential" || type == "ModuleList" || type == "ModuleDict";
}

bool isAncestor(const std::string& ancestor, const std::string& path) {
  return ancestor.empty() || (path.size() > ancestor.size() && path.compare(0, ancestor.size(), ancestor) == 0 &&
                              path[ancestor.size()] == '.');
}

}  // namespace

void discoverBlocks(const torch::jit::Module& module, ModelSummary& summary) {
  const auto types = moduleTypes(module);
  std::vector<std::string> candidates;
  for (const auto& [path, type] : types) {
    if (path.empty() || isContainer(type) || type == "MultiheadAttention") continue;
    int layers = 0;
    for (const LayerInfo& l : summary.layers) layers += isAncestor(path, l.name) ? 1 : 0;
    if (layers >= 2) candidates.push_back(path);
  }
  // Whether `inner` sits in a container below `outer` (outer.layers.3: a stack of modules).
  auto inContainerBelow = [&](const std::string& outer, const std::string& inner) {
    for (size_t dot = inner.find('.', outer.empty() ? 0 : outer.size() + 1); dot != std::string::npos;
         dot = inner.find('.', dot + 1))
      if (const auto it = types.find(inner.substr(0, dot)); it != types.end() && isContainer(it->second)) return true;
    return false;
  };
  // Nearest candidate ancestor of each candidate.
  auto parentCandidate = [&](const std::string& c) {
    std::string best;
    bool found = false;
    for (const std::string& o : candidates)
      if (isAncestor(o, c) && (!found || o.size() > best.size())) best = o, found = true;
    return found ? std::optional<std::string>(best) : std::nullopt;
  };
  std::set<std::string> stages;
  for (const std::string& c : candidates) {
    int children = 0;
    // A container's element (h.0) holds its parts as attributes (attn, mlp): a block. Elsewhere
    // attribute children count too (an encoder with down1, down2 is a stage of two blocks).
    const auto parent = types.find(c.rfind('.') == std::string::npos ? std::string() : c.substr(0, c.rfind('.')));
    const bool element = parent != types.end() && isContainer(parent->second);
    for (const std::string& o : candidates)
      children += parentCandidate(o) == c && (!element || inContainerBelow(c, o)) ? 1 : 0;
    if (children >= 2) stages.insert(c);
  }
  std::set<std::string> wanted;
  for (const std::string& c : candidates) {
    if (stages.count(c)) continue;
    bool outermost = true;
    for (const std::string& o : candidates)
      if (!stages.count(o) && isAncestor(o, c)) outermost = false;
    if (outermost) wanted.insert(c);
  }

  auto graph = module.get_method("forward").graph()->copy();
  inlineCallsExcept(*graph, [&](const std::string& p) { return wanted.count(p) > 0; });
  std::set<std::string> called;
  for (torch::jit::Node* n : remainingCalls(*graph)) called.insert(calleePath(n));

  for (const std::string& b : wanted) {
    if (!called.count(b)) continue;
    BlockInfo info{b, types.at(b), {}};
    for (LayerInfo& l : summary.layers)
      if (isAncestor(b, l.name)) {
        l.block = b;
        info.layers.push_back(l.name);
      }
    summary.blocks.push_back(std::move(info));
  }
  // Graph order is more useful than alphabetical order.
  std::map<std::string, size_t> firstLayer;
  for (size_t i = 0; i < summary.layers.size(); ++i) firstLayer.emplace(summary.layers[i].block, i);
  std::sort(summary.blocks.begin(), summary.blocks.end(),
            [&](const BlockInfo& a, const BlockInfo& b) { return firstLayer[a.name] < firstLayer[b.name]; });
}

}  // namespace roundlab
