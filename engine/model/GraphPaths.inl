#pragma once
#include <torch/csrc/jit/ir/ir.h>

namespace roundlab {

template <typename Fn>
void forEachNode(torch::jit::Block* block, Fn&& fn) {
  // Copy first: fn may rewrite the node it is given.
  std::vector<torch::jit::Node*> nodes(block->nodes().begin(), block->nodes().end());
  for (torch::jit::Node* n : nodes) {
    for (torch::jit::Block* sub : n->blocks()) forEachNode(sub, fn);
    fn(n);
  }
}

}  // namespace roundlab
