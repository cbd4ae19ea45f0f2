#pragma once
// Activation quantization as values (torch-free, for requests, results and session files).
//
// RoundLab quantizes the input of every quantized layer (what an integer conv/linear kernel
// reads: the outputs of ReLUs, pooling, norms and blocks), per tensor, with a step learned by
// LSQ during reconstruction (algorithms.md §2 "Activation quantization and QDrop").
#include <cstdint>

namespace roundlab {

struct ActivationQuantConfig {
  int bits = 0;  // 0: activations stay at full precision (A32)
  // QDrop: probability that an activation element takes its quantized value during
  // reconstruction (1 = plain quantization, no dropping). Negative: the method's default
  // (0.5 for qdrop, 1 otherwise).
  double dropProbability = -1;
  double learningRate = 4e-5;  // Adam on the LSQ steps, cosine decay to 0
  double lpNorm = 2.4;         // range initialisation: L_p search over shrunk ranges
  bool enabled() const { return bits > 0; }
};

// A fitted per-tensor activation quantizer: x^ = s * clamp(round(x / s), qmin, qmax)
// (zero point 0; qmin = 0 for non-negative inputs, -2^(b-1) otherwise).
struct ActivationQuantParams {
  int bits = 0;  // 0: not quantized
  double scale = 0;
  int64_t qmin = 0, qmax = 0;
  bool enabled() const { return bits > 0; }
};

}  // namespace roundlab
