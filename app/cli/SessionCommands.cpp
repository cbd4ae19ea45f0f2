// roundlab-cli session / rerun: inspect a saved session, and rerun it to check it reproduces
// the same integer codes bit for bit.
#include <QFileInfo>

#include "app/cli/CliSupport.h"
#include "engine/Dataset.h"
#include "engine/Error.h"
#include "engine/Model.h"
#include "engine/Sha256.h"
#include "engine/recon/ModelQuantizer.h"
#include "engine/session/SessionFile.h"

namespace roundlab::cli {

namespace {

QJsonObject sessionJson(const Session& s) {
  QJsonArray layers;
  for (const LayerOutcome& l : s.result.layers)
    layers.append(QJsonObject{{"name", QString::fromStdString(l.layer)},
                              {"bits", l.bits},
                              {"flip_rate", l.flipRate},
                              {"loss_before", l.lossBefore},
                              {"loss_after", l.lossAfter}});
  return {{"model", QString::fromStdString(s.modelPath)},
          {"model_sha256", QString::fromStdString(s.modelSha256)},
          {"calibration", QString::fromStdString(s.calibrationPath)},
          {"calibration_sha256", QString::fromStdString(s.calibrationSha256)},
          {"method", quantMethodName(s.result.request.method)},
          {"wbits", s.result.request.weights.bits},
          {"seed", static_cast<qint64>(s.result.request.seed)},
          {"roundlab_version", QString::fromStdString(s.versions.roundlab)},
          {"torch_version", QString::fromStdString(s.versions.torch)},
          {"layers", layers}};
}

// The file at `path` must still hash to what the session recorded.
void checkHash(const std::string& path, const std::string& expected, const char* what) {
  const std::string actual = sha256File(path);
  if (actual != expected)
    throw Error(ErrorCode::BadDataFile, std::string("the ") + what + " " + path +
                                            " has changed since the session was saved (SHA-256 " +
                                            actual.substr(0, 12) + "…, recorded " + expected.substr(0, 12) + "…)");
}

}  // namespace

int runSession(const QStringList& args) {
  QCommandLineParser p;
  if (!parseCommand(p, args, "Show a saved RoundLab session.", "SESSION.rlab", "session file")) return 0;
  if (p.positionalArguments().size() != 1) throw UsageError{"expects exactly one SESSION.rlab"};
  const Session s = loadSession(p.positionalArguments()[0].toStdString());
  if (p.isSet("json")) {
    printJson(sessionJson(s));
    return 0;
  }
  printLine(QString("model        %1 (sha256 %2)")
                .arg(QString::fromStdString(s.modelPath), QString::fromStdString(s.modelSha256)));
  printLine(QString("calibration  %1 (sha256 %2)")
                .arg(QString::fromStdString(s.calibrationPath), QString::fromStdString(s.calibrationSha256)));
  printLine(QString("run          %1, W%2, seed %3, RoundLab %4, LibTorch %5")
                .arg(quantMethodName(s.result.request.method))
                .arg(s.result.request.weights.bits)
                .arg(s.result.request.seed)
                .arg(QString::fromStdString(s.versions.roundlab), QString::fromStdString(s.versions.torch)));
  QList<QStringList> rows;
  for (const LayerOutcome& l : s.result.layers)
    rows << QStringList{QString::fromStdString(l.layer), QString::number(l.bits),
                        QString::number(l.flipRate * 100, 'f', 2), QString::number(l.lossBefore, 'g', 4),
                        QString::number(l.lossAfter, 'g', 4)};
  printLine("\n" + formatTable({"layer", "bits", "flips_%", "loss_rtn", "loss_final"}, rows));
  return 0;
}

int runRerun(const QStringList& args) {
  QCommandLineParser p;
  if (!parseCommand(p, args, "Rerun a saved session and compare its integer codes bit for bit.", "SESSION.rlab",
                    "session file"))
    return 0;
  if (p.positionalArguments().size() != 1) throw UsageError{"expects exactly one SESSION.rlab"};
  const Session saved = loadSession(p.positionalArguments()[0].toStdString());
  checkHash(saved.modelPath, saved.modelSha256, "model");
  checkHash(saved.calibrationPath, saved.calibrationSha256, "calibration set");
  Model model = Model::load(saved.modelPath);
  const auto calib = openDataset(saved.calibrationPath);
  QuantizedWeights weights;
  note("rerun: " + QString(quantMethodName(saved.result.request.method)) + " on " +
       QString::fromStdString(saved.modelPath));
  quantizeModel(model, *calib, saved.result.request, &weights);
  QJsonArray differing;
  for (const auto& [name, codes] : saved.weights.codes) {
    auto it = weights.codes.find(name);
    if (it == weights.codes.end() || !at::equal(it->second, codes)) differing.append(QString::fromStdString(name));
  }
  const bool identical = differing.isEmpty() && weights.codes.size() == saved.weights.codes.size();
  if (p.isSet("json"))
    printJson(
        {{"identical", identical}, {"layers", static_cast<qint64>(weights.codes.size())}, {"differing", differing}});
  else
    printLine(identical
                  ? QString("identical: all %1 layers reproduce the saved codes bit for bit").arg(weights.codes.size())
                  : QString("DIFFERENT: %1 layers differ").arg(differing.size()));
  return identical ? 0 : kExitError;
}

}  // namespace roundlab::cli
