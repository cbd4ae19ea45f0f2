#pragma once
// Exports of a quantized model's weights (docs/quantized-model-format.md):
//  - an HDF5 file with integer codes and grid parameters per layer, validated by reading it back
//    and comparing the dequantized weights with the model's, bit for bit;
//  - an encodings JSON in the per-tensor style other toolchains read (bitwidth, scale, offset,
//    min, max, is_symmetric; one entry per channel/group);
//  - a CSV of the per-layer results.
// Every file is written atomically (engine/core/AtomicFile.h).
#include <string>

#include "engine/pipeline/QuantizationRequest.h"
#include "engine/quant/QuantizedWeights.h"

namespace roundlab {

class Model;

struct QuantizedExportInfo {
  std::string method;
  uint64_t seed = 0;
  std::string modelPath;
};

// Throws WriteFailed, or Internal when the written file does not reproduce the model's weights.
void exportQuantizedHdf5(const std::string& path, const Model& model, const QuantizedWeights& weights,
                         const QuantizedExportInfo& info);
// Reads such a file back: layer -> dequantized weight; and the embedding tables quantized per row,
// parameter -> dequantized table (empty when the run kept them in floating point).
std::map<std::string, at::Tensor> readQuantizedHdf5(const std::string& path);
std::map<std::string, at::Tensor> readQuantizedTablesHdf5(const std::string& path);

void exportEncodingsJson(const std::string& path, const Model& model, const QuantizedWeights& weights);
void exportResultsCsv(const std::string& path, const QuantizationResult& result);

}  // namespace roundlab
