#include "app/gui/WelcomePage.h"

#include <QApplication>
#include <QCheckBox>
#include <QCommandLinkButton>
#include <QFileInfo>
#include <QGridLayout>
#include <QLabel>
#include <QListWidget>
#include <QSettings>
#include <QVBoxLayout>

namespace roundlab::app {

namespace {

QLabel* heading(const QString& text) {
  auto* label = new QLabel(text);
  QFont f = label->font();
  f.setPointSizeF(f.pointSizeF() * 1.3);
  f.setBold(true);
  label->setFont(f);
  return label;
}

QCommandLinkButton* link(const QString& text, const QString& description) {
  return new QCommandLinkButton(text, description);  // its own size policy: height for its width
}

}  // namespace

WelcomePage::WelcomePage(QWidget* parent)
    : QWidget(parent),
      recent_(new QListWidget),
      demo_(link("Explore the demo",
                 "A residual CNN trained on Fashion-MNIST, with its calibration and validation "
                 "sets: quantize it in seconds (Ctrl+R) and see every view fill")),
      recover_(link("Recover the last run", "RoundLab did not exit cleanly: reopen the run it autosaved")),
      showAtStart_(new QCheckBox("Show this page when RoundLab starts without a file")) {
  setObjectName("welcome");
  auto* title = new QLabel("<h1>RoundLab</h1>");
  auto* tagline = new QLabel(
      "Quantize a TorchScript model to a few bits by <b>learning how to round each weight</b> from a small "
      "calibration set — AdaRound, BRECQ, QDrop, GPTQ and the design space around them — then see what changed, "
      "layer by layer, choose a mixed-precision allocation and export it.");
  tagline->setWordWrap(true);

  auto* start = new QVBoxLayout;
  start->addWidget(heading("Start"));
  start->addWidget(demo_);
  QCommandLinkButton* transformer =
      link("Explore the demo transformer", "A small vision transformer on the same data: attention blocks");
  start->addWidget(transformer);
  QCommandLinkButton* model = link("Open a model…", "A TorchScript file (.pt), traced or scripted (Ctrl+O)");
  start->addWidget(model);
  QCommandLinkButton* session = link("Open a session…", "A saved run (.rlab) with its settings and results");
  start->addWidget(session);
  start->addWidget(recover_);
  start->addStretch(1);

  auto* recentColumn = new QVBoxLayout;
  recentColumn->addWidget(heading("Recent"));
  recent_->setObjectName("welcomeRecent");
  recent_->setToolTip("Click to open");
  recent_->setWordWrap(true);
  recent_->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  recent_->setTextElideMode(Qt::ElideMiddle);
  recentColumn->addWidget(recent_, 1);

  auto* learn = new QVBoxLayout;
  learn->addWidget(heading("Learn"));
  QCommandLinkButton* lessons = link(
      "Take the lessons", "Eight guided lessons on the demo, with exercises checked on your results (Ctrl+Shift+L)");
  learn->addWidget(lessons);
  QCommandLinkButton* guide = link("Read the guide", "What RoundLab does, its views and its command line (F1)");
  learn->addWidget(guide);
  QCommandLinkButton* methods =
      link("The methods", "Grids, rounding to nearest, learned rounding, blocks, activations, power grids");
  learn->addWidget(methods);
  QCommandLinkButton* data = link("Bring your own data", "The calibration-set format and how to make one");
  learn->addWidget(data);
  QCommandLinkButton* keys = link("Keyboard shortcuts", "Every action's keys, searchable (Ctrl+/)");
  learn->addWidget(keys);
  learn->addStretch(1);

  auto* columns = new QGridLayout;
  columns->addLayout(start, 0, 0);
  columns->addLayout(recentColumn, 0, 1);
  columns->addLayout(learn, 0, 2);
  for (int c = 0; c < 3; ++c) columns->setColumnStretch(c, 1);

  auto* content = new QWidget;
  content->setMaximumWidth(1200);
  auto* inner = new QVBoxLayout(content);
  inner->addWidget(title);
  inner->addWidget(tagline);
  inner->addSpacing(12);
  inner->addLayout(columns, 1);
  inner->addWidget(showAtStart_);
  auto* outer = new QHBoxLayout(this);
  outer->addStretch(0);
  outer->addWidget(content, 1);
  outer->addStretch(0);

  showAtStart_->setChecked(shownAtStart());
  connect(showAtStart_, &QCheckBox::toggled, this, [](bool on) { QSettings().setValue("welcome/showAtStart", on); });
  connect(demo_, &QCommandLinkButton::clicked, this, [this] { Q_EMIT demoRequested(false); });
  connect(transformer, &QCommandLinkButton::clicked, this, [this] { Q_EMIT demoRequested(true); });
  connect(model, &QCommandLinkButton::clicked, this, &WelcomePage::openModelRequested);
  connect(session, &QCommandLinkButton::clicked, this, &WelcomePage::openSessionRequested);
  connect(recover_, &QCommandLinkButton::clicked, this, &WelcomePage::recoverRequested);
  connect(guide, &QCommandLinkButton::clicked, this, [this] { Q_EMIT documentationRequested({}); });
  connect(methods, &QCommandLinkButton::clicked, this,
          [this] { Q_EMIT documentationRequested("docs/quantization.md"); });
  connect(data, &QCommandLinkButton::clicked, this, [this] { Q_EMIT documentationRequested("docs/data-format.md"); });
  connect(keys, &QCommandLinkButton::clicked, this, &WelcomePage::shortcutsRequested);
  connect(lessons, &QCommandLinkButton::clicked, this, &WelcomePage::lessonsRequested);
  // One click opens, as a link does; Enter too. A double-click's activation is not a second open.
  connect(recent_, &QListWidget::itemClicked, this,
          [this](QListWidgetItem* item) { Q_EMIT fileRequested(item->data(Qt::UserRole).toString()); });
  connect(recent_, &QListWidget::itemActivated, this, [this](QListWidgetItem* item) {
    if (QApplication::mouseButtons() == Qt::NoButton) Q_EMIT fileRequested(item->data(Qt::UserRole).toString());
  });
  setRecentFiles({});
  setRecoverable(false);
}

bool WelcomePage::shownAtStart() { return QSettings().value("welcome/showAtStart", true).toBool(); }

void WelcomePage::setRecentFiles(const QStringList& files) {
  recent_->clear();
  for (const QString& f : files) {
    const QFileInfo info(f);
    auto* item = new QListWidgetItem(info.fileName() + "\n" + info.absolutePath());
    item->setData(Qt::UserRole, f);
    item->setToolTip(f);
    if (!info.exists()) item->setFlags(item->flags() & ~Qt::ItemIsEnabled);  // moved or deleted
    recent_->addItem(item);
  }
  if (files.isEmpty()) {
    auto* none = new QListWidgetItem("None yet: the models, sessions and data you open are listed here.");
    none->setFlags(Qt::NoItemFlags);
    recent_->addItem(none);
  }
}

void WelcomePage::setRecoverable(bool recoverable) { recover_->setVisible(recoverable); }

}  // namespace roundlab::app
