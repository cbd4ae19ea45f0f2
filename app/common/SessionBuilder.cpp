#include "app/common/SessionBuilder.h"

#include <QFileInfo>
#include <QString>

#include "engine/Runtime.h"
#include "engine/Sha256.h"

namespace roundlab::app {

Session makeSession(const std::string& modelPath, const std::string& calibrationPath, const QuantizationResult& result,
                    const QuantizedWeights& weights) {
  Session s;
  s.modelPath = QFileInfo(QString::fromStdString(modelPath)).absoluteFilePath().toStdString();
  s.calibrationPath = QFileInfo(QString::fromStdString(calibrationPath)).absoluteFilePath().toStdString();
  s.modelSha256 = sha256File(modelPath);
  s.calibrationSha256 = sha256File(calibrationPath);
  s.versions = libraryVersions();
  s.result = result;
  s.weights = weights;
  return s;
}

}  // namespace roundlab::app
