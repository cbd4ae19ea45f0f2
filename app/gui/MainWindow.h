#pragma once
// RoundLab's main window (first version): the layer table of the loaded model, a weight
// histogram of the selected layer, blocks and unquantized parameters. Loading runs off the GUI
// thread; the window composes widgets and holds no numerical logic.
#include <QFutureWatcher>
#include <QMainWindow>

#include <memory>

#include "engine/Model.h"

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

struct LoadResult {
  std::shared_ptr<Model> model;
  QString error;
};

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  // Starts loading in the background; modelLoaded / loadFailed follow.
  void openModel(const QString& path);
  void openDemo();

  const Model* model() const { return model_.get(); }
  QTableView* layerView() const { return layerView_; }
  widgets::WeightHistogramView* histogram() const { return histogram_; }

 Q_SIGNALS:
  void modelLoaded(const QString& path);
  void loadFailed(const QString& message);

 private Q_SLOTS:
  void onLoadFinished();
  void onLayerSelected();
  void chooseModelFile();

 private:
  void buildMenus();
  void showSummary();

  std::shared_ptr<Model> model_;
  QFutureWatcher<LoadResult> loader_;
  QString pendingPath_;
  widgets::LayerTableModel* layerModel_;
  QSortFilterProxyModel* layerProxy_;
  QTableView* layerView_;
  QLineEdit* filter_;
  widgets::WeightHistogramView* histogram_;
  QTreeWidget* blocks_;
  QTableWidget* notQuantized_;
  QLabel* status_;
};

}  // namespace roundlab::app
