#pragma once
// Value types describing a loaded model: its quantizable layers, blocks and the parameters that
// stay in floating point. Torch-free so that widgets and the CLI can use them directly.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/EnumTable.h"
#include "engine/core/Shape.h"

namespace roundlab {

// MatmulWeight: a parameter multiplied in by aten::addmm / mm / matmul (Hugging Face's Conv1D,
// hand-written projections); quantized as a linear layer.
enum class LayerKind { Conv1d, Conv2d, Linear, AttentionInProj, AttentionOutProj, MatmulWeight };

const EnumTable<LayerKind>& layerKindTable();
inline const char* layerKindName(LayerKind kind) { return layerKindTable().name(kind); }
struct LayerInfo;
// What a layer is, for people: the kind's name, or for a matmul weight its module and op
// ("Conv1D (addmm)").
std::string layerKindText(const LayerInfo& layer);

struct ConvAttributes {
  std::vector<int64_t> stride;
  std::vector<int64_t> padding;  // empty when paddingString is set
  std::string paddingString;     // "same" / "valid" for string padding, else empty
  std::vector<int64_t> dilation;
  int64_t groups = 1;
  bool depthwise = false;  // groups == in_channels == out_channels / multiplier
};

struct LayerInfo {
  std::string name;  // module path, e.g. "layer1.0.conv1", "layers.0.self_attn.in_proj"
  LayerKind kind = LayerKind::Linear;
  std::string moduleType;  // normalised TorchScript type of the owning module
  std::string op;          // the op that applies it: "conv2d", "linear", "addmm", "matmul", ...
  std::string weightPath;  // parameter path, e.g. "layer1.0.conv1.weight"
  // The parameter is stored [in, out] (Conv1D, x @ W): weightShape, Model::weight and every
  // quantized grid use the [out, in] layout of a linear layer all the same, so that output
  // features are the rows everywhere; only the stored parameter is the transpose.
  bool weightTransposed = false;
  std::string biasPath;              // empty when the layer has no bias
  std::vector<int64_t> weightShape;  // [out, in, kernel...]
  int64_t params = 0;                // weight elements (bias excluded: it stays in floating point)
  std::optional<ConvAttributes> conv;
  std::string block;  // enclosing block for block reconstruction, empty if none
  int callSites = 1;  // graph call sites that use the whole weight
  // Other parameter names holding the same tensor (a tied token embedding): they take this
  // layer's quantized values, since they are the same memory.
  std::vector<std::string> tiedWith;
  // The tensors one sample (batch dimension 1) makes the layer read and write, and its
  // multiply-accumulates for that sample (every call counted): recorded by running the model
  // (recordShapes, engine/capture/ActivationCapture.h); empty and -1 until then.
  std::vector<int64_t> inputShape, outputShape;
  int64_t macs = -1;
};

// Multiply-accumulates of one call of `layer` that writes a tensor of shape `output` for one
// sample: each output element sums weight-in-features products (conv: in/groups × kernel).
int64_t layerMacs(const LayerInfo& layer, const std::vector<int64_t>& output);

struct BlockInfo {
  std::string name;        // module path, e.g. "layer1.0"
  std::string moduleType;  // e.g. "BasicBlock", "TransformerEncoderLayer"
  std::vector<std::string> layers;
};

struct UnquantizedParameter {
  std::string name;
  std::vector<int64_t> shape;
  std::string reason;
};

// A dataflow edge between quantizable layers: `to` reads a tensor computed from `from`'s output
// through ops that are not quantizable layers (activations, additions, pooling, reshapes).
// kModelInput and kModelOutput stand for the model's inputs and outputs.
struct DataflowEdge {
  std::string from, to;
  bool operator==(const DataflowEdge& o) const { return from == o.from && to == o.to; }
  bool operator<(const DataflowEdge& o) const { return from != o.from ? from < o.from : to < o.to; }
};
inline const char* const kModelInput = "(input)";
inline const char* const kModelOutput = "(output)";

// An embedding table the forward graph looks up (aten::embedding): its parameter and rows.
struct EmbeddingTable {
  std::string name;
  int64_t rows = 0, columns = 0;
  bool found() const { return rows > 0; }
};

struct ModelSummary {
  std::string path;
  std::string rootType;
  // A language model's tables: the one the model's input indexes (token ids), and one indexed by
  // positions (aten::arange), whose rows are the longest sequence the model accepts.
  EmbeddingTable tokenTable, positionTable;
  // Every table an aten::embedding looks up that is no layer's weight (a token table tied to the
  // LM head is that layer's): floating point unless a request quantizes them per row.
  std::vector<EmbeddingTable> embeddingTables;
  std::vector<LayerInfo> layers;
  std::vector<BlockInfo> blocks;
  std::vector<UnquantizedParameter> notQuantized;
  std::vector<DataflowEdge> dataflow;  // sorted, each edge once
  int64_t totalParams = 0;             // every parameter
  int64_t quantizableParams = 0;
  // The model's input (one sample of the data the shapes were recorded with, batch dimension 1)
  // and output; empty until recordShapes, as are the layers' shapes.
  std::vector<int64_t> inputShape, outputShape;
  // Which output of a model returning a tuple or dict is its logits (ModelOutput.h; empty: the
  // first, or "logits").
  std::string outputChoice;

  const LayerInfo* findLayer(const std::string& name) const;
  bool hasShapes() const { return !inputShape.empty(); }
  // Takes the recorded shapes and multiply-accumulates of `shaped` (the same model), layer by name.
  void copyShapes(const ModelSummary& shaped);
};

}  // namespace roundlab
