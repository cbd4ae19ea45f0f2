#pragma once
// Layer and block activations over a calibration set, gathered batch by batch with one capture
// pass per batch and stacked along the batch dimension.
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "engine/core/Job.h"
#include "engine/recon/BlockReconstructor.h"

namespace roundlab {

class Model;
class Dataset;
class ActivationCache;

// One layer's inputs and (when requested) FP outputs, every call stacked along dim 0. Calls with
// another input shape than the first (a shared layer used at two resolutions) are left out.
struct LayerData {
  at::Tensor inputs, outputs;
};

struct CalibrationActivations {
  std::map<std::string, LayerData> layers;
  std::map<std::string, BlockData> blocks;  // targets undefined when outputs were not requested
};

CalibrationActivations captureActivations(const Model& model, const Dataset& data, int64_t batch,
                                          const std::vector<std::string>& layers,
                                          const std::vector<std::string>& blocks, bool outputs,
                                          const CancelToken& cancel);

// The same capture kept in an ActivationCache (in memory up to a budget, then in a temporary
// HDF5 file), from which each reconstruction unit loads only its own layers and block.
struct CachedActivations {
  CachedActivations();
  CachedActivations(CachedActivations&&) noexcept;
  CachedActivations& operator=(CachedActivations&&) noexcept;
  ~CachedActivations();

  std::unique_ptr<ActivationCache> cache;
  std::set<std::string> layers, blocks;                       // captured (blocks: whose call could be observed)
  std::map<std::string, std::vector<c10::IValue>> blockArgs;  // arguments, tensors left empty
  bool outputs = false;

  // The listed layers' and blocks' activations (those captured), in memory.
  CalibrationActivations load(const std::vector<std::string>& layers, const std::vector<std::string>& blocks) const;
};

// memoryBudgetBytes < 0: all in memory.
CachedActivations captureToCache(const Model& model, const Dataset& data, int64_t batch,
                                 const std::vector<std::string>& layers, const std::vector<std::string>& blocks,
                                 bool outputs, const CancelToken& cancel, int64_t memoryBudgetBytes);

// One batch's capture is held whole before it is cached: a language model's batch of 64 sequences
// can capture several GB. The largest batch up to `batch` whose capture (these layers and blocks)
// stays within kCaptureBatchBytes, from a one-sample probe. A constant, not the memory budget, so
// that the batches (and so the bits of every result) do not depend on the budget; small models
// keep the batch asked for. Every capture of one run uses it, so rows match call by call.
constexpr int64_t kCaptureBatchBytes = int64_t(512) << 20;
int64_t boundedCaptureBatch(const Model& model, const Dataset& data, int64_t batch,
                            const std::vector<std::string>& layers, const std::vector<std::string>& blocks,
                            bool outputs);

// BRECQ's Fisher weights for block outputs: g = |dL/dz| + 1 with
// L = KL(softmax(FP logits) || softmax(quantized logits)) summed over the batch, z a block's output
// in `quantized` (the model with round-to-nearest weights); one forward and one backward per
// batch give every block's weights. Stacked along the batch like captureActivations.
std::map<std::string, at::Tensor> blockFisherWeights(const Model& fp, const Model& quantized, const Dataset& data,
                                                     int64_t batch, const std::vector<std::string>& blocks,
                                                     const CancelToken& cancel);

}  // namespace roundlab
