#pragma once
// The Mixed precision view: the allocation table with a bit editor per layer (multi-select: "set
// selected", or type 2–8 over a selection), "set all of this kind", live totals (average bits,
// size, BOPs, predicted loss), a budget slider that auto-allocates (one undo step per drag), the
// Pareto front where a click loads that allocation, and the buttons that start the importance
// estimate (with the chosen estimator) and a quantization at the allocation, with the settings
// that quantization will use, its progress and a cancel button.
#include <QAbstractTableModel>
#include <QElapsedTimer>
#include <QWidget>

#include <functional>

#include "app/gui/AllocationDocument.h"

namespace roundlab {
struct GuardedAllocation;
}
namespace roundlab::widgets {
class ParetoPlot;
}

class QCheckBox;
class QComboBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QSlider;
class QSpinBox;
class QTableView;

namespace roundlab::app {

// How the views name an estimator ("measured", "integrated gradients", "Hessian trace").
QString importanceEstimatorTitle(ImportanceEstimator e);
// What the uniform guard compared and kept, in a few lines (calibration KL, validation top-1 with
// the paired 95 % interval).
QString uniformGuardSummary(const GuardedAllocation& guard);

class AllocationTableModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  enum Column { Layer, Weights, Bits, Importance, ColumnCount };
  explicit AllocationTableModel(AllocationDocument* doc, QObject* parent = nullptr);
  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;
  Qt::ItemFlags flags(const QModelIndex& index) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

 private:
  AllocationDocument* doc_;
};

class AllocationPanel : public QWidget {
  Q_OBJECT
 public:
  explicit AllocationPanel(AllocationDocument* doc, QWidget* parent = nullptr);
  QTableView* table() const { return table_; }
  QSlider* budgetSlider() const { return budget_; }
  QLabel* totalsLabel() const { return totals_; }
  QPushButton* estimateButton() const { return estimate_; }
  QPushButton* quantizeButton() const { return quantize_; }
  QPushButton* measureButton() const { return measure_; }
  QPushButton* refineButton() const { return refine_; }
  QPushButton* setSelectedButton() const { return setSelected_; }
  QSpinBox* bitsBox() const { return kindBits_; }
  widgets::ParetoPlot* paretoPlot() const { return pareto_; }
  // The allocations the Pareto plot shows (by average bits, ascending).
  const std::vector<Allocation>& paretoFront() const { return front_; }
  // The estimator "Estimate importance" runs.
  ImportanceEstimator estimator() const;
  void refreshPalette();
  void setSummary(const ModelSummary* summary) { summary_ = summary; }
  // Where "Quantize with this allocation" takes its method and iterations from (the Run view):
  // asked each time the view shows, so the line under the buttons says what a click will run.
  void setRunSettings(std::function<QString()> summary);
  QLabel* runSettingsLabel() const { return runSettings_; }
  QProgressBar* progressBar() const { return progress_; }
  QPushButton* cancelButton() const { return cancel_; }
  QLabel* jobLabel() const { return job_; }
  // Whether "Quantize with this allocation" also quantizes the uniform allocations of its size and
  // keeps the closest to FP (on by default).
  bool uniformGuard() const;
  QCheckBox* uniformGuardBox() const { return guard_; }
  QLabel* guardLabel() const { return guardResult_; }
  // The last guarded quantization's comparison; hidden again when the importance changes.
  void showGuard(const QString& summary);

 public Q_SLOTS:
  // This view's own job (an estimate, or a quantization at the allocation): progress and cancel here.
  void jobStarted(const QString& what);
  void onProgress(const QString& stage, double fraction, const QString& unit);
  void jobEnded(const QString& message, bool completed = true);
  // Another job runs: the buttons wait.
  void setBusy(bool busy);

 Q_SIGNALS:
  void estimateRequested();
  void quantizeRequested();
  void measureRequested();  // quantize and evaluate every point of the front
  void refineRequested();   // refine the allocation with measured interactions
  void cancelRequested();

 private:
  void refresh();
  void rebuildFront();
  bool eventFilter(QObject* watched, QEvent* event) override;  // digits 2–8 set the selected rows
  void showEvent(QShowEvent* event) override;
  void updateRunSettings();
  std::vector<std::string> selectedLayers() const;
  AllocationDocument* doc_;
  AllocationTableModel* model_;
  QTableView* table_;
  QLabel *totals_, *budgetLabel_;
  QSlider* budget_;
  QComboBox *kind_, *estimator_;
  QSpinBox* kindBits_;
  QPushButton *estimate_, *quantize_, *setSelected_, *measure_, *refine_;
  widgets::ParetoPlot* pareto_;
  std::vector<Allocation> front_;
  const ModelSummary* summary_ = nullptr;
  int drag_ = 0, drags_ = 0;
  bool sliderDriving_ = false;  // the change being shown comes from the slider itself
  QLabel *runSettings_, *job_, *guardResult_;
  QCheckBox* guard_;
  QProgressBar* progress_;
  QPushButton* cancel_;
  std::function<QString()> runSettingsText_;
  QElapsedTimer clock_;
  bool busy_ = false;
};

}  // namespace roundlab::app
