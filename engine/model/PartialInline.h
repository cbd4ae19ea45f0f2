#pragma once
// Partial inlining of a TorchScript graph: every submodule call is inlined except the calls of
// modules the caller wants to keep (the blocks of block reconstruction), which stay
// prim::CallMethod nodes so their inputs and outputs can be observed.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <torch/csrc/jit/ir/ir.h>

namespace roundlab {

// Module path of the module a prim::CallMethod is called on ("" for the root itself).
std::string calleePath(const torch::jit::Node* callMethod);

// Inlines, repeatedly, every prim::CallMethod whose callee path fails `keep`.
void inlineCallsExcept(torch::jit::Graph& graph, const std::function<bool(const std::string&)>& keep);

// The kept calls remaining in graph (any nesting depth), in graph order.
std::vector<torch::jit::Node*> remainingCalls(torch::jit::Graph& graph);

// Inlines one prim::CallMethod; returns the values that replace its outputs.
std::vector<torch::jit::Value*> inlineCall(torch::jit::Node* callMethod);

}  // namespace roundlab
