#include "app/common/DemoAssets.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

namespace roundlab::app {

DemoAssets findDemoAssets() {
  QStringList candidates;
  const QString env = qEnvironmentVariable("ROUNDLAB_DEMO_DIR");
  if (!env.isEmpty()) candidates << env;
  if (QCoreApplication::instance())
    candidates << QDir(QCoreApplication::applicationDirPath()).filePath("../share/roundlab/demo");
  candidates << QStringLiteral(ROUNDLAB_SOURCE_DEMO_DIR);
  for (const QString& c : candidates) {
    QDir d(c);
    if (!QFileInfo::exists(d.filePath("fmnist_resnet.pt"))) continue;
    DemoAssets a;
    a.dir = d.canonicalPath();
    a.resnet = d.canonicalPath() + "/fmnist_resnet.pt";
    a.transformer = d.canonicalPath() + "/fmnist_transformer.pt";
    a.calibration = d.canonicalPath() + "/fmnist_calib.h5";
    a.validation = d.canonicalPath() + "/fmnist_val.h5";
    a.manifest = d.canonicalPath() + "/demo.json";
    return a;
  }
  return {};
}

QString findDocumentation() {
  QStringList candidates;
  const QString env = qEnvironmentVariable("ROUNDLAB_DOCS_DIR");
  if (!env.isEmpty()) candidates << env;
  if (QCoreApplication::instance())
    candidates << QDir(QCoreApplication::applicationDirPath()).filePath("../share/doc/roundlab");
  candidates << QStringLiteral(ROUNDLAB_SOURCE_DIR);
  for (const QString& c : candidates)
    if (QFileInfo::exists(QDir(c).filePath("README.md")) && QFileInfo::exists(QDir(c).filePath("docs")))
      return QDir(c).canonicalPath();
  return {};
}

}  // namespace roundlab::app
