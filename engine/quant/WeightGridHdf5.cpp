#include "engine/quant/WeightGridHdf5.h"

#include <torch/torch.h>

#include "engine/io/Hdf5Io.h"

namespace roundlab::hdf5 {

void writeCodesAndGrid(H5::Group& g, const at::Tensor& codes, const WeightGrid& grid) {
  writeInt(g, "bits", grid.bits);
  writeDouble(g, "exponent", grid.exponent);
  writeString(g, "granularity", granularityName(grid.granularity));
  writeInt(g, "group_size", grid.groupSize);
  writeInt(g, "qmin", grid.qmin);
  writeInt(g, "qmax", grid.qmax);
  const bool fitsInt8 = grid.qmin >= -128 && grid.qmax <= 127;
  writeTensor(g, "codes", codes.to(fitsInt8 ? at::kChar : at::kShort));
  writeTensor(g, "scale", grid.scale.squeeze(-1).to(at::kFloat));
  writeTensor(g, "zero_point", grid.zeroPoint.squeeze(-1).to(at::kInt));
}

std::pair<at::Tensor, WeightGrid> readCodesAndGrid(const H5::Group& g) {
  WeightGrid grid;
  const at::Tensor codes = readTensor(g, "codes").to(at::kInt);
  grid.weightShape = codes.sizes().vec();
  grid.granularity = parseGranularity(readString(g, "granularity"));
  grid.groupSize = readInt(g, "group_size");
  grid.bits = static_cast<int>(readInt(g, "bits"));
  grid.exponent = readDouble(g, "exponent");
  grid.qmin = readInt(g, "qmin");
  grid.qmax = readInt(g, "qmax");
  grid.scale = readTensor(g, "scale").to(at::kFloat).unsqueeze(-1);
  grid.zeroPoint = readTensor(g, "zero_point").to(at::kFloat).unsqueeze(-1);
  return {codes, grid};
}

}  // namespace roundlab::hdf5
