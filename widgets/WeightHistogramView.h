#pragma once
// Histogram of a layer's weights (QCustomPlot), large enough to project.
#include <QWidget>

#include <vector>

class QCustomPlot;

namespace roundlab::widgets {

class WeightHistogramView : public QWidget {
  Q_OBJECT
 public:
  explicit WeightHistogramView(QWidget* parent = nullptr);
  // bins <= 0: about sqrt(n), between 10 and 101.
  void setWeights(const QString& title, const std::vector<float>& values, int bins = 0);
  void clear();
  QCustomPlot* plot() const { return plot_; }

 private:
  QCustomPlot* plot_;
};

// Equal-width histogram over [min, max]: (bin centres, counts). Pure function, tested alone.
std::pair<std::vector<double>, std::vector<double>> histogram(const std::vector<float>& values, int bins);

}  // namespace roundlab::widgets
