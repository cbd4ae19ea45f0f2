#include "app/gui/Preferences.h"

#include <QDir>
#include <QSettings>
#include <QStandardPaths>

#include "app/gui/RunPanel.h"

namespace roundlab::app {

Preferences Preferences::load() {
  QSettings s;
  Preferences p;
  s.beginGroup("preferences");
  p.threads = std::max(1, s.value("threads", p.threads).toInt());
  p.method = s.value("method", p.method).toString();
  try {
    parseQuantMethod(p.method.toStdString());
  } catch (const std::exception&) {
    p.method = Preferences().method;  // a settings file edited by hand: the default, not a failure
  }
  p.iterations = std::clamp(s.value("iterations", p.iterations).toInt(), 10, 100000);
  p.activationMemoryMiB = s.value("activationMemoryMiB", static_cast<qlonglong>(p.activationMemoryMiB)).toLongLong();
  p.plotFontScale = std::clamp(s.value("plotFontScale", p.plotFontScale).toDouble(), 0.5, 3.0);
  p.autosave = s.value("autosave", p.autosave).toBool();
  p.sessionFolder = s.value("sessionFolder").toString();
  s.endGroup();
  p.colorScheme = std::clamp(s.value("appearance/scheme", 0).toInt(), 0, 2);  // also set from View ▸ Colour scheme
  return p;
}

void Preferences::save() const {
  QSettings s;
  s.beginGroup("preferences");
  s.setValue("threads", threads);
  s.setValue("method", method);
  s.setValue("iterations", iterations);
  s.setValue("activationMemoryMiB", static_cast<qlonglong>(activationMemoryMiB));
  s.setValue("plotFontScale", plotFontScale);
  s.setValue("autosave", autosave);
  s.setValue("sessionFolder", sessionFolder);
  s.endGroup();
  s.setValue("appearance/scheme", colorScheme);
}

QString Preferences::sessionDirectory() const {
  if (!sessionFolder.isEmpty() && QDir(sessionFolder).exists()) return sessionFolder;
  const QString documents = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
  return documents.isEmpty() ? QDir::homePath() : documents;
}

QuantizationRequest Preferences::defaultRequest() const {
  // The reference settings with this method and iteration count; the recommended one brings its
  // own settings, its iteration cap included.
  QuantizationRequest r = RunPanel::referenceRequest();
  r.method = parseQuantMethod(method.toStdString());
  r.adaround.iterations = iterations;
  if (r.method == QuantMethod::Recommended) r = recommendedSettings(r);
  r.activationMemoryMiB = activationMemoryMiB;
  return r;
}

int savedThreadPreference() {
  // QSettings() needs only the application's names, which main.cpp sets before anything else.
  return std::max(1, QSettings().value("preferences/threads", 1).toInt());
}

}  // namespace roundlab::app
