#pragma once
// RoundLab's engine facade: the one front door for the workbench's engine thread and for every
// roundlab-cli command. A Workspace owns the loaded model and its FP copy, the calibration and
// evaluation sets, the runs made on them, the importance tables and the allocation, and offers
// each operation as request -> result, with progress and cancel (JobHooks). The header is
// Torch-free: tensors stay behind it, and what it hands out are plain values, immutable once
// made (shared_ptr<const ...>), so a GUI thread may keep them while the engine goes on.
//
// Not thread-safe: one thread owns a Workspace (the engine thread, the CLI's main thread).
// Every operation either succeeds or throws (roundlab::Error for bad input and cancel) leaving the
// workspace as it was.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/Job.h"
#include "engine/core/Runtime.h"
#include "engine/data/Dataset.h"
#include "engine/eval/Evaluation.h"
#include "engine/eval/LayerComparison.h"
#include "engine/eval/PairedDifference.h"
#include "engine/importance/BitAllocation.h"
#include "engine/importance/Importance.h"
#include "engine/model/LayerInfo.h"
#include "engine/pipeline/Experiment.h"
#include "engine/pipeline/QuantizationRequest.h"
#include "engine/workspace/ExportKind.h"
#include "engine/workspace/LayerQuantView.h"
#include "engine/workspace/RunRecord.h"

namespace roundlab {

// A data file and how to read it: normalisation overrides, and optionally a seeded subset.
struct DataSource {
  std::string path;
  DataOptions options;
  int64_t count = 0;  // > 0: a subset of this many samples drawn with `seed`
  uint64_t seed = 0;
};

// What views read of the model: its layer table and current weight values (a copy).
struct ModelSnapshot {
  std::string path;
  ModelSummary summary;
  // A model returning a tuple or dict: its outputs as (choice, what), known once a calibration
  // set ran it; summary.outputChoice says which one is used. Empty for a single tensor.
  std::vector<std::pair<std::string, std::string>> outputs;
  std::map<std::string, std::vector<float>> weights;  // FP, or the current run's dequantized values
};
using SnapshotPtr = std::shared_ptr<const ModelSnapshot>;

// A layer's floating-point weights while `shown` (may be null) is the run the snapshot holds: the
// run keeps those of the layers it quantized; the others are FP in the snapshot. Null: no such layer.
inline const std::vector<float>* fpWeightsOf(const ModelSnapshot& snapshot, const RunRecord* shown,
                                             const std::string& layer) {
  if (shown)
    if (const auto it = shown->layers.find(layer); it != shown->layers.end()) return &it->second.fpWeights;
  const auto it = snapshot.weights.find(layer);
  return it != snapshot.weights.end() ? &it->second : nullptr;
}

// Importance of the FP model and the layer costs an allocation needs.
struct ImportanceReport {
  ImportanceTable table;  // the latest estimate: the one an allocation uses
  std::map<std::string, LayerCost> costs;
  std::vector<ImportanceTable> estimates;  // one per estimator run on this model, the latest first
  bool fromSession = false;                // read from an opened session, not estimated now
};
using ImportancePtr = std::shared_ptr<const ImportanceReport>;

// Progress, cancel and per-layer results of one operation; every member may be empty.
struct JobHooks {
  ProgressFn progress;
  CancelToken cancel;
  LayerDoneFn layerDone;  // quantize: each layer as soon as its unit is finished
  // runExperiment: each cell as soon as it is finished, with the run it made (or reused).
  std::function<void(const ExperimentRow&, const RunPtr&)> experimentRow;
};

using ExperimentPtr = std::shared_ptr<const ExperimentRecord>;

struct EvaluationSettings {
  // What the model is compared with (KL, agreement, per-layer outputs).
  enum class Reference { FpCopy, File, None };
  Reference reference = Reference::FpCopy;
  std::string referencePath;  // Reference::File
  int64_t batch = 256;
  int64_t perLayerSamples = 0;  // > 0: also every layer's output against the reference's
  EvalTask task = EvalTask::Auto;
};

struct EvaluationResult {
  EvalReport report;
  std::vector<LayerComparison> layers;  // with perLayerSamples
};

struct ExportOutcome {
  ExportKind kind = ExportKind::TorchScript;
  std::string path;
  std::string validation;  // how it was checked, e.g. "outputs on 32 samples identical"
  double maxAbsDiff = 0;   // TorchScript: reloaded vs in-app output on the probe batch
  int64_t probeSamples = 0;
};

// A session as written, without its tensors (what `roundlab-cli session` shows).
struct SessionInfo {
  std::string path;
  std::string modelPath, modelSha256, calibrationPath, calibrationSha256;
  std::string modelOutput;         // --model-output of the run (empty: the default output)
  DataOptions calibrationOptions;  // how the calibration set was read
  std::string runName;             // the user's name for the run (may be empty)
  LibraryVersions versions;
  QuantizationResult result;
  std::vector<ImportanceTable> importance;
  std::vector<ExperimentRecord> experiments;
};

struct OpenedSession {
  SnapshotPtr snapshot;
  RunPtr run;
  ImportancePtr importance;  // null when the session has none, or no calibration set to cost it
  std::string calibrationPath;
};

// A mixed-precision run that never loses to uniform precision on the calibration set: the
// importance-based allocation and the widest uniform ones within the same budget (every layer at
// one width; and the usual one, the first and last layers at 8 bits) are all quantized and
// measured by the KL of their predictions to the FP model's on the calibration set. The closest
// uniform one is kept unless the importance-based one is closer by more than the samples' noise
// (Workspace::quantizeAllocation).
struct UniformCandidate {
  std::string label;  // "uniform 3 bits", "uniform 2 bits, first and last layers at 8"
  int bits = 0;
  Allocation allocation;
  double kl = 0;  // mean KL(FP || quantized) per calibration sample (token)
  // The importance-based allocation's KL minus this one's, sample by sample on the calibration set.
  PairedDifference klOfMixedMinusThis;
  RunPtr run;
};
// The other importance-based allocation of a guard given two (Workspace::quantizeAllocation's
// `unrefined`): the one of the two farther from FP on the calibration set with the request's method.
struct SetAsideAllocation {
  Allocation allocation;
  bool refined = false;  // true: the refined allocation was set aside, the one it started from kept
  double kl = 0;
  RunPtr run;
};
struct GuardedAllocation {
  Allocation mixed;  // the importance-based allocation
  double mixedKl = 0;
  RunPtr mixedRun;
  // With refinement: the importance-based allocation not taken as `mixed`. Refinement measures
  // the model rounded to nearest, and learned rounding can rank two allocations otherwise.
  std::optional<SetAsideAllocation> setAside;
  std::vector<UniformCandidate> uniform;  // those that fit the budget and differ from `mixed`
  int keptUniform = -1;                   // index into `uniform`; -1: the mixed allocation is kept
  const Allocation& kept() const { return keptUniform < 0 ? mixed : uniform[size_t(keptUniform)].allocation; }
  RunPtr keptRun() const { return keptUniform < 0 ? mixedRun : uniform[size_t(keptUniform)].run; }
  // The kept run's top-1 minus `run`'s on the evaluation set, sample by sample (percentage
  // points); none without labelled evaluations, or for the kept run itself.
  std::optional<PairedDifference> keptTop1Minus(const RunPtr& run) const;
};

// Refining an allocation with the interactions the additive importance misses
// (Workspace::refineAllocation): each round measures the importance again around the allocation,
// chooses again from it and keeps the choice when the combined model's calibration loss is lower.
struct RefinementRound {
  Allocation proposed;                 // chosen from the importance around the previous allocation
  double loss = 0;                     // its calibration loss (every layer rounded to nearest; the importance's loss)
  PairedDifference lossMinusPrevious;  // sample by sample, against the allocation it would replace
  bool accepted = false;
  double seconds = 0;
};
struct RefinedAllocation {
  Allocation start, refined;
  double startLoss = 0, refinedLoss = 0;  // calibration losses, as in RefinementRound::loss
  std::vector<RefinementRound> rounds;
  // Whether it stopped at a fixed point: the importance around the refined allocation chose it again.
  bool converged = false;
};

struct RerunOutcome {
  bool identical = false;
  int64_t layers = 0;
  int64_t tables = 0;                  // embedding tables quantized per row
  std::vector<std::string> differing;  // layers (tables) whose codes differ from the saved ones
};

struct WorkspaceOptions {
  bool layerViews = false;  // build every run's per-layer views (the workbench draws them)
  // Evaluate runs against the FP copy (KL, agreement and the FP top-1 beside the run's; one more
  // forward pass per batch) or alone (top-1 only).
  bool evaluateAgainstFp = true;
};

class Workspace {
 public:
  explicit Workspace(WorkspaceOptions options = {});
  ~Workspace();
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;

  // --- Model. Loading replaces the model and forgets its runs, importance and allocation; a
  // model that fails to load leaves everything as it was.
  // `outputChoice`: which output of a model returning a tuple or dict is its logits (ModelOutput.h).
  SnapshotPtr loadModel(const std::string& path, const std::string& outputChoice = {});
  bool hasModel() const;
  const ModelSummary& summary() const;  // throws InvalidArgument without a model
  const std::string& modelPath() const;
  // For a model that returns a tuple or dict: which output is used, among which (empty before
  // a forward pass, and for a model returning one tensor).
  std::string outputNote() const;
  SnapshotPtr snapshot() const;

  // --- Data, opened (and checked) now; the previous set stays when opening fails.
  const DatasetInfo& setCalibration(const DataSource& source);
  const DatasetInfo& setEvaluation(const DataSource& source);
  void clearEvaluation();
  bool hasCalibration() const;
  bool hasEvaluation() const;
  const DatasetInfo& calibrationInfo() const;
  // A warning when the FP model scores near chance on the labelled calibration set (the usual
  // sign of a wrong input normalisation or wrong labels); empty when it does not, or when there
  // is no model, no calibration set or no labels. Runs the FP model on up to 256 samples.
  std::string calibrationWarning() const;
  const DatasetInfo& evaluationInfo() const;

  // --- Quantization of the FP weights. On success the model holds the run's weights and the
  // run is evaluated on the evaluation set (when there is one) against the FP copy; on error or
  // cancel the model is as it was.
  RunPtr quantize(const QuantizationRequest& request, const JobHooks& hooks = {});
  RunPtr currentRun() const;  // the run whose weights the model holds (null: FP)
  const std::vector<RunPtr>& runs() const;
  // The run history. Integer weights are kept for the last kKeptRunWeights runs, as long as they
  // take at most kKeptRunWeightBytes together (the current run's always): those can become current
  // again; older runs keep their records for the views.
  static constexpr size_t kKeptRunWeights = 8;
  static constexpr int64_t kKeptRunWeightBytes = int64_t(2) << 30;
  bool hasRunWeights(int number) const;
  // Makes run `number` current: the model holds its weights again (sessions and exports write
  // it). Throws InvalidArgument for an unknown run or one whose weights were not kept.
  RunPtr selectRun(int number);
  // Forgets run `number`; when it was current, the latest run left whose weights are kept
  // becomes current, else the model is FP again. Returns the current run (maybe null).
  RunPtr deleteRun(int number);
  // Names run `number` (an empty name: its settings label again); returns the renamed record.
  RunPtr renameRun(int number, const std::string& name);
  // Two runs side by side: compareRuns() in RunRecord.h.

  // --- Evaluation of the model as it is now, on the evaluation set.
  EvaluationResult evaluate(const EvaluationSettings& settings = {}, const JobHooks& hooks = {}) const;

  // --- Importance of the FP model on the calibration set; earlier tables of other estimators
  // are kept beside it.
  ImportancePtr estimateImportance(const ImportanceRequest& request, const JobHooks& hooks = {});
  ImportancePtr importance() const;
  // The allocation model of the latest table (throws InvalidArgument before an estimate).
  BitAllocationModel allocationModel(int activationBits = 8) const;
  Allocation allocate(BudgetKind kind, double budget, const std::map<std::string, int>& pins = {}, bool exact = true,
                      int activationBits = 8);
  const Allocation& allocation() const;  // the last allocate(), empty before
  // Refines `start` (an allocation of allocationModel(activationBits)) for at most `rounds` rounds
  // (RefinedAllocation); `measure` gives the grid, the samples and the seed of the measurements
  // (measured importance around each allocation: layers x widths calibration passes a round); each
  // round chooses with the exact solver, or the greedy one. The refined allocation becomes
  // allocation(); the model and the importance tables stay as they were.
  RefinedAllocation refineAllocation(const ImportanceRequest& measure, const Allocation& start, BudgetKind kind,
                                     double budget, const std::map<std::string, int>& pins = {}, int rounds = 3,
                                     int activationBits = 8, const JobHooks& hooks = {}, bool exact = true);
  // Quantizes with `request` at `mixed` (an allocation of allocationModel(activationBits)) and at
  // the widest uniform allocations within the same budget, and keeps one as the current run (see
  // GuardedAllocation; all join the history). On cancel or error none does, and the run current
  // before is current again. `unrefined` (when given and different): the allocation refinement
  // started from, quantized too; the closer to FP of the two on the calibration set is `mixed`.
  GuardedAllocation quantizeAllocation(const QuantizationRequest& request, const Allocation& mixed, BudgetKind kind,
                                       double budget, const std::map<std::string, int>& pins = {},
                                       int activationBits = 8, const JobHooks& hooks = {},
                                       const Allocation* unrefined = nullptr);

  // --- Design-space experiments from the FP model. Each cell with a request of its own is a
  // run of the history (named "E<n> <cell>", evaluated like quantize()'s; cells with equal requests
  // share one), added as soon as it is finished; the current run and the model stay as they were
  // (without a current run, the first cell's becomes current).
  // On cancel or error the finished runs stay, and so does the experiment with their rows.
  // `onlyCells` (empty: all) runs a part of the plan: one job of an experiment fanned out over
  // processes, each cell with the cells repeating it.
  ExperimentPtr runExperiment(const ExperimentPlan& plan, const JobHooks& hooks = {},
                              const std::vector<size_t>& onlyCells = {});
  const std::vector<ExperimentPtr>& experiments() const;  // the latest last; a session's too

  // --- Sessions: the current run with its settings, hashes and weights, every importance table
  // and every experiment's plan and rows; written atomically. (Only the current run's weights are
  // kept: an opened session's experiment rows have no runs.)
  void saveSession(const std::string& path) const;
  // Loads the session's model and puts the session's weights into it; the session's calibration
  // set becomes the workspace's when it still opens (its importance tables need it for their
  // costs), else the workspace has none.
  OpenedSession openSession(const std::string& path);
  static SessionInfo readSession(const std::string& path);
  // The sessions of an experiment's jobs (each ran some of its cells) as one session at `output`:
  // the first job's run, and the experiment with every job's rows. Throws InvalidArgument for
  // jobs of different experiments or inputs and for a cell run twice.
  static ExperimentRecord mergeExperimentSessions(const std::vector<std::string>& sessions, const std::string& output);
  // Writes `output`: the session at `session` with `table` as its latest importance table
  // (replacing one of the same estimator). Throws InvalidArgument when the session's model does
  // not hash to `modelSha256` (the table belongs to another model).
  static void addImportanceToSession(const std::string& session, const std::string& modelSha256,
                                     const ImportanceTable& table, const std::string& output);
  // Loads the session's model and calibration set (refusing files whose hash changed), reruns its
  // request and compares the codes bit for bit. The rerun becomes this workspace's current run.
  RerunOutcome rerunSession(const std::string& path, const JobHooks& hooks = {});

  // --- Exports of the current run, each validated by reading it back. TorchScript is probed on
  // `probePath` when given, else the evaluation set, else the calibration set.
  ExportOutcome exportRun(ExportKind kind, const std::string& path, const std::string& probePath = {}) const;

 private:
  // quantizeAllocation's runs and measurements; the numbers of the runs it made go to `made`.
  void guardCandidates(const QuantizationRequest& request, const Allocation& mixed, const Allocation* unrefined,
                       const JobHooks& hooks, GuardedAllocation& out, std::vector<int>& made);
  struct State;
  std::unique_ptr<State> d;
};

}  // namespace roundlab
