#pragma once
// The Run view's advanced settings: every remaining axis of the design space (algorithms.md §3)
// as a form, on three tabs — grid (symmetry, granularity, range search, first/last layers,
// embedding tables), reconstruction (optimizer and schedule, regulariser, variable, weight selection, block loss,
// output-level term) and activations and data (LSQ, QDrop, calibration, augmentation). Each
// field has the engine's default and a tooltip saying what it changes.
#include <QTabWidget>

#include "engine/pipeline/QuantizationRequest.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QSpinBox;

namespace roundlab::app {

class AdvancedRunSettings : public QTabWidget {
  Q_OBJECT
 public:
  explicit AdvancedRunSettings(QWidget* parent = nullptr);
  // Writes the form's fields into `r` (other fields untouched).
  void read(QuantizationRequest& r) const;
  void write(const QuantizationRequest& r);

 private:
  QCheckBox *symmetric_, *firstLast_, *cosineLr_, *cosineBeta_, *stopWhenSettled_, *afterActivation_, *flip_, *crop_,
      *noise_, *mix_;
  QComboBox *granularity_, *rangeInit_, *embeddingBits_, *optimizer_, *variable_, *selection_, *blockLoss_;
  QSpinBox *groupSize_, *batch_, *spillMiB_;
  QDoubleSpinBox *lpNorm_, *momentum_, *lambda_, *warmup_, *betaStart_, *betaEnd_, *selectFraction_, *klWeight_,
      *klTemperature_, *dropProbability_, *actLearningRate_, *actLpNorm_;
};

}  // namespace roundlab::app
