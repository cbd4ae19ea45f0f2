#include "engine/model/PartialInline.h"

#include <torch/csrc/jit/api/function_impl.h>

#include "engine/model/GraphPaths.h"

namespace roundlab {

using torch::jit::Node;

std::string calleePath(const Node* call) { return attributePath(call->input(0)).value_or(std::string()); }

std::vector<torch::jit::Value*> inlineCall(Node* call) {
  auto cls = call->input(0)->type()->expect<c10::ClassType>();
  torch::jit::Function& fn = cls->getMethod(call->s(c10::attr::name));
  // use_graph=false: inline the callee's own graph, whose submodule calls are still calls;
  // `true` would splice in its fully inlined graph and the blocks would disappear.
  return torch::jit::inlineCallTo(call, &torch::jit::toGraphFunction(fn), /*use_graph=*/false);
}

void inlineCallsExcept(torch::jit::Graph& graph, const std::function<bool(const std::string&)>& keep) {
  for (bool changed = true; changed;) {
    changed = false;
    forEachNode(graph.block(), [&](Node* n) {
      if (n->kind() != c10::prim::CallMethod || keep(calleePath(n))) return;
      inlineCall(n);
      changed = true;
    });
  }
}

std::vector<Node*> remainingCalls(torch::jit::Graph& graph) {
  std::vector<Node*> calls;
  forEachNode(graph.block(), [&](Node* n) {
    if (n->kind() == c10::prim::CallMethod) calls.push_back(n);
  });
  return calls;
}

}  // namespace roundlab
