#pragma once
// Every run of the session in one table — number, name, settings, top-1 and its change from FP
// (for a language model's runs perplexity and its change: lower is better), wall time — with the
// run the views show marked. The user names a run in place (double-click
// or Rename), shows any run in every view, deletes runs, and selects two rows to compare them.
// The view asks; the window does (on the engine thread) and hands the new history back.
#include <QWidget>

#include <vector>

#include "widgets/RunComparisonModel.h"

class QPushButton;
class QTableWidget;

namespace roundlab::widgets {

class RunHistoryTable : public QWidget {
  Q_OBJECT
 public:
  // Top1 and Top1Change hold perplexity and its change for a language model's runs.
  enum Column { Number, Name, Settings, Top1, Top1Change, Seconds, ColumnCount };
  explicit RunHistoryTable(QWidget* parent = nullptr);

  // Runs oldest first.
  void setRuns(const std::vector<RunSummary>& runs);
  // The run number of the current row (0: none).
  int currentRun() const;
  void selectRun(int number);
  QTableWidget* table() const { return table_; }
  QPushButton* showButton() const { return show_; }
  QPushButton* renameButton() const { return rename_; }
  QPushButton* deleteButton() const { return delete_; }

 Q_SIGNALS:
  void showRequested(int number);
  void renameRequested(int number, const QString& name);
  void deleteRequested(int number);
  // Two rows selected (a the older): compare them.
  void compareRequested(int a, int b);

 private:
  void updateButtons();
  int numberAt(int row) const;
  QTableWidget* table_;
  QPushButton *show_, *rename_, *delete_;
  bool filling_ = false;
};

}  // namespace roundlab::widgets
