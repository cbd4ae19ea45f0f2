#pragma once
// What a Workspace holds behind its Torch-free header (engine-internal: Torch types).
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "engine/data/Dataset.h"
#include "engine/model/Model.h"
#include "engine/quant/QuantizedWeights.h"
#include "engine/workspace/Workspace.h"

namespace roundlab {

struct Workspace::State {
  WorkspaceOptions options;
  std::unique_ptr<Model> model, fp;  // the working model (the current run's weights) and its FP original
  std::string modelPath;
  std::shared_ptr<const Dataset> calibration, evaluation;
  std::string calibrationPath, evaluationPath;
  DataOptions calibrationOptions;
  std::vector<RunPtr> runs;
  // The integer weights of the recent runs and the current one, by run number (what sessions and
  // exports write, and what makes an earlier run current again); older runs keep their records.
  std::map<int, QuantizedWeights> weights;
  RunPtr current;
  // Runs whose weights are kept whatever the limits until the job that made them has decided
  // (the uniform guard's candidates: the kept one becomes current at the end).
  std::set<int> heldWeights;
  ImportancePtr importance;
  Allocation allocation;
  std::vector<ExperimentPtr> experiments;
  // One sample's tensor shapes per layer (the graph's edges, MACs), recorded once per model and
  // calibration set; null until recorded or when the set does not fit the model.
  std::shared_ptr<const ModelSummary> shapes;
  bool shapesTried = false;
  int nextRun = 1;

  void requireModel() const;
  void requireCalibration() const;
  // Forgets the runs, importance and allocation of the previous model.
  void resetResults();
  // A run record of `weights` on FP model `fpModel` (views built when the options ask for them),
  // numbered next; changes nothing.
  std::shared_ptr<RunRecord> newRun(QuantizationResult result, const QuantizedWeights& weights,
                                    const Model& fpModel) const;
  // Adds a run to the history (current unless `makeCurrent` is false) and forgets the weights of
  // the oldest runs beyond the limits (never the current run's).
  void addRun(const RunPtr& run, QuantizedWeights weights, bool makeCurrent = true);
  // Forgets the weights of the oldest runs beyond the limits (never the current run's or held ones).
  void trimWeights();
  // Quantizes a copy of the FP model and evaluates it (as quantize() does); changes nothing.
  std::shared_ptr<RunRecord> quantizeCopy(const QuantizationRequest& request, const JobHooks& hooks,
                                          std::optional<Model>& work, QuantizedWeights& weights) const;
  // The run numbered `number` (throws InvalidArgument when there is none).
  std::vector<RunPtr>::iterator findRun(int number);
  // Puts run `run`'s weights into a copy of the FP model and makes it current.
  void makeCurrent(const RunPtr& run);
};

// The views' data of one layer from the FP weight, the codes, the nearest codes and the grid.
LayerQuantView layerQuantView(const at::Tensor& fpWeight, const at::Tensor& codes, const at::Tensor& rtnCodes,
                              const WeightGrid& grid);

// Opens a data source: the file, its normalisation overrides, and the seeded subset.
std::shared_ptr<const Dataset> openDataSource(const DataSource& source);

}  // namespace roundlab
