#pragma once
// RoundLab's main window: the layer table of the loaded model (with per-layer results once
// quantized), a weight histogram of the selected layer, blocks and unquantized parameters, and
// the Run view. The engine thread owns the model; the window composes widgets, holds snapshots
// and results, and no numerical logic.
#include <QElapsedTimer>
#include <QMainWindow>

#include <memory>

#include "app/gui/EngineThread.h"

class QLabel;
class QLineEdit;
class QSortFilterProxyModel;
class QTableView;
class QTableWidget;
class QTreeWidget;

namespace roundlab::widgets {
class LayerTableModel;
class WeightHistogramView;
}  // namespace roundlab::widgets

namespace roundlab::app {

class RunPanel;
class AllocationDocument;
class AllocationPanel;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  // Starts loading in the background; modelLoaded / loadFailed follow.
  void openModel(const QString& path);
  void openDemo();
  // Quantizes the loaded model on the engine thread; quantized / jobFailed follow.
  void startQuantization(const QuantizationRequest& request);
  void cancelJob();
  // Estimates importance on the engine thread; the allocation becomes editable when it is done.
  void estimateImportance();

  // What the window shows: the model as of the last load or finished run (null before a load).
  const ModelSnapshot* snapshot() const { return snapshot_.get(); }
  const RunReport* lastRun() const { return report_.get(); }
  RunPanel* runPanel() const { return run_; }
  AllocationDocument* allocation() const { return allocation_; }
  AllocationPanel* allocationPanel() const { return allocationPanel_; }
  QString calibrationPath() const { return calibration_; }
  void setCalibrationPath(const QString& path) { calibration_ = path; }
  QTableView* layerView() const { return layerView_; }
  widgets::WeightHistogramView* histogram() const { return histogram_; }

 Q_SIGNALS:
  void modelLoaded(const QString& path);
  void loadFailed(const QString& message);
  void quantized();
  void jobFailed(const QString& message, bool cancelled);
  void importanceReady();

 private Q_SLOTS:
  void onLoaded(roundlab::app::SnapshotPtr snapshot);
  void onLoadFailed(const QString& message);
  void onQuantized(roundlab::app::ReportPtr report, roundlab::app::SnapshotPtr snapshot);
  void onJobFailed(const QString& message, bool cancelled);
  void onLayerSelected();
  void chooseModelFile();

 private:
  void buildMenus();
  // Checks a model and a calibration set are there and no job runs, then marks one running.
  bool beginJob(const QString& what);
  void showSummary();

  EngineThread engine_;
  SnapshotPtr snapshot_;
  ReportPtr report_;
  QString pendingPath_, calibration_, validation_;
  bool jobRunning_ = false;
  widgets::LayerTableModel* layerModel_;
  QSortFilterProxyModel* layerProxy_;
  QTableView* layerView_;
  QLineEdit* filter_;
  widgets::WeightHistogramView* histogram_;
  QTreeWidget* blocks_;
  QTableWidget* notQuantized_;
  QLabel* status_;
  RunPanel* run_;
  AllocationDocument* allocation_;
  AllocationPanel* allocationPanel_;
};

}  // namespace roundlab::app
