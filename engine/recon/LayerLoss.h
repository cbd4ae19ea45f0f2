#pragma once
// A layer's reconstruction loss on its calibration inputs, computed in slices of rows when its
// output is large: a language model's head over the calibration set writes a GB of logits, and
// the loss's temporaries as much again each (they set GPTQ's peak memory at scale).
#include <cstdint>

namespace at {
class Tensor;
}

namespace roundlab {

struct LayerInfo;

// Outputs above this many elements are computed a slice of rows at a time (1 GiB of float).
constexpr int64_t kLayerLossSliceElements = int64_t(1) << 28;

// reconstructionLoss(applyLayer(layer, inputs, weight, bias), targets) (RoundingVariable.h), the
// output computed `sliceElements` values at a time when it holds more; the same value up to the
// order of the float sums.
double layerReconstructionLoss(const LayerInfo& layer, const at::Tensor& inputs, const at::Tensor& weight,
                               const at::Tensor& bias, const at::Tensor& targets,
                               int64_t sliceElements = kLayerLossSliceElements);

}  // namespace roundlab
