#pragma once
// Inputs of each reconstruction unit as the partially quantized model produces them, in one pass
// over the model for the whole run instead of one full calibration pass per unit.
//
// The model's forward graph (fully inlined, as evaluation runs it) is cut at each unit's first
// op into segments; the values live across a cut (the "frontier": activations, residual
// branches, shapes, the module itself) are kept per calibration batch. Advancing to unit u runs
// only the segment between the previous unit's cut and u's, with the weights and activation
// quantizers of the units done so far, and reads u's inputs out of the new frontier.
//
// Cutting needs every unit to run once per forward at the top level of the graph (not inside a
// branch or loop) and the units' cuts to follow their reconstruction order; build() says why not
// otherwise, and the caller falls back to a capture pass per unit.
#include <memory>
#include <string>
#include <vector>

#include "engine/core/Job.h"
#include "engine/recon/CalibrationActivations.h"

namespace roundlab {

class Model;
class Dataset;

struct PropagationUnit {
  std::string name;  // block name, or layer name
  bool isBlock = false;
  std::vector<std::string> layers;  // a block's layers
  // Whether a block's layers' inputs are returned too (a look-ahead through the block per batch):
  // only their activation quantizers need them.
  bool layerInputs = true;
};

class QuantizedInputPropagation {
 public:
  // nullptr (and *reason) when the graph cannot be cut for these units.
  static std::unique_ptr<QuantizedInputPropagation> build(const Model& model, const std::vector<PropagationUnit>& units,
                                                          std::string* reason);
  ~QuantizedInputPropagation();
  QuantizedInputPropagation(const QuantizedInputPropagation&) = delete;
  QuantizedInputPropagation& operator=(const QuantizedInputPropagation&) = delete;

  // Starts at the graph's inputs: the calibration set in batches of `batch`.
  void start(const Model& model, const Dataset& data, int64_t batch, const CancelToken& cancel);
  // Runs the model (its current weights and activation quantization) from the previous unit's cut
  // to unit `u`'s, and returns u's inputs: the layer's input, or the block's forward arguments
  // and, when the unit asks for them, the inputs of its layers (with the block itself still as it is). Units are
  // advanced in order, each once.
  CalibrationActivations advance(size_t u, const Model& model, const CancelToken& cancel);

 private:
  struct Impl;
  explicit QuantizedInputPropagation(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> d;
};

}  // namespace roundlab
