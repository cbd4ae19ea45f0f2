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
}

namespace roundlab::app {

// What the GUI reads of the model: a copy made on the engine thread.
struct ModelSnapshot {
  QString path;
  ModelSummary summary;
  std::map<std::string, std::vector<float>> weights;  // current (FP or quantized) weight values
};

struct RunReport {
  QuantizationResult result;
  double top1Fp = -1, top1 = -1;  // on the validation set, when one was given
};

// Importance of the FP model and the layer costs the allocation needs.
struct ImportanceReport {
  ImportanceTable table;
  std::map<std::string, LayerCost> costs;
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

 Q_SIGNALS:
  void loaded(roundlab::app::SnapshotPtr snapshot);
  void loadFailed(const QString& message);
  void progress(const QString& stage, double fraction, const QString& unit, double metric, bool hasMetric);
  void quantized(roundlab::app::ReportPtr report, roundlab::app::SnapshotPtr snapshot);
  void jobFailed(const QString& message, bool cancelled);
  void importanceReady(roundlab::app::ImportancePtr report);

 private:
  SnapshotPtr snapshot() const;
  void runJob(const std::function<void()>& job);
  ProgressFn progressSignal();
  std::unique_ptr<Model> model_, fp_;  // the working model and its FP original
  QString path_;
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
