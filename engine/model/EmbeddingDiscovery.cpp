// A language model's embedding tables: which aten::embedding the model's input indexes (the token
// table) and which one positions index (aten::arange: the position table, whose rows bound the
// sequence length), used to explain data that does not fit in the model's own terms; and every
// table that is no layer's weight, which a request can quantize per row.
#include <algorithm>
#include <set>

#include <torch/csrc/jit/passes/inliner.h>

#include "engine/model/GraphPaths.h"
#include "engine/model/ModelInternals.h"

namespace roundlab {

namespace {

using torch::jit::Node;
using torch::jit::Value;

enum class IndexSource { Other, ModelInput, Positions };

// Where an embedding's indices come from, through a few ops that keep their values.
IndexSource indexSource(const Value* v) {
  using namespace c10;
  static const std::set<Symbol> passThrough{aten::to,        aten::contiguous,     aten::view,     aten::reshape,
                                            aten::unsqueeze, aten::expand,         aten::slice,    aten::add,
                                            aten::type_as,   prim::unchecked_cast, aten::expand_as};
  for (int depth = 0; depth < 8; ++depth) {
    const Node* n = v->node();
    if (n->kind() == prim::Param)
      return n->owningBlock()->owningNode() == nullptr && v->offset() == 1 ? IndexSource::ModelInput
                                                                           : IndexSource::Other;
    if (n->kind() == aten::arange) return IndexSource::Positions;
    if (!passThrough.count(n->kind()) || n->inputs().empty()) return IndexSource::Other;
    v = n->input(0);
  }
  return IndexSource::Other;
}

}  // namespace

void discoverEmbeddings(const torch::jit::Module& module, ModelSummary& summary) {
  std::set<std::string> layerWeights;  // a tied token table is quantized as its LM head
  for (const LayerInfo& l : summary.layers) {
    layerWeights.insert(l.weightPath);
    layerWeights.insert(l.tiedWith.begin(), l.tiedWith.end());
  }
  std::set<std::string> parameters;  // a buffer looked up (a fixed table) is not the model's to change
  for (const auto& p : module.named_parameters(/*recurse=*/true)) parameters.insert(p.name);
  auto graph = module.get_method("forward").graph()->copy();
  torch::jit::Inline(*graph);
  forEachNode(graph->block(), [&](Node* n) {
    if (n->kind() != c10::aten::embedding || n->inputs().size() < 2) return;
    const auto weight = weightSource(n->input(0));
    if (!weight || weight->derived) return;
    const c10::IValue table = attributeAt(module, weight->path);
    if (!table.isTensor() || table.toTensor().dim() != 2) return;
    const EmbeddingTable found{weight->path, table.toTensor().size(0), table.toTensor().size(1)};
    const bool listed = std::any_of(summary.embeddingTables.begin(), summary.embeddingTables.end(),
                                    [&](const EmbeddingTable& t) { return t.name == found.name; });
    if (!listed && !layerWeights.count(found.name) && parameters.count(found.name))
      summary.embeddingTables.push_back(found);
    switch (indexSource(n->input(1))) {
      case IndexSource::ModelInput:
        if (!summary.tokenTable.found()) summary.tokenTable = found;
        break;
      case IndexSource::Positions:
        if (!summary.positionTable.found()) summary.positionTable = found;
        break;
      case IndexSource::Other:
        break;
    }
  });
  for (UnquantizedParameter& p : summary.notQuantized)
    if (std::any_of(summary.embeddingTables.begin(), summary.embeddingTables.end(),
                    [&](const EmbeddingTable& t) { return t.name == p.name; }))
      p.reason =
          "embedding table (a lookup, not a conv/linear/matmul weight; a run quantizes it per row when asked: "
          "embedding bits)";
}

}  // namespace roundlab
