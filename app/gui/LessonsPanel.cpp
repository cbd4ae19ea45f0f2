#include "app/gui/LessonsPanel.h"

#include <QComboBox>
#include <QCommandLinkButton>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QSplitter>
#include <QTextBlock>
#include <QTextBrowser>
#include <QTextCursor>
#include <QTextDocumentFragment>

#include <cmath>

namespace roundlab::app {

namespace {

QString progressKey(const Lesson& lesson, const LessonExercise& exercise) {
  return "lessons/" + lesson.id + "/" + exercise.id;
}

}  // namespace

LessonsPanel::LessonsPanel(QWidget* parent)
    : QWidget(parent),
      lessons_(new QComboBox),
      previous_(new QPushButton("◀")),
      next_(new QPushButton("▶")),
      progress_(new QLabel),
      stepStatus_(new QLabel),
      stop_(new QPushButton("Stop")),
      text_(new QTextBrowser),
      actions_(new QWidget),
      actionsLayout_(new QVBoxLayout(actions_)) {
  setObjectName("lessonsPanel");
  previous_->setToolTip("The previous lesson");
  next_->setToolTip("The next lesson");
  for (QPushButton* b : {previous_, next_}) b->setFixedWidth(b->fontMetrics().horizontalAdvance("◀") * 4);
  lessons_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  lessons_->setMinimumContentsLength(12);
  auto* top = new QHBoxLayout;
  top->addWidget(previous_);
  top->addWidget(lessons_, 1);
  top->addWidget(next_);
  text_->setOpenExternalLinks(true);
  text_->viewport()->installEventFilter(this);  // figures follow the dock's width
  stepStatus_->setWordWrap(true);
  progress_->setWordWrap(true);
  auto* scroll = new QScrollArea;
  scroll->setWidget(actions_);
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);  // everything wraps to the width
  auto* split = new QSplitter(Qt::Vertical);
  split->addWidget(text_);
  split->addWidget(scroll);
  split->setStretchFactor(0, 1);
  split->setStretchFactor(1, 1);
  split->setSizes({1000, 1000});  // the text and the actions share the height equally
  split->setChildrenCollapsible(false);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(top);
  layout->addWidget(progress_);
  layout->addWidget(split, 1);
  auto* status = new QHBoxLayout;
  status->addWidget(stepStatus_, 1);
  status->addWidget(stop_);
  layout->addLayout(status);
  stop_->setToolTip("Stop waiting for this step (Esc cancels its job)");
  stop_->hide();
  connect(stop_, &QPushButton::clicked, this, &LessonsPanel::stopRequested);
  connect(lessons_, qOverload<int>(&QComboBox::activated), this, &LessonsPanel::setCurrentLesson);
  connect(previous_, &QPushButton::clicked, this, [this] { setCurrentLesson(current_ - 1); });
  connect(next_, &QPushButton::clicked, this, [this] { setCurrentLesson(current_ + 1); });
}

bool LessonsPanel::load(const QString& dir) {
  try {
    book_ = loadLessonBook(dir);
    error_.clear();
  } catch (const LessonFormatError& e) {
    book_ = {};
    error_ = QString::fromStdString(e.what());
  }
  lessons_->clear();
  for (const Lesson& l : book_.lessons) lessons_->addItem(l.title);
  current_ = -1;
  if (book_.lessons.isEmpty()) {
    text_->setPlainText(error_.isEmpty() ? "No lessons were found." : "The lessons cannot be shown: " + error_);
    progress_->clear();
    return false;
  }
  setCurrentLesson(std::clamp(QSettings().value("lessons/current", 0).toInt(), 0, int(book_.lessons.size()) - 1));
  return true;
}

void LessonsPanel::setCurrentLesson(int index) {
  if (index < 0 || index >= book_.lessons.size()) return;
  current_ = index;
  QSettings().setValue("lessons/current", index);
  showLesson();
}

QString LessonsPanel::solvedAnswer(const Lesson& lesson, const LessonExercise& exercise) {
  return QSettings().value(progressKey(lesson, exercise)).toString();
}

void LessonsPanel::forgetProgress() { QSettings().remove("lessons"); }

void LessonsPanel::updateTitles() {
  int solved = 0, total = 0;
  for (int i = 0; i < book_.lessons.size(); ++i) {
    const Lesson& l = book_.lessons[i];
    int done = 0;
    for (const LessonExercise& e : l.exercises) done += !solvedAnswer(l, e).isEmpty();
    solved += done;
    total += static_cast<int>(l.exercises.size());
    const bool complete = !l.exercises.isEmpty() && done == l.exercises.size();
    lessons_->setItemText(i, QString("%1. %2%3").arg(i + 1).arg(l.title, complete ? "  ✓" : ""));
  }
  progress_->setText(QString("%1 · %2 of %3 exercises solved · lesson %4 of %5, about %6 minutes")
                         .arg(book_.title)
                         .arg(solved)
                         .arg(total)
                         .arg(current_ + 1)
                         .arg(book_.lessons.size())
                         .arg(book_.lessons[current_].minutes));
  lessons_->setCurrentIndex(current_);
  previous_->setEnabled(current_ > 0);
  next_->setEnabled(current_ + 1 < book_.lessons.size());
}

void LessonsPanel::showLesson() {
  const Lesson& lesson = book_.lessons[current_];
  text_->setSearchPaths({book_.dir});
  text_->setMarkdown(QString("## %1. %2\n\n%3").arg(current_ + 1).arg(lesson.title, lesson.markdown));
  fitFigures(true);
  // The buttons and exercises of the lesson shown, rebuilt.
  QLayoutItem* item;
  while ((item = actionsLayout_->takeAt(0))) {
    delete item->widget();
    delete item;
  }
  showMe_.clear();
  inputs_.clear();
  verdicts_.clear();
  for (int s = 0; s < lesson.steps.size(); ++s) {
    // A command link: "Show me" as its title, what it does below, wrapped to the dock's width.
    QString what = lesson.steps[s].label;
    if (what.startsWith("Show me ", Qt::CaseInsensitive)) what = what.mid(8);
    auto* b = new QCommandLinkButton("Show me", what);
    b->setObjectName("showMe");
    b->setToolTip("Sets the workbench up as the lesson describes");
    b->setEnabled(!stepRunning_);
    connect(b, &QPushButton::clicked, this, [this, s] { Q_EMIT showMeRequested(current_, s); });
    actionsLayout_->addWidget(b);
    showMe_ << b;
  }
  for (int x = 0; x < lesson.exercises.size(); ++x) {
    const LessonExercise& e = lesson.exercises[x];
    auto* box = new QGroupBox(QString("Exercise %1").arg(x + 1));
    auto* form = new QVBoxLayout(box);
    auto* question = new QLabel(e.question);
    question->setWordWrap(true);
    form->addWidget(question);
    auto* row = new QHBoxLayout;
    const QString kind = lessonAnswerKind(e.check);
    const QString solved = solvedAnswer(lesson, e);
    QWidget* input = nullptr;
    if (kind == "number") {
      auto* line = new QLineEdit(solved);
      line->setPlaceholderText("a number");
      connect(line, &QLineEdit::returnPressed, this, [this, x] { check(x); });
      input = line;
    } else if (kind == "choice" || kind == "layer") {
      auto* combo = new QComboBox;
      combo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);  // fits a narrow dock
      combo->setMinimumContentsLength(8);
      combo->setEditable(kind == "layer");  // a layer's name can be typed as well as chosen
      if (kind == "choice")
        combo->addItems(e.choices);
      else
        fillLayers(combo);
      combo->setCurrentIndex(solved.isEmpty() ? -1 : combo->findText(solved));
      if (kind == "layer" && !solved.isEmpty()) combo->setCurrentText(solved);
      input = combo;
    }
    if (input) row->addWidget(input, 1);
    auto* checkButton = new QPushButton("Check");
    checkButton->setObjectName("checkAnswer");
    connect(checkButton, &QPushButton::clicked, this, [this, x] { check(x); });
    row->addWidget(checkButton);
    form->addLayout(row);
    auto* verdict = new QLabel(solved.isEmpty() ? QString() : "✓ Solved: " + solved);
    verdict->setWordWrap(true);
    form->addWidget(verdict);
    actionsLayout_->addWidget(box);
    inputs_ << input;
    verdicts_ << verdict;
  }
  actionsLayout_->addStretch(1);
  updateTitles();
}

LessonVerdict LessonsPanel::check(int index) {
  const Lesson& lesson = book_.lessons[current_];
  const LessonExercise& e = lesson.exercises[index];
  QString given;
  if (auto* line = qobject_cast<QLineEdit*>(inputs_[index])) given = line->text();
  if (auto* combo = qobject_cast<QComboBox*>(inputs_[index])) given = combo->currentText();
  const LessonVerdict v = checkAnswer(e, facts_ ? facts_() : LessonFacts{}, given);
  verdicts_[index]->setText((v.correct ? "✓ " : "✗ ") + v.message);
  if (v.correct) {
    QSettings().setValue(progressKey(lesson, e), given.trimmed().isEmpty() ? QString("done") : given.trimmed());
    updateTitles();
    Q_EMIT progressChanged();
  }
  return v;
}

LessonVerdict LessonsPanel::answer(int index, const QString& text) {
  if (index < 0 || index >= inputs_.size()) return {false, "No such exercise."};
  if (auto* line = qobject_cast<QLineEdit*>(inputs_[index])) line->setText(text);
  if (auto* combo = qobject_cast<QComboBox*>(inputs_[index])) {
    const int i = combo->findText(text);
    if (combo->isEditable())
      combo->setCurrentText(text);
    else
      combo->setCurrentIndex(i);
  }
  return check(index);
}

void LessonsPanel::fitFigures(bool refit) {
  // A figure as wide as the text when the dock is narrower than the figure (Markdown has no width).
  const int room = text_->viewport()->width() - 2 * static_cast<int>(text_->document()->documentMargin()) - 4;
  // Once per width: a scroll bar that comes and goes with the new height must not refit forever.
  if (room == fittedRoom_ && !refit) return;
  fittedRoom_ = room;
  struct Change {
    int position, length;
    QTextImageFormat format;
  };
  QList<Change> changes;  // applied after the walk: a format change may merge the fragments walked
  for (QTextBlock block = text_->document()->begin(); block.isValid(); block = block.next())
    for (auto it = block.begin(); !it.atEnd(); ++it) {
      const QTextFragment fragment = it.fragment();
      QTextImageFormat image = fragment.charFormat().toImageFormat();
      if (!image.isValid()) continue;
      const QVariant resource = text_->loadResource(QTextDocument::ImageResource, QUrl(image.name()));
      // The browser hands a file's bytes (or an image it has decoded already).
      QSize natural = resource.value<QImage>().size();
      if (natural.isEmpty()) natural = resource.value<QPixmap>().size();
      if (natural.isEmpty() && resource.typeId() == QMetaType::QByteArray)
        natural = QImage::fromData(resource.toByteArray()).size();
      if (natural.isEmpty() || room <= 0) continue;
      const double scale = std::min(1.0, room / static_cast<double>(natural.width()));
      if (std::abs(image.width() - natural.width() * scale) < 1) continue;
      image.setWidth(natural.width() * scale);
      image.setHeight(natural.height() * scale);
      changes.push_back({fragment.position(), fragment.length(), image});
    }
  QTextCursor cursor(text_->document());
  for (const Change& c : changes) {
    cursor.setPosition(c.position);
    cursor.setPosition(c.position + c.length, QTextCursor::KeepAnchor);
    cursor.setCharFormat(c.format);
  }
}

bool LessonsPanel::eventFilter(QObject* watched, QEvent* event) {
  if (watched == text_->viewport() && event->type() == QEvent::Resize) fitFigures();
  return QWidget::eventFilter(watched, event);
}

void LessonsPanel::fillLayers(QComboBox* combo) const {
  const LessonFacts facts = facts_ ? facts_() : LessonFacts{};
  if (facts.snapshot)
    for (const LayerInfo& l : facts.snapshot->summary.layers) combo->addItem(QString::fromStdString(l.name));
}

void LessonsPanel::modelChanged() {
  // The layer choices follow the model; typed answers and verdicts stay.
  for (QWidget* input : inputs_) {
    auto* combo = qobject_cast<QComboBox*>(input);
    if (!combo || !combo->isEditable()) continue;
    const QString text = combo->currentText();
    combo->clear();
    fillLayers(combo);
    combo->setCurrentText(text);
  }
}

void LessonsPanel::stepStarted(const QString& label) {
  stepRunning_ = true;
  for (QPushButton* b : showMe_) b->setEnabled(false);
  stop_->show();
  stepStatus_->setText("Showing: " + label + " …");
}

void LessonsPanel::stepEnded(bool ok, const QString& message) {
  stepRunning_ = false;
  for (QPushButton* b : showMe_) b->setEnabled(true);
  stop_->hide();
  stepStatus_->setText((ok ? "✓ " : "✗ ") + message);
}

}  // namespace roundlab::app
