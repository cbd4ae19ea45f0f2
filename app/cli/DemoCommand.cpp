// roundlab-cli demo: the headless main job on the bundled Fashion-MNIST demo.
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>

#include "app/cli/CliSupport.h"
#include "app/common/DemoAssets.h"

namespace roundlab::cli {

int runDemo(const QStringList& args) {
  QCommandLineParser p;
  if (!parseCommand(p, args, "Run RoundLab on the bundled demo models and print a result table.")) return 0;
  const app::DemoAssets demo = app::findDemoAssets();
  if (demo.dir.isEmpty()) throw UsageError{"the bundled demo was not found (set ROUNDLAB_DEMO_DIR to resources/demo)"};
  QFile manifestFile(demo.manifest);
  QJsonObject manifest;
  if (manifestFile.open(QIODevice::ReadOnly)) manifest = QJsonDocument::fromJson(manifestFile.readAll()).object();

  Workspace ws;
  DataSource validation;
  validation.path = demo.validation.toStdString();
  const int64_t samples = ws.setEvaluation(validation).samples;
  EvaluationSettings fpOnly;
  fpOnly.reference = EvaluationSettings::Reference::None;
  QJsonArray results;
  QList<QStringList> rows;
  for (const QString& path : demo.models()) {
    note("demo: evaluating " + path);
    ws.loadModel(path.toStdString());
    const EvalReport r = ws.evaluate(fpOnly).report;
    const QString file = QFileInfo(path).fileName();
    const QJsonValue recorded = manifest["models"].toObject()[file].toObject()["val_top1"];
    const ModelSummary& s = ws.summary();
    results.append(QJsonObject{{"model", file},
                               {"layers", static_cast<qint64>(s.layers.size())},
                               {"blocks", static_cast<qint64>(s.blocks.size())},
                               {"quantizable_params", static_cast<qint64>(s.quantizableParams)},
                               {"samples", static_cast<qint64>(r.samples)},
                               {"top1_fp", r.top1},
                               {"recorded_top1", recorded},
                               {"wall_s", r.wallSeconds}});
    rows << QStringList{file,
                        QString::number(s.layers.size()),
                        QString::number(s.blocks.size()),
                        QString::number(s.quantizableParams),
                        QString::number(r.top1, 'f', 2),
                        recorded.isDouble() ? QString::number(recorded.toDouble(), 'f', 2) : "-",
                        QString::number(r.wallSeconds, 'f', 2)};
  }
  if (p.isSet("json")) {
    printJson({{"validation", demo.validation}, {"models", results}});
  } else {
    printLine(
        QString("RoundLab demo - Fashion-MNIST validation set %1 (%2 samples)\n").arg(demo.validation).arg(samples));
    printLine(formatTable({"model", "layers", "blocks", "weights", "top1_fp_%", "recorded_%", "eval_s"}, rows));
  }
  return 0;
}

}  // namespace roundlab::cli
