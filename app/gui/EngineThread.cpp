#include "app/gui/EngineThread.h"

#include "app/gui/ExperimentPanel.h"

#include <QElapsedTimer>
#include <QLocale>

#include "engine/core/Error.h"

namespace roundlab::app {

namespace {
constexpr qint64 kProgressIntervalMs = 100;  // progress reaches the GUI at most ~10 times a second
}

EngineWorker::EngineWorker() : workspace_(WorkspaceOptions{/*layerViews=*/true}) {}
EngineWorker::~EngineWorker() = default;

void EngineWorker::requireEngineThread(const char* operation) const {
  // The workspace is not thread-safe: a call from any other thread is a programming error.
  if (QThread::currentThread() != thread()) qFatal("EngineWorker::%s called off the engine thread", operation);
}

void EngineWorker::runJob(const std::function<void()>& job) {
  openingData_.clear();
  try {
    job();
  } catch (const Error& e) {
    if (e.code() == ErrorCode::AmbiguousNormalization && !openingData_.isEmpty())
      Q_EMIT normalizationAsked(openingData_, QString::fromStdString(e.what()));
    else
      Q_EMIT jobFailed(QString::fromStdString(e.what()), e.code() == ErrorCode::Cancelled);
  } catch (const std::exception& e) {
    Q_EMIT jobFailed(QString::fromStdString(e.what()), false);
  }
}

DataSource EngineWorker::dataSource(const QString& path) const {
  DataSource source;
  source.path = path.toStdString();
  if (const auto chosen = normalizations_.find(path); chosen != normalizations_.end())
    source.options.normalization = chosen->second;
  return source;
}

void EngineWorker::useData(const QString& calibration, const QString& validation) {
  openingData_ = calibration;
  workspace_.setCalibration(dataSource(calibration));
  // The near-chance check runs the FP model over up to 256 samples: once per model, file and
  // reading, not before every job.
  const SnapshotPtr model = workspace_.snapshot();
  const auto chosen = normalizations_.find(calibration);
  const QString checked = QString("%1|%2|%3")
                              .arg(model ? QString::fromStdString(model->path) : QString(), calibration)
                              .arg(chosen == normalizations_.end() ? -1 : static_cast<int>(chosen->second));
  if (!calibrationChecked_.contains(checked)) {
    if (const std::string w = workspace_.calibrationWarning(); !w.empty()) Q_EMIT warning(QString::fromStdString(w));
    calibrationChecked_.insert(checked);
  }
  openingData_ = validation;
  if (validation.isEmpty())
    workspace_.clearEvaluation();
  else
    workspace_.setEvaluation(dataSource(validation));
  openingData_.clear();
}

void EngineWorker::setNormalization(const QString& path, Normalization normalization) {
  requireEngineThread("setNormalization");
  normalizations_[path] = normalization;
}

JobHooks EngineWorker::hooks(const CancelToken& cancel) {
  JobHooks h;
  h.cancel = cancel;
  auto clock = std::make_shared<QElapsedTimer>();
  auto last = std::make_shared<std::pair<std::string, std::string>>();  // stage and unit last sent
  h.progress = [this, clock, last](const Progress& p) {
    // A new stage or unit (its first loss starts a curve) and the end always pass; otherwise one
    // update per interval.
    const bool same = p.stage == last->first && p.message == last->second;
    if (same && clock->isValid() && clock->elapsed() < kProgressIntervalMs && p.fraction < 1) return;
    clock->start();
    *last = {p.stage, p.message};
    Q_EMIT progress(QString::fromStdString(p.stage), p.fraction, QString::fromStdString(p.message), p.metric,
                    p.hasMetric);
  };
  h.layerDone = [this](const LayerOutcome& o) {
    Q_EMIT layerFinished(QString::fromStdString(o.layer), o.bits, o.flipRate, o.sqnrDb);
    if (!o.trace.empty()) Q_EMIT layerTraced(QString::fromStdString(o.layer), std::make_shared<RoundingTrace>(o.trace));
  };
  return h;
}

void EngineWorker::load(const QString& path, const QString& calibration, const QString& outputChoice) {
  requireEngineThread("load");
  try {  // the current model stays when the new one does not load
    // The calibration set the next job uses anyway: the snapshot then holds the tensor shapes of
    // one of its samples. One that does not open (or asks how to normalise it) waits for that job.
    workspace_.loadModel(path.toStdString(),
                         outputChoice.toStdString());  // first: a model that fails to load changes nothing
    try {
      if (!calibration.isEmpty()) workspace_.setCalibration(dataSource(calibration));
    } catch (const std::exception&) {
    }
    Q_EMIT loaded(workspace_.snapshot());
    Q_EMIT experimentsChanged(workspace_.experiments());  // none: they belonged to the previous model
  } catch (const std::exception& e) {
    Q_EMIT loadFailed(QString::fromStdString(e.what()));
  }
}

void EngineWorker::quantize(const QuantizationRequest& request, const QString& calibration, const QString& validation,
                            const CancelToken& cancel) {
  requireEngineThread("quantize");
  runJob([&] {
    useData(calibration, validation);
    const RunPtr run = workspace_.quantize(request, hooks(cancel));
    Q_EMIT quantized(run, workspace_.snapshot());
    Q_EMIT runWeightsKept(keptRunWeights());
  });
}

void EngineWorker::quantizeGuarded(const QuantizationRequest& request, const QString& calibration,
                                   const QString& validation, const CancelToken& cancel) {
  requireEngineThread("quantizeGuarded");
  runJob([&] {
    useData(calibration, validation);
    const int activationBits = request.activations.enabled() ? request.activations.bits : 8;
    Allocation mixed;
    mixed.bits = request.bits;
    mixed.totals = workspace_.allocationModel(activationBits).totals(mixed.bits);
    auto guard = std::make_shared<const GuardedAllocation>(workspace_.quantizeAllocation(
        request, mixed, BudgetKind::AverageBits, mixed.totals.averageBits, {}, activationBits, hooks(cancel)));
    // First, without a snapshot: `quantized`, the job's end, brings the model's.
    Q_EMIT guardCompared(guard, history(/*withSnapshot=*/false));
    Q_EMIT quantized(guard->keptRun(), workspace_.snapshot());
    Q_EMIT runWeightsKept(keptRunWeights());
  });
}

void EngineWorker::refineAllocation(const std::map<std::string, int>& bits, const QString& calibration,
                                    const CancelToken& cancel) {
  requireEngineThread("refineAllocation");
  runJob([&] {
    useData(calibration, {});
    Allocation start;
    start.bits = bits;
    start.totals = workspace_.allocationModel().totals(bits);
    // The estimate's own measurements (ImportanceRequest's defaults, as "Estimate importance").
    Q_EMIT allocationRefined(std::make_shared<const RefinedAllocation>(workspace_.refineAllocation(
        ImportanceRequest{}, start, BudgetKind::AverageBits, start.totals.averageBits, {}, 3, 8, hooks(cancel))));
  });
}

void EngineWorker::importance(const ImportanceRequest& request, const QString& calibration, const CancelToken& cancel) {
  requireEngineThread("importance");
  runJob([&] {
    useData(calibration, {});
    Q_EMIT importanceReady(workspace_.estimateImportance(request, hooks(cancel)));
  });
}

void EngineWorker::experiment(const ExperimentSetup& setup, const QString& calibration, const QString& validation,
                              const CancelToken& cancel) {
  requireEngineThread("experiment");
  runJob([&] {
    useData(calibration, validation);
    const ExperimentPlan plan = setup.makePlan(workspace_.calibrationInfo());
    JobHooks h = hooks(cancel);
    h.layerDone = {};  // cells are the news, not their layers
    h.experimentRow = [this](const ExperimentRow&, const RunPtr&) {
      Q_EMIT experimentCellDone(workspace_.experiments(), history());
    };
    try {
      const ExperimentPtr e = workspace_.runExperiment(plan, h);
      Q_EMIT runWeightsKept(keptRunWeights());
      Q_EMIT experimentFinished(e);
    } catch (...) {
      Q_EMIT experimentsChanged(workspace_.experiments());  // the cells finished before stay
      Q_EMIT runWeightsKept(keptRunWeights());
      throw;
    }
  });
}

void EngineWorker::saveSession(const QString& path) {
  requireEngineThread("saveSession");
  runJob([&] {
    workspace_.saveSession(path.toStdString());
    Q_EMIT sessionSaved(path);
  });
}

void EngineWorker::autosave(const QString& path) {
  requireEngineThread("autosave");
  // Not a job the user started: its outcome is only logged.
  try {
    workspace_.saveSession(path.toStdString());
    Q_EMIT autosaved(path, {});
  } catch (const std::exception& e) {
    Q_EMIT autosaved(path, QString::fromStdString(e.what()));
  }
}

void EngineWorker::openSession(const QString& path) {
  requireEngineThread("openSession");
  runJob([&] {
    const OpenedSession s = workspace_.openSession(path.toStdString());
    Q_EMIT loaded(s.snapshot);
    Q_EMIT quantized(s.run, s.snapshot);
    Q_EMIT runWeightsKept(keptRunWeights());
    Q_EMIT sessionOpened(path, QString::fromStdString(s.snapshot->path), QString::fromStdString(s.calibrationPath));
    if (s.importance) Q_EMIT importanceReady(s.importance);
    Q_EMIT experimentsChanged(workspace_.experiments());
  });
}

void EngineWorker::exportModel(ExportKind kind, const QString& path, const QString& probeData) {
  requireEngineThread("exportModel");
  runJob([&] {
    const ExportOutcome e = workspace_.exportRun(kind, path.toStdString(), probeData.toStdString());
    Q_EMIT exported(path, QString::fromStdString(e.validation));
  });
}

QList<int> EngineWorker::keptRunWeights() const {
  QList<int> numbers;
  for (const RunPtr& r : workspace_.runs())
    if (workspace_.hasRunWeights(r->number)) numbers << r->number;
  return numbers;
}

RunHistory EngineWorker::history(bool withSnapshot) const {
  RunHistory h;
  h.runs = workspace_.runs();
  h.runsWithWeights = keptRunWeights();
  h.current = workspace_.currentRun();
  if (withSnapshot) h.snapshot = workspace_.snapshot();
  return h;
}

void EngineWorker::selectRun(int number) {
  requireEngineThread("selectRun");
  runJob([&] {
    workspace_.selectRun(number);
    Q_EMIT historyChanged(history());
  });
}

void EngineWorker::deleteRun(int number) {
  requireEngineThread("deleteRun");
  runJob([&] {
    workspace_.deleteRun(number);
    Q_EMIT historyChanged(history());
  });
}

void EngineWorker::renameRun(int number, const QString& name) {
  requireEngineThread("renameRun");
  runJob([&] {
    workspace_.renameRun(number, name.toStdString());
    Q_EMIT historyChanged(history());
  });
}

void EngineWorker::describeData(const QString& path) {
  requireEngineThread("describeData");
  // Read as stored (no normalisation question): only its size, shape and labels are wanted.
  try {
    DataOptions asStored;
    asStored.normalization = Normalization::None;
    const DatasetInfo info = openDataset(path.toStdString(), asStored)->info();
    QStringList shape;
    for (int64_t d : info.sampleShape) shape << QString::number(d);
    const QString samples = QLocale().toString(static_cast<qlonglong>(info.samples));
    // Token ids (a language model's data): sequences, labelled by the next token or per token.
    const QString text = info.tokenIds ? QString("%1 sequences of %2 token ids%3")
                                             .arg(samples, shape.join("×"),
                                                  info.labelsShifted ? QString(", next-token labels")
                                                  : info.hasLabels   ? QString(", labelled")
                                                                     : QString(", no labels"))
                                       : QString("%1 samples of %2%3")
                                             .arg(samples, shape.join("×"),
                                                  info.hasLabels ? QString(", labelled") : QString(", no labels"));
    Q_EMIT dataDescribed(path, text);
  } catch (const std::exception& e) {
    Q_EMIT dataDescribed(path, "does not open: " + QString::fromStdString(e.what()));
  }
}

EngineThread::EngineThread(QObject* parent) : QObject(parent), worker_(new EngineWorker) {
  qRegisterMetaType<SnapshotPtr>();
  qRegisterMetaType<RunPtr>();
  qRegisterMetaType<ImportancePtr>();
  qRegisterMetaType<RunHistory>();
  qRegisterMetaType<RoundingTracePtr>();
  qRegisterMetaType<GuardPtr>();
  qRegisterMetaType<RefinementPtr>();
  qRegisterMetaType<ExperimentPtr>();
  qRegisterMetaType<ExperimentList>();
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

void EngineThread::post(std::function<void(EngineWorker*)> fn) {
  QMetaObject::invokeMethod(
      worker_, [w = worker_, fn = std::move(fn)] { fn(w); }, Qt::QueuedConnection);
}

void EngineThread::load(const QString& path, const QString& calibration, const QString& outputChoice) {
  post([path, calibration, outputChoice](EngineWorker* w) { w->load(path, calibration, outputChoice); });
}

CancelToken EngineThread::quantizeGuarded(const QuantizationRequest& request, const QString& calibration,
                                          const QString& validation) {
  current_ = CancelToken();
  post([request, calibration, validation, c = current_](EngineWorker* w) {
    w->quantizeGuarded(request, calibration, validation, c);
  });
  return current_;
}

CancelToken EngineThread::quantize(const QuantizationRequest& request, const QString& calibration,
                                   const QString& validation) {
  current_ = CancelToken();
  post([request, calibration, validation, c = current_](EngineWorker* w) {
    w->quantize(request, calibration, validation, c);
  });
  return current_;
}

CancelToken EngineThread::refineAllocation(const std::map<std::string, int>& bits, const QString& calibration) {
  current_ = CancelToken();
  post([bits, calibration, c = current_](EngineWorker* w) { w->refineAllocation(bits, calibration, c); });
  return current_;
}

CancelToken EngineThread::importance(const ImportanceRequest& request, const QString& calibration) {
  current_ = CancelToken();
  post([request, calibration, c = current_](EngineWorker* w) { w->importance(request, calibration, c); });
  return current_;
}

CancelToken EngineThread::experiment(const ExperimentSetup& setup, const QString& calibration,
                                     const QString& validation) {
  current_ = CancelToken();
  post([setup, calibration, validation, c = current_](EngineWorker* w) {
    w->experiment(setup, calibration, validation, c);
  });
  return current_;
}

void EngineThread::saveSession(const QString& path) {
  post([path](EngineWorker* w) { w->saveSession(path); });
}

void EngineThread::autosave(const QString& path) {
  post([path](EngineWorker* w) { w->autosave(path); });
}

void EngineThread::openSession(const QString& path) {
  post([path](EngineWorker* w) { w->openSession(path); });
}

void EngineThread::exportModel(ExportKind kind, const QString& path, const QString& probeData) {
  post([kind, path, probeData](EngineWorker* w) { w->exportModel(kind, path, probeData); });
}

void EngineThread::setNormalization(const QString& path, Normalization normalization) {
  post([path, normalization](EngineWorker* w) { w->setNormalization(path, normalization); });
}

void EngineThread::selectRun(int number) {
  post([number](EngineWorker* w) { w->selectRun(number); });
}

void EngineThread::deleteRun(int number) {
  post([number](EngineWorker* w) { w->deleteRun(number); });
}

void EngineThread::renameRun(int number, const QString& name) {
  post([number, name](EngineWorker* w) { w->renameRun(number, name); });
}

void EngineThread::describeData(const QString& path) {
  post([path](EngineWorker* w) { w->describeData(path); });
}

}  // namespace roundlab::app
