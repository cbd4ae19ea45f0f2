#pragma once
// The engine thread: one long-lived QThread whose worker owns the engine's Workspace. The GUI
// thread never touches the workspace and never waits on the worker: it posts jobs and receives
// immutable snapshots, runs and importance reports (shared_ptr<const …>), progress (at most
// ~10 per second) and errors as queued signals. Cancel flips a shared flag the engine polls.
// The worker only adapts: every operation is the Workspace's.
#include <QList>
#include <QObject>
#include <QSet>
#include <QThread>

#include <functional>
#include <map>
#include <memory>

#include "engine/workspace/Workspace.h"

namespace roundlab::app {

struct ExperimentSetup;
using ExperimentList = std::vector<ExperimentPtr>;
using RoundingTracePtr = std::shared_ptr<const RoundingTrace>;
using GuardPtr = std::shared_ptr<const GuardedAllocation>;
using RefinementPtr = std::shared_ptr<const RefinedAllocation>;

// The workspace's runs after a change to the history: every run, the one the model holds now
// (null: FP) and the model as it is now.
struct RunHistory {
  std::vector<RunPtr> runs;
  QList<int> runsWithWeights;  // the runs that can become current again
  RunPtr current;
  SnapshotPtr snapshot;
};

class EngineWorker : public QObject {
  Q_OBJECT
 public:
  EngineWorker();
  ~EngineWorker() override;

  // Run on the engine thread (posted by EngineThread); each one checks that it is.
  // With the calibration set (may be empty) that the snapshot's tensor shapes come from, and
  // which output of a model returning a tuple or dict is its logits (empty: the default).
  void load(const QString& path, const QString& calibration = {}, const QString& outputChoice = {});
  void quantize(const QuantizationRequest& request, const QString& calibration, const QString& validation,
                const CancelToken& cancel);
  void importance(const ImportanceRequest& request, const QString& calibration, const CancelToken& cancel);
  // The request's allocation (request.bits) beside the widest uniform ones of no larger average
  // bits, the closest to FP kept (Workspace::quantizeAllocation): guardCompared with the run
  // history that holds all of them, then quantized (the kept run).
  void quantizeGuarded(const QuantizationRequest& request, const QString& calibration, const QString& validation,
                       const CancelToken& cancel);
  // The allocation `bits` refined with measured interactions at its own average bits
  // (Workspace::refineAllocation, the default measurements): allocationRefined.
  void refineAllocation(const std::map<std::string, int>& bits, const QString& calibration, const CancelToken& cancel);
  // A design-space experiment: experimentsChanged and historyChanged after every cell, then
  // experimentFinished (or jobFailed; the finished cells stay).
  void experiment(const ExperimentSetup& setup, const QString& calibration, const QString& validation,
                  const CancelToken& cancel);
  // The current run (or opened session) as a session file; the calibration set it used is hashed.
  void saveSession(const QString& path);
  // The same for crash recovery, reported by autosaved (never jobFailed).
  void autosave(const QString& path);
  // Loads the session's model, applies its weights; loaded + quantized follow.
  void openSession(const QString& path);
  // Writes and validates an export of the current run (a TorchScript export is probed on
  // `probeData` when given).
  void exportModel(ExportKind kind, const QString& path, const QString& probeData);
  // How later jobs read the data file at `path` (the user's answer to normalizationAsked).
  void setNormalization(const QString& path, Normalization normalization);
  // The run history: each emits historyChanged (or jobFailed).
  void selectRun(int number);
  void deleteRun(int number);
  void renameRun(int number, const QString& name);
  // What the data file at `path` holds (HDF5 is read on this thread only): dataDescribed follows.
  void describeData(const QString& path);

 Q_SIGNALS:
  void loaded(roundlab::SnapshotPtr snapshot);
  void loadFailed(const QString& message);
  void progress(const QString& stage, double fraction, const QString& unit, double metric, bool hasMetric);
  void quantized(roundlab::RunPtr run, roundlab::SnapshotPtr snapshot);
  // One layer of the running quantization is done (before `quantized`).
  void layerFinished(const QString& layer, int bits, double flipRate, double sqnrDb);
  // How that layer's rounding was learned (learned rounding only), as soon as it is done.
  void layerTraced(const QString& layer, roundlab::app::RoundingTracePtr trace);
  void jobFailed(const QString& message, bool cancelled);
  void importanceReady(roundlab::ImportancePtr report);
  void guardCompared(roundlab::app::GuardPtr guard, roundlab::app::RunHistory history);
  void allocationRefined(roundlab::app::RefinementPtr refinement);
  // Every experiment of the workspace (after each cell, an opened session, a new model).
  void experimentsChanged(roundlab::app::ExperimentList experiments);
  // A cell of the running experiment is done: the experiments and the run history (its run added).
  void experimentCellDone(roundlab::app::ExperimentList experiments, roundlab::app::RunHistory history);
  void experimentFinished(roundlab::ExperimentPtr experiment);
  void sessionSaved(const QString& path);
  void autosaved(const QString& path, const QString& error);
  void sessionOpened(const QString& path, const QString& modelPath, const QString& calibrationPath);
  void exported(const QString& path, const QString& validation);
  // Something the user should know about the inputs of a job that goes on (FP model near chance).
  void warning(const QString& message);
  // The job stopped (instead of jobFailed) because the data file at `path` holds float data whose
  // mean/std attributes may or may not have been applied: only the user knows; `message` says why.
  void normalizationAsked(const QString& path, const QString& message);
  void historyChanged(roundlab::app::RunHistory history);
  // After a new run (or an opened session): the runs whose weights the workspace still keeps.
  void runWeightsKept(const QList<int>& numbers);
  // `description`: e.g. "1,024 samples of 1×28×28, labelled", or why the file does not open.
  void dataDescribed(const QString& path, const QString& description);

 private:
  RunHistory history(bool withSnapshot = true) const;  // the snapshot copies every weight
  QList<int> keptRunWeights() const;
  void requireEngineThread(const char* operation) const;
  // Runs a job; errors (and cancel) become jobFailed, never an escape.
  void runJob(const std::function<void()>& job);
  // The calibration (and, when given, evaluation) set of a job, opened in the workspace.
  void useData(const QString& calibration, const QString& validation);
  JobHooks hooks(const CancelToken& cancel);
  DataSource dataSource(const QString& path) const;

  Workspace workspace_;
  std::map<QString, Normalization> normalizations_;  // the user's choices, by data file
  QString openingData_;                              // the data file useData is opening
  QSet<QString> calibrationChecked_;                 // model|calibration|reading already checked
};

class EngineThread : public QObject {
  Q_OBJECT
 public:
  explicit EngineThread(QObject* parent = nullptr);
  ~EngineThread() override;  // cancels the running job and joins the thread

  EngineWorker* worker() const { return worker_; }
  // With the calibration set (may be empty) that the snapshot's tensor shapes come from, and
  // which output of a model returning a tuple or dict is its logits (empty: the default).
  void load(const QString& path, const QString& calibration = {}, const QString& outputChoice = {});
  // Starts a quantization of the loaded model (from its FP weights); returns the job's cancel token.
  CancelToken quantize(const QuantizationRequest& request, const QString& calibration, const QString& validation);
  CancelToken importance(const ImportanceRequest& request, const QString& calibration);
  CancelToken quantizeGuarded(const QuantizationRequest& request, const QString& calibration,
                              const QString& validation);
  CancelToken experiment(const ExperimentSetup& setup, const QString& calibration, const QString& validation);
  CancelToken refineAllocation(const std::map<std::string, int>& bits, const QString& calibration);
  void saveSession(const QString& path);
  void autosave(const QString& path);
  void openSession(const QString& path);
  void exportModel(ExportKind kind, const QString& path, const QString& probeData);
  void setNormalization(const QString& path, Normalization normalization);
  void selectRun(int number);
  void deleteRun(int number);
  void renameRun(int number, const QString& name);
  void describeData(const QString& path);
  void cancel() { current_.cancel(); }

 private:
  // Queues fn on the engine thread.
  void post(std::function<void(EngineWorker*)> fn);

  QThread thread_;
  EngineWorker* worker_;
  CancelToken current_;
};

}  // namespace roundlab::app

Q_DECLARE_METATYPE(roundlab::SnapshotPtr)
Q_DECLARE_METATYPE(roundlab::RunPtr)
Q_DECLARE_METATYPE(roundlab::ImportancePtr)
Q_DECLARE_METATYPE(roundlab::app::RunHistory)
Q_DECLARE_METATYPE(roundlab::ExperimentPtr)
Q_DECLARE_METATYPE(roundlab::app::ExperimentList)
Q_DECLARE_METATYPE(roundlab::app::RoundingTracePtr)
Q_DECLARE_METATYPE(roundlab::app::GuardPtr)
Q_DECLARE_METATYPE(roundlab::app::RefinementPtr)
