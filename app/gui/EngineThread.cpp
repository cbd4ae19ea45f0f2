#include "app/gui/EngineThread.h"

#include "engine/Dataset.h"
#include "engine/Error.h"
#include "engine/Evaluation.h"
#include "engine/Model.h"
#include "engine/export/QuantizedModelExport.h"
#include "engine/export/TorchScriptExport.h"
#include "engine/importance/Importance.h"
#include "engine/recon/ModelQuantizer.h"
#include "engine/session/SessionFile.h"

#include <QFileInfo>

#include "app/common/SessionBuilder.h"
#include "app/gui/LayerQuantDataBuilder.h"

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
    lastRun_.reset();
    weights_.reset();
    importance_.reset();
    Q_EMIT loaded(snapshot());
  } catch (const std::exception& e) {  // the current model stays
    Q_EMIT loadFailed(QString::fromStdString(e.what()));
  }
}

// Runs a job on the loaded model; errors (and cancel) become jobFailed, never an escape.
void EngineWorker::runJob(const std::function<void()>& job, bool needsModel) {
  if (needsModel && !fp_) {
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
    auto weights = std::make_unique<QuantizedWeights>();
    report->result =
        quantizeModel(work, *calib, request, weights.get(), progressSignal(), cancel, [this](const LayerOutcome& o) {
          Q_EMIT layerFinished(QString::fromStdString(o.layer), o.bits, o.flipRate, o.sqnrDb);
        });
    fillLayerData(*report, *weights);
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
    weights_ = std::move(weights);
    lastRun_ = report;
    calibration_ = calibration;
    Q_EMIT quantized(report, snapshot());
  });
}

void EngineWorker::fillLayerData(RunReport& report, const QuantizedWeights& weights) const {
  for (const auto& [layer, codes] : weights.codes)
    report.layers[layer] =
        layerQuantData(fp_->weight(layer), codes, weights.rtnCodes.at(layer), weights.grids.at(layer));
}

void EngineWorker::writeSession(const QString& path) const {
  if (!lastRun_ || !weights_) throw Error(ErrorCode::InvalidArgument, "there is no run to save yet");
  Session s = makeSession(path_.toStdString(), calibration_.toStdString(), lastRun_->result, *weights_);
  if (importance_) s.importance = importance_->estimates;  // the latest first
  roundlab::saveSession(path.toStdString(), s);            // atomic: a failure leaves any old file as it was
}

void EngineWorker::saveSession(const QString& path) {
  runJob([&] {
    writeSession(path);
    Q_EMIT sessionSaved(path);
  });
}

void EngineWorker::autosave(const QString& path) {
  // Not a job the user started: its outcome is only logged.
  try {
    writeSession(path);
    Q_EMIT autosaved(path, {});
  } catch (const std::exception& e) {
    Q_EMIT autosaved(path, QString::fromStdString(e.what()));
  }
}

void EngineWorker::openSession(const QString& path) {
  runJob(
      [&] {
        const Session s = loadSession(path.toStdString());
        const QString modelPath = QString::fromStdString(s.modelPath);
        if (!QFileInfo::exists(modelPath))
          throw Error(ErrorCode::BadDataFile, "the session's model " + s.modelPath + " is not there any more");
        Model fp = Model::load(s.modelPath);
        Model work = fp.clone();
        applySession(work, s);  // throws when the model does not match the session; nothing changes then
        fp_ = std::make_unique<Model>(std::move(fp));
        model_ = std::make_unique<Model>(std::move(work));
        path_ = modelPath;
        calibration_ = QString::fromStdString(s.calibrationPath);
        weights_ = std::make_unique<QuantizedWeights>(s.weights);
        auto report = std::make_shared<RunReport>();
        report->result = s.result;
        report->sessionPath = path;
        fillLayerData(*report, *weights_);
        lastRun_ = report;
        importance_.reset();
        std::shared_ptr<ImportanceReport> imp;
        if (!s.importance.empty()) {
          imp = std::make_shared<ImportanceReport>();
          imp->table = s.importance.front();
          imp->estimates = s.importance;
          imp->fromSession = true;
          importance_ = imp;
          try {  // the allocation needs the layer costs: one sample of the calibration set
            imp->costs = layerCosts(*fp_, *openDataset(calibration_.toStdString()));
          } catch (const std::exception&) {
            imp.reset();  // the tables stay in the session; the views wait for a calibration set
          }
        }
        const SnapshotPtr snap = snapshot();
        Q_EMIT loaded(snap);
        Q_EMIT quantized(report, snap);
        Q_EMIT sessionOpened(path, modelPath, calibration_);
        if (imp) Q_EMIT importanceReady(imp);
      },
      /*needsModel=*/false);
}

void EngineWorker::exportModel(ExportKind kind, const QString& path, const QString& probeData) {
  runJob([&] {
    if (!lastRun_ || !weights_) throw Error(ErrorCode::InvalidArgument, "quantize the model before exporting it");
    const std::string out = path.toStdString();
    QString validation;
    switch (kind) {
      case ExportKind::TorchScript: {
        const auto probe = openDataset((probeData.isEmpty() ? calibration_ : probeData).toStdString());
        const ExportReport e = exportTorchScript(*model_, out, *probe);
        validation = QString("reloaded in LibTorch: outputs on %1 samples identical (max |Δ| = %2)")
                         .arg(e.probeSamples)
                         .arg(e.maxAbsDiff);
        break;
      }
      case ExportKind::QuantizedHdf5:
        exportQuantizedHdf5(
            out, *model_, *weights_,
            {quantMethodName(lastRun_->result.request.method), lastRun_->result.request.seed, path_.toStdString()});
        validation = QString("read back: dequantized weights of %1 layers identical to the model's, bit for bit")
                         .arg(weights_->codes.size());
        break;
      case ExportKind::Encodings:
        exportEncodingsJson(out, *model_, *weights_);
        validation = QString("encodings of %1 layers").arg(weights_->codes.size());
        break;
      case ExportKind::ResultsCsv:
        exportResultsCsv(out, lastRun_->result);
        validation = QString("%1 layer rows").arg(lastRun_->result.layers.size());
        break;
    }
    Q_EMIT exported(path, validation);
  });
}

void EngineWorker::importance(const ImportanceRequest& request, const QString& calibration, const CancelToken& cancel) {
  runJob([&] {
    const auto calib = openDataset(calibration.toStdString());
    auto report = std::make_shared<ImportanceReport>();
    report->table = estimateImportance(*fp_, *calib, request, progressSignal(), cancel);
    report->costs = layerCosts(*fp_, *calib);
    // Earlier estimates of the other estimators stay, for the comparison.
    report->estimates.push_back(report->table);
    if (importance_)
      for (const ImportanceTable& t : importance_->estimates)
        if (t.estimator != report->table.estimator) report->estimates.push_back(t);
    importance_ = report;
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

void EngineThread::autosave(const QString& path) {
  QMetaObject::invokeMethod(
      worker_, [w = worker_, path] { w->autosave(path); }, Qt::QueuedConnection);
}

void EngineThread::saveSession(const QString& path) {
  QMetaObject::invokeMethod(
      worker_, [w = worker_, path] { w->saveSession(path); }, Qt::QueuedConnection);
}

void EngineThread::openSession(const QString& path) {
  QMetaObject::invokeMethod(
      worker_, [w = worker_, path] { w->openSession(path); }, Qt::QueuedConnection);
}

void EngineThread::exportModel(ExportKind kind, const QString& path, const QString& probeData) {
  QMetaObject::invokeMethod(
      worker_, [w = worker_, kind, path, probeData] { w->exportModel(kind, path, probeData); }, Qt::QueuedConnection);
}

CancelToken EngineThread::importance(const ImportanceRequest& request, const QString& calibration) {
  current_ = CancelToken();
  QMetaObject::invokeMethod(
      worker_, [w = worker_, request, calibration, c = current_] { w->importance(request, calibration, c); },
      Qt::QueuedConnection);
  return current_;
}

}  // namespace roundlab::app
