#pragma once
// A layer's integer codes (the smallest integer type that holds its range) and grid parameters
// in an HDF5 group: shared by quantized-model exports and session files.
#include <H5Cpp.h>

#include <utility>

#include <torch/types.h>

#include "engine/quant/WeightGrid.h"

namespace roundlab::hdf5 {

void writeCodesAndGrid(H5::Group& g, const at::Tensor& codes, const WeightGrid& grid);
// Throws BadDataFile when the stored codes and grid do not make a valid layer (see below).
std::pair<at::Tensor, WeightGrid> readCodesAndGrid(const H5::Group& g);
// Codes and grid read from a file must agree: 2-8 bits, the code range of that width, every code
// inside it, one positive finite scale per row/group of the codes' shape. Throws BadDataFile
// with what is wrong (the caller adds the file and layer).
void validateCodesAndGrid(const at::Tensor& codes, const WeightGrid& grid);

}  // namespace roundlab::hdf5
