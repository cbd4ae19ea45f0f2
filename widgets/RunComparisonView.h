#pragma once
// The Evaluate / compare view: every run of the session (RunHistoryTable: show, rename, delete),
// accuracy before and after quantization, and any two runs side by side — top-1 of each (for a
// language model perplexity, FP → quantized, then next-token top-1), a
// per-layer table (bits, SQNR, relative MSE, flips and the SQNR delta) and the per-layer SQNR of
// both as bars.
#include <QWidget>

#include <vector>

#include "widgets/RunComparisonModel.h"

class QComboBox;
class QCustomPlot;
class QLabel;
class QTableView;

namespace roundlab::widgets {
class DataFileBar;
class RunHistoryTable;
}  // namespace roundlab::widgets

namespace roundlab::widgets {

class RunComparisonView : public QWidget {
  Q_OBJECT
 public:
  explicit RunComparisonView(QWidget* parent = nullptr);

  // Runs oldest first. After a new run the view compares the previous run (A) with the latest
  // (B); otherwise (a rename, a delete, another run shown) it keeps comparing the same two.
  void setRuns(std::vector<RunSummary> runs);
  // Compares runs number a and b (b = 0: a alone).
  void compareRuns(int a, int b);
  void refreshPalette();

  QComboBox* runA() const { return a_; }
  QComboBox* runB() const { return b_; }
  QLabel* summary() const { return summary_; }
  QTableView* table() const { return table_; }
  QCustomPlot* sqnrPlot() const { return plot_; }
  const RunComparisonModel* model() const { return model_; }
  // The validation set the runs are evaluated on (and its Change… button).
  DataFileBar* validationBar() const { return validation_; }
  RunHistoryTable* history() const { return history_; }

 private:
  void compare();
  int indexOfRun(int number) const;  // the run's index in runs_ (-1: none)
  std::vector<RunSummary> runs_;
  QComboBox *a_, *b_;
  QLabel* summary_;
  RunComparisonModel* model_;
  QTableView* table_;
  QCustomPlot* plot_;
  DataFileBar* validation_;
  RunHistoryTable* history_;
};

}  // namespace roundlab::widgets
