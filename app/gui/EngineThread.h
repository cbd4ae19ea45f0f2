#pragma once
// The engine thread: one long-lived QThread whose worker owns the Model. The GUI thread never
// touches the model and never waits on the worker: it posts jobs and receives immutable
// snapshots, progress and results as queued signals. Cancel flips a shared flag that the engine
// polls every iteration.
#include <QObject>
#include <QThread>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/Job.h"
#include "engine/LayerInfo.h"
#include "engine/importance/BitAllocation.h"
#include "engine/recon/QuantizationRequest.h"

namespace roundlab {
class Model;
struct QuantizedWeights;
}  // namespace roundlab

namespace roundlab::app {

// What the GUI reads of the model: a copy made on the engine thread.
struct ModelSnapshot {
  QString path;
  ModelSummary summary;
  std::map<std::string, std::vector<float>> weights;  // current (FP or quantized) weight values
};

// What the Weights and Rounding flips views draw of one quantized layer, row-major over
// [rows = output channels, columns = the rest of the weight].
struct LayerQuantData {
  int64_t rows = 0, columns = 0, groups = 1;
  std::vector<float> scale, zeroPoint;  // [rows * groups]
  int64_t qmin = 0, qmax = 0;
  double exponent = 1;            // power grid (1: uniform)
  std::vector<int8_t> flips;      // sign(code - nearest code): +1 rounded up, -1 down, 0 kept
  std::vector<float> fractional;  // frac(t / s) of the FP weight on its grid (t = w, or |w|^a)
  std::vector<float> fpWeights;   // the FP values (the snapshot holds the quantized ones)
};

struct RunReport {
  QuantizationResult result;
  double top1Fp = -1, top1 = -1;  // on the validation set, when one was given
  std::map<std::string, LayerQuantData> layers;
  QString sessionPath;  // the session it was opened from, if any
};

// The grid levels of one row (group 0) of a layer, dequantized, in increasing order.
std::vector<double> gridLevels(const LayerQuantData& d, int64_t row);

enum class ExportKind { TorchScript, QuantizedHdf5, Encodings, ResultsCsv };

// Importance of the FP model and the layer costs the allocation needs.
struct ImportanceReport {
  ImportanceTable table;  // the latest estimate: the one the allocation uses
  std::map<std::string, LayerCost> costs;
  std::vector<ImportanceTable> estimates;  // every estimator run on this model, the latest first
  bool fromSession = false;                // read from an opened session, not estimated now
};

using SnapshotPtr = std::shared_ptr<const ModelSnapshot>;
using ReportPtr = std::shared_ptr<const RunReport>;
using ImportancePtr = std::shared_ptr<const ImportanceReport>;

class EngineWorker : public QObject {
  Q_OBJECT
 public:
  EngineWorker();
  ~EngineWorker() override;

  // Run on the engine thread (posted by EngineThread).
  void load(const QString& path);
  void quantize(const QuantizationRequest& request, const QString& calibration, const QString& validation,
                const CancelToken& cancel);
  void importance(const ImportanceRequest& request, const QString& calibration, const CancelToken& cancel);
  // The last run (or opened session) as a session file; the calibration set it used is hashed.
  void saveSession(const QString& path);
  // The same for crash recovery, reported by autosaved (never jobFailed).
  void autosave(const QString& path);
  // Loads the session's model, applies its weights; loaded + quantized follow.
  void openSession(const QString& path);
  // Writes and validates an export of the current quantized model (probe data for TorchScript).
  void exportModel(ExportKind kind, const QString& path, const QString& probeData);

 Q_SIGNALS:
  void loaded(roundlab::app::SnapshotPtr snapshot);
  void loadFailed(const QString& message);
  void progress(const QString& stage, double fraction, const QString& unit, double metric, bool hasMetric);
  void quantized(roundlab::app::ReportPtr report, roundlab::app::SnapshotPtr snapshot);
  // One layer of the running quantization is done (before `quantized`).
  void layerFinished(const QString& layer, int bits, double flipRate, double sqnrDb);
  void jobFailed(const QString& message, bool cancelled);
  void importanceReady(roundlab::app::ImportancePtr report);
  void sessionSaved(const QString& path);
  void autosaved(const QString& path, const QString& error);
  void sessionOpened(const QString& path, const QString& modelPath, const QString& calibrationPath);
  void exported(const QString& path, const QString& validation);

 private:
  SnapshotPtr snapshot() const;
  void writeSession(const QString& path) const;
  void fillLayerData(RunReport& report, const QuantizedWeights& weights) const;
  void runJob(const std::function<void()>& job, bool needsModel = true);
  ProgressFn progressSignal();
  std::unique_ptr<Model> model_, fp_;   // the working model and its FP original
  QString path_, calibration_;          // the model file; the calibration set of the last run
  std::shared_ptr<RunReport> lastRun_;  // with the weights the sessions and exports write
  std::unique_ptr<QuantizedWeights> weights_;
  std::shared_ptr<const ImportanceReport> importance_;
};

class EngineThread : public QObject {
  Q_OBJECT
 public:
  explicit EngineThread(QObject* parent = nullptr);
  ~EngineThread() override;  // cancels the running job and joins the thread

  EngineWorker* worker() const { return worker_; }
  void load(const QString& path);
  // Starts a quantization of the loaded model (from its FP weights); returns the job's cancel token.
  CancelToken quantize(const QuantizationRequest& request, const QString& calibration, const QString& validation);
  CancelToken importance(const ImportanceRequest& request, const QString& calibration);
  void saveSession(const QString& path);
  void autosave(const QString& path);
  void openSession(const QString& path);
  void exportModel(ExportKind kind, const QString& path, const QString& probeData);
  void cancel() { current_.cancel(); }

 private:
  QThread thread_;
  EngineWorker* worker_;
  CancelToken current_;
};

}  // namespace roundlab::app

Q_DECLARE_METATYPE(roundlab::app::SnapshotPtr)
Q_DECLARE_METATYPE(roundlab::app::ReportPtr)
Q_DECLARE_METATYPE(roundlab::app::ImportancePtr)
