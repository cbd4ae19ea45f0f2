#include "app/gui/AdvancedRunSettings.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QScrollArea>
#include <QSpinBox>

#include "app/gui/FormFields.h"
#include "engine/data/AugmentedDataset.h"

namespace roundlab::app {

using form::check;
using form::choice;
using form::integer;
using form::number;

namespace {

// A tab's form, scrolling rather than making the window taller than small screens.
QWidget* page(const std::vector<std::pair<QString, QWidget*>>& rows) {
  auto* w = new QWidget;
  auto* form = new QFormLayout(w);
  for (const auto& [label, field] : rows) form->addRow(label, field);
  auto* scroll = new QScrollArea;
  scroll->setWidget(w);
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  return scroll;
}

}  // namespace

AdvancedRunSettings::AdvancedRunSettings(QWidget* parent)
    : QTabWidget(parent),
      symmetric_(
          check("Symmetric grid", "Zero point 0 and codes symmetric around it; off: an asymmetric (affine) grid.")),
      firstLast_(check("First and last layers at 8 bits",
                       "Keep the first and last quantized layers at 8 bits, as the reference setting does.")),
      cosineLr_(check("Cosine learning-rate decay", "Decay the learning rate to 0 along a cosine; off: constant.")),
      cosineBeta_(check("Cosine β annealing", "Anneal the regulariser's β along a cosine; off: linearly.")),
      stopWhenSettled_(check("Stop when settled",
                             "Stop each layer or block once its rounding has settled and its loss is flat (the "
                             "iterations are then the most it runs); off: run every iteration.")),
      afterActivation_(check("Match layers after their activation",
                             "Layer by layer: compare each layer's output after the BatchNorm and activation the "
                             "model applies to it (the reference's target; a ReLU6 then ignores what it clips); "
                             "off: the layer's own output.")),
      flip_(check("flip", "Horizontal flip with probability ½.")),
      crop_(check("crop", "Shift by up to 2 pixels (zero padded).")),
      noise_(check("noise", "Gaussian noise, σ 0.1 in normalised units.")),
      mix_(check("mix", "Mix each sample with the next: λx_i + (1 − λ)x_j, λ in [0.6, 1].")),
      granularity_(choice({"channel", "tensor", "group"},
                          "One grid per output channel, one for the whole tensor, or one per group of input columns.")),
      rangeInit_(
          choice({"lp", "minmax"}, "Initial range: the L_p-optimal shrink of the min/max range, or min/max itself.")),
      embeddingBits_(choice({"floating point", "8", "7", "6", "5", "4", "3", "2"},
                            "Embedding tables that are no layer's weight (positions, an untied token table): kept in "
                            "floating point, or each row rounded to nearest on its own grid at these bits.")),
      optimizer_(choice({"adam", "sgd"}, "Optimizer of the rounding variables.")),
      variable_(choice({"sigmoid", "offset"},
                       "The optimization variable: AdaRound's rectified sigmoid V, or an additive offset rounded "
                       "with a straight-through estimator.")),
      selection_(choice({"all", "boundary", "magnitude"},
                        "Which weights may learn their rounding: all, those nearest a rounding boundary, or the "
                        "largest; the rest stay at nearest rounding.")),
      blockLoss_(choice({"mse", "fisher"},
                        "Block reconstruction loss (brecq, qdrop): squared error, or weighted by "
                        "BRECQ's Fisher approximation.")),
      groupSize_(integer(1, 1 << 16, 0, "Input columns per group, for group granularity.")),
      batch_(integer(1, 4096, 0, "Samples per optimisation step.")),
      spillMiB_(integer(-1, 1 << 20, 2048,
                        "Calibration activations beyond this many MiB go to a temporary HDF5 file (-1: never).")),
      lpNorm_(number(1, 8, 2, 0.1, "p of the L_p range search.")),
      momentum_(number(0, 0.999, 3, 0.05, "SGD momentum.")),
      lambda_(number(0, 10, 4, 0.001, "Weight of the rounding regulariser (0.1 suits depthwise-heavy networks).")),
      warmup_(number(0, 1, 2, 0.05, "Share of the iterations without the regulariser.")),
      betaStart_(number(1, 100, 1, 1, "β of the regulariser at the end of the warm-up (soft).")),
      betaEnd_(number(1, 100, 1, 1, "β at the last iteration (hard: every weight pushed to 0 or 1).")),
      selectFraction_(number(0.01, 1, 2, 0.05, "Share of the weights the selection rule picks.")),
      klWeight_(number(0, 100, 3, 0.1, "Weight of the output-level term KL(FP ‖ quantized) on each unit (0: off).")),
      klTemperature_(number(0.1, 100, 1, 0.5, "Softmax temperature of the output-level term.")),
      dropProbability_(number(-1, 1, 2, 0.05,
                              "QDrop: probability an activation takes its quantized value while reconstructing "
                              "(1: plain quantization; method default: 0.5 for qdrop).")),
      actLearningRate_(number(1e-7, 1, 7, 1e-5, "Adam learning rate of the activation steps (LSQ).")),
      actLpNorm_(number(1, 8, 2, 0.1, "p of the activation ranges' L_p initialisation.")) {
  dropProbability_->setSpecialValueText("method default");
  auto* augmentation = new QWidget;
  auto* augRow = new QHBoxLayout(augmentation);
  augRow->setContentsMargins(0, 0, 0, 0);
  for (QCheckBox* c : {flip_, crop_, noise_, mix_}) augRow->addWidget(c);
  augRow->addStretch(1);
  addTab(page({{"", symmetric_},
               {"Granularity", granularity_},
               {"Group size", groupSize_},
               {"Range", rangeInit_},
               {"L_p norm", lpNorm_},
               {"", firstLast_},
               {"Embedding tables", embeddingBits_}}),
         "Grid");
  addTab(page({{"Optimizer", optimizer_},
               {"SGD momentum", momentum_},
               {"", cosineLr_},
               {"Batch", batch_},
               {"", stopWhenSettled_},
               {"", afterActivation_},
               {"Variable", variable_},
               {"Regulariser λ", lambda_},
               {"Warm-up", warmup_},
               {"β start", betaStart_},
               {"β end", betaEnd_},
               {"", cosineBeta_},
               {"Weight selection", selection_},
               {"Selected share", selectFraction_},
               {"Block loss", blockLoss_},
               {"Output KL weight", klWeight_},
               {"KL temperature", klTemperature_}}),
         "Reconstruction");
  addTab(page({{"QDrop probability", dropProbability_},
               {"Step learning rate", actLearningRate_},
               {"Range L_p norm", actLpNorm_},
               {"Augmentation", augmentation},
               {"Spill to disk beyond MiB", spillMiB_}}),
         "Activations and data");
  write(QuantizationRequest{});
}

void AdvancedRunSettings::read(QuantizationRequest& r) const {
  r.weights.symmetric = symmetric_->isChecked();
  r.weights.granularity = parseGranularity(granularity_->currentText().toStdString());
  r.weights.groupSize = groupSize_->value();
  r.weights.rangeInit = parseRangeInit(rangeInit_->currentText().toStdString());
  r.weights.lpNorm = lpNorm_->value();
  r.firstLastEightBit = firstLast_->isChecked();
  r.embeddingBits = embeddingBits_->currentIndex() == 0 ? 0 : embeddingBits_->currentText().toInt();
  AdaRoundConfig& a = r.adaround;
  a.optimizer = parseOptimizer(optimizer_->currentText().toStdString());
  a.momentum = momentum_->value();
  a.cosineLr = cosineLr_->isChecked();
  a.batch = batch_->value();
  a.variable = parseVariable(variable_->currentText().toStdString());
  a.lambda = lambda_->value();
  a.warmup = warmup_->value();
  a.betaStart = betaStart_->value();
  a.betaEnd = betaEnd_->value();
  a.cosineBeta = cosineBeta_->isChecked();
  a.stopWhenSettled = stopWhenSettled_->isChecked();
  a.targetAfterActivation = afterActivation_->isChecked();
  a.selection = parseSelection(selection_->currentText().toStdString());
  a.selectFraction = selectFraction_->value();
  r.blockLoss = parseBlockLoss(blockLoss_->currentText().toStdString());
  r.outputKlWeight = klWeight_->value();
  r.klTemperature = klTemperature_->value();
  r.activations.dropProbability = dropProbability_->value();
  r.activations.learningRate = actLearningRate_->value();
  r.activations.lpNorm = actLpNorm_->value();
  r.augmentation = {flip_->isChecked(), crop_->isChecked(), noise_->isChecked(), mix_->isChecked()};
  r.activationMemoryMiB = spillMiB_->value();
}

void AdvancedRunSettings::write(const QuantizationRequest& r) {
  symmetric_->setChecked(r.weights.symmetric);
  granularity_->setCurrentText(granularityName(r.weights.granularity));
  groupSize_->setValue(static_cast<int>(r.weights.groupSize));
  rangeInit_->setCurrentText(rangeInitName(r.weights.rangeInit));
  lpNorm_->setValue(r.weights.lpNorm);
  firstLast_->setChecked(r.firstLastEightBit);
  embeddingBits_->setCurrentIndex(r.embeddingBits == 0 ? 0
                                                       : embeddingBits_->findText(QString::number(r.embeddingBits)));
  const AdaRoundConfig& a = r.adaround;
  optimizer_->setCurrentText(optimizerName(a.optimizer));
  momentum_->setValue(a.momentum);
  cosineLr_->setChecked(a.cosineLr);
  batch_->setValue(static_cast<int>(a.batch));
  variable_->setCurrentText(variableName(a.variable));
  lambda_->setValue(a.lambda);
  warmup_->setValue(a.warmup);
  betaStart_->setValue(a.betaStart);
  betaEnd_->setValue(a.betaEnd);
  cosineBeta_->setChecked(a.cosineBeta);
  stopWhenSettled_->setChecked(a.stopWhenSettled);
  afterActivation_->setChecked(a.targetAfterActivation);
  selection_->setCurrentText(selectionName(a.selection));
  selectFraction_->setValue(a.selectFraction);
  blockLoss_->setCurrentText(blockLossName(r.blockLoss));
  klWeight_->setValue(r.outputKlWeight);
  klTemperature_->setValue(r.klTemperature);
  dropProbability_->setValue(r.activations.dropProbability < 0 ? -1 : r.activations.dropProbability);
  actLearningRate_->setValue(r.activations.learningRate);
  actLpNorm_->setValue(r.activations.lpNorm);
  flip_->setChecked(r.augmentation.flip);
  crop_->setChecked(r.augmentation.crop);
  noise_->setChecked(r.augmentation.noise);
  mix_->setChecked(r.augmentation.mix);
  spillMiB_->setValue(static_cast<int>(std::clamp<int64_t>(r.activationMemoryMiB, -1, 1 << 20)));
}

}  // namespace roundlab::app
