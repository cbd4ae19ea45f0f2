#pragma once
// A layer's integer codes (the smallest integer type that holds its range) and grid parameters
// in an HDF5 group: shared by quantized-model exports and session files.
#include <H5Cpp.h>

#include <utility>

#include <torch/types.h>

#include "engine/quant/WeightGrid.h"

namespace roundlab::hdf5 {

void writeCodesAndGrid(H5::Group& g, const at::Tensor& codes, const WeightGrid& grid);
std::pair<at::Tensor, WeightGrid> readCodesAndGrid(const H5::Group& g);

}  // namespace roundlab::hdf5
