#include "engine/pipeline/QuantizationRequest.h"

#include <algorithm>

#include "engine/core/Error.h"

namespace roundlab {

const EnumTable<QuantMethod>& quantMethodTable() {
  static const EnumTable<QuantMethod> t{
      "method",
      {{QuantMethod::Rtn, "rtn", "round to nearest"},
       {QuantMethod::AdaRound, "adaround", "learned rounding, layer by layer"},
       {QuantMethod::Brecq, "brecq", "learned rounding, block by block"},
       {QuantMethod::Qdrop, "qdrop", "BRECQ with learned activation steps and QDrop; needs activation bits"},
       {QuantMethod::Gptq, "gptq", "second-order rounding, column by column"},
       {QuantMethod::Recommended, "recommended",
        "block reconstruction of a straight-through offset with learned steps and bias, QDrop with activation bits, "
        "stopping when the rounding settles"}}};
  return t;
}
const EnumTable<ReconInput>& reconInputTable() {
  static const EnumTable<ReconInput> t{"input",
                                       {{ReconInput::Quantized, "quantized", "the quantized model's inputs"},
                                        {ReconInput::FloatingPoint, "fp", "the FP model's inputs"}}};
  return t;
}
const EnumTable<BlockLoss>& blockLossTable() {
  static const EnumTable<BlockLoss> t{
      "block loss", {{BlockLoss::Mse, "mse", ""}, {BlockLoss::Fisher, "fisher", "weighted by |dKL/d output| + 1"}}};
  return t;
}

std::map<std::string, int> resolveBits(const QuantizationRequest& request, const std::vector<std::string>& layers) {
  std::map<std::string, int> bits;
  for (const std::string& l : layers) bits[l] = request.weights.bits;
  if (request.firstLastEightBit && !layers.empty()) {
    bits[layers.front()] = 8;
    bits[layers.back()] = 8;
  }
  for (const auto& [name, b] : request.bits) {
    if (!bits.count(name))
      throw Error(ErrorCode::UnknownLayer, "--bits names '" + name + "', which is not a quantizable layer");
    bits[name] = b;
  }
  return bits;
}

}  // namespace roundlab

namespace roundlab {

std::map<std::string, int> resolveActivationBits(const QuantizationRequest& request,
                                                 const std::vector<std::string>& layers) {
  std::map<std::string, int> bits;
  for (const std::string& l : layers) bits[l] = request.activations.bits;
  if (request.activations.enabled() && request.firstLastEightBit && !layers.empty()) {
    bits[layers.front()] = std::max(8, request.activations.bits);
    bits[layers.back()] = std::max(8, request.activations.bits);
  }
  return bits;
}

QuantizationRequest recommendedSettings(QuantizationRequest r) {
  r.method = QuantMethod::Recommended;
  r.adaround.variable = RoundingVariableKind::AdditiveOffset;
  r.adaround.freedom = DegreesOfFreedom::RoundingStepAndBias;
  r.adaround.iterations = kRecommendedIterationCap;
  r.adaround.stopWhenSettled = true;
  r.adaround.learningRate = kRecommendedLearningRate;
  r.activations.learningRate = kRecommendedActivationLearningRate;
  return r;
}

bool reconstructsBlocks(QuantMethod m) {
  return m == QuantMethod::Brecq || m == QuantMethod::Qdrop || m == QuantMethod::Recommended;
}

double effectiveDropProbability(const QuantizationRequest& r) {
  if (r.activations.dropProbability >= 0) return r.activations.dropProbability;
  return r.method == QuantMethod::Qdrop || r.method == QuantMethod::Recommended ? 0.5 : 1.0;
}

void validate(const QuantizationRequest& r) {
  validate(r.weights);
  validate(r.adaround);
  const ActivationQuantConfig& a = r.activations;
  if (a.bits != 0 && (a.bits < 2 || a.bits > 16))
    throw Error(ErrorCode::InvalidArgument,
                "activation bits must be 2..16 (or 0 for full precision), not " + std::to_string(a.bits));
  if (r.method == QuantMethod::Qdrop && !a.enabled())
    throw Error(ErrorCode::InvalidArgument,
                "qdrop learns activation quantizers: give the activation bits (e.g. --abits 4); without them "
                "it is brecq");
  if (a.dropProbability >= 0 && (a.dropProbability == 0 || a.dropProbability > 1))
    throw Error(ErrorCode::InvalidArgument, "the QDrop probability must be in (0, 1] (1 = no dropping)");
  if (!(r.outputKlWeight >= 0) || !(r.klTemperature > 0))
    throw Error(ErrorCode::InvalidArgument, "the output KL weight must be >= 0 and its temperature > 0");
  if (a.enabled() && !(a.learningRate > 0))
    throw Error(ErrorCode::InvalidArgument, "the activation step learning rate must be positive");
  if (r.embeddingBits != 0 && (r.embeddingBits < 2 || r.embeddingBits > 8))
    throw Error(ErrorCode::InvalidArgument,
                "embedding bits must be 2..8 (or 0 to keep the tables in floating point), not " +
                    std::to_string(r.embeddingBits));
  if (!(r.gptqDamping > 0 && r.gptqDamping <= 1))
    throw Error(ErrorCode::InvalidArgument,
                "the GPTQ damping must be in (0, 1] (a fraction of the mean Hessian diagonal added to it)");
}

}  // namespace roundlab
