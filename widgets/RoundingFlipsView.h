#pragma once
// The Rounding flips view: which weights learned rounding moved away from round-to-nearest.
// Per-layer flip rates (up and down), the selected layer's flip map (output channels × inputs,
// up and down in distinct colours), its fractional-part histogram split into flipped and kept
// weights (flips concentrate near 0.5, where nearest rounding is least sure), and its
// reconstruction loss curve with the loss before and after.
#include <QWidget>

#include <cstdint>
#include <utility>
#include <vector>

class QCustomPlot;

namespace roundlab::widgets {

class RoundingFlipsView : public QWidget {
  Q_OBJECT
 public:
  explicit RoundingFlipsView(QWidget* parent = nullptr);

  // Rates are fractions of each layer's weights.
  void setLayers(const QStringList& names, const std::vector<double>& upRate, const std::vector<double>& downRate);
  // flips: row-major [rows, columns], +1 up, -1 down, 0 kept.
  void setLayer(const QString& name, const std::vector<int8_t>& flips, int64_t rows, int64_t columns,
                const std::vector<float>& fractional, const std::vector<std::pair<int, double>>& curve,
                double lossBefore, double lossAfter);
  void clear();
  void refreshPalette();

  QCustomPlot* ratesPlot() const { return rates_; }
  QCustomPlot* mapPlot() const { return map_; }
  QCustomPlot* fractionPlot() const { return fraction_; }
  QCustomPlot* lossPlot() const { return loss_; }

 private:
  QCustomPlot *rates_, *map_, *fraction_, *loss_;
};

// Histogram over [0, 1) of the fractional parts, split by whether the weight flipped:
// (kept counts, flipped counts), `bins` each. Pure function, tested alone.
std::pair<std::vector<double>, std::vector<double>> fractionalHistogram(const std::vector<float>& fractional,
                                                                        const std::vector<int8_t>& flips, int bins);

}  // namespace roundlab::widgets
