#include "app/common/DemoAssets.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

namespace roundlab::app {

namespace {

// The first folder holding `marker`: $`variable`, then <exe>/../`installed` (as the .deb puts
// it), then `source` (a build tree). Canonical; empty when none does.
QString bundledFolder(const char* variable, const QString& installed, const QString& source, const QString& marker) {
  QStringList candidates;
  const QString env = qEnvironmentVariable(variable);
  if (!env.isEmpty()) candidates << env;
  if (QCoreApplication::instance()) candidates << QDir(QCoreApplication::applicationDirPath()).filePath(installed);
  candidates << source;
  for (const QString& c : candidates)
    if (QFileInfo::exists(QDir(c).filePath(marker))) return QDir(c).canonicalPath();
  return {};
}

}  // namespace

DemoAssets findDemoAssets() {
  const QString dir = bundledFolder("ROUNDLAB_DEMO_DIR", "../share/roundlab/demo",
                                    QStringLiteral(ROUNDLAB_SOURCE_DEMO_DIR), "fmnist_resnet.pt");
  if (dir.isEmpty()) return {};
  DemoAssets a;
  a.dir = dir;
  a.resnet = dir + "/fmnist_resnet.pt";
  a.transformer = dir + "/fmnist_transformer.pt";
  a.calibration = dir + "/fmnist_calib.h5";
  a.validation = dir + "/fmnist_val.h5";
  a.languageModel = dir + "/fortunes_gpt.pt";
  a.lmCalibration = dir + "/fortunes_calib.h5";
  a.lmValidation = dir + "/fortunes_val.h5";
  a.manifest = dir + "/demo.json";
  return a;
}

QString findDocumentation() {
  return bundledFolder("ROUNDLAB_DOCS_DIR", "../share/doc/roundlab", QStringLiteral(ROUNDLAB_SOURCE_DIR), "README.md");
}

QString findLessons() {
  return bundledFolder("ROUNDLAB_LESSONS_DIR", "../share/roundlab/lessons",
                       QStringLiteral(ROUNDLAB_SOURCE_DIR) + "/resources/lessons", "lessons.json");
}

}  // namespace roundlab::app
