#pragma once
// Captures, in one forward pass, the inputs and outputs of every quantizable layer and of every
// block. C++ has no forward hooks, so this rewrites a copy of the forward graph:
//  1. submodule calls are inlined except block calls; each block call gets its tensor arguments
//     and output appended to per-call-site lists, then is inlined too;
//  2. everything is inlined; each conv/linear op reading a layer's whole weight gets its input
//     and output appended to per-site lists;
//  3. the lists are returned beside the model output.
// Appending (rather than returning values) makes captures correct inside if/else branches and
// loops: only executed ops append, and an op executed n times appends n records. A layer or
// block called more than once (shared weights, several call sites) therefore yields one record
// per execution, tagged with its call site; reconstruction treats them as further samples of
// the same function.
// nn.MultiheadAttention in eval mode without autograd takes a fused kernel that hides its
// projections; when the graph holds such a fused op the capture pass runs with autograd enabled
// (same maths, unfused path) and detaches what it records.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <torch/script.h>

#include "engine/model/Model.h"

namespace roundlab {

class Dataset;

struct CapturedCall {
  int site = 0;                   // static call site in the forward graph
  std::vector<c10::IValue> args;  // layer: {input}; block: forward arguments without self
  at::Tensor output;              // undefined when outputs were not requested
};

struct CaptureResult {
  at::Tensor modelOutput;  // the output the model's summary chooses (undefined: none is a tensor)
  std::map<std::string, std::vector<CapturedCall>> layers;
  std::map<std::string, std::vector<CapturedCall>> blocks;
};

struct CaptureOptions {
  bool layers = true;
  bool blocks = true;
  bool outputs = true;
  // Run with autograd and keep the recorded tensors attached to the graph, so gradients of the
  // model output with respect to them can be taken (Fisher weights).
  bool differentiable = false;
};

class ActivationCapture {
 public:
  // Builds the capture graph once; run() may then be called for many batches.
  explicit ActivationCapture(const Model& model, CaptureOptions options = {});
  ~ActivationCapture();
  ActivationCapture(const ActivationCapture&) = delete;
  ActivationCapture& operator=(const ActivationCapture&) = delete;

  CaptureResult run(const at::Tensor& input);

  // Blocks whose call could not be observed (non-tensor output or arguments), with the reason.
  const std::map<std::string, std::string>& skippedBlocks() const;
  // Whether run() enables autograd to avoid fused attention kernels.
  bool usesAutogradPath() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> d;
};

// Records in `summary` (the model's own, or a copy) the shapes of the tensors one sample makes
// flow: the model's input and output, each layer's input and output (of its first call), and each
// layer's multiply-accumulates (every call); a layer no call of which ran keeps none (macs -1).
// `sample` is one sample with its batch dimension (a larger batch is cut to its first sample);
// shapes are recorded with batch dimension 1. Throws InputShapeMismatch when the sample does not
// fit the model, leaving `summary` as it was.
void recordShapes(const Model& model, const at::Tensor& sample, ModelSummary& summary);
// The same with the first sample of `data`; false (and `summary` as it was) when the data is
// empty, cannot be read or does not fit the model.
bool recordShapes(const Model& model, const Dataset& data, ModelSummary& summary);

// Applies a quantizable layer's op (conv1d/conv2d/linear with its recorded attributes) to x.
at::Tensor applyLayer(const LayerInfo& layer, const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias);

}  // namespace roundlab
