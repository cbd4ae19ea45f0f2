#pragma once
// The results of a design-space experiment as they arrive: a table with a row per cell (its
// setting(s), top-1 — for a language model perplexity, then next-token top-1 —, KL to FP,
// reconstruction loss, time, the run it made; with seeds, mean ± std over them) and a plot of the chosen metric (for a
// language model perplexity first, lower is better) — bars per value for one setting, bars grouped by axis for the
// founding paper's study, a heat map for two settings crossed. Cells not finished yet show as pending. Double-click a
// row (or press Enter on it) to open its run in every view (runActivated).
#include <QList>
#include <QString>
#include <QStringList>
#include <QWidget>

class QComboBox;
class QCustomPlot;
class QLabel;
class QStandardItemModel;
class QTableView;

namespace roundlab::widgets {

struct ExperimentCellData {
  QString group;       // the study's axis group (empty for sweeps)
  QStringList values;  // one per axis of a sweep or grid; the study: the cell's label
  bool finished = false, evaluated = false, compared = false;  // top-1; KL to FP
  double top1 = 0, kl = 0, lossBefore = 0, lossAfter = 0, seconds = 0;
  int run = 0;  // 0: no run in this window (an opened session's experiment)
  // A language model's cell: top1 is next-token top-1; perplexity of the run and of the FP model
  // (exp of the mean cross-entropy per token, lower is better; -1: none).
  bool languageModel = false;
  double perplexity = -1, perplexityFp = -1;
  // A setting repeated over seeds: the values above are means over the finished seeds, these their
  // sample standard deviations (the table shows mean ± std, the plot error bars). seeds 0: one run.
  int seeds = 0, seedsFinished = 0;
  double top1Std = 0, klStd = 0, lossBeforeStd = 0, lossAfterStd = 0, secondsStd = 0, perplexityStd = 0;
};

struct ExperimentData {
  enum class Kind { Sweep, Grid, Study };
  Kind kind = Kind::Sweep;
  QString title;
  QStringList axes;  // Sweep: one, Grid: two (rows, columns), Study: the groups
  QList<ExperimentCellData> cells;
};

class ExperimentView : public QWidget {
  Q_OBJECT
 public:
  enum Metric { Top1, Kl, Loss, Seconds, Perplexity };  // Perplexity: offered for language-model cells
  explicit ExperimentView(QWidget* parent = nullptr);
  // Null: no experiment (the view says how to start one).
  void setExperiment(const ExperimentData* data);
  void setMetric(Metric metric);
  Metric metric() const;
  void refreshPalette();

  QTableView* table() const { return table_; }
  QCustomPlot* plot() const { return plot_; }
  QComboBox* metricBox() const { return metric_; }
  QLabel* emptyHint() const { return empty_; }
  // The metric's value per finished cell, as plotted (tests): NaN for pending cells.
  QList<double> plottedValues() const;
  // The standard deviation over seeds drawn with each value (0 without seeds; NaN for pending cells).
  QList<double> plottedSpreads() const;

 Q_SIGNALS:
  void runActivated(int run);

 private:
  void fillTable();
  void drawPlot();
  void drawBars();
  void drawHeatMap();
  double valueOf(const ExperimentCellData& cell) const;
  double spreadOf(const ExperimentCellData& cell) const;
  QString valueText(const ExperimentCellData& cell) const;  // "91.2" or "91.2 ± 0.15"
  bool seeded() const;
  QString metricTitle() const;
  QString plotTitle() const;  // the experiment's and the metric's (with the FP model's perplexity)
  // The metrics offered: a language model's perplexity first, else top-1 (the choice follows).
  void offerMetrics(bool languageModel);

  ExperimentData data_;
  bool hasData_ = false;
  bool languageModel_ = false;  // the cells are a language model's: the metrics offered say so
  QLabel* empty_;
  QComboBox* metric_;
  QTableView* table_;
  QStandardItemModel* model_;
  QCustomPlot* plot_;
};

}  // namespace roundlab::widgets
