#pragma once
// The workshop's lessons as data (resources/lessons, docs/lessons.md): a manifest, lessons.json,
// names each lesson's Markdown text, its "Show me" steps (actions that set the workbench's state)
// and its exercises (checked against the attendee's own results by LessonChecks). Read and
// validated here, without widgets, so a mistake in an edited manifest is one line naming the file
// and the place, before anything runs.
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <stdexcept>

namespace roundlab::app {

// One thing a "Show me" step does, in order: {"open_demo": "resnet"}, {"view": "grid"}, ...
struct LessonAction {
  QString kind;      // one of lessonActionKinds()
  QJsonValue value;  // the action's argument as written
};

// A number the lesson text quotes, checked against the run the step starts (tests do that).
struct LessonQuote {
  QString metric;  // "top1" (percent, two decimals) or "top1_fp"
  QString text;    // as written in the text, e.g. "90.95 %"
};

struct LessonStep {
  QString label;  // the button's text
  QList<LessonAction> actions;
  QList<LessonQuote> quotes;
};

struct LessonExercise {
  QString id;            // unique within its lesson (progress is remembered under it)
  QString question;      // Markdown-free text
  QString check;         // one of lessonCheckKinds(): what the right answer is computed from
  QJsonObject params;    // the check's settings (layer, run, grid, ...), validated on load
  QStringList choices;   // choice checks: the options shown, in order
  double tolerance = 0;  // number checks: accepted distance from the computed value
};

struct Lesson {
  QString id, title;
  int minutes = 0;
  QString textFile;          // relative to the lessons folder
  QString markdown;          // the text as read
  QStringList handoutPlots;  // views whose plots the handout prints for this lesson
  QList<LessonStep> steps;
  QList<LessonExercise> exercises;
};

struct LessonBook {
  QString dir;    // the folder lessons.json is in (figures resolve against it)
  QString title;  // the workshop's title
  QList<Lesson> lessons;
};

// A manifest or lesson text that cannot be used: what() names the file and what is wrong.
class LessonFormatError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads dir/lessons.json and every lesson text it names. Throws LessonFormatError.
LessonBook loadLessonBook(const QString& dir);

// What the manifest may say, for validation and for docs/lessons.md's test.
const QStringList& lessonActionKinds();
const QStringList& lessonCheckKinds();
const QStringList& lessonViewNames();  // the views a "view" action or a handout may name
// The answer a check asks for: "number", "layer", "choice" or "none" (a state, e.g. an export).
QString lessonAnswerKind(const QString& check);

}  // namespace roundlab::app
