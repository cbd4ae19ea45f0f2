#include "engine/recon/GptqQuantizer.h"

#include <torch/torch.h>

#include "engine/core/Error.h"

namespace roundlab {

namespace {

// Columns [N', K] of the layer's input, K matching the weight flattened to [out, K].
at::Tensor inputColumns(const LayerInfo& layer, const at::Tensor& x) {
  if (!layer.conv) return x.reshape({-1, x.size(-1)}).to(at::kDouble);
  const ConvAttributes& c = *layer.conv;
  at::Tensor x4 = layer.kind == LayerKind::Conv1d ? x.unsqueeze(2) : x;
  auto pair = [&](const std::vector<int64_t>& v) {
    return layer.kind == LayerKind::Conv1d ? std::vector<int64_t>{1, v.at(0)} : v;
  };
  const std::vector<int64_t> kernel = layer.kind == LayerKind::Conv1d
                                          ? std::vector<int64_t>{1, layer.weightShape[2]}
                                          : std::vector<int64_t>{layer.weightShape[2], layer.weightShape[3]};
  const at::Tensor cols = at::im2col(x4, kernel, pair(c.dilation), pair(c.padding), pair(c.stride));  // [N, K, L]
  return cols.transpose(1, 2).reshape({-1, cols.size(1)}).to(at::kDouble);
}

}  // namespace

bool gptqSupports(const LayerInfo& layer) {
  return !layer.conv || (layer.conv->groups == 1 && layer.conv->paddingString.empty());
}

at::Tensor layerHessian(const LayerInfo& layer, const at::Tensor& inputs) {
  if (!gptqSupports(layer))
    throw Error(ErrorCode::InvalidArgument, "GPTQ does not support the grouped or string-padded layer " + layer.name);
  const at::Tensor cols = inputColumns(layer, inputs);
  return cols.t().mm(cols).mul_(2.0 / static_cast<double>(cols.size(0)));
}

at::Tensor gptqCodes(const LayerInfo& layer, const at::Tensor& weight, const at::Tensor& inputs, const WeightGrid& grid,
                     const GptqConfig& config) {
  torch::NoGradGuard noGrad;
  const int64_t rows = weight.size(0);
  at::Tensor W = weight.detach().reshape({rows, -1}).to(at::kDouble).clone();
  const int64_t K = W.size(1);
  at::Tensor H = layerHessian(layer, inputs);
  // Columns that never see input: any value works, fix them to avoid a singular H.
  const at::Tensor dead = H.diagonal().eq(0);
  H.diagonal().masked_fill_(dead, 1.0);
  W.index_put_({torch::indexing::Slice(), dead}, 0.0);
  H.diagonal().add_(config.damping * H.diagonal().mean().item<double>());
  at::Tensor perm;
  if (config.descendingOrder) {
    perm = std::get<1>(H.diagonal().sort(0, /*descending=*/true));
    W = W.index_select(1, perm);
    H = H.index_select(0, perm).index_select(1, perm);
  }
  const at::Tensor U = at::linalg_cholesky(at::cholesky_inverse(at::linalg_cholesky(H)), /*upper=*/true);

  // Per-column grid parameters: scale/zero point of each row for the column's group.
  const at::Tensor scale = grid.scale.to(at::kDouble).reshape({grid.scale.size(0), grid.scale.size(1)});
  const at::Tensor zero = grid.zeroPoint.to(at::kDouble).reshape({grid.zeroPoint.size(0), grid.zeroPoint.size(1)});
  const int64_t groupCols = grid.granularity == Granularity::PerGroup ? grid.groupSize : K;
  auto quantizeColumn = [&](const at::Tensor& w, int64_t originalColumn) {
    const int64_t g = grid.granularity == Granularity::PerGroup ? originalColumn / groupCols : 0;
    const at::Tensor s = scale.select(1, g), z = zero.select(1, g);
    const at::Tensor t = powerTransform(w, grid.exponent);
    const at::Tensor q = (t / s).round().add(z).clamp(static_cast<double>(grid.qmin), static_cast<double>(grid.qmax));
    return powerInverse((q - z) * s, grid.exponent);
  };
  at::Tensor Q = at::zeros_like(W);
  for (int64_t b0 = 0; b0 < K; b0 += config.blockSize) {
    const int64_t b1 = std::min(K, b0 + config.blockSize);
    at::Tensor Wb = W.slice(1, b0, b1).clone(), Err = at::zeros_like(Wb);
    for (int64_t i = 0; i < b1 - b0; ++i) {
      const int64_t col = b0 + i;
      const at::Tensor w = Wb.select(1, i);
      const at::Tensor q = quantizeColumn(w, perm.defined() ? perm[col].item<int64_t>() : col);
      Q.select(1, col).copy_(q);
      const double d = U[col][col].item<double>();
      const at::Tensor err = (w - q) / d;
      if (i + 1 < b1 - b0) Wb.slice(1, i + 1).sub_(err.unsqueeze(1).mm(U[col].slice(0, col + 1, b1).unsqueeze(0)));
      Err.select(1, i).copy_(err);
    }
    if (b1 < K) W.slice(1, b1).sub_(Err.mm(U.slice(0, b0, b1).slice(1, b1)));
  }
  if (perm.defined()) Q = Q.index_select(1, std::get<1>(perm.sort()));
  return quantizeToCodes(Q.reshape(weight.sizes()).to(at::kFloat), grid);
}

}  // namespace roundlab
