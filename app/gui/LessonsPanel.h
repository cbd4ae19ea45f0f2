#pragma once
// Help ▸ Lessons: the workshop's lessons in a dock beside any view. Each lesson shows its text
// (Markdown with figures), its "Show me" buttons — the window performs the step and reports back
// — and its exercises, checked against the attendee's own results (LessonChecks) when Check is
// pressed. Which exercises were answered right, and with what, is remembered per user (QSettings
// "lessons/<lesson>/<exercise>"), as is the lesson last open.
#include <QWidget>

#include <functional>

#include "app/lessons/LessonBook.h"
#include "app/lessons/LessonChecks.h"

class QComboBox;
class QLabel;
class QPushButton;
class QTextBrowser;
class QVBoxLayout;

namespace roundlab::app {

class LessonsPanel : public QWidget {
  Q_OBJECT
 public:
  explicit LessonsPanel(QWidget* parent = nullptr);
  // Reads the lessons in `dir`; a manifest that cannot be used is shown as its one-line error
  // (false), and the panel stays empty.
  bool load(const QString& dir);
  const LessonBook& book() const { return book_; }
  QString loadError() const { return error_; }
  int currentLesson() const { return current_; }
  void setCurrentLesson(int index);
  // What exercises are checked against, asked at each check (the window's results).
  void setFacts(std::function<LessonFacts()> facts) { facts_ = std::move(facts); }

  // Progress: the answer that was right (empty: not solved yet).
  static QString solvedAnswer(const Lesson& lesson, const LessonExercise& exercise);
  static void forgetProgress();

  // The current lesson's parts (tests drive them as a user would).
  QTextBrowser* text() const { return text_; }
  QList<QPushButton*> showMeButtons() const { return showMe_; }
  // Types or chooses `answer` for the current lesson's exercise `index` and presses Check.
  LessonVerdict answer(int index, const QString& answer);
  QLabel* verdictLabel(int index) const { return verdicts_.value(index); }
  QLabel* stepStatus() const { return stepStatus_; }

 public Q_SLOTS:
  // A step of the current lesson started (buttons wait) or ended (`message` says how).
  void stepStarted(const QString& label);
  void stepEnded(bool ok, const QString& message);
  // Another model: the layer choices of the exercises follow.
  void modelChanged();

 Q_SIGNALS:
  void showMeRequested(int lesson, int step);
  void stopRequested();  // stop waiting for the step under way
  void progressChanged();

 private:
  void showLesson();
  // Figures scaled down to the text's width (`refit`: a new text, else only when the width changed).
  void fitFigures(bool refit = false);
  bool eventFilter(QObject* watched, QEvent* event) override;
  void updateTitles();
  LessonVerdict check(int index);
  void fillLayers(QComboBox* combo) const;  // the open model's layer names
  LessonBook book_;
  QString error_;
  int current_ = -1;
  std::function<LessonFacts()> facts_;
  QComboBox* lessons_;
  QPushButton *previous_, *next_;
  QLabel *progress_, *stepStatus_;
  QPushButton* stop_;
  bool stepRunning_ = false;  // a step is under way: every Show me waits (also those built meanwhile)
  int fittedRoom_ = -1;       // the width the figures were fitted to
  QTextBrowser* text_;
  QWidget* actions_;  // this lesson's buttons and exercises, rebuilt per lesson
  QVBoxLayout* actionsLayout_;
  QList<QPushButton*> showMe_;
  QList<QWidget*> inputs_;  // per exercise: a QLineEdit, a QComboBox or null
  QList<QLabel*> verdicts_;
};

}  // namespace roundlab::app
