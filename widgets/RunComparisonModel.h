#pragma once
// Two quantization runs of the same model side by side, per layer: bits, output SQNR, output
// MSE relative to the signal, flip rate, and the B − A delta of SQNR.
#include <QAbstractTableModel>

#include <vector>

namespace roundlab::widgets {

struct RunLayerResult {
  QString layer;
  int bits = 0;
  double sqnrDb = 0;  // +inf: the quantized layer reproduced its output exactly
  double flipRate = 0;
  double lossAfter = 0;  // reconstruction loss of the final rounding
};

struct RunSummary {
  QString label;                  // e.g. "#2 adaround W3A32" or "#2 the user's name"
  double top1Fp = -1, top1 = -1;  // -1: not evaluated
  std::vector<RunLayerResult> layers;
  int number = 0;       // the run's number in its session
  QString name;         // the user's name for it (empty: none)
  QString settings;     // method and widths, e.g. "adaround W3A32"
  double seconds = 0;   // wall time of the run
  bool shown = false;   // the run every view shows (and sessions and exports write)
  bool canShow = true;  // false: its weights were not kept, it cannot be shown again
  // A language model's run: top-1 is next-token top-1, and perplexity (exp of the mean
  // cross-entropy per token; lower is better) says more. -1: not evaluated (or without the FP model).
  bool languageModel = false;
  double perplexityFp = -1, perplexity = -1;
  // A run of an experiment repeated over seeds: its cell's mean ± std over the finished seeds (of
  // top-1, or a language model's perplexity), shown beside the run's own value. seeds 0: none.
  int seeds = 0;
  double seedMean = 0, seedStd = 0;
};

// Output MSE over output power implied by an SQNR in dB: 10^(−SQNR/10).
double relativeMse(double sqnrDb);

class RunComparisonModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  enum Column { Layer, BitsA, BitsB, SqnrA, SqnrB, SqnrDelta, MseA, MseB, FlipsA, FlipsB, ColumnCount };
  static constexpr int SortRole = Qt::UserRole + 1;

  explicit RunComparisonModel(QObject* parent = nullptr);
  // b may be null (one run alone: its columns and the deltas are empty). Layers follow a's order.
  void setRuns(const RunSummary* a, const RunSummary* b);

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

 private:
  struct Row {
    QString layer;
    const RunLayerResult *a = nullptr, *b = nullptr;
  };
  QVariant value(const Row& row, int column) const;  // a number, or null when absent
  std::vector<Row> rows_;
  RunSummary a_, b_;
};

}  // namespace roundlab::widgets
