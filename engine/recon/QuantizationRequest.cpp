#include "engine/recon/QuantizationRequest.h"

#include "engine/EnumNames.h"
#include "engine/Error.h"

namespace roundlab {

const char* quantMethodName(QuantMethod m) {
  switch (m) {
    case QuantMethod::Rtn:
      return "rtn";
    case QuantMethod::AdaRound:
      return "adaround";
    case QuantMethod::Brecq:
      return "brecq";
    case QuantMethod::Gptq:
      return "gptq";
  }
  return "?";
}

QuantMethod parseQuantMethod(const std::string& name) {
  if (name == "rtn") return QuantMethod::Rtn;
  if (name == "adaround") return QuantMethod::AdaRound;
  if (name == "brecq") return QuantMethod::Brecq;
  if (name == "gptq") return QuantMethod::Gptq;
  throw Error(ErrorCode::InvalidArgument,
              "unknown method '" + name + "' (this build knows rtn, adaround, brecq, gptq)");
}

const char* reconInputName(ReconInput i) { return i == ReconInput::Quantized ? "quantized" : "fp"; }

ReconInput parseReconInput(const std::string& name) {
  return parseEnumName<ReconInput>(name, "input",
                                   {{"quantized", ReconInput::Quantized}, {"fp", ReconInput::FloatingPoint}});
}

const char* blockLossName(BlockLoss l) { return l == BlockLoss::Mse ? "mse" : "fisher"; }

BlockLoss parseBlockLoss(const std::string& name) {
  return parseEnumName<BlockLoss>(name, "block loss", {{"mse", BlockLoss::Mse}, {"fisher", BlockLoss::Fisher}});
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
