#pragma once
// Runs the built roundlab-cli as a separate process, as a user would: exit code, stdout, stderr.
#include <QByteArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QString>
#include <QStringList>

namespace clitest {

struct Run {
  int exitCode = -1;
  QByteArray out, err;
  QJsonObject json() const { return QJsonDocument::fromJson(out).object(); }
  int stderrLines() const { return err.trimmed().isEmpty() ? 0 : static_cast<int>(err.trimmed().split('\n').size()); }
};

inline Run cli(const QStringList& args) {
  QProcess p;
  p.start(ROUNDLAB_CLI, args);
  p.waitForFinished(600000);
  return {p.exitCode(), p.readAllStandardOutput(), p.readAllStandardError()};
}

inline QString demo(const char* f) { return QString(ROUNDLAB_DEMO_DIR) + "/" + f; }

}  // namespace clitest
