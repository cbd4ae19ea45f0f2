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
#include <QtConcurrent/QtConcurrentRun>

#include "app/common/DemoAssets.h"
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
      status_(new QLabel) {
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

  auto* split = new QSplitter;
  split->addWidget(left);
  split->addWidget(tabs);
  split->setStretchFactor(0, 3);
  split->setStretchFactor(1, 2);
  setCentralWidget(split);
  statusBar()->addWidget(status_, 1);
  buildMenus();
  connect(&loader_, &QFutureWatcher<LoadResult>::finished, this, &MainWindow::onLoadFinished);
  resize(1280, 800);
}

MainWindow::~MainWindow() { loader_.waitForFinished(); }

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
  file->addSeparator();
  QAction* quit = file->addAction("&Quit", this, &QWidget::close);
  quit->setShortcut(QKeySequence::Quit);
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
  if (loader_.isRunning()) return;  // one load at a time; the menu stays responsive meanwhile
  pendingPath_ = path;
  status_->setText("Loading " + path + " …");
  loader_.setFuture(QtConcurrent::run([p = path.toStdString()] {
    LoadResult r;
    try {
      r.model = std::make_shared<Model>(Model::load(p));
    } catch (const std::exception& e) {
      r.error = QString::fromStdString(e.what());
    }
    return r;
  }));
}

void MainWindow::onLoadFinished() {
  const LoadResult r = loader_.result();
  if (!r.model) {
    status_->setText("Could not open " + pendingPath_);
    Q_EMIT loadFailed(r.error);
    if (isVisible() && !qEnvironmentVariableIsSet("ROUNDLAB_NO_DIALOGS"))
      QMessageBox::warning(this, "Could not open model", r.error);
    return;
  }
  model_ = r.model;
  showSummary();
  Q_EMIT modelLoaded(pendingPath_);
}

void MainWindow::showSummary() {
  const ModelSummary& s = model_->summary();
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
  if (!model_ || rows.isEmpty()) return;
  const LayerInfo* l = layerModel_->layerAt(layerProxy_->mapToSource(rows.first()).row());
  if (!l) return;
  histogram_->setWeights(QString::fromStdString(l->name), model_->weightValues(l->name));
}

}  // namespace roundlab::app
