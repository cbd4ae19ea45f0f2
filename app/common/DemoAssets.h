#pragma once
// The bundled demo: Fashion-MNIST models, calibration and validation sets (resources/demo).
#include <QString>
#include <QStringList>

namespace roundlab::app {

struct DemoAssets {
  QString dir;
  QString resnet, transformer, calibration, validation, manifest;
  QStringList models() const { return {resnet, transformer}; }
};

// Finds the demo folder: $ROUNDLAB_DEMO_DIR, then <exe>/../share/roundlab/demo (installed),
// then the source tree. Returns an empty dir when none holds the files.
DemoAssets findDemoAssets();

}  // namespace roundlab::app
