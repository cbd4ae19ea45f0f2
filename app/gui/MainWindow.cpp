#include "app/gui/MainWindow.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QComboBox>
#include <QDockWidget>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QScreen>
#include <QScrollArea>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTimer>
#include <QTreeWidget>
#include <QVBoxLayout>

#include "app/common/DemoAssets.h"
#include "app/gui/AllocationPanel.h"
#include "app/gui/ExperimentPanel.h"
#include "app/gui/GridPlayground.h"
#include "app/gui/JobController.h"
#include "app/gui/LessonsPanel.h"
#include "app/gui/PresentationMode.h"
#include "app/gui/RunPanel.h"
#include "app/gui/WelcomePage.h"
#include "engine/core/Error.h"
#include "engine/core/Runtime.h"
#include "widgets/DataFileBar.h"
#include "widgets/ExperimentView.h"
#include "widgets/ImportanceView.h"
#include "widgets/LayerTableModel.h"
#include "widgets/LogConsole.h"
#include "widgets/ModelGraphView.h"
#include "widgets/PlotStyle.h"
#include "widgets/QCustomPlotInclude.h"
#include "widgets/RoundingFlipsView.h"
#include "widgets/RoundingTraceView.h"
#include "widgets/RunComparisonView.h"
#include "widgets/RunHistoryTable.h"
#include "widgets/ShadeLegend.h"
#include "widgets/TableExport.h"
#include "widgets/WeightHistogramView.h"

namespace roundlab::app {

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent),
      layerModel_(new widgets::LayerTableModel(this)),
      layerProxy_(new QSortFilterProxyModel(this)),
      layerView_(new QTableView),
      filter_(new QLineEdit),
      histogram_(new widgets::WeightHistogramView),
      playground_(new GridPlayground),
      blocks_(new QTreeWidget),
      notQuantized_(new QTableWidget),
      status_(new QLabel),
      device_(new QLabel),
      memory_(new QLabel),
      job_(new QLabel),
      tabs_(new QTabWidget),
      central_(new QStackedWidget),
      welcome_(new WelcomePage),
      flips_(new widgets::RoundingFlipsView),
      trace_(new widgets::RoundingTraceView),
      importance_(new widgets::ImportanceView),
      compare_(new widgets::RunComparisonView),
      shadeBy_(new QComboBox),
      graph_(new widgets::ModelGraphView),
      log_(new widgets::LogConsole),
      properties_(new QTableWidget),
      run_(new RunPanel),
      allocation_(new AllocationDocument(this)),
      allocationPanel_(new AllocationPanel(allocation_)),
      presentation_(new PresentationMode(this)) {
  updateTitle();
  layerProxy_->setSourceModel(layerModel_);
  layerProxy_->setSortRole(widgets::LayerTableModel::SortRole);
  layerProxy_->setFilterKeyColumn(-1);
  layerProxy_->setFilterCaseSensitivity(Qt::CaseInsensitive);
  layerView_->setModel(layerProxy_);
  layerView_->setSortingEnabled(true);
  layerView_->sortByColumn(-1, Qt::AscendingOrder);
  layerView_->setSelectionBehavior(QAbstractItemView::SelectRows);
  layerView_->setSelectionMode(QAbstractItemView::SingleSelection);
  layerView_->horizontalHeader()->setStretchLastSection(true);
  layerView_->verticalHeader()->hide();
  layerView_->setWordWrap(false);
  filter_->setObjectName("layerFilter");
  filter_->setPlaceholderText("Filter layers (name, kind, block)…");
  filter_->setClearButtonEnabled(true);
  connect(filter_, &QLineEdit::textChanged, layerProxy_, &QSortFilterProxyModel::setFilterFixedString);
  connect(layerView_->selectionModel(), &QItemSelectionModel::selectionChanged, this, &MainWindow::onLayerSelected);

  shadeBy_->setObjectName("shadeBy");
  shadeBy_->setToolTip("Colour the layer rows by the rank of a metric (strongest: largest)");
  shadeBy_->addItem("No colouring", -1);
  for (int c :
       {widgets::LayerTableModel::Params, widgets::LayerTableModel::Macs, widgets::LayerTableModel::Bits,
        widgets::LayerTableModel::FlipRate, widgets::LayerTableModel::Sqnr, widgets::LayerTableModel::Importance})
    shadeBy_->addItem("Colour by " + layerModel_->headerData(c, Qt::Horizontal).toString().toLower(), c);
  for (int i = 0; i < shadeBy_->count(); ++i) graph_->colorBox()->addItem(shadeBy_->itemText(i), shadeBy_->itemData(i));
  auto* shadeLegend = new widgets::ShadeLegend;
  connect(shadeBy_, &QComboBox::currentIndexChanged, this, [this, shadeLegend] {
    const int column = shadeBy_->currentData().toInt();
    layerModel_->setShadeColumn(column);
    shadeLegend->setMetric(column < 0 ? QString()
                                      : layerModel_->headerData(column, Qt::Horizontal).toString().toLower());
    graph_->colorBox()->setCurrentIndex(shadeBy_->currentIndex());  // colours follow the model's dataChanged
  });
  // The graph's colouring is the table's: either box sets both.
  connect(graph_->colorBox(), &QComboBox::currentIndexChanged, shadeBy_, &QComboBox::setCurrentIndex);
  connect(layerModel_, &QAbstractItemModel::dataChanged, this, &MainWindow::colorGraph);
  connect(layerModel_, &QAbstractItemModel::modelReset, this, &MainWindow::colorGraph);
  connect(graph_, &widgets::ModelGraphView::layerClicked, this, &MainWindow::selectLayer);
  connect(graph_, &widgets::ModelGraphView::laidOut, this, [this] {
    colorGraph();
    graph_->setSelectedLayer(selectedLayer());
  });
  auto* left = new QWidget;
  auto* leftLayout = new QVBoxLayout(left);
  leftLayout->setContentsMargins(0, 0, 0, 0);
  auto* tools = new QHBoxLayout;
  tools->addWidget(filter_, 1);
  tools->addWidget(shadeBy_);
  leftLayout->addLayout(tools);
  leftLayout->addWidget(layerView_);
  leftLayout->addWidget(shadeLegend);

  blocks_->setHeaderLabels({"Block / layer", "Type"});
  notQuantized_->setColumnCount(3);
  notQuantized_->setHorizontalHeaderLabels({"Parameter", "Shape", "Reason"});
  notQuantized_->horizontalHeader()->setStretchLastSection(true);
  notQuantized_->verticalHeader()->hide();
  notQuantized_->setEditTriggers(QAbstractItemView::NoEditTriggers);

  properties_->setObjectName("properties");
  properties_->setColumnCount(2);
  properties_->setHorizontalHeaderLabels({"Property", "Value"});
  properties_->horizontalHeader()->setStretchLastSection(true);
  properties_->verticalHeader()->hide();
  properties_->setWordWrap(false);  // a long value is elided, whole in its tooltip
  properties_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  for (QAbstractItemView* table : std::initializer_list<QAbstractItemView*>{layerView_, notQuantized_, properties_})
    widgets::addCsvExportMenu(table);

  tabs_->setObjectName("views");
  // A view that needs more room than a small screen (or a large scale factor) leaves scrolls
  // inside the window, instead of making the window larger than the screen.
  auto scrolled = [](QWidget* view) -> QWidget* {
    auto* area = new QScrollArea;
    area->setWidget(view);
    area->setWidgetResizable(true);
    area->setFrameShape(QFrame::NoFrame);
    return area;
  };
  // Short names, so that every tab fits beside the docks of a 1440-pixel window.
  tabs_->addTab(scrolled(histogram_), "Weights");
  tabs_->addTab(scrolled(playground_), "Grid");
  tabs_->setTabToolTip(tabs_->count() - 1, "Grid playground: round a layer to nearest while moving the settings");
  tabs_->addTab(scrolled(flips_), "Rounding flips");
  tabs_->addTab(scrolled(trace_), "Learning");
  tabs_->setTabToolTip(tabs_->count() - 1, "The rounding as it is learned, layer by layer");
  tabs_->addTab(scrolled(importance_), "Importance");
  tabs_->addTab(scrolled(run_), "Run");
  tabs_->addTab(scrolled(allocationPanel_), "Mixed precision");
  tabs_->addTab(scrolled(compare_), "Evaluate");
  experiments_ = new ExperimentPanel;
  tabs_->addTab(scrolled(experiments_), "Experiments");
  tabs_->setTabToolTip(tabs_->count() - 1, "Vary settings, or run the founding paper's study, and compare the runs");
  // The model's structure: the blocks block reconstruction uses, and what stays in floating point.
  auto* structure = new QSplitter(Qt::Vertical);
  auto titled = [](const QString& title, QWidget* view) {
    auto* box = new QWidget;
    auto* layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* label = new QLabel("<b>" + title + "</b>");
    label->setWordWrap(true);
    layout->addWidget(label);
    layout->addWidget(view, 1);
    return box;
  };
  structure->addWidget(titled("Blocks: the units block reconstruction (BRECQ, QDrop) learns together", blocks_));
  structure->addWidget(titled("Not quantized: parameters kept in floating point, and why", notQuantized_));
  // The dataflow graph above the lists (stacked, so that a narrow window still fits them all).
  structure->insertWidget(0, graph_);
  structure->setStretchFactor(0, 6);
  structure->setStretchFactor(1, 1);
  structure->setStretchFactor(2, 1);
  tabs_->addTab(structure, "Structure");  // item views scroll by themselves
  tabs_->setTabToolTip(tabs_->count() - 1, "The dataflow graph, the blocks, and what stays in floating point");
  central_->addWidget(scrolled(welcome_));  // never widens the window on a small screen
  central_->addWidget(tabs_);
  central_->setCurrentWidget(tabs_);
  setCentralWidget(central_);
  connect(welcome_, &WelcomePage::demoRequested, this,
          [this](bool transformer) { openDemo(transformer ? Demo::Transformer : Demo::ResidualCnn); });
  connect(welcome_, &WelcomePage::openModelRequested, this, &MainWindow::chooseModelFile);
  connect(welcome_, &WelcomePage::openSessionRequested, this, &MainWindow::chooseSessionFile);
  connect(welcome_, &WelcomePage::recoverRequested, this, &MainWindow::recoverLastSession);
  connect(welcome_, &WelcomePage::fileRequested, this, &MainWindow::openAnyFile);
  connect(welcome_, &WelcomePage::documentationRequested, this, &MainWindow::showDocumentation);
  connect(welcome_, &WelcomePage::shortcutsRequested, this, &MainWindow::showShortcutSheet);
  connect(welcome_, &WelcomePage::lessonsRequested, this, [this] {
    showLessons();
    if (!snapshot_) openDemo();  // every lesson is on the demo
  });
  setDockNestingEnabled(true);
  QDockWidget* layersDock = addDock("Layers", "layersDock", left, Qt::LeftDockWidgetArea);
  // On a screen narrower than 1600 px the selected layer's properties go under the layer table,
  // so the views in the middle keep the width their plots need; on wider screens, to the right.
  const QScreen* screen = QGuiApplication::primaryScreen();
  if (screen && screen->availableGeometry().width() < 1600)
    splitDockWidget(layersDock, addDock("Properties", "propertiesDock", properties_, Qt::LeftDockWidgetArea),
                    Qt::Vertical);
  else
    addDock("Properties", "propertiesDock", properties_, Qt::RightDockWidgetArea);
  addDock("Log", "logDock", log_, Qt::BottomDockWidgetArea);
  buildLessons();
  setAcceptDrops(true);

  const int threads = qApp->property("computeThreads").toInt();
  device_->setText(threads > 0 ? QString("CPU · %1 thread%2").arg(threads).arg(threads > 1 ? "s" : "")
                               : QString("CPU"));
  device_->setToolTip("RoundLab computes on the CPU with this many threads");
  jobs_ = new JobController(status_, job_, log_, this);
  statusBar()->addWidget(status_, 1);
  statusBar()->addPermanentWidget(job_);
  statusBar()->addPermanentWidget(memory_);
  statusBar()->addPermanentWidget(device_);
  auto* memoryTimer = new QTimer(this);
  connect(memoryTimer, &QTimer::timeout, this, &MainWindow::updateMemory);
  memoryTimer->start(2000);
  updateMemory();
  buildMenus();
  EngineWorker* worker = engine_.worker();
  connect(worker, &EngineWorker::loaded, this, &MainWindow::onLoaded);
  connect(worker, &EngineWorker::loadFailed, this, &MainWindow::onLoadFailed);
  connect(worker, &EngineWorker::quantized, this, &MainWindow::onQuantized);
  connect(worker, &EngineWorker::jobFailed, this, &MainWindow::onJobFailed);
  connect(worker, &EngineWorker::normalizationAsked, this, &MainWindow::onNormalizationAsked);
  connect(worker, &EngineWorker::historyChanged, this, &MainWindow::onHistoryChanged);
  buildExperiments();
  connect(worker, &EngineWorker::runWeightsKept, this, [this](const QList<int>& numbers) {
    runsWithWeights_ = numbers;
    refreshRunHistory();
  });
  connect(worker, &EngineWorker::dataDescribed, this, [this](const QString& path, const QString& description) {
    run_->calibrationBar()->setDescription(path, description);
    compare_->validationBar()->setDescription(path, description);
  });
  widgets::RunHistoryTable* history = compare_->history();
  connect(history, &widgets::RunHistoryTable::showRequested, this, &MainWindow::showRun);
  connect(history, &widgets::RunHistoryTable::deleteRequested, this, &MainWindow::deleteRun);
  connect(history, &widgets::RunHistoryTable::renameRequested, this, &MainWindow::renameRun);
  connect(worker, &EngineWorker::layerTraced, this, [this](const QString& layer, RoundingTracePtr trace) {
    liveTraces_[layer] = std::move(trace);
    if (selectedLayer() == layer) showRoundingTrace(layer, nullptr);  // live, while the run goes on
  });
  connect(worker, &EngineWorker::layerFinished, this,
          [this](const QString& layer, int bits, double flipRate, double sqnrDb) {
            layerModel_->setLayerMetrics(layer.toStdString(), {bits, flipRate, sqnrDb});
            log_->log(widgets::LogConsole::Debug, QString("%1 done: %2 bits, %3 % flipped, SQNR %4 dB")
                                                      .arg(layer)
                                                      .arg(bits)
                                                      .arg(100 * flipRate, 0, 'f', 2)
                                                      .arg(sqnrDb, 0, 'f', 1));
          });
  connect(worker, &EngineWorker::progress, this,
          [this](const QString& stage, double fraction, const QString& unit, double metric, bool hasMetric) {
            if (runViewJob_) run_->onProgress(stage, fraction, unit, metric, hasMetric);
            if (allocationViewJob_) allocationPanel_->onProgress(stage, fraction, unit);
          });
  connect(worker, &EngineWorker::progress, jobs_,
          [this](const QString& stage, double fraction, const QString& unit, double, bool) {
            jobs_->progress(stage, fraction, unit);
          });
  connect(worker, &EngineWorker::sessionSaved, this, [this](const QString& path) {
    sessionPath_ = path;
    setUnsaved(false);
    addRecentFile(path);
    jobs_->finish("Session saved to " + path);
    Q_EMIT sessionSaved(path);
  });
  connect(worker, &EngineWorker::autosaved, this, [this](const QString& path, const QString& error) {
    if (error.isEmpty())
      log_->log(widgets::LogConsole::Debug, "Run autosaved to " + path);
    else
      log_->log(widgets::LogConsole::Warning, "Could not autosave the run: " + error);
  });
  connect(worker, &EngineWorker::sessionOpened, this,
          [this](const QString& path, const QString& modelPath, const QString& calibrationPath) {
            const bool recovered = path == autosavePath();  // a recovered run is saved anew
            sessionPath_ = recovered ? QString() : path;
            setUnsaved(recovered);
            setCalibrationPath(calibrationPath);
            useDemoData(modelPath, true);  // the validation set of a demo's session
            addRecentFile(path);
            // The job ended with the session's run (onQuantized).
            jobs_->report("Session opened: " + path + " (model " + modelPath + ")");
            Q_EMIT sessionOpened(path);
          });
  connect(worker, &EngineWorker::exported, this, [this](const QString& path, const QString& validation) {
    jobs_->finish("Exported " + path + ": " + validation);
    if (!exportedKinds_.contains(exportingKind_)) exportedKinds_ << exportingKind_;
    Q_EMIT exported(path, validation);
    if (isVisible() && !qEnvironmentVariableIsSet("ROUNDLAB_NO_DIALOGS"))
      QMessageBox::information(this, "Export validated", "Exported " + path + "\n\n" + validation);
  });
  connect(worker, &EngineWorker::warning, this, [this](const QString& message) {
    log_->log(widgets::LogConsole::Warning, "Calibration set: " + message);
    statusBar()->showMessage("Warning: " + message, 15000);
  });
  connect(run_, &RunPanel::startRequested, this, [this](const QuantizationRequest& r) {
    rememberRunForm(r);
    startQuantization(r);
  });
  connect(run_, &RunPanel::defaultsRequested, this, [this] { run_->setRequest(preferences_.defaultRequest()); });
  connect(run_, &RunPanel::cancelRequested, this, &MainWindow::cancelJob);
  connect(worker, &EngineWorker::importanceReady, this, [this](roundlab::ImportancePtr report) {
    const bool fromSession = report->fromSession;
    showImportance(*report);
    if (allocation_->setImportance(std::move(report)))
      log_->log(widgets::LogConsole::Info,
                QString("The edited allocation is kept (average %1 bits) with its undo history; its predicted loss "
                        "now uses the new importance.")
                    .arg(allocation_->totals().averageBits, 0, 'f', 3));
    if (!fromSession && report_) setUnsaved(true);  // a session keeps the importance tables with its run
    if (fromSession) {
      log_->log(widgets::LogConsole::Info, "The session's importance tables are in the Importance view.");
    } else {
      endViewJobs("Importance ready: edit the allocation in Mixed precision.", true);
      jobs_->finish("Importance estimated; the allocation can be edited in Mixed precision.");
    }
    Q_EMIT importanceReady();
  });
  connect(allocationPanel_, &AllocationPanel::estimateRequested, this, &MainWindow::estimateImportance);
  connect(allocationPanel_, &AllocationPanel::refineRequested, this, &MainWindow::refineAllocation);
  connect(worker, &EngineWorker::allocationRefined, this, &MainWindow::onAllocationRefined);
  connect(allocationPanel_, &AllocationPanel::cancelRequested, this, &MainWindow::cancelJob);
  allocationPanel_->setRunSettings([this] { return run_->settingsSummary(); });
  connect(allocation_, &AllocationDocument::changed, this, &MainWindow::updateLayerImportance);
  connect(allocationPanel_, &AllocationPanel::quantizeRequested, this, [this] {
    QuantizationRequest r = run_->request();
    r.bits = allocation_->bits();
    r.firstLastEightBit = false;  // the allocation decides every layer
    startQuantization(r, true, allocationPanel_->uniformGuard());
  });
  connect(worker, &EngineWorker::guardCompared, this, [this](const GuardPtr& guard, const RunHistory& history) {
    // Every run of the comparison in the history; onQuantized (next) makes the kept one current.
    history_ = history.runs;
    runsWithWeights_ = history.runsWithWeights;
    const QString summary = uniformGuardSummary(*guard);
    allocationPanel_->showGuard(summary);
    log_->log(widgets::LogConsole::Info, summary);
  });
  const DemoAssets demo = findDemoAssets();
  setCalibrationPath(demo.calibration);
  setValidationPath(demo.validation);
  auto chooseData = [this](const QString& what, auto set) {
    const QString path =
        QFileDialog::getOpenFileName(this, "Open " + what, {}, "RoundLab HDF5 (*.h5 *.hdf5);;All files (*)");
    if (path.isEmpty()) return;
    (this->*set)(path);
    log_->log(widgets::LogConsole::Info, what.left(1).toUpper() + what.mid(1) + ": " + path);
  };
  connect(run_->calibrationBar(), &widgets::DataFileBar::changeRequested, this,
          [chooseData] { chooseData("calibration set", &MainWindow::setCalibrationPath); });
  connect(compare_->validationBar(), &widgets::DataFileBar::changeRequested, this,
          [chooseData] { chooseData("validation set", &MainWindow::setValidationPath); });
  restoreWindowLayout();
  applyPreferences(Preferences::load());
  restoreRunForm();
  log_->log(widgets::LogConsole::Info, QString("RoundLab %1, LibTorch %2")
                                           .arg(QString::fromStdString(libraryVersions().roundlab),
                                                QString::fromStdString(libraryVersions().torch)));
  crashedLastTime_ = QFile::exists(autosavePath());
  if (crashedLastTime_)
    log_->log(widgets::LogConsole::Warning,
              "RoundLab did not exit cleanly last time; File ▸ Recover last session reopens its last run.");
}

QDockWidget* MainWindow::addDock(const QString& title, const QString& objectName, QWidget* content,
                                 Qt::DockWidgetArea area) {
  auto* dock = new QDockWidget(title, this);
  dock->setObjectName(objectName);  // saveState/restoreState key
  dock->setWidget(content);
  addDockWidget(area, dock);
  return dock;
}

void MainWindow::updateMemory() {
  // Resident set size from /proc (Linux); the engine's tensors live in this process.
  QFile f("/proc/self/statm");
  if (!f.open(QIODevice::ReadOnly)) return;
  const QList<QByteArray> fields = f.readAll().split(' ');
  if (fields.size() < 2) return;
  const double mib = fields[1].toDouble() * 4096.0 / (1024.0 * 1024.0);
  memory_->setText(QString("%1 MiB").arg(mib, 0, 'f', 0));
  memory_->setToolTip("Resident memory of RoundLab (model, calibration data, results)");
}

void MainWindow::updateTitle() {
  // The document first, as desktop applications name their windows; [*] becomes "*" while the
  // window holds results no session file has.
  QString name;
  if (!sessionPath_.isEmpty())
    name = QFileInfo(sessionPath_).fileName();
  else if (snapshot_)
    name = QFileInfo(QString::fromStdString(snapshot_->summary.path)).fileName();
  setWindowTitle(name.isEmpty() ? QString("RoundLab") : name + "[*] — RoundLab");
}

void MainWindow::setUnsaved(bool unsaved) {
  setWindowModified(unsaved);
  updateTitle();
}

bool MainWindow::settleUnsavedResults(const QString& before, const std::function<void()>& then) {
  if (!isWindowModified() || !report_ || qEnvironmentVariableIsSet("ROUNDLAB_NO_DIALOGS")) return true;
  if (jobs_->running()) {  // a session is written on the engine thread, after the running job
    QMessageBox::information(this, "RoundLab", "A job is running: cancel it (Esc) or wait, then try again.");
    return false;
  }
  const auto answer = QMessageBox::question(
      this, "RoundLab", "Save the session before " + before + "?\n\nThe last run's results are in no session file yet.",
      QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
  if (answer == QMessageBox::Discard) return true;
  if (answer == QMessageBox::Cancel) return false;
  QString path = sessionPath_;
  if (path.isEmpty() || path == autosavePath())
    path = QFileDialog::getSaveFileName(this, "Save session", proposedSessionPath(), "RoundLab session (*.rlab)");
  if (path.isEmpty()) return false;
  // `then` follows once the session is written; a failed save stops there (and says why).
  auto* after = new QObject(this);
  connect(this, &MainWindow::sessionSaved, after, [after, then] {
    after->deleteLater();
    then();
  });
  connect(this, &MainWindow::jobFailed, after, [after] { after->deleteLater(); });
  saveSessionAs(path);
  return false;
}

void MainWindow::closeEvent(QCloseEvent* event) {
  if (!settleUnsavedResults("closing", [this] { close(); })) {
    event->ignore();
    return;
  }
  presentation_->leave();  // the docks as the user arranged them are what is saved
  saveWindowLayout();
  QFile::remove(autosavePath());  // a clean exit: nothing to recover
  event->accept();
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
  if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
  for (const QUrl& url : event->mimeData()->urls())
    if (url.isLocalFile()) openAnyFile(url.toLocalFile());
}

void MainWindow::changeEvent(QEvent* event) {
  QMainWindow::changeEvent(event);
  if (event->type() == QEvent::PaletteChange || event->type() == QEvent::ApplicationPaletteChange) {
    histogram_->refreshPalette();
    flips_->refreshPalette();
    trace_->refreshPalette();
    importance_->refreshPalette();
    compare_->refreshPalette();
    allocationPanel_->refreshPalette();
    experiments_->view()->refreshPalette();
    widgets::applyPalette(run_->lossPlot());
    run_->lossPlot()->replot();
  }
}

MainWindow::~MainWindow() = default;

void MainWindow::chooseModelFile() {
  const QString path =
      QFileDialog::getOpenFileName(this, "Open TorchScript model", {}, "TorchScript (*.pt *.pth *.ts);;All files (*)");
  if (!path.isEmpty()) openModel(path);
}

void MainWindow::chooseSessionFile() {
  const QString path =
      QFileDialog::getOpenFileName(this, "Open session", preferences_.sessionDirectory(), "RoundLab session (*.rlab)");
  if (!path.isEmpty()) openSession(path);
}

void MainWindow::recoverLastSession() {
  if (QFile::exists(autosavePath()))
    openSession(autosavePath());
  else
    status_->setText("There is no autosaved run to recover.");
}

void MainWindow::openDemo(Demo which) {
  const DemoAssets demo = findDemoAssets();
  if (demo.dir.isEmpty()) {
    Q_EMIT loadFailed("The bundled demo was not found.");
    status_->setText("The bundled demo was not found.");
    return;
  }
  // The data sets follow the model when it starts loading (openModel, useDemoData).
  openModel(which == Demo::Transformer    ? demo.transformer
            : which == Demo::CharacterGpt ? demo.languageModel
                                          : demo.resnet);
}

void MainWindow::useDemoData(const QString& model, bool sessionCalibration) {
  const DemoAssets demo = findDemoAssets();
  auto same = [](const QString& a, const QString& b) {
    const QString ca = QFileInfo(a).canonicalFilePath();
    return !ca.isEmpty() && ca == QFileInfo(b).canonicalFilePath();
  };
  if (demo.dir.isEmpty()) return;
  const bool gpt = same(model, demo.languageModel);
  if (!gpt && !same(model, demo.resnet) && !same(model, demo.transformer)) return;  // not a demo: the data stay
  QStringList switched;
  // The GPT reads token ids: it brings its own sets. An image demo brings Fashion-MNIST's back
  // where the GPT's are in use (a set of the user's own stays).
  if (!sessionCalibration) {
    if (gpt ? !same(calibration_, demo.lmCalibration) : same(calibration_, demo.lmCalibration)) {
      setCalibrationPath(gpt ? demo.lmCalibration : demo.calibration);
      switched << "calibration set " + QFileInfo(calibration_).fileName();
    }
  }
  // After a session's calibration set, only the other demo's validation set is replaced.
  const bool replaceValidation = gpt ? (sessionCalibration ? same(validation_, demo.validation) || validation_.isEmpty()
                                                           : !same(validation_, demo.lmValidation))
                                     : same(validation_, demo.lmValidation);
  if (replaceValidation) {
    setValidationPath(gpt ? demo.lmValidation : demo.validation);
    switched << "validation set " + QFileInfo(validation_).fileName();
  }
  if (!switched.isEmpty())
    log_->log(widgets::LogConsole::Info,
              QString("%1: %2").arg(gpt ? "The character GPT's data" : "Fashion-MNIST data", switched.join(", ")));
}

void MainWindow::openModel(const QString& path, const QString& outputChoice) {
  if (jobs_->running()) {
    status_->setText("A job is running; cancel it before opening another model.");
    return;
  }
  if (loading_) {  // a second click on the same link, or another file while one loads
    status_->setText("Still opening " + pendingPath_ + " …");
    return;
  }
  if (!settleUnsavedResults("opening another model", [this, path, outputChoice] { openModel(path, outputChoice); }))
    return;
  loading_ = true;
  pendingPath_ = path;
  dataBeforeLoad_.emplace(calibration_, validation_);
  useDemoData(path);  // a demo's own data: the load reads the calibration set's shapes
  status_->setText("Loading " + path + " …");
  engine_.load(path, calibration_, outputChoice);  // jobs run one after another on the engine thread
}

void MainWindow::chooseModelOutput(const QString& choice) {
  if (!snapshot_) {
    status_->setText("Open a model first (Ctrl+O, or File ▸ Open demo).");
    return;
  }
  openModel(QString::fromStdString(snapshot_->path), choice);
}

void MainWindow::onLoadFailed(const QString& message) {
  loading_ = false;
  if (dataBeforeLoad_) {  // the previous model stays, and with it its data
    if (dataBeforeLoad_->first != calibration_) setCalibrationPath(dataBeforeLoad_->first);
    if (dataBeforeLoad_->second != validation_) setValidationPath(dataBeforeLoad_->second);
    dataBeforeLoad_.reset();
  }
  status_->setText("Could not open " + pendingPath_);
  log_->log(widgets::LogConsole::Error, "Could not open " + pendingPath_ + ": " + message);
  Q_EMIT loadFailed(message);
  if (isVisible() && !qEnvironmentVariableIsSet("ROUNDLAB_NO_DIALOGS"))
    QMessageBox::warning(this, "Could not open model", message);
}

void MainWindow::onLoaded(roundlab::SnapshotPtr snapshot) {
  loading_ = false;
  dataBeforeLoad_.reset();
  snapshot_ = std::move(snapshot);
  report_.reset();
  exportedKinds_.clear();
  allocationPanel_->setSummary(&snapshot_->summary);
  layerModel_->setMetrics({});
  allocation_->clear();
  layerModel_->setImportance({});
  importance_->clear();
  history_.clear();
  runsWithWeights_.clear();
  compare_->setRuns({});
  playground_->setLayer({}, {}, {});  // until showSummary selects the first layer
  showSummary();
  graph_->setSummary(&snapshot_->summary);
  lessons_->modelChanged();
  central_->setCurrentWidget(tabs_);  // from the welcome page to the views
  run_->setModelLoaded(true);
  experiments_->setModelLoaded(true);
  flips_->clear();
  trace_->clear({});  // also for a model without layers, where no layer gets selected
  sessionPath_.clear();
  setUnsaved(false);  // a model without results: nothing to save yet
  // The snapshot's path, not the last requested one: a session opens its own model.
  const QString path = QString::fromStdString(snapshot_->path);
  addRecentFile(path);
  log_->log(widgets::LogConsole::Info,
            QString("Loaded %1: %2 quantizable layers").arg(path).arg(snapshot_->summary.layers.size()));
  if (const QString note = modelOutputNote(); !note.isEmpty()) log_->log(widgets::LogConsole::Info, note);
  Q_EMIT modelLoaded(path);
}

void MainWindow::showSummary() {
  const ModelSummary& s = snapshot_->summary;
  updateTitle();
  layerModel_->setLayers(s.layers);
  layerView_->resizeColumnsToContents();
  blocks_->clear();
  for (const BlockInfo& b : s.blocks) {
    auto* item = new QTreeWidgetItem(blocks_, {QString::fromStdString(b.name), QString::fromStdString(b.moduleType)});
    for (const auto& l : b.layers) new QTreeWidgetItem(item, {QString::fromStdString(l)});
    item->setExpanded(true);
  }
  blocks_->resizeColumnToContents(0);  // whole layer names, never elided
  notQuantized_->setRowCount(static_cast<int>(s.notQuantized.size()));
  for (int i = 0; i < notQuantized_->rowCount(); ++i) {
    const auto& p = s.notQuantized[static_cast<size_t>(i)];
    notQuantized_->setItem(i, 0, new QTableWidgetItem(QString::fromStdString(p.name)));
    notQuantized_->setItem(i, 1, new QTableWidgetItem(QString::fromStdString(formatShape(p.shape))));
    notQuantized_->setItem(i, 2, new QTableWidgetItem(QString::fromStdString(p.reason)));
  }
  notQuantized_->resizeColumnsToContents();
  status_->setText(QString("%1 — %2 quantizable layers, %3 blocks, %4 of %5 parameters quantizable")
                       .arg(QString::fromStdString(s.path))
                       .arg(s.layers.size())
                       .arg(s.blocks.size())
                       .arg(s.quantizableParams)
                       .arg(s.totalParams));
  if (layerProxy_->rowCount() > 0) layerView_->selectRow(0);
}

}  // namespace roundlab::app
