#include "engine/pipeline/EmbeddingQuantization.h"

#include <cmath>
#include <limits>

#include <torch/torch.h>

#include "engine/model/Model.h"
#include "engine/quant/PowerGrid.h"
#include "engine/quant/QuantizedWeights.h"
#include "engine/quant/WeightGrid.h"

namespace roundlab {

std::vector<TableOutcome> quantizeEmbeddingTables(Model& model, const QuantizationRequest& request,
                                                  QuantizedWeights* weightsOut) {
  std::vector<TableOutcome> out;
  if (request.embeddingBits == 0) return out;
  torch::NoGradGuard noGrad;
  for (const EmbeddingTable& t : model.summary().embeddingTables) {
    const at::Tensor table = model.embeddingTable(t.name).detach();
    // Rows are a table's output features: one grid per row, whatever the layers' granularity (a
    // group size need not divide a table's width).
    WeightQuantConfig config = request.weights;
    config.bits = request.embeddingBits;
    config.granularity = Granularity::PerChannel;
    const WeightGrid grid = fitWeightGrid(table, config);
    const at::Tensor codes = quantizeToCodes(table, grid);
    const at::Tensor values = dequantize(codes, grid);
    double signal = 0, noise = 0;  // in slices of rows: no double copy of a large table
    for (int64_t row = 0; row < t.rows; row += 4096) {
      const at::Tensor w = table.slice(0, row, row + 4096).to(at::kFloat);
      signal += w.pow(2).sum(at::kDouble).item<double>();
      noise += (w - values.slice(0, row, row + 4096).to(at::kFloat)).pow(2).sum(at::kDouble).item<double>();
    }
    model.setEmbeddingTable(t.name, values.to(table.scalar_type()));
    if (weightsOut) {
      weightsOut->tableCodes[t.name] = codes;
      weightsOut->tableGrids[t.name] = grid;
    }
    out.push_back({t.name, request.embeddingBits, t.rows, t.columns,
                   noise > 0 ? 10 * std::log10(signal / noise) : std::numeric_limits<double>::infinity()});
  }
  return out;
}

}  // namespace roundlab
