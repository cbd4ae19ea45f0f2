#include "engine/quant/WeightGridHdf5.h"

#include <cmath>

#include <torch/torch.h>

#include "engine/core/Error.h"
#include "engine/core/NumberText.h"
#include "engine/core/Shape.h"

#include "engine/io/Hdf5Io.h"

namespace roundlab::hdf5 {

void validateCodesAndGrid(const at::Tensor& codes, const WeightGrid& grid) {
  auto bad = [](const std::string& what) { throw Error(ErrorCode::BadDataFile, what); };
  if (grid.bits < 2 || grid.bits > 8)
    bad("claims " + std::to_string(grid.bits) + " bits; RoundLab grids have 2 to 8 bits");
  if (std::make_pair(grid.qmin, grid.qmax) != codeRange(grid.bits, true) &&
      std::make_pair(grid.qmin, grid.qmax) != codeRange(grid.bits, false))
    bad("code range [" + std::to_string(grid.qmin) + ", " + std::to_string(grid.qmax) + "] is not that of a " +
        std::to_string(grid.bits) + "-bit grid");
  if (!(std::isfinite(grid.exponent) && grid.exponent > 0))
    bad("grid exponent " + shortNumber(grid.exponent) + " is not positive");
  if (codes.numel() == 0) bad("has no codes");
  const int64_t lo = codes.min().item<int64_t>(), hi = codes.max().item<int64_t>();
  if (lo < grid.qmin || hi > grid.qmax)
    bad("codes lie outside the grid's range [" + std::to_string(grid.qmin) + ", " + std::to_string(grid.qmax) +
        "] (found " + std::to_string(lo < grid.qmin ? lo : hi) + ")");
  if (codes.sizes().vec() != grid.weightShape)
    bad("codes of shape " + formatShape(codes.sizes().vec()) + " do not have the grid's weight shape " +
        formatShape(grid.weightShape));
  std::vector<int64_t> rows;
  try {
    rows = grid.view(codes).sizes().vec();
  } catch (const std::exception&) {
    bad("codes of shape " + formatShape(codes.sizes().vec()) + " do not fit its " + granularityName(grid.granularity) +
        " grid");
  }
  const std::vector<int64_t> expected{rows[0], rows[1], 1};
  if (grid.scale.sizes().vec() != expected || grid.zeroPoint.sizes().vec() != expected)
    bad("codes of shape " + formatShape(codes.sizes().vec()) + " and " + std::to_string(grid.scale.numel()) +
        " scales do not fit together (expected " + std::to_string(rows[0] * rows[1]) + " scales)");
  if (!at::isfinite(grid.scale).all().item<bool>() || !(grid.scale.min().item<double>() > 0))
    bad("grid scales are not all positive finite numbers");
  if (!at::isfinite(grid.zeroPoint).all().item<bool>()) bad("grid zero points are not all finite");
}

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
  validateCodesAndGrid(codes, grid);
  return {codes, grid};
}

}  // namespace roundlab::hdf5
