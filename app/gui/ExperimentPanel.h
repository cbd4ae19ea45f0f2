#pragma once
// The Experiments view: what to vary — one setting over its values, two crossed, or the founding
// paper's study (each axis of the design space around the Run view's settings, with an iteration
// budget) — start and cancel with progress and ETA, the session's experiments to choose from and
// run again, and the chosen one's table and plots (widgets::ExperimentView) filling live.
#include <QElapsedTimer>
#include <QWidget>

#include <optional>
#include <vector>

#include "engine/pipeline/Experiment.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace roundlab::widgets {
class ExperimentView;
}

namespace roundlab::app {

// What the user asked for, made into a plan on the engine thread (the study needs the calibration
// set's size); a rerun carries its plan.
struct ExperimentSetup {
  ExperimentKind kind = ExperimentKind::Sweep;
  QuantizationRequest base;
  std::string axis1, axis2;
  std::vector<std::string> values1, values2;
  int iterations = 200;         // the study's iterations per unit
  std::vector<uint64_t> seeds;  // each cell once per seed (mean ± std); empty: once, at the base's seed
  std::optional<ExperimentPlan> plan;
  // Throws InvalidArgument naming the setting or value that is wrong.
  ExperimentPlan makePlan(const DatasetInfo& calibration) const;
};

class ExperimentPanel : public QWidget {
  Q_OBJECT
 public:
  explicit ExperimentPanel(QWidget* parent = nullptr);

  // The setup from the form, around `base` (the Run view's settings); throws InvalidArgument.
  ExperimentSetup setup(const QuantizationRequest& base) const;
  // Every experiment of the workspace (the latest last); the shown one follows the newest.
  void setExperiments(const std::vector<std::shared_ptr<const ExperimentRecord>>& experiments);
  std::shared_ptr<const ExperimentRecord> shownExperiment() const;
  void setModelLoaded(bool loaded);
  void setBusy(bool busy);  // another job runs: Run waits

  QComboBox* kindBox() const { return kind_; }
  QComboBox* axisBox(int which) const { return which == 0 ? axis1_ : axis2_; }
  QLineEdit* valuesEdit(int which) const { return which == 0 ? values1_ : values2_; }
  QSpinBox* iterationsBox() const { return iterations_; }
  QLineEdit* seedsEdit() const { return seeds_; }
  QPushButton* runButton() const { return run_; }
  QPushButton* rerunButton() const { return rerun_; }
  QPushButton* cancelButton() const { return cancel_; }
  QComboBox* experimentBox() const { return chosen_; }
  widgets::ExperimentView* view() const { return view_; }

 public Q_SLOTS:
  void jobStarted(const QString& what);
  void onProgress(const QString& stage, double fraction, const QString& unit);
  void jobEnded(const QString& message, bool completed);

 Q_SIGNALS:
  void runRequested();                                        // Run experiment
  void rerunRequested(const roundlab::ExperimentPlan& plan);  // Run again (the shown experiment)
  void cancelRequested();
  void runActivated(int run);

 private:
  void kindChanged();
  void axisChanged(int which);
  void showChosen();
  void updateButtons();

  QComboBox *kind_, *axis1_, *axis2_, *chosen_;
  QLineEdit *values1_, *values2_, *seeds_;
  QSpinBox* iterations_;
  QLabel *iterationsLabel_, *axis2Label_, *job_;
  QPushButton *run_, *rerun_, *cancel_;
  QProgressBar* progress_;
  widgets::ExperimentView* view_;
  std::vector<std::shared_ptr<const ExperimentRecord>> experiments_;
  QElapsedTimer clock_;
  bool loaded_ = false, busy_ = false, running_ = false;
};

}  // namespace roundlab::app
