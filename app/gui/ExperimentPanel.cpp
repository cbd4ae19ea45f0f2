#include "app/gui/ExperimentPanel.h"

#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include <cmath>
#include <map>

#include "engine/core/Error.h"
#include "engine/pipeline/ExperimentStatistics.h"
#include "widgets/ExperimentView.h"

namespace roundlab::app {

namespace {

// Values worth comparing first, per axis (the user edits them freely).
QString suggestedValues(const std::string& axis) {
  static const std::map<std::string, const char*> values = {{"method", "rtn,adaround,brecq,gptq"},
                                                            {"wbits", "4,3,2"},
                                                            {"abits", "8,4"},
                                                            {"qdrop-p", "0.5,1"},
                                                            {"act-lr", "0.00004,0.0004"},
                                                            {"grid", "uniform,power,power-learned"},
                                                            {"granularity", "channel,tensor"},
                                                            {"symmetric", "yes,no"},
                                                            {"range", "lp,minmax"},
                                                            {"p", "2,2.4,3"},
                                                            {"iters", "100,300,1000"},
                                                            {"batch", "32,64,128"},
                                                            {"lr", "0.001,0.003,0.01"},
                                                            {"lambda", "0.001,0.01,0.1"},
                                                            {"warmup", "0,0.2"},
                                                            {"optimizer", "adam,sgd"},
                                                            {"variable", "sigmoid,offset"},
                                                            {"freedom", "rounding,step,bias"},
                                                            {"select", "all,boundary,magnitude"},
                                                            {"select-fraction", "0.25,0.5,1"},
                                                            {"block-loss", "mse,fisher"},
                                                            {"output-kl", "0,0.1,1"},
                                                            {"calib-count", "128,256,512,1024"},
                                                            {"augment", "none,flip+crop,noise"},
                                                            {"seed", "0,1,2"},
                                                            {"input", "quantized,fp"},
                                                            {"stop", "fixed,settled"},
                                                            {"layer-target", "output,activation"}};
  const auto it = values.find(axis);
  return it != values.end() ? it->second : "";
}

std::vector<std::string> splitValues(const QString& text) {
  std::vector<std::string> out;
  for (const QString& v : text.split(',', Qt::SkipEmptyParts))
    if (!v.trimmed().isEmpty()) out.push_back(v.trimmed().toStdString());
  return out;
}

// "0,1,2" → the seeds; empty → none (the Run view's seed, once). Throws InvalidArgument.
std::vector<uint64_t> parseSeeds(const QString& text) {
  std::vector<uint64_t> seeds;
  for (const std::string& v : splitValues(text)) {
    bool ok = false;
    const qulonglong seed = QString::fromStdString(v).toULongLong(&ok);
    if (!ok) throw Error(ErrorCode::InvalidArgument, "seeds are non-negative integers, e.g. 0,1,2 (not '" + v + "')");
    seeds.push_back(seed);
  }
  return seeds;
}

// The cells of the view: one per plan cell, or one per setting with its seeds pooled.
QList<widgets::ExperimentCellData> seededViewCells(const ExperimentRecord& e) {
  QList<widgets::ExperimentCellData> out;
  for (const SeededCell& s : seededCells(e)) {
    const ExperimentCell& cell = e.plan.cells.at(s.cells.front());
    widgets::ExperimentCellData c;
    c.group = QString::fromStdString(cell.group);
    if (e.plan.kind == ExperimentKind::Study || e.plan.kind == ExperimentKind::Pareto)
      c.values << QString::fromStdString(cell.label());
    else
      for (const auto& [axis, value] : cell.settings) c.values << QString::fromStdString(value);
    c.seeds = e.plan.seeds.empty() ? 0 : static_cast<int>(s.cells.size());
    c.seedsFinished = static_cast<int>(s.finished);
    c.finished = s.finished > 0;
    c.evaluated = s.evaluated;
    c.compared = s.compared;
    c.top1 = s.top1.mean;
    c.top1Std = s.top1.std;
    if (s.languageModel && s.evaluated) {  // perplexity = exp(mean cross-entropy per token), per seed
      std::vector<double> perplexity, perplexityFp;
      for (const size_t i : s.cells)
        if (const ExperimentRow* row = e.row(i)) {
          perplexity.push_back(std::exp(row->loss));
          perplexityFp.push_back(std::exp(row->lossFp));
        }
      const MeanStd p = meanStd(perplexity);
      c.languageModel = true;
      c.perplexity = p.mean;
      c.perplexityStd = p.std;
      c.perplexityFp = s.compared ? meanStd(perplexityFp).mean : -1;  // the same FP model for every seed
    }
    c.kl = s.kl.mean;
    c.klStd = s.kl.std;
    c.lossBefore = s.lossBefore.mean;
    c.lossBeforeStd = s.lossBefore.std;
    c.lossAfter = s.lossAfter.mean;
    c.lossAfterStd = s.lossAfter.std;
    c.seconds = s.seconds.mean;
    c.secondsStd = s.seconds.std;
    c.run = s.firstRun;
    out << c;
  }
  return out;
}

widgets::ExperimentData viewData(const ExperimentRecord& e) {
  widgets::ExperimentData d;
  d.kind = e.plan.kind == ExperimentKind::Grid    ? widgets::ExperimentData::Kind::Grid
           : e.plan.kind == ExperimentKind::Study ? widgets::ExperimentData::Kind::Study
                                                  : widgets::ExperimentData::Kind::Sweep;
  d.title = QString::fromStdString(e.plan.title);
  for (const std::string& a : e.plan.axes) d.axes << QString::fromStdString(a);
  d.cells = seededViewCells(e);
  return d;
}

QString experimentName(const ExperimentRecord& e) {
  return QString("E%1 %2%3 (%4/%5 cells)")
      .arg(e.number)
      .arg(QString::fromStdString(e.plan.title))
      .arg(e.plan.seeds.empty() ? QString() : QString(", %1 seeds").arg(e.plan.seeds.size()))
      .arg(e.rows.size())
      .arg(e.plan.cells.size());
}

}  // namespace

ExperimentPlan ExperimentSetup::makePlan(const DatasetInfo& calibration) const {
  if (plan) return *plan;
  ExperimentPlan made;
  switch (kind) {
    case ExperimentKind::Study:
      made = paperStudyPlan(base, iterations, calibration);
      break;
    case ExperimentKind::Grid:
      made = gridPlan(base, axis1, values1, axis2, values2);
      break;
    case ExperimentKind::Sweep:
    case ExperimentKind::Pareto:
      made = sweepPlan(base, axis1, values1);
      break;
  }
  return seeds.empty() ? made : withSeeds(made, seeds);
}

ExperimentPanel::ExperimentPanel(QWidget* parent)
    : QWidget(parent),
      kind_(new QComboBox),
      axis1_(new QComboBox),
      axis2_(new QComboBox),
      chosen_(new QComboBox),
      values1_(new QLineEdit),
      values2_(new QLineEdit),
      seeds_(new QLineEdit),
      iterations_(new QSpinBox),
      iterationsLabel_(new QLabel("Iterations per unit")),
      axis2Label_(new QLabel("and")),
      job_(new QLabel),
      run_(new QPushButton("Run experiment")),
      rerun_(new QPushButton("Run again")),
      cancel_(new QPushButton("Cancel")),
      progress_(new QProgressBar),
      view_(new widgets::ExperimentView) {
  kind_->addItem("One setting", static_cast<int>(ExperimentKind::Sweep));
  kind_->addItem("Two settings, crossed", static_cast<int>(ExperimentKind::Grid));
  kind_->addItem("The founding paper's study", static_cast<int>(ExperimentKind::Study));
  kind_->setToolTip(
      "The study varies loss, loss weighting, degrees of freedom, grid, variable, optimizer, weight selection, "
      "augmentation and calibration size one at a time around the Run view's settings");
  for (const std::string& a : experimentAxes()) {
    axis1_->addItem(QString::fromStdString(a));
    axis2_->addItem(QString::fromStdString(a));
  }
  axis1_->setCurrentText("wbits");
  axis2_->setCurrentText("method");
  values1_->setText(suggestedValues("wbits"));
  values2_->setText(suggestedValues("method"));
  for (QLineEdit* e : {values1_, values2_}) e->setToolTip("Comma-separated values, e.g. 4,3,2");
  seeds_->setPlaceholderText("the Run view's seed, once");
  seeds_->setToolTip(
      "Repeat every cell once per seed (e.g. 0,1,2): the table and plot show mean ± standard deviation, so a "
      "difference smaller than the spread shows as one");
  iterations_->setRange(1, 100000);
  iterations_->setValue(200);
  iterations_->setToolTip("The study's iterations per layer or block (its budget); sweeps use the Run view's");
  chosen_->setToolTip("The experiments of this session");
  chosen_->setMinimumContentsLength(12);
  chosen_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  progress_->setRange(0, 1000);
  progress_->setTextVisible(false);
  job_->setWordWrap(true);
  cancel_->setEnabled(false);

  auto* form = new QFormLayout;
  form->addRow("Vary", kind_);
  auto* first = new QHBoxLayout;
  first->addWidget(axis1_);
  first->addWidget(values1_, 1);
  form->addRow("Setting", first);
  auto* second = new QHBoxLayout;
  second->addWidget(axis2_);
  second->addWidget(values2_, 1);
  form->addRow(axis2Label_, second);
  form->addRow(iterationsLabel_, iterations_);
  form->addRow("Seeds per cell", seeds_);
  auto* buttons = new QHBoxLayout;
  buttons->addWidget(run_);
  buttons->addWidget(cancel_);
  buttons->addStretch(1);
  buttons->addWidget(new QLabel("Experiment"));
  buttons->addWidget(chosen_);
  buttons->addWidget(rerun_);
  auto* note = new QLabel("Every other setting is the Run view's; each cell is a run of the session.");
  note->setWordWrap(true);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(form);
  layout->addWidget(note);
  layout->addLayout(buttons);
  layout->addWidget(progress_);
  layout->addWidget(job_);
  layout->addWidget(view_, 1);

  connect(kind_, &QComboBox::currentIndexChanged, this, &ExperimentPanel::kindChanged);
  connect(axis1_, &QComboBox::currentTextChanged, this, [this] { axisChanged(0); });
  connect(axis2_, &QComboBox::currentTextChanged, this, [this] { axisChanged(1); });
  connect(chosen_, &QComboBox::currentIndexChanged, this, &ExperimentPanel::showChosen);
  connect(run_, &QPushButton::clicked, this, &ExperimentPanel::runRequested);
  connect(cancel_, &QPushButton::clicked, this, &ExperimentPanel::cancelRequested);
  connect(rerun_, &QPushButton::clicked, this, [this] {
    if (const auto e = shownExperiment()) Q_EMIT rerunRequested(e->plan);
  });
  connect(view_, &widgets::ExperimentView::runActivated, this, &ExperimentPanel::runActivated);
  kindChanged();
}

void ExperimentPanel::kindChanged() {
  const auto kind = static_cast<ExperimentKind>(kind_->currentData().toInt());
  const bool study = kind == ExperimentKind::Study;
  for (QWidget* w : {static_cast<QWidget*>(axis1_), static_cast<QWidget*>(values1_)}) w->setEnabled(!study);
  for (QWidget* w :
       {static_cast<QWidget*>(axis2_), static_cast<QWidget*>(values2_), static_cast<QWidget*>(axis2Label_)})
    w->setVisible(kind == ExperimentKind::Grid);
  iterationsLabel_->setVisible(study);
  iterations_->setVisible(study);
}

void ExperimentPanel::axisChanged(int which) {
  QLineEdit* edit = which == 0 ? values1_ : values2_;
  edit->setText(suggestedValues((which == 0 ? axis1_ : axis2_)->currentText().toStdString()));
}

ExperimentSetup ExperimentPanel::setup(const QuantizationRequest& base) const {
  ExperimentSetup s;
  s.kind = static_cast<ExperimentKind>(kind_->currentData().toInt());
  s.base = base;
  s.axis1 = axis1_->currentText().toStdString();
  s.axis2 = axis2_->currentText().toStdString();
  s.values1 = splitValues(values1_->text());
  s.values2 = splitValues(values2_->text());
  s.iterations = iterations_->value();
  s.seeds = parseSeeds(seeds_->text());
  if (s.kind != ExperimentKind::Study && s.values1.empty())
    throw Error(ErrorCode::InvalidArgument,
                "give the values of " + s.axis1 + ", e.g. " + suggestedValues(s.axis1).toStdString());
  if (s.kind == ExperimentKind::Grid && s.values2.empty())
    throw Error(ErrorCode::InvalidArgument, "give the values of " + s.axis2);
  DatasetInfo anySet;  // every value checked now, before the job starts; the set only trims the study
  anySet.samples = int64_t(1) << 30;
  s.makePlan(anySet);
  return s;
}

void ExperimentPanel::setExperiments(const std::vector<std::shared_ptr<const ExperimentRecord>>& experiments) {
  const bool newest = experiments.size() != experiments_.size() || chosen_->currentIndex() == chosen_->count() - 1;
  experiments_ = experiments;
  const int keep = chosen_->currentIndex();
  const QSignalBlocker block(chosen_);
  chosen_->clear();
  for (const auto& e : experiments_) chosen_->addItem(experimentName(*e));
  chosen_->setCurrentIndex(newest ? chosen_->count() - 1 : keep);
  showChosen();
}

std::shared_ptr<const ExperimentRecord> ExperimentPanel::shownExperiment() const {
  const int i = chosen_->currentIndex();
  return i >= 0 && i < static_cast<int>(experiments_.size()) ? experiments_[static_cast<size_t>(i)] : nullptr;
}

void ExperimentPanel::showChosen() {
  if (const auto e = shownExperiment()) {
    const widgets::ExperimentData d = viewData(*e);
    view_->setExperiment(&d);
  } else {
    view_->setExperiment(nullptr);
  }
  updateButtons();
}

void ExperimentPanel::setModelLoaded(bool loaded) {
  loaded_ = loaded;
  if (!loaded) setExperiments({});
  updateButtons();
}

void ExperimentPanel::setBusy(bool busy) {
  busy_ = busy;
  updateButtons();
}

void ExperimentPanel::updateButtons() {
  run_->setEnabled(loaded_ && !busy_ && !running_);
  rerun_->setEnabled(loaded_ && !busy_ && !running_ && shownExperiment() != nullptr);
  cancel_->setEnabled(running_);
}

void ExperimentPanel::jobStarted(const QString& what) {
  running_ = true;
  progress_->setValue(0);
  job_->setText(what + " …");
  clock_.start();
  updateButtons();
}

void ExperimentPanel::onProgress(const QString& stage, double fraction, const QString& unit) {
  progress_->setValue(static_cast<int>(1000 * fraction));
  const double elapsed = clock_.elapsed() / 1000.0;
  QString text = unit.isEmpty() ? stage : unit;
  if (fraction > 0.01) text += QString(" · about %1 s left").arg(elapsed * (1 - fraction) / fraction, 0, 'f', 0);
  job_->setText(text);
}

void ExperimentPanel::jobEnded(const QString& message, bool completed) {
  running_ = false;
  progress_->setValue(completed ? progress_->maximum() : 0);
  job_->setText(QString("%1 (%2 after %3 s)")
                    .arg(message, completed ? "finished" : "stopped")
                    .arg(clock_.elapsed() / 1000.0, 0, 'f', 1));
  updateButtons();
}

}  // namespace roundlab::app
