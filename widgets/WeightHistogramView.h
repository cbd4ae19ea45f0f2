#pragma once
// The Weights view: a histogram of a layer's FP weights with the quantization grid of one output
// channel drawn over it (uniform or power levels), the dequantized distribution beside it, and
// the per-channel ranges. Zoom and pan with the mouse; large enough to project.
#include <QWidget>

#include <functional>
#include <vector>

class QCustomPlot;
class QSpinBox;

namespace roundlab::widgets {

class WeightHistogramView : public QWidget {
  Q_OBJECT
 public:
  explicit WeightHistogramView(QWidget* parent = nullptr);
  // bins <= 0: about sqrt(n), between 10 and 101. Clears the grid and the quantized data.
  void setWeights(const QString& title, const std::vector<float>& values, int bins = 0);
  // The quantized side: dequantized values and per-channel [min, max] of the FP weights (rows
  // × columns row-major in `fp`). `levels(row)` gives a channel's grid.
  void setQuantized(const std::vector<float>& dequantized, const std::vector<float>& fp, int64_t rows,
                    std::function<std::vector<double>(int64_t)> levels);
  // The per-channel [min, max] of FP weights (`rows` output channels, row-major), which needs no run.
  void setChannelRanges(const std::vector<float>& fp, int64_t rows);
  void clear();
  QCustomPlot* plot() const { return plot_; }
  QCustomPlot* quantizedPlot() const { return quantized_; }
  QCustomPlot* rangesPlot() const { return ranges_; }
  QSpinBox* channelBox() const { return channel_; }
  // The grid levels drawn now (empty without a quantized layer).
  const std::vector<double>& shownLevels() const { return shownLevels_; }
  void refreshPalette();

 private:
  void drawGrid();
  QCustomPlot *plot_, *quantized_, *ranges_;
  QSpinBox* channel_;
  std::function<std::vector<double>(int64_t)> levels_;
  std::vector<double> shownLevels_;
  QString title_;
};

// Equal-width histogram over [min, max]: (bin centres, counts). Pure function, tested alone.
std::pair<std::vector<double>, std::vector<double>> histogram(const std::vector<float>& values, int bins);
// Counts of each distinct value (the dequantized distribution sits on the grid): (values, counts).
std::pair<std::vector<double>, std::vector<double>> valueCounts(const std::vector<float>& values);

}  // namespace roundlab::widgets
