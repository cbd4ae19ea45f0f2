#include "app/gui/EngineThread.h"

#include "engine/Dataset.h"
#include "engine/Error.h"
#include "engine/Evaluation.h"
#include "engine/Model.h"
#include "engine/importance/Importance.h"
#include "engine/recon/ModelQuantizer.h"

namespace roundlab::app {

EngineWorker::EngineWorker() = default;
EngineWorker::~EngineWorker() = default;

SnapshotPtr EngineWorker::snapshot() const {
  auto s = std::make_shared<ModelSnapshot>();
  s->path = path_;
  s->summary = model_->summary();
  for (const LayerInfo& l : s->summary.layers) s->weights[l.name] = model_->weightValues(l.name);
  return s;
}

void EngineWorker::load(const QString& path) {
  try {
    auto m = std::make_unique<Model>(Model::load(path.toStdString()));
    fp_ = std::make_unique<Model>(m->clone());
    model_ = std::move(m);
    path_ = path;
    Q_EMIT loaded(snapshot());
  } catch (const std::exception& e) {  // the current model stays
    Q_EMIT loadFailed(QString::fromStdString(e.what()));
  }
}

// Runs a job on the loaded model; errors (and cancel) become jobFailed, never an escape.
void EngineWorker::runJob(const std::function<void()>& job) {
  if (!fp_) {
    Q_EMIT jobFailed("Open a model first.", false);
    return;
  }
  try {
    job();
  } catch (const Error& e) {
    Q_EMIT jobFailed(QString::fromStdString(e.what()), e.code() == ErrorCode::Cancelled);
  } catch (const std::exception& e) {
    Q_EMIT jobFailed(QString::fromStdString(e.what()), false);
  }
}

ProgressFn EngineWorker::progressSignal() {
  return [this](const Progress& p) {
    Q_EMIT progress(QString::fromStdString(p.stage), p.fraction, QString::fromStdString(p.message), p.metric,
                    p.hasMetric);
  };
}

void EngineWorker::quantize(const QuantizationRequest& request, const QString& calibration, const QString& validation,
                            const CancelToken& cancel) {
  runJob([&] {
    const auto calib = openDataset(calibration.toStdString());
    Model work = fp_->clone();  // every run starts from the FP weights; the shown model changes only on success
    auto report = std::make_shared<RunReport>();
    report->result = quantizeModel(work, *calib, request, nullptr, progressSignal(), cancel);
    if (!validation.isEmpty()) {
      const auto val = openDataset(validation.toStdString());
      EvalOptions o;
      o.reference = fp_.get();
      o.cancel = cancel;
      const EvalReport e = evaluate(work, *val, o);
      report->top1 = e.top1;
      report->top1Fp = e.referenceTop1;
    }
    *model_ = std::move(work);
    Q_EMIT quantized(report, snapshot());
  });
}

void EngineWorker::importance(const ImportanceRequest& request, const QString& calibration, const CancelToken& cancel) {
  runJob([&] {
    const auto calib = openDataset(calibration.toStdString());
    auto report = std::make_shared<ImportanceReport>();
    report->table = estimateImportance(*fp_, *calib, request, progressSignal(), cancel);
    report->costs = layerCosts(*fp_, *calib);
    Q_EMIT importanceReady(report);
  });
}

EngineThread::EngineThread(QObject* parent) : QObject(parent), worker_(new EngineWorker) {
  qRegisterMetaType<SnapshotPtr>();
  qRegisterMetaType<ReportPtr>();
  qRegisterMetaType<ImportancePtr>();
  thread_.setObjectName("RoundLab engine");
  worker_->moveToThread(&thread_);
  connect(&thread_, &QThread::finished, worker_, &QObject::deleteLater);
  thread_.start();
}

EngineThread::~EngineThread() {
  current_.cancel();
  thread_.quit();
  thread_.wait();
}

void EngineThread::load(const QString& path) {
  QMetaObject::invokeMethod(
      worker_, [w = worker_, path] { w->load(path); }, Qt::QueuedConnection);
}

CancelToken EngineThread::quantize(const QuantizationRequest& request, const QString& calibration,
                                   const QString& validation) {
  current_ = CancelToken();
  QMetaObject::invokeMethod(
      worker_,
      [w = worker_, request, calibration, validation, c = current_] {
        w->quantize(request, calibration, validation, c);
      },
      Qt::QueuedConnection);
  return current_;
}

CancelToken EngineThread::importance(const ImportanceRequest& request, const QString& calibration) {
  current_ = CancelToken();
  QMetaObject::invokeMethod(
      worker_, [w = worker_, request, calibration, c = current_] { w->importance(request, calibration, c); },
      Qt::QueuedConnection);
  return current_;
}

}  // namespace roundlab::app
