#include "app/gui/RunPanel.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFontMetrics>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QShowEvent>
#include <QSpinBox>
#include <QSplitter>
#include <QVBoxLayout>

#include "app/gui/AdvancedRunSettings.h"
#include "app/gui/FormFields.h"
#include "widgets/DataFileBar.h"
#include "widgets/PlotStyle.h"
#include "widgets/QCustomPlotInclude.h"

namespace roundlab::app {

using form::choice;
using form::integer;

RunPanel::RunPanel(QWidget* parent)
    : QWidget(parent),
      method_(choice({"recommended", "rtn", "adaround", "brecq", "qdrop", "gptq"},
                     "recommended: blocks jointly, straight-through offset with learned steps and bias, QDrop with "
                     "activation bits, each unit stopped when its rounding settles (choosing it sets those; change "
                     "any). rtn: round to nearest. adaround: learned rounding layer by layer. brecq: blocks jointly. "
                     "qdrop: blocks with activation dropping (needs activation bits). gptq: Hessian baseline.")),
      wbits_(integer(2, 8, 4, "Weight bits of every layer (first and last layers stay at 8 bits).")),
      abits_(integer(0, 16, 0, "Activation bits of every layer's input (0: full precision).")),
      iters_(integer(10, 100000, 500, "Optimisation steps per layer or block (the reference uses 2000).")),
      calibCount_(integer(16, 100000, 256, "Calibration samples drawn from the calibration set.")),
      seed_(integer(0, 1 << 30, 0,
                    "Seed of the calibration subset and of the batch order: the same seed gives the "
                    "same codes bit for bit.")),
      grid_(choice({"uniform", "power", "power-learned"},
                   "Quantization grid: uniform, power exponent searched per layer, or learned in reconstruction.")),
      freedom_(choice({"rounding", "step", "bias", "free"},
                      "What reconstruction learns: the rounding only, also the step sizes, also the bias, or free "
                      "integer values within the grid.")),
      input_(choice({"quantized", "fp"}, "Reconstruct on the inputs of the already quantized layers, or the FP ones.")),
      lr_(new QDoubleSpinBox),
      start_(new QPushButton("Start")),
      cancel_(new QPushButton("Cancel")),
      defaults_(new QPushButton("Reset to defaults")),
      progress_(new QProgressBar),
      eta_(new QLabel),
      stage_(new QLabel),
      plot_(new QCustomPlot),
      advanced_(new AdvancedRunSettings),
      calibration_(new widgets::DataFileBar("Calibration set")) {
  advanced_->setObjectName("advancedSettings");
  lr_->setDecimals(5);
  lr_->setRange(1e-5, 1);
  lr_->setSingleStep(1e-4);
  lr_->setToolTip("Adam learning rate of the rounding variables.");
  auto* form = new QFormLayout;
  form->addRow("Method", method_);
  form->addRow("Weight bits", wbits_);
  form->addRow("Activation bits", abits_);
  form->addRow("Grid", grid_);
  form->addRow("Degrees of freedom", freedom_);
  form->addRow("Reconstruction input", input_);
  form->addRow("Iterations", iters_);
  form->addRow("Learning rate", lr_);
  form->addRow("Calibration samples", calibCount_);
  form->addRow("Seed", seed_);
  auto* buttons = new QHBoxLayout;
  // Ctrl+R and Esc are the Run menu's (they work from every view, not only while this one shows).
  start_->setToolTip("Quantize the model with these settings (Ctrl+R).");
  cancel_->setToolTip("Stop the running job (Esc); finished layers are discarded, the model stays as it was.");
  cancel_->setEnabled(false);
  start_->setEnabled(false);
  defaults_->setToolTip(
      "Every setting back to its default (the default method and iterations are in Edit ▸ "
      "Preferences); the form otherwise keeps the settings of the last run started.");
  buttons->addWidget(start_);
  buttons->addWidget(cancel_);
  buttons->addStretch(1);
  buttons->addWidget(defaults_);
  progress_->setRange(0, 1000);
  progress_->setFormat("%p%");
  plot_->setMinimumHeight(220);
  widgets::stylePlot(plot_, "progress of the run (%)", "reconstruction loss (batch)");
  widgets::setPlotTitle(plot_, "Loss per layer / block");
  widgets::setEmptyHint(plot_, "Start a run (Ctrl+R) to watch each layer's or block's loss as it is reconstructed.");
  plot_->yAxis->setScaleType(QCPAxis::stLogarithmic);
  plot_->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
  plot_->setToolTip("Each layer or block's batch loss while it is reconstructed, one curve per unit");
  // Settings above, the run below, split so that on a small screen (1280×720) the loss plot keeps
  // its height and the settings scroll; the user moves the split.
  auto* settingsPage = new QWidget;
  auto* settings = new QHBoxLayout(settingsPage);
  settings->setContentsMargins(0, 0, 0, 0);
  settings->addLayout(form);
  settings->addWidget(advanced_, 1);
  auto* settingsArea = new QScrollArea;
  settingsArea->setObjectName("runSettings");
  settingsArea->setWidget(settingsPage);
  settingsArea->setWidgetResizable(true);
  settingsArea->setFrameShape(QFrame::NoFrame);
  auto* runPage = new QWidget;
  auto* run = new QVBoxLayout(runPage);
  run->setContentsMargins(0, 0, 0, 0);
  run->addWidget(calibration_);
  run->addLayout(buttons);
  run->addWidget(progress_);
  run->addWidget(stage_);
  run->addWidget(eta_);
  run->addWidget(plot_, 1);
  split_ = new QSplitter(Qt::Vertical);
  split_->addWidget(settingsArea);
  split_->addWidget(runPage);
  split_->setChildrenCollapsible(false);
  split_->setStretchFactor(0, 0);
  split_->setStretchFactor(1, 1);
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(split_);
  connect(start_, &QPushButton::clicked, this, [this] { Q_EMIT startRequested(request()); });
  connect(cancel_, &QPushButton::clicked, this, &RunPanel::cancelRequested);
  connect(defaults_, &QPushButton::clicked, this, &RunPanel::defaultsRequested);
  // Choosing the recommended method sets its settings in the form, where the user sees and changes them.
  // Leaving it for another learned method puts back the reference's variable, freedom and fixed
  // schedule (and the preferences' iteration count and the learning rates, unless changed), so
  // that a run labelled "brecq" is BRECQ.
  connect(method_, &QComboBox::activated, this, [this] {
    const bool recommended = method_->currentText() == quantMethodName(QuantMethod::Recommended);
    QuantizationRequest r = request();
    if (recommended) {
      setRequest(recommendedSettings(r));
    } else if (base_.method == QuantMethod::Recommended) {
      const QuantizationRequest reference;
      r.adaround.variable = reference.adaround.variable;
      r.adaround.freedom = reference.adaround.freedom;
      r.adaround.stopWhenSettled = false;
      if (r.adaround.iterations == kRecommendedIterationCap) r.adaround.iterations = referenceIterations_;
      if (r.adaround.learningRate == kRecommendedLearningRate)
        r.adaround.learningRate = reference.adaround.learningRate;
      if (r.activations.learningRate == kRecommendedActivationLearningRate)
        r.activations.learningRate = reference.activations.learningRate;
      setRequest(r);
    }
  });
  setRequest(builtInRequest());
}

void RunPanel::showEvent(QShowEvent* event) {
  QWidget::showEvent(event);
  if (splitPlaced_) return;
  // Once, at the first show: the settings get what they need up to 45 % of the height.
  splitPlaced_ = true;
  const int total = split_->height();
  const auto* area = static_cast<QScrollArea*>(split_->widget(0));
  const int wanted = std::min(static_cast<int>(0.45 * total), area->widget()->sizeHint().height());
  split_->setSizes({wanted, total - wanted});
}

void RunPanel::setActivationMemory(int64_t mib) {
  QuantizationRequest r = request();
  r.activationMemoryMiB = mib;
  setRequest(r);
}

QuantizationRequest RunPanel::referenceRequest() {
  // Shorter than the reference's 2000 iterations and 1024 samples: a first run on a laptop
  // finishes in seconds and still shows learned rounding at work.
  QuantizationRequest r;
  r.method = QuantMethod::AdaRound;
  r.weights.bits = 4;
  r.adaround.iterations = 500;
  r.adaround.learningRate = 1e-3;
  r.calibrationCount = 256;
  r.seed = 0;
  return r;
}

QuantizationRequest RunPanel::builtInRequest() {
  return recommendedSettings(referenceRequest());  // its own iteration cap, as in the CLI
}

QuantizationRequest RunPanel::request() const {
  QuantizationRequest r = base_;  // what the form does not show stays as set
  advanced_->read(r);
  r.method = parseQuantMethod(method_->currentText().toStdString());
  r.weights.bits = wbits_->value();
  r.activations.bits = abits_->value();
  r.weights.grid = parseGridKind(grid_->currentText().toStdString());
  r.adaround.freedom = parseFreedom(freedom_->currentText().toStdString());
  r.input = parseReconInput(input_->currentText().toStdString());
  r.adaround.iterations = iters_->value();
  r.adaround.learningRate = lr_->value();
  r.calibrationCount = calibCount_->value();
  r.seed = static_cast<uint64_t>(seed_->value());
  return r;
}

void RunPanel::setRequest(const QuantizationRequest& r) {
  base_ = r;
  advanced_->write(r);
  method_->setCurrentText(quantMethodName(r.method));
  wbits_->setValue(r.weights.bits);
  abits_->setValue(r.activations.bits);
  grid_->setCurrentText(gridKindName(r.weights.grid));
  freedom_->setCurrentText(freedomName(r.adaround.freedom));
  input_->setCurrentText(reconInputName(r.input));
  iters_->setValue(r.adaround.iterations);
  lr_->setValue(r.adaround.learningRate);
  calibCount_->setValue(static_cast<int>(r.calibrationCount));
  seed_->setValue(static_cast<int>(r.seed));
}

void RunPanel::setModelLoaded(bool loaded) {
  loaded_ = loaded;
  start_->setEnabled(loaded_ && !running_);
  // Another model: the last run's curves, progress and messages were about the previous one.
  widgets::clearPlot(plot_, "Loss per layer / block");
  progress_->setValue(0);
  stage_->clear();
  eta_->clear();
}

void RunPanel::setBusy(bool busy) {
  running_ = busy;
  start_->setEnabled(loaded_ && !running_);
  cancel_->setEnabled(running_);
}

QString RunPanel::settingsSummary() const {
  const QuantizationRequest r = request();
  QString text = QString("%1, %2 iterations, %3 calibration samples, seed %4")
                     .arg(quantMethodName(r.method))
                     .arg(r.adaround.stopWhenSettled ? QString("at most %1").arg(r.adaround.iterations)
                                                     : QString::number(r.adaround.iterations))
                     .arg(r.calibrationCount)
                     .arg(r.seed);
  if (r.adaround.stopWhenSettled) text += ", each unit stopped when settled";
  if (r.activations.enabled()) text += QString(", activations at %1 bits").arg(r.activations.bits);
  if (r.weights.grid != GridKind::Uniform) text += QString(", %1 grid").arg(gridKindName(r.weights.grid));
  return text;
}

void RunPanel::jobStarted() {
  setBusy(true);
  progress_->setValue(0);
  widgets::clearPlot(plot_, "Loss per layer / block");
  stage_->setText("starting…");
  eta_->clear();
  clock_.start();
}

void RunPanel::onProgress(const QString& stage, double fraction, const QString& unit, double metric, bool hasMetric) {
  progress_->setValue(static_cast<int>(1000 * fraction));
  stage_->setText(stage + (unit.isEmpty() ? QString() : " — " + unit));
  const double elapsed = clock_.elapsed() / 1000.0;
  if (fraction > 0.01)
    eta_->setText(QString("elapsed %1 s, about %2 s left")
                      .arg(elapsed, 0, 'f', 0)
                      .arg(elapsed * (1 - fraction) / fraction, 0, 'f', 0));
  if (hasMetric && metric > 0) {
    // A curve per unit, alternating colours, each named at its start, so each layer's or block's
    // descent stands apart and says whose it is.
    if (plot_->graphCount() == 0 || plot_->graph()->name() != unit) {
      QCPGraph* g = plot_->addGraph();
      g->setName(unit);
      const QColor color = plot_->graphCount() % 2 ? widgets::fpColor() : widgets::quantizedColor();
      g->setPen(QPen(color, 2));
      auto* label = new QCPItemText(plot_);
      // Along the plot's height at most: a long block name is shortened in its middle.
      label->setFont(widgets::plotFont(0));
      label->setText(QFontMetrics(label->font()).elidedText(unit, Qt::ElideMiddle, plot_->axisRect()->height() - 8));
      label->setColor(color);
      label->setRotation(-90);  // reading upwards from the bottom edge, just right of the curve's start
      label->setPositionAlignment(Qt::AlignLeft | Qt::AlignTop);
      label->position->setTypeX(QCPItemPosition::ptPlotCoords);
      label->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
      label->position->setCoords(100 * fraction, 0.98);
      label->setClipToAxisRect(true);
      widgets::setPlotTitle(plot_, "Loss per layer / block — now: " + unit);
    }
    plot_->graph()->addData(100 * fraction, metric);
    plot_->rescaleAxes();
    widgets::addHeadroom(plot_->yAxis);
    plot_->replot(QCustomPlot::rpQueuedReplot);
  }
}

void RunPanel::jobEnded(const QString& message, bool completed) {
  setBusy(false);
  stage_->setText(message);
  if (!completed) progress_->setValue(0);  // nothing of a cancelled or failed job remains
  eta_->setText(
      QString("%1 after %2 s").arg(completed ? "finished" : "stopped").arg(clock_.elapsed() / 1000.0, 0, 'f', 1));
  widgets::setPlotTitle(plot_, "Loss per layer / block");  // no unit is running now
  plot_->replot();
}

}  // namespace roundlab::app
