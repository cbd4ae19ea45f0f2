#pragma once
// The grid playground: a layer of the loaded model (or a synthetic distribution) quantized to
// nearest while the user moves sliders — bits, symmetric or not, granularity, range rule and its
// p, the power exponent (or its search). The histogram with the grid levels, the dequantized
// distribution, the per-channel ranges, the error (MSE, SQNR) and the share of clipped weights
// follow each move at once (GridPreview on the GUI thread: milliseconds, not a job).
#include <QElapsedTimer>
#include <QWidget>

#include <vector>

#include "engine/workspace/GridPreview.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QSlider;
class QSpinBox;

namespace roundlab::widgets {
class WeightHistogramView;
}

namespace roundlab::app {

class GridPlayground : public QWidget {
  Q_OBJECT
 public:
  explicit GridPlayground(QWidget* parent = nullptr);
  // The selected layer's FP weights (empty name: no model); the source "Selected layer" uses them.
  void setLayer(const QString& name, std::vector<float> weights, std::vector<int64_t> shape);
  WeightQuantConfig config() const;
  // Sets every control to `config` (p and the exponent to the sliders' steps), the source to the
  // selected layer (empty) or a synthetic distribution by name.
  void apply(const WeightQuantConfig& config, const QString& source);
  // The grid shown now (none before a first update, or when the settings make no grid).
  const GridPreview* preview() const { return ok_ ? &preview_ : nullptr; }
  // Milliseconds of the last update, from the changed setting to the redrawn plots.
  double lastUpdateMs() const { return lastMs_; }

  QComboBox* sourceBox() const { return source_; }
  QSlider* bitsSlider() const { return bits_; }
  QCheckBox* symmetricBox() const { return symmetric_; }
  QComboBox* granularityBox() const { return granularity_; }
  QComboBox* rangeBox() const { return range_; }
  QSlider* pSlider() const { return p_; }
  QSlider* exponentSlider() const { return exponent_; }
  QCheckBox* searchBox() const { return search_; }
  QLabel* stats() const { return stats_; }
  widgets::WeightHistogramView* view() const { return view_; }

 protected:
  void showEvent(QShowEvent* event) override;

 private:
  void update();
  QComboBox *source_, *granularity_, *range_;
  QSlider *bits_, *p_, *exponent_;
  QCheckBox *symmetric_, *search_;
  QSpinBox* groupSize_;
  QLabel *bitsText_, *pText_, *exponentText_, *stats_;
  widgets::WeightHistogramView* view_;
  QString layer_;
  std::vector<float> layerWeights_;
  std::vector<int64_t> layerShape_;
  GridPreview preview_;
  QString shownWeights_;  // the weights the FP histogram shows ("title|hash of the values")
  bool ok_ = false;
  bool dirty_ = false;            // a change while hidden: update when shown
  bool syntheticChosen_ = false;  // the user picked a synthetic source: a new layer does not replace it
  double lastMs_ = 0;
};

}  // namespace roundlab::app
