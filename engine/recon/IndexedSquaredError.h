#pragma once
// The reconstruction loss against rows of the calibration targets picked by index, read in place:
// reconstructionLoss(prediction, targets.index_select(0, index)) without gathering the targets,
// as one autograd operation whose forward pass also writes the gradient (so its backward is
// free). The gather, the squared error, its reduction and scaling are otherwise six operations
// and a copy of the batch's targets on every reconstruction step.
#include <torch/torch.h>

namespace roundlab {

// prediction [B, ...] float32, targets [N, ...] float32 with the same trailing shape, index [B]
// (int64, values in [0, N)); other inputs fall back to the gathering form.
at::Tensor indexedReconstructionLoss(const at::Tensor& prediction, const at::Tensor& targets, const at::Tensor& index);

}  // namespace roundlab
