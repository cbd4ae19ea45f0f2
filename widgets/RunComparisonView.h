#pragma once
// The Evaluate / compare view: accuracy before and after quantization, and two runs of this
// session side by side — top-1 of each, a per-layer table (bits, SQNR, relative MSE, flips and
// the SQNR delta) and the per-layer SQNR of both as bars.
#include <QWidget>

#include <vector>

#include "widgets/RunComparisonModel.h"

class QComboBox;
class QCustomPlot;
class QLabel;
class QTableView;

namespace roundlab::widgets {
class DataFileBar;
}

namespace roundlab::widgets {

class RunComparisonView : public QWidget {
  Q_OBJECT
 public:
  explicit RunComparisonView(QWidget* parent = nullptr);

  // Runs oldest first; the view compares the previous run (A) with the latest (B).
  void setRuns(std::vector<RunSummary> runs);
  void refreshPalette();

  QComboBox* runA() const { return a_; }
  QComboBox* runB() const { return b_; }
  QLabel* summary() const { return summary_; }
  QTableView* table() const { return table_; }
  QCustomPlot* sqnrPlot() const { return plot_; }
  const RunComparisonModel* model() const { return model_; }
  // The validation set the runs are evaluated on (and its Change… button).
  DataFileBar* validationBar() const { return validation_; }

 private:
  void compare();
  std::vector<RunSummary> runs_;
  QComboBox *a_, *b_;
  QLabel* summary_;
  RunComparisonModel* model_;
  QTableView* table_;
  QCustomPlot* plot_;
  DataFileBar* validation_;
};

}  // namespace roundlab::widgets
