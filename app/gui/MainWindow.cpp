#include "app/gui/MainWindow.h"

#include <QAction>
#include <QApplication>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTreeWidget>
#include <QVBoxLayout>

#include "app/common/DemoAssets.h"
#include "app/gui/AllocationPanel.h"
#include "app/gui/RunPanel.h"
#include "engine/Error.h"
#include "widgets/LayerTableModel.h"
#include "widgets/WeightHistogramView.h"

namespace roundlab::app {

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent),
      layerModel_(new widgets::LayerTableModel(this)),
      layerProxy_(new QSortFilterProxyModel(this)),
      layerView_(new QTableView),
      filter_(new QLineEdit),
      histogram_(new widgets::WeightHistogramView),
      blocks_(new QTreeWidget),
      notQuantized_(new QTableWidget),
      status_(new QLabel),
      run_(new RunPanel),
      allocation_(new AllocationDocument(this)),
      allocationPanel_(new AllocationPanel(allocation_)) {
  setWindowTitle("RoundLab");
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
  filter_->setObjectName("layerFilter");
  filter_->setPlaceholderText("Filter layers (name, kind, block)…");
  filter_->setClearButtonEnabled(true);
  connect(filter_, &QLineEdit::textChanged, layerProxy_, &QSortFilterProxyModel::setFilterFixedString);
  connect(layerView_->selectionModel(), &QItemSelectionModel::selectionChanged, this, &MainWindow::onLayerSelected);

  auto* left = new QWidget;
  auto* leftLayout = new QVBoxLayout(left);
  leftLayout->setContentsMargins(0, 0, 0, 0);
  leftLayout->addWidget(filter_);
  leftLayout->addWidget(layerView_);

  blocks_->setHeaderLabels({"Block / layer", "Type"});
  notQuantized_->setColumnCount(3);
  notQuantized_->setHorizontalHeaderLabels({"Parameter", "Shape", "Reason"});
  notQuantized_->horizontalHeader()->setStretchLastSection(true);
  notQuantized_->verticalHeader()->hide();
  notQuantized_->setEditTriggers(QAbstractItemView::NoEditTriggers);

  auto* tabs = new QTabWidget;
  tabs->addTab(histogram_, "Weights");
  tabs->addTab(blocks_, "Blocks");
  tabs->addTab(notQuantized_, "Not quantized");
  tabs->addTab(run_, "Run");
  tabs->addTab(allocationPanel_, "Mixed precision");

  auto* split = new QSplitter;
  split->addWidget(left);
  split->addWidget(tabs);
  split->setStretchFactor(0, 3);
  split->setStretchFactor(1, 2);
  setCentralWidget(split);
  statusBar()->addWidget(status_, 1);
  buildMenus();
  EngineWorker* worker = engine_.worker();
  connect(worker, &EngineWorker::loaded, this, &MainWindow::onLoaded);
  connect(worker, &EngineWorker::loadFailed, this, &MainWindow::onLoadFailed);
  connect(worker, &EngineWorker::quantized, this, &MainWindow::onQuantized);
  connect(worker, &EngineWorker::jobFailed, this, &MainWindow::onJobFailed);
  connect(worker, &EngineWorker::progress, run_, &RunPanel::onProgress);
  connect(run_, &RunPanel::startRequested, this, &MainWindow::startQuantization);
  connect(run_, &RunPanel::cancelRequested, this, &MainWindow::cancelJob);
  connect(worker, &EngineWorker::importanceReady, this, [this](ImportancePtr report) {
    jobRunning_ = false;
    allocation_->setImportance(std::move(report));
    run_->jobEnded("Importance ready: edit the allocation in Mixed precision.");
    status_->setText("Importance estimated; the allocation can be edited.");
    Q_EMIT importanceReady();
  });
  connect(allocationPanel_, &AllocationPanel::estimateRequested, this, &MainWindow::estimateImportance);
  connect(allocationPanel_, &AllocationPanel::quantizeRequested, this, [this] {
    QuantizationRequest r = run_->request();
    r.bits = allocation_->bits();
    r.firstLastEightBit = false;  // the allocation decides every layer
    startQuantization(r);
  });
  const DemoAssets demo = findDemoAssets();
  calibration_ = demo.calibration;
  validation_ = demo.validation;
  resize(1280, 800);
}

MainWindow::~MainWindow() = default;

void MainWindow::buildMenus() {
  QMenu* file = menuBar()->addMenu("&File");
  QAction* open = file->addAction("&Open model…", this, &MainWindow::chooseModelFile);
  open->setShortcut(QKeySequence::Open);
  QMenu* demo = file->addMenu("Open &demo");
  demo->addAction("Residual CNN (Fashion-MNIST)", this, &MainWindow::openDemo);
  demo->addAction("Transformer (Fashion-MNIST)", this, [this] {
    const DemoAssets d = findDemoAssets();
    if (!d.dir.isEmpty()) openModel(d.transformer);
  });
  file->addAction("Open &calibration set…", this, [this] {
    const QString path =
        QFileDialog::getOpenFileName(this, "Open calibration set", {}, "RoundLab HDF5 (*.h5);;All files (*)");
    if (!path.isEmpty()) calibration_ = path;
  });
  file->addSeparator();
  QAction* quit = file->addAction("&Quit", this, &QWidget::close);
  quit->setShortcut(QKeySequence::Quit);
  QMenu* edit = menuBar()->addMenu("&Edit");
  QAction* undo = allocation_->undoStack()->createUndoAction(this, "&Undo");
  undo->setShortcut(QKeySequence::Undo);
  QAction* redo = allocation_->undoStack()->createRedoAction(this, "&Redo");
  redo->setShortcuts({QKeySequence("Ctrl+Shift+Z"), QKeySequence::Redo});
  edit->addAction(undo);
  edit->addAction(redo);
  QMenu* help = menuBar()->addMenu("&Help");
  help->addAction("&About RoundLab", this, [this] {
    QMessageBox::about(this, "About RoundLab",
                       "RoundLab — a workbench for learned-rounding post-training quantization.");
  });
}

void MainWindow::chooseModelFile() {
  const QString path =
      QFileDialog::getOpenFileName(this, "Open TorchScript model", {}, "TorchScript (*.pt *.pth *.ts);;All files (*)");
  if (!path.isEmpty()) openModel(path);
}

void MainWindow::openDemo() {
  const DemoAssets demo = findDemoAssets();
  if (demo.dir.isEmpty()) {
    Q_EMIT loadFailed("The bundled demo was not found.");
    status_->setText("The bundled demo was not found.");
    return;
  }
  openModel(demo.resnet);
}

void MainWindow::openModel(const QString& path) {
  if (jobRunning_) {
    status_->setText("A job is running; cancel it before opening another model.");
    return;
  }
  pendingPath_ = path;
  status_->setText("Loading " + path + " …");
  engine_.load(path);  // jobs run one after another on the engine thread
}

void MainWindow::onLoadFailed(const QString& message) {
  status_->setText("Could not open " + pendingPath_);
  Q_EMIT loadFailed(message);
  if (isVisible() && !qEnvironmentVariableIsSet("ROUNDLAB_NO_DIALOGS"))
    QMessageBox::warning(this, "Could not open model", message);
}

void MainWindow::onLoaded(SnapshotPtr snapshot) {
  snapshot_ = std::move(snapshot);
  report_.reset();
  allocationPanel_->setSummary(&snapshot_->summary);
  layerModel_->setMetrics({});
  showSummary();
  run_->setModelLoaded(true);
  Q_EMIT modelLoaded(pendingPath_);
}

bool MainWindow::beginJob(const QString& what) {
  if (!snapshot_ || jobRunning_) return false;
  if (calibration_.isEmpty()) {
    onJobFailed("No calibration set: open one first (File ▸ Open calibration set).", false);
    return false;
  }
  jobRunning_ = true;
  run_->jobStarted();
  status_->setText(what + " …");
  return true;
}

void MainWindow::startQuantization(const QuantizationRequest& request) {
  if (beginJob(QString("Quantizing with %1").arg(quantMethodName(request.method))))
    engine_.quantize(request, calibration_, validation_);
}

void MainWindow::estimateImportance() {
  if (beginJob("Estimating importance")) engine_.importance(ImportanceRequest{}, calibration_);
}

void MainWindow::cancelJob() {
  if (!jobRunning_) return;
  engine_.cancel();
  status_->setText("Cancelling …");
}

void MainWindow::onQuantized(ReportPtr report, SnapshotPtr snapshot) {
  jobRunning_ = false;
  report_ = std::move(report);
  snapshot_ = std::move(snapshot);
  allocationPanel_->setSummary(&snapshot_->summary);
  std::map<std::string, widgets::LayerMetrics> metrics;
  for (const LayerOutcome& o : report_->result.layers) metrics[o.layer] = {o.bits, o.flipRate, o.sqnrDb};
  layerModel_->setMetrics(std::move(metrics));
  onLayerSelected();  // the histogram now shows the quantized weights
  const QString summary = report_->top1 >= 0 ? QString("%1: top-1 %2 % (FP %3 %), %4 s")
                                                   .arg(quantMethodName(report_->result.request.method))
                                                   .arg(report_->top1, 0, 'f', 2)
                                                   .arg(report_->top1Fp, 0, 'f', 2)
                                                   .arg(report_->result.wallSeconds, 0, 'f', 1)
                                             : QString("%1 finished in %2 s")
                                                   .arg(quantMethodName(report_->result.request.method))
                                                   .arg(report_->result.wallSeconds, 0, 'f', 1);
  run_->jobEnded(summary);
  status_->setText(summary);
  Q_EMIT quantized();
}

void MainWindow::onJobFailed(const QString& message, bool cancelled) {
  jobRunning_ = false;
  run_->jobEnded(cancelled ? "Cancelled; the model is as it was before the run." : "Failed: " + message);
  status_->setText(cancelled ? "Cancelled" : "Quantization failed: " + message);
  Q_EMIT jobFailed(message, cancelled);
  if (!cancelled && isVisible() && !qEnvironmentVariableIsSet("ROUNDLAB_NO_DIALOGS"))
    QMessageBox::warning(this, "Quantization failed", message);
}

void MainWindow::showSummary() {
  const ModelSummary& s = snapshot_->summary;
  setWindowTitle(QString("RoundLab — %1").arg(QFileInfo(QString::fromStdString(s.path)).fileName()));
  layerModel_->setLayers(s.layers);
  layerView_->resizeColumnsToContents();
  blocks_->clear();
  for (const BlockInfo& b : s.blocks) {
    auto* item = new QTreeWidgetItem(blocks_, {QString::fromStdString(b.name), QString::fromStdString(b.moduleType)});
    for (const auto& l : b.layers) new QTreeWidgetItem(item, {QString::fromStdString(l)});
    item->setExpanded(true);
  }
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

void MainWindow::onLayerSelected() {
  const QModelIndexList rows = layerView_->selectionModel()->selectedRows();
  if (!snapshot_ || rows.isEmpty()) return;
  const LayerInfo* l = layerModel_->layerAt(layerProxy_->mapToSource(rows.first()).row());
  if (!l) return;
  histogram_->setWeights(QString::fromStdString(l->name), snapshot_->weights.at(l->name));
}

}  // namespace roundlab::app
