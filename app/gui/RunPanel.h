#pragma once
// The Run view: the method and the main design-space settings with their defaults and
// tooltips (the rest of the design space on AdvancedRunSettings' tabs), start and cancel, progress with ETA, and the
// live reconstruction loss.
#include <QElapsedTimer>
#include <QWidget>

#include "engine/pipeline/QuantizationRequest.h"

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QSplitter;
class QCustomPlot;

namespace roundlab::widgets {
class DataFileBar;
}

namespace roundlab::app {

class AdvancedRunSettings;

class RunPanel : public QWidget {
  Q_OBJECT
 public:
  explicit RunPanel(QWidget* parent = nullptr);

  QuantizationRequest request() const;
  void setRequest(const QuantizationRequest& r);
  // The settings the form holds when RoundLab starts for the first time.
  static QuantizationRequest builtInRequest();  // the recommended method on referenceRequest()
  // The reference methods' form settings: AdaRound, W4, 500 iterations, 256 calibration samples.
  static QuantizationRequest referenceRequest();
  // The preferences' activation memory (the form's "Spill to disk beyond" field).
  void setActivationMemory(int64_t mib);
  // The preferences' iteration count, which leaving the recommended method puts back (its cap of
  // 100 is no count for the reference methods).
  void setReferenceIterations(int iterations) { referenceIterations_ = iterations; }
  QPushButton* defaultsButton() const { return defaults_; }
  QComboBox* methodBox() const { return method_; }
  QPushButton* startButton() const { return start_; }
  QPushButton* cancelButton() const { return cancel_; }
  QProgressBar* progressBar() const { return progress_; }
  QCustomPlot* lossPlot() const { return plot_; }
  // The calibration set runs draw their samples from (and its Change… button).
  widgets::DataFileBar* calibrationBar() const { return calibration_; }
  void setModelLoaded(bool loaded);
  // Another job (an importance estimate, a save) runs: Start waits, the curve and progress stay.
  void setBusy(bool busy);
  // The settings a run starts with, in a line ("adaround, 500 iterations, 256 calibration samples,
  // seed 0"): the Mixed precision view quantizes with them and says so.
  QString settingsSummary() const;

 public Q_SLOTS:
  void jobStarted();
  void onProgress(const QString& stage, double fraction, const QString& unit, double metric, bool hasMetric);
  // `completed` false: cancelled, failed or stopped to ask (the progress goes back to 0).
  void jobEnded(const QString& message, bool completed = true);

 Q_SIGNALS:
  void startRequested(const roundlab::QuantizationRequest& request);
  void cancelRequested();
  // Reset to defaults: the window knows the preferences' defaults.
  void defaultsRequested();

 protected:
  void showEvent(QShowEvent* event) override;

 private:
  QComboBox* method_;
  QSpinBox *wbits_, *abits_, *iters_, *calibCount_, *seed_;
  QComboBox *grid_, *freedom_, *input_;
  QDoubleSpinBox* lr_;
  QPushButton *start_, *cancel_, *defaults_;
  QProgressBar* progress_;
  QLabel *eta_, *stage_;
  QCustomPlot* plot_;
  AdvancedRunSettings* advanced_;
  widgets::DataFileBar* calibration_;
  QuantizationRequest base_;
  QElapsedTimer clock_;
  QSplitter* split_;
  int referenceIterations_ = referenceRequest().adaround.iterations;
  bool running_ = false, loaded_ = false, splitPlaced_ = false;
};

}  // namespace roundlab::app
