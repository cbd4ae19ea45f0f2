#pragma once
// The Rounding learned view: how learned rounding made up its mind on the selected layer. A heat
// map of the soft rounding values h (0 = floor, 1 = ceil) over the iterations — the mass leaves
// the middle for the two ends as the regulariser's β anneals — the share of weights still
// undecided (0.1 < h < 0.9), and the paths of the few weights that started most undecided.
#include <QWidget>

#include <vector>

class QCustomPlot;

namespace roundlab::widgets {

struct RoundingTraceSeries {
  QString layer;
  std::vector<int> iterations;      // snapshots
  int bins = 20;                    // of h over [0, 1]
  std::vector<float> histogram;     // [snapshots × bins], shares
  std::vector<float> undecided;     // [snapshots], shares
  std::vector<qint64> tracked;      // flat weight indices
  std::vector<float> trajectories;  // [snapshots × tracked]
};

class RoundingTraceView : public QWidget {
  Q_OBJECT
 public:
  explicit RoundingTraceView(QWidget* parent = nullptr);
  void setTrace(const RoundingTraceSeries& trace);
  // Empty, saying why (no run yet, or a run that did not learn this layer's rounding).
  void clear(const QString& why);
  void refreshPalette();

  QCustomPlot* heatPlot() const { return heat_; }
  QCustomPlot* undecidedPlot() const { return undecided_; }
  QCustomPlot* pathsPlot() const { return paths_; }

 private:
  QCustomPlot *heat_, *undecided_, *paths_;
};

}  // namespace roundlab::widgets
