#pragma once
// The workbench's one engine job at a time: whether a job runs, what it is, and how its start,
// progress and end are reported (status bar, job label, log). The main window asks it before
// posting a job and tells it when the engine answers; nothing else keeps job state.
#include <QObject>
#include <QString>

#include "widgets/LogConsole.h"

class QLabel;

namespace roundlab::app {

class JobController : public QObject {
  Q_OBJECT
 public:
  // `status`: the status bar's message; `job`: its job label; `log`: the log console.
  JobController(QLabel* status, QLabel* job, widgets::LogConsole* log, QObject* parent = nullptr);

  bool running() const { return running_; }
  // Marks a job labelled `what` running and reports it; false, saying so, while another runs.
  bool begin(const QString& what);
  // The running job's progress in the job label.
  void progress(const QString& stage, double fraction, const QString& unit);
  // Ends the running job (if any): `message` in the status bar and the log at `level`.
  void finish(const QString& message, widgets::LogConsole::Level level = widgets::LogConsole::Info);
  // A message that is not a job's end: status bar and log.
  void report(const QString& message, widgets::LogConsole::Level level = widgets::LogConsole::Info);

 private:
  QLabel *status_, *job_;
  widgets::LogConsole* log_;
  bool running_ = false;
};

}  // namespace roundlab::app
