#pragma once
// Performs a lesson's "Show me" step on the real workbench, action by action: opens the demo,
// fills the Run form, selects a layer, sets the Grid view, starts a run, estimates importance,
// sets the budget, exports — waiting for each job the window runs before the next action, so a
// step ends in the state its lesson promises (or says which action could not be done and why).
#include <QMetaObject>
#include <QObject>
#include <QString>

#include "app/lessons/LessonBook.h"

namespace roundlab::app {

class MainWindow;

class LessonDirector : public QObject {
  Q_OBJECT
 public:
  explicit LessonDirector(MainWindow* window);
  // Starts `step`; false (and nothing done) while another step runs. A step that would start a
  // job fails at once, before changing anything, while a job runs.
  bool start(const LessonStep& step);
  bool busy() const { return busy_; }
  // Stops waiting for the step under way (its job, if one runs, goes on: Esc cancels it).
  void stop();
  // Where lesson exports go: the sessions folder's "lessons" folder.
  static QString outputFolder(const QString& sessionsFolder);

 Q_SIGNALS:
  void started(const QString& label);
  void finished(bool ok, const QString& message);

 private:
  void next();
  void perform();  // the actions from index_ until one waits
  void fail(const QString& message);
  // Waits for the window's `done` signal (then the next action) or a failure signal.
  template <typename Signal>
  void waitFor(Signal done);
  void disconnectWaits();
  bool demoOpen(const QString& which) const;  // "resnet" or "transformer" is the open model
  MainWindow* window_;
  LessonStep step_;
  int index_ = 0;
  int generation_ = 0;  // a queued continuation of an earlier step finds a newer number and stops
  bool busy_ = false;
  QList<QMetaObject::Connection> waits_;
};

}  // namespace roundlab::app
