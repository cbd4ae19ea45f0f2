#include "app/gui/GridPlayground.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QShowEvent>
#include <QSlider>
#include <QSpinBox>
#include <QVBoxLayout>

#include <cmath>

#include "widgets/QCustomPlotInclude.h"
#include "widgets/WeightHistogramView.h"

namespace roundlab::app {

namespace {

constexpr int kSyntheticRows = 16, kSyntheticColumns = 1024;  // 16 output channels of 1,024 weights
constexpr double kSyntheticSigma = 0.05;
// The grid is fitted on the GUI thread at every slider move: a larger layer (a language model's
// 8192 x 768 head took 10 s) shows every k-th output channel, up to this many weights.
constexpr size_t kPlaygroundWeights = size_t(1) << 16;

QSlider* slider(int lo, int hi, int value, const QString& tip) {
  auto* s = new QSlider(Qt::Horizontal);
  s->setRange(lo, hi);
  s->setValue(value);
  s->setToolTip(tip);
  return s;
}

// A slider with its value beside it.
QWidget* withValue(QSlider* s, QLabel* value) {
  auto* w = new QWidget;
  auto* row = new QHBoxLayout(w);
  row->setContentsMargins(0, 0, 0, 0);
  row->addWidget(s, 1);
  value->setMinimumWidth(value->fontMetrics().horizontalAdvance("a = 0.00 (found)"));
  row->addWidget(value);
  return w;
}

}  // namespace

GridPlayground::GridPlayground(QWidget* parent)
    : QWidget(parent),
      source_(new QComboBox),
      granularity_(new QComboBox),
      range_(new QComboBox),
      bits_(slider(2, 8, 3, "Bits of the grid: 2^b levels")),
      p_(slider(10, 60, 24, "p of the L_p range search: small p clips more, large p approaches min/max")),
      exponent_(
          slider(30, 100, 100, "Power exponent a: the grid is uniform on sign(w)|w|^a; a < 1 puts levels near zero")),
      symmetric_(new QCheckBox("Symmetric (zero point 0)")),
      search_(new QCheckBox("Search the exponent")),
      groupSize_(new QSpinBox),
      bitsText_(new QLabel),
      pText_(new QLabel),
      exponentText_(new QLabel),
      stats_(new QLabel),
      view_(new widgets::WeightHistogramView) {
  source_->setObjectName("playgroundSource");
  source_->addItem("Selected layer");
  for (const auto& [kind, name, description] : syntheticDistributionTable().entries()) {
    source_->addItem(QString("Synthetic: %1").arg(QString::fromUtf8(name)), static_cast<int>(kind));
    source_->setItemData(source_->count() - 1, QString::fromUtf8(description), Qt::ToolTipRole);
  }
  source_->setToolTip(
      "The weights to quantize: the layer selected in the layer table, or a synthetic distribution "
      "(16 channels of 1,024 weights, σ 0.05)");
  for (const auto& [g, name, description] : granularityTable().entries())
    granularity_->addItem(QString::fromUtf8(name), static_cast<int>(g));
  granularity_->setToolTip("One grid per output channel, for the whole tensor, or per group of input columns");
  for (const auto& [r, name, description] : rangeInitTable().entries())
    range_->addItem(QString::fromUtf8(name), static_cast<int>(r));
  range_->setCurrentText("lp");
  range_->setToolTip("How the grid's range is chosen: min/max of the weights, or the L_p-optimal shrink of it");
  groupSize_->setRange(1, 4096);
  groupSize_->setValue(128);
  groupSize_->setToolTip("Input columns per group (granularity group)");
  search_->setToolTip("Golden-section search for the exponent with the least squared error (as a run does)");
  stats_->setObjectName("playgroundStats");
  stats_->setToolTip(
      "Clipped: weights more than half a step beyond their grid's outermost level, which the code "
      "range clamps");
  stats_->setWordWrap(true);
  stats_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  QFont big = stats_->font();
  big.setPointSizeF(big.pointSizeF() * 1.15);
  stats_->setFont(big);

  // Two columns of settings and the numbers above, the plots below at the view's full width (so
  // that all three fit a 1280×720 screen).
  auto* weightsForm = new QFormLayout;
  weightsForm->addRow("Weights", source_);
  weightsForm->addRow("Bits", withValue(bits_, bitsText_));
  weightsForm->addRow("", symmetric_);
  weightsForm->addRow("Granularity", granularity_);
  weightsForm->addRow("Group size", groupSize_);
  auto* rangeForm = new QFormLayout;
  rangeForm->addRow("Range", range_);
  rangeForm->addRow("L_p norm", withValue(p_, pText_));
  rangeForm->addRow("Power exponent", withValue(exponent_, exponentText_));
  rangeForm->addRow("", search_);
  auto* top = new QHBoxLayout;
  top->addLayout(weightsForm, 3);
  top->addSpacing(12);
  top->addLayout(rangeForm, 3);
  top->addSpacing(12);
  top->addWidget(stats_, 2);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(top);
  layout->addWidget(view_, 1);

  for (QSlider* s : {bits_, p_, exponent_}) connect(s, &QSlider::valueChanged, this, &GridPlayground::update);
  for (QComboBox* c : {source_, granularity_, range_})
    connect(c, &QComboBox::currentIndexChanged, this, &GridPlayground::update);
  connect(source_, &QComboBox::currentIndexChanged, this, [this](int index) { syntheticChosen_ = index > 0; });
  for (QCheckBox* c : {symmetric_, search_}) connect(c, &QCheckBox::toggled, this, &GridPlayground::update);
  connect(groupSize_, &QSpinBox::valueChanged, this, &GridPlayground::update);
  setLayer({}, {}, {});
}

void GridPlayground::setLayer(const QString& name, std::vector<float> weights, std::vector<int64_t> shape) {
  layer_ = name;
  if (weights.size() > kPlaygroundWeights && !shape.empty() && shape.front() > 1) {
    const auto rows = static_cast<size_t>(shape.front()), perRow = weights.size() / rows;
    const size_t step = (weights.size() + kPlaygroundWeights - 1) / kPlaygroundWeights;
    std::vector<float> sampled;
    for (size_t r = 0; r < rows; r += step)
      sampled.insert(sampled.end(), weights.begin() + static_cast<std::ptrdiff_t>(r * perRow),
                     weights.begin() + static_cast<std::ptrdiff_t>((r + 1) * perRow));
    shape.front() = static_cast<int64_t>(sampled.size() / perRow);
    layer_ = QString("%1 (one output channel in %2, of %3)").arg(name).arg(step).arg(rows);
    weights = std::move(sampled);
  }
  layerWeights_ = std::move(weights);
  layerShape_ = std::move(shape);
  const QSignalBlocker block(source_);
  source_->setItemText(0,
                       name.isEmpty() ? QString("Selected layer (open a model first)") : "Selected layer: " + layer_);
  if (name.isEmpty() && source_->currentIndex() == 0) source_->setCurrentIndex(1);  // something to show
  if (!name.isEmpty() && !syntheticChosen_) source_->setCurrentIndex(0);            // unless the user chose otherwise
  update();
}

WeightQuantConfig GridPlayground::config() const {
  WeightQuantConfig c;
  c.bits = bits_->value();
  c.symmetric = symmetric_->isChecked();
  c.granularity = static_cast<Granularity>(granularity_->currentData().toInt());
  c.groupSize = groupSize_->value();
  c.rangeInit = static_cast<RangeInit>(range_->currentData().toInt());
  c.lpNorm = p_->value() / 10.0;
  c.grid = search_->isChecked() ? GridKind::PowerSearched : GridKind::Uniform;
  c.exponent = search_->isChecked() ? 1.0 : exponent_->value() / 100.0;
  return c;
}

void GridPlayground::apply(const WeightQuantConfig& c, const QString& source) {
  int sourceIndex = 0;
  if (!source.isEmpty())
    sourceIndex = source_->findData(static_cast<int>(syntheticDistributionTable().parse(source.toStdString())));
  source_->setCurrentIndex(std::max(sourceIndex, 0));
  bits_->setValue(c.bits);
  symmetric_->setChecked(c.symmetric);
  granularity_->setCurrentIndex(granularity_->findData(static_cast<int>(c.granularity)));
  groupSize_->setValue(static_cast<int>(c.groupSize));
  range_->setCurrentIndex(range_->findData(static_cast<int>(c.rangeInit)));
  p_->setValue(static_cast<int>(std::lround(c.lpNorm * 10)));
  search_->setChecked(c.grid == GridKind::PowerSearched);
  exponent_->setValue(static_cast<int>(std::lround(c.exponent * 100)));
  update();
}

void GridPlayground::showEvent(QShowEvent* event) {
  QWidget::showEvent(event);
  if (dirty_) update();
}

void GridPlayground::update() {
  // Hidden, it only remembers to update: selecting layers elsewhere costs nothing here.
  dirty_ = !isVisible();
  if (dirty_) return;
  QElapsedTimer clock;
  clock.start();
  const WeightQuantConfig c = config();
  const bool power = search_->isChecked() || c.exponent < 1.0;
  // A power grid is symmetric by construction; the L_p p only matters for the L_p range.
  symmetric_->setEnabled(!power);
  p_->setEnabled(c.rangeInit == RangeInit::Lp);
  exponent_->setEnabled(!search_->isChecked());
  groupSize_->setEnabled(c.granularity == Granularity::PerGroup);
  bitsText_->setText(QString("%1 bits").arg(c.bits));
  pText_->setText(QString("p = %1").arg(c.lpNorm, 0, 'f', 1));

  std::vector<float> synthetic;
  const std::vector<float>* weights = &layerWeights_;
  std::vector<int64_t> shape = layerShape_;
  QString title = layer_;
  if (source_->currentIndex() > 0 || layer_.isEmpty()) {
    const auto kind = static_cast<SyntheticDistribution>(source_->currentData().toInt());
    synthetic = syntheticWeights(kind, kSyntheticRows * kSyntheticColumns, kSyntheticSigma, 0);
    weights = &synthetic;
    shape = {kSyntheticRows, kSyntheticColumns};
    title = QString("Synthetic %1").arg(QString::fromUtf8(syntheticDistributionTable().name(kind)));
  }
  try {
    preview_ = previewGrid(*weights, shape, c);
    ok_ = true;
  } catch (const std::exception& e) {
    ok_ = false;
    view_->clear();
    shownWeights_.clear();
    stats_->setText(QString("<span style='color:#c0392b'>These settings make no grid: %1</span>")
                        .arg(QString::fromUtf8(e.what()).toHtmlEscaped()));
    return;
  }
  exponentText_->setText(search_->isChecked() ? QString("a = %1 (found)").arg(preview_.grid.exponent, 0, 'f', 2)
                                              : QString("a = %1").arg(c.exponent, 0, 'f', 2));
  // The FP histogram changes with the weights only; the quantized side (and ranges) with each move.
  const QString shown = QString("%1|%2").arg(title).arg(qHashBits(weights->data(), weights->size() * sizeof(float)));
  if (shown != shownWeights_) view_->setWeights(title, *weights);
  shownWeights_ = shown;
  view_->setQuantized(preview_.dequantized, *weights, shape.front(),
                      [g = preview_.grid](int64_t row) { return gridLevels(g, row); });
  lastMs_ = static_cast<double>(clock.nsecsElapsed()) / 1e6;
  const QString sqnr = std::isfinite(preview_.sqnrDb) ? QString("%1 dB").arg(preview_.sqnrDb, 0, 'f', 1) : "exact";
  stats_->setText(QString("<b>MSE</b> %1<br><b>SQNR</b> %2<br><b>Clipped</b> %3 % of the weights<br>%4 levels "
                          "per grid · drawn in %5 ms")
                      .arg(preview_.mse, 0, 'g', 3)
                      .arg(sqnr)
                      .arg(100 * preview_.clippedShare, 0, 'f', 2)
                      .arg(preview_.grid.qmax - preview_.grid.qmin + 1)
                      .arg(lastMs_, 0, 'f', 0));
}

}  // namespace roundlab::app
