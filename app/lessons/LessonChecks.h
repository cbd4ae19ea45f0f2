#pragma once
// The right answer to a lesson's exercise, computed from the attendee's own results — the runs of
// the session, the loaded model's weights, the Mixed precision view's Pareto front, the exports —
// and the verdict on an answer. No widgets: the lessons dock asks, the walk-through test asks the
// same questions.
#include <QString>
#include <QStringList>

#include <vector>

#include "app/lessons/LessonBook.h"
#include "engine/importance/BitAllocation.h"
#include "engine/workspace/Workspace.h"

namespace roundlab::app {

struct LessonFacts {
  const ModelSnapshot* snapshot = nullptr;
  const RunRecord* shown = nullptr;                      // the run the views show (null: the FP model)
  const std::vector<RunPtr>* runs = nullptr;             // the session's runs, oldest first
  const std::vector<Allocation>* paretoFront = nullptr;  // empty or null before an estimate
  QStringList exports;                                   // kinds exported in this session ("torchscript", ...)
};

struct LessonAnswer {
  bool known = false;
  QString missing;  // when not known: what to do first, e.g. "Start the run adaround W2A32 first"
  double number = 0;
  QString text;   // a layer's name or the right choice
  QString shown;  // the answer as told after a check, e.g. "14.3 dB"
};

struct LessonVerdict {
  bool correct = false;
  QString message;
};

LessonAnswer expectedAnswer(const LessonExercise& exercise, const LessonFacts& facts);
// `answer`: what the attendee typed or chose (ignored for a check with nothing to answer).
LessonVerdict checkAnswer(const LessonExercise& exercise, const LessonFacts& facts, const QString& answer);

// The latest run of the session made with `fields` (null: none yet).
const RunRecord* latestRunMatching(const LessonFacts& facts, const QJsonObject& fields);

}  // namespace roundlab::app
