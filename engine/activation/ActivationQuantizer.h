#pragma once
// Per-tensor activation quantizer with a learnable step size (LSQ, Esser et al. 2020):
//   x^ = s * clamp(round(x/s), qmin, qmax), rounding with a straight-through estimator and the
//   step's gradient scaled by g = 1 / sqrt(numel * qmax)                       (LSQ eq. 3-5)
// unsigned codes [0, 2^b - 1] after ReLU-like (non-negative) activations, signed
// [-2^(b-1), 2^(b-1) - 1] otherwise; the step starts from the L_p range search on calibration
// activations. QDrop (Wei et al. 2022) mixes quantized and FP values elementwise during
// reconstruction.
#include <torch/torch.h>

#include "engine/activation/ActivationQuantConfig.h"

namespace roundlab {

class ActivationQuantizer {
 public:
  // Fits the step to calibration activations: the max |x| shrunk in 1% steps, keeping the
  // candidate with the smallest sum |x - Q(x)|^p. `isUnsigned` when all activations are >= 0.
  ActivationQuantizer(const at::Tensor& calibration, int bits, double p = 2.4, int candidates = 80);

  at::Tensor forward(const at::Tensor& x) const;  // differentiable in x (STE) and in the step
  at::Tensor& step() { return step_; }            // learnable, requires grad
  const at::Tensor& step() const { return step_; }
  double stepValue() const { return step_.item<double>(); }
  int64_t qmin() const { return qmin_; }
  int64_t qmax() const { return qmax_; }
  bool isUnsigned() const { return qmin_ == 0; }
  // The fitted (or learned) quantizer as a value: what evaluation and export use.
  ActivationQuantParams params() const;

 private:
  int bits_ = 0;
  int64_t qmin_ = 0, qmax_ = 0;
  at::Tensor step_;
};

// A fixed quantizer applied as evaluation and export apply it (aten::fake_quantize_per_tensor_affine);
// x unchanged when p is disabled.
at::Tensor fakeQuantizeActivation(const at::Tensor& x, const ActivationQuantParams& p);

// QDrop: each element takes its quantized value with probability p, its FP value otherwise
// (p = 1: plain quantization).
at::Tensor qdropMix(const at::Tensor& fp, const at::Tensor& quantized, double p, at::Generator& generator);

}  // namespace roundlab
