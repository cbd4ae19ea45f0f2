#pragma once
// The bundled demo: Fashion-MNIST models with their calibration and validation sets, and a
// character-level GPT with its own token sets (resources/demo); the bundled documentation.
#include <QString>
#include <QStringList>

namespace roundlab::app {

struct DemoAssets {
  QString dir;
  QString resnet, transformer, calibration, validation, manifest;
  // The character-level GPT (byte vocabulary, context 128) and its token-id sets.
  QString languageModel, lmCalibration, lmValidation;
  QStringList models() const { return {resnet, transformer}; }  // the Fashion-MNIST models
};

// Finds the demo folder: $ROUNDLAB_DEMO_DIR, then <exe>/../share/roundlab/demo (installed),
// then the source tree. Returns an empty dir when none holds the files.
DemoAssets findDemoAssets();

// The bundled documentation (README.md, LICENSE and docs/*.md with its screenshots): the folder
// that holds README.md — $ROUNDLAB_DOCS_DIR, then <exe>/../share/doc/roundlab (installed, as the
// .deb ships it), then the source tree. Empty when none does.
QString findDocumentation();

// The workshop's lessons (lessons.json and the texts it names): $ROUNDLAB_LESSONS_DIR, then
// <exe>/../share/roundlab/lessons, then the source tree's resources/lessons. Empty when none.
QString findLessons();

}  // namespace roundlab::app
