#pragma once
// Embedding tables quantized per row on request (QuantizationRequest::embeddingBits). A lookup's
// output is one row of its table: with one-hot inputs a table's layer-wise reconstruction loss is
// each row's own squared error, which rounding to nearest already minimises, so tables are rounded
// to nearest whatever the method.
#include <vector>

#include "engine/pipeline/QuantizationRequest.h"

namespace roundlab {

class Model;
struct QuantizedWeights;

// Quantizes every table of model.summary().embeddingTables in place when the request asks for
// embedding bits (nothing otherwise), recording codes and grids in `weightsOut` when given.
std::vector<TableOutcome> quantizeEmbeddingTables(Model& model, const QuantizationRequest& request,
                                                  QuantizedWeights* weightsOut);

}  // namespace roundlab
