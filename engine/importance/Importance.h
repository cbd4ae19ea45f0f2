#pragma once
// Per-layer importance of quantization (algorithms.md §4): for every quantizable layer and
// candidate bit-width, the predicted increase of the calibration loss when that layer alone is
// quantized to that width (round to nearest on the request's grid). Three estimators:
//  - measured: the loss with only that layer quantized, minus the FP loss (one calibration pass
//    per layer and width);
//  - integrated gradients along the quantization path: L(Q) - L(W) = -∫0^1 <W - Q, ∇L(Q + t(W - Q))> dt
//    by the path-integral identity, midpoint rule at K points, each layer along its own path
//    per layer, the others FP, differentiating only the rest of the model after the layer; the
//    K points share a quarter of the calibration samples (each point its own slice, the slices
//    batched through the rest of the model together), and the sample noise of that subset is
//    removed from the first-order term by a control variate: ⟨W − Q, ∇L_subset(W) − ∇L_all(W)⟩,
//    the FP gradients of every layer from one shared backward pass;
//  - Hessian (HAWQ-v2): ½ Tr(H_l)/n_l · ||W - Q_b(W)||², the trace by Hutchinson's estimator
//    E[vᵀHv] with Rademacher v (Hessian-vector products by double backward), once for all widths.
// The loss is the cross-entropy on the labels, or KL(FP ‖ model) on unlabelled calibration data.
// Per output channel importance (IG and Hessian) sums the same quantities per channel.
#include <map>
#include <string>
#include <vector>

#include "engine/core/EnumTable.h"
#include "engine/core/Job.h"
#include "engine/quant/WeightQuantConfig.h"

namespace roundlab {

class Model;
class Dataset;

enum class ImportanceEstimator { Measured, IntegratedGradients, Hessian };
// Names "measured" | "ig" | "hessian"; descriptions are the titles views show.
const EnumTable<ImportanceEstimator>& importanceEstimatorTable();
inline const char* importanceEstimatorName(ImportanceEstimator e) { return importanceEstimatorTable().name(e); }
inline ImportanceEstimator parseImportanceEstimator(const std::string& name) {
  return importanceEstimatorTable().parse(name);
}

struct ImportanceRequest {
  ImportanceEstimator estimator = ImportanceEstimator::Measured;
  std::vector<int> bits{2, 3, 4, 5, 6, 8};
  std::vector<std::string> layers;  // empty: every quantizable layer
  WeightQuantConfig weights;        // grid settings (bits taken from `bits`)
  int64_t calibrationCount = 256;
  int64_t batch = 64;
  int pathPoints = 16;  // integrated gradients: K
  // Integrated gradients: the share of the calibration samples one layer's path at one width
  // sees, split across its points (the same samples for every layer, so rankings compare like
  // with like); below 1 the first-order term comes from every sample (a control variate).
  // fullSetPerPoint instead runs every point on every sample.
  double pathSampleShare = 0.25;
  bool fullSetPerPoint = false;
  int hutchinsonSamples = 16;  // Hessian: Rademacher vectors
  uint64_t seed = 0;
  // Measured only: the importance around an allocation. Its layers are rounded to nearest at its
  // widths (the others stay FP), and each value is the loss change when one layer moves from its
  // width there to another while the rest stay put, so the interactions of the allocation's
  // layers, which the additive model from FP misses, are in the values (0 at a layer's own width).
  std::map<std::string, int> around;
};

struct ImportanceTable {
  ImportanceEstimator estimator = ImportanceEstimator::Measured;
  std::vector<int> bits;
  std::vector<std::string> layers;                                     // in model order
  std::map<std::string, std::map<int, double>> values;                 // layer -> bits -> loss increase
  std::map<std::string, std::map<int, std::vector<double>>> channels;  // per output channel (IG, Hessian)
  // Standard error of each value, layer -> bits: measured, over the calibration samples (the
  // per-sample loss changes); Hessian, over the probes. Empty for integrated gradients (its
  // control variate leaves no per-sample terms to spread).
  std::map<std::string, std::map<int, double>> errors;
  double fpLoss = 0;                  // calibration loss of the FP model
  std::map<std::string, int> around;  // the request's: the allocation the values are changes from
  double baseLoss = 0;                // calibration loss at `around` (fpLoss without one)
  double seconds = 0;
};

// Half-width of the value's 95 % confidence interval (1.96 standard errors); 0 without an error.
double importanceInterval(const ImportanceTable& t, const std::string& layer, int bits);
// Whether the value is within its sampling noise of zero: a negative value then says only that
// quantizing the layer alone changed the calibration loss by less than the samples can resolve.
bool importanceWithinNoise(const ImportanceTable& t, const std::string& layer, int bits);

// Leaves the model's weights as they were (also on error or cancel).
ImportanceTable estimateImportance(Model& model, const Dataset& calibration, const ImportanceRequest& request,
                                   const ProgressFn& progress = {}, const CancelToken& cancel = {});

// Each calibration sample's loss as the importance measures it (the request's calibrationCount
// samples of its seed; cross-entropy, or KL to the FP model without labels) with the layers in
// `bits` rounded to nearest at those widths and the others FP. Leaves the model's weights as they
// were. A language model's sample is its sequence (the mean over its scored tokens).
std::vector<double> allocationSampleLosses(Model& model, const Dataset& calibration, const ImportanceRequest& request,
                                           const std::map<std::string, int>& bits, const CancelToken& cancel = {});

// Spearman's rank correlation (average ranks for ties) of two equally long series.
double spearman(const std::vector<double>& a, const std::vector<double>& b);
// How `other` ranks the layers compared with `reference`: Spearman across layers per bit-width
// (the widths both tables hold), and their mean under key 0.
std::map<int, double> rankAgreement(const ImportanceTable& reference, const ImportanceTable& other);

}  // namespace roundlab
