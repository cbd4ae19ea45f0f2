#pragma once
// A weight-quantization run as a value: method, grid settings, per-layer bits, seed. Torch-free,
// so the CLI, the GUI and session files can build and store it.
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine/activation/ActivationQuantConfig.h"
#include "engine/core/EnumTable.h"
#include "engine/data/AugmentedDataset.h"
#include "engine/quant/WeightQuantConfig.h"
#include "engine/rounding/AdaRoundConfig.h"
#include "engine/rounding/RoundingTrace.h"

namespace roundlab {

// Qdrop: block reconstruction with activation quantizers learned alongside the rounding, each
// activation element dropped back to full precision with probability 1 - p while training.
// Recommended: the founding paper's best practices as RoundLab measured them (docs/best-practices.md):
// block reconstruction (with QDrop when activations are quantized) of the straight-through offset
// variable with learned steps and bias, stopping each unit when its rounding has settled. The
// settings live in the request (recommendedSettings) and any one can be changed.
enum class QuantMethod { Rtn, AdaRound, Brecq, Qdrop, Gptq, Recommended };
// Which input a layer is reconstructed on: the FP model's, or the one produced by the already
// quantized earlier layers (the target is always the FP output).
enum class ReconInput { FloatingPoint, Quantized };
// Block reconstruction loss: plain squared error, or weighted by BRECQ's Fisher approximation.
enum class BlockLoss { Mse, Fisher };

const EnumTable<QuantMethod>& quantMethodTable();  // "rtn" | "adaround" | "brecq" | "qdrop" | "gptq" | "recommended"
const EnumTable<ReconInput>& reconInputTable();    // "quantized" | "fp"
const EnumTable<BlockLoss>& blockLossTable();      // "mse" | "fisher"
inline const char* quantMethodName(QuantMethod m) { return quantMethodTable().name(m); }
inline QuantMethod parseQuantMethod(const std::string& name) { return quantMethodTable().parse(name); }
inline const char* reconInputName(ReconInput i) { return reconInputTable().name(i); }
inline ReconInput parseReconInput(const std::string& name) { return reconInputTable().parse(name); }
inline const char* blockLossName(BlockLoss l) { return blockLossTable().name(l); }
inline BlockLoss parseBlockLoss(const std::string& name) { return blockLossTable().parse(name); }

struct QuantizationRequest {
  QuantMethod method = QuantMethod::AdaRound;
  WeightQuantConfig weights;        // default for every layer
  std::map<std::string, int> bits;  // per-layer overrides (take precedence)
  bool firstLastEightBit = true;    // first and last quantized layers at 8 bits
  AdaRoundConfig adaround;
  ActivationQuantConfig activations;  // off (A32) unless bits are set
  ReconInput input = ReconInput::Quantized;
  // How quantized inputs are gathered: one pass through the model cut into segments at the units
  // (where its graph allows), or a calibration pass per unit. Same values; false is for checking.
  bool propagateInputs = true;
  // Calibration activations beyond this many MiB go to a temporary HDF5 file (< 0: never).
  int64_t activationMemoryMiB = 2048;
  BlockLoss blockLoss = BlockLoss::Mse;  // BRECQ only
  // PD-Quant's output-level term: weight of KL(softmax(z_FP/T) || softmax(z_Q/T)) added to each
  // unit's reconstruction loss (0: off), z_Q from the unit's soft output through the rest of the model.
  double outputKlWeight = 0;
  double klTemperature = 4;
  int64_t calibrationCount = 1024;  // samples drawn from the calibration set
  Augmentation augmentation;        // applied to the drawn calibration samples
  int64_t captureBatch = 64;
  // GPTQ: dampening (fraction of the mean Hessian diagonal added to it) and activation order
  // (columns by descending Hessian diagonal, "act-order"; the grid's groups stay in place).
  double gptqDamping = 0.01;
  bool gptqActOrder = false;
  // Embedding tables that are no layer's weight (ModelSummary::embeddingTables): 0 keeps them in
  // floating point; 2..8 rounds each to nearest on a per-row grid of the weights' settings.
  int embeddingBits = 0;
  uint64_t seed = 0;  // calibration subset, batch order
};

// Bits of each layer after the defaults, the first/last rule and the overrides.
std::map<std::string, int> resolveBits(const QuantizationRequest& request, const std::vector<std::string>& layers);
// Input-activation bits of each layer (0: FP): activations.bits, 8 for the first and last layers
// under the first/last rule.
std::map<std::string, int> resolveActivationBits(const QuantizationRequest& request,
                                                 const std::vector<std::string>& layers);
// The recommended method's settings on top of `request` (method, variable, degrees of freedom,
// iteration cap, stopping rule, the learning rates of the rounding variables and of the activation
// steps); everything else stays as given.
QuantizationRequest recommendedSettings(QuantizationRequest request);
constexpr int kRecommendedIterationCap = 100;  // per unit; the stopping rule may end sooner
// The activation steps' learning rate: QDrop's 4e-5 over its 1000 iterations, scaled to the cap so
// that the steps travel as far (4e-5 x 1000 / 100; at 4e-5 the demo ResNet's W4A4 run ends 0.45
// points lower).
constexpr double kRecommendedActivationLearningRate = 4e-4;
// The learning rate of the rounding variables (and of the steps and biases): Adam moves a variable
// by about this much per iteration, so in 100 iterations an offset on W/s can travel half a grid
// step, the farthest any weight is from its other rounding; at the reference's 1e-3 only weights
// within 0.1 of a boundary can flip (docs/best-practices.md: +0.5 to +1.0 points at W2).
constexpr double kRecommendedLearningRate = 5e-3;
// Whether the method reconstructs blocks jointly (brecq, qdrop, recommended).
bool reconstructsBlocks(QuantMethod method);
// QDrop's p in effect: the setting, or the method's default (0.5 for qdrop and recommended, 1 otherwise).
double effectiveDropProbability(const QuantizationRequest& request);
// Throws InvalidArgument for inconsistent settings (qdrop without activation bits, p outside (0, 1]).
void validate(const QuantizationRequest& request);

struct LayerOutcome {
  std::string layer;
  std::string unit;  // the block it was reconstructed with, or the layer itself
  int bits = 0;
  double exponent = 1.0;  // power-grid exponent (1: uniform grid)
  int64_t weights = 0;
  int64_t flipsUp = 0, flipsDown = 0;
  double flipRate = 0;
  double lossBefore = 0, lossAfter = 0;  // reconstruction loss of RTN and of the final rounding (of
                                         // the whole block for BRECQ)
  ActivationQuantParams activation;      // the layer's input quantizer (bits 0: FP input)
  double sqnrDb = 0;  // output SQNR of the quantized layer on its FP calibration inputs (+inf: exact)
  double seconds = 0;
  std::vector<std::pair<int, double>> curve;
  RoundingTrace trace;  // learned rounding only: how the soft rounding evolved
};

// An embedding table quantized per row (QuantizationRequest::embeddingBits).
struct TableOutcome {
  std::string parameter;  // e.g. "transformer.wpe.weight"
  int bits = 0;
  int64_t rows = 0, columns = 0;
  double sqnrDb = 0;  // of the table itself: a lookup's output is its row
};

// Called with each layer's outcome as soon as its unit is finished (the GUI fills its table).
using LayerDoneFn = std::function<void(const LayerOutcome&)>;

struct QuantizationResult {
  QuantizationRequest request;
  std::vector<LayerOutcome> layers;
  std::vector<TableOutcome> tables;                    // embedding tables quantized per row, in the model's order
  std::vector<std::pair<std::string, double>> phases;  // (phase, seconds)
  std::vector<std::string> notes;  // what the run could not do as asked (e.g. a unit without the output term)
  std::string settlement;          // what the stopping rule did (empty: every unit ran every iteration)
  double wallSeconds = 0;
  int64_t spilledBytes = 0;  // calibration activations the run cached in a temporary file (0: all in memory)
};

}  // namespace roundlab
