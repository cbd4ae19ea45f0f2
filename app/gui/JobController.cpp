#include "app/gui/JobController.h"

#include <QLabel>

namespace roundlab::app {

JobController::JobController(QLabel* status, QLabel* job, widgets::LogConsole* log, QObject* parent)
    : QObject(parent), status_(status), job_(job), log_(log) {
  job_->setText("idle");
}

bool JobController::begin(const QString& what) {
  if (running_) {
    status_->setText("A job is running (" + job_->text() + "); wait for it or cancel it (Esc) first.");
    return false;
  }
  running_ = true;
  job_->setText(what);
  status_->setText(what + " …");
  log_->log(widgets::LogConsole::Info, what);
  return true;
}

void JobController::progress(const QString& stage, double fraction, const QString& unit) {
  if (running_) job_->setText(QString("%1 %2 % %3").arg(stage).arg(static_cast<int>(100 * fraction)).arg(unit));
}

void JobController::finish(const QString& message, widgets::LogConsole::Level level) {
  running_ = false;
  job_->setText("idle");
  report(message, level);
}

void JobController::report(const QString& message, widgets::LogConsole::Level level) {
  status_->setText(message);
  log_->log(level, message);
}

}  // namespace roundlab::app
