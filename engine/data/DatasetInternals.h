#pragma once
#include <torch/types.h>

#include "engine/data/DataBatch.h"
#include "engine/data/Dataset.h"

namespace roundlab {

std::unique_ptr<Dataset> openHdf5Dataset(const std::string& path, const DataOptions& options);
std::unique_ptr<Dataset> openIdxDataset(const std::string& path, const DataOptions& options);

// uint8 -> x/255; then (x - mean[c]) / std[c] when info has normalisation. Checks finiteness.
at::Tensor normalizeInputs(const at::Tensor& raw, const DatasetInfo& info);

// Applies DataOptions' normalisation overrides, validating their length against channels.
void applyNormalisationOptions(DatasetInfo& info, const DataOptions& options);

}  // namespace roundlab
