#include "engine/recon/LayerLoss.h"

#include <algorithm>

#include <torch/torch.h>

#include "engine/capture/ActivationCapture.h"
#include "engine/rounding/RoundingVariable.h"

namespace roundlab {

double layerReconstructionLoss(const LayerInfo& layer, const at::Tensor& inputs, const at::Tensor& weight,
                               const at::Tensor& bias, const at::Tensor& targets, int64_t sliceElements) {
  torch::NoGradGuard noGrad;
  if (targets.numel() <= sliceElements || targets.dim() < 2)
    return reconstructionLoss(applyLayer(layer, inputs, weight, bias), targets).item<double>();
  // reconstructionLoss is the total squared error over numel / size(1) (its mean over every
  // dimension but 1 of the sum over dimension 1): the total is summed slice by slice.
  const int64_t rows = targets.size(0);
  const int64_t step = std::max<int64_t>(1, sliceElements / std::max<int64_t>(1, targets.numel() / rows));
  double total = 0;
  for (int64_t i = 0; i < rows; i += step)
    total += at::mse_loss(applyLayer(layer, inputs.slice(0, i, i + step), weight, bias), targets.slice(0, i, i + step),
                          at::Reduction::Sum)
                 .item<double>();
  return total / (static_cast<double>(targets.numel()) / static_cast<double>(targets.size(1)));
}

}  // namespace roundlab
