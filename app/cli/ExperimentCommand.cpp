// roundlab-cli experiment: sweep one design-space axis, holding every other setting.
#include "app/cli/CliSupport.h"

namespace roundlab::cli {

int runExperiment(const QStringList& args) {
  QCommandLineParser p;
  p.addOption({"calib", "Calibration data (RoundLab HDF5 or IDX).", "CALIB.h5"});
  p.addOption({"eval", "Evaluate every variant on this data (accuracy, KL, agreement to FP).", "DATA"});
  QStringList axes;
  for (const std::string& a : experimentAxes()) axes << QString::fromStdString(a);
  p.addOption({"axis", "The setting to vary: " + axes.join(", ") + ".", "AXIS"});
  p.addOption({"values", "Comma-separated values of the axis, e.g. 4,3,2 or rtn,adaround,brecq,gptq.", "V1,V2,..."});
  addQuantizationOptions(p);
  addDataOptions(p, /*subset=*/false);
  if (!parseCommand(p, args, "Sweep one quantization setting and tabulate accuracy, loss and time.", "MODEL.pt",
                    "TorchScript model"))
    return 0;
  if (p.positionalArguments().size() != 1) throw UsageError{"expects exactly one MODEL.pt"};
  if (!p.isSet("calib")) throw UsageError{"--calib CALIB.h5 is required"};
  if (!p.isSet("axis") || !p.isSet("values")) throw UsageError{"--axis AXIS and --values V1,V2,... are required"};
  std::vector<std::string> values;
  for (const QString& v : p.value("values").split(',', Qt::SkipEmptyParts)) values.push_back(v.trimmed().toStdString());
  if (values.empty()) throw UsageError{"--values lists no value"};
  const QuantizationRequest base = quantizationRequestFromOptions(p);
  const std::string axis = p.value("axis").toStdString();

  Workspace ws;
  loadModelArgument(ws, p);
  ws.setCalibration(dataSourceFromOptions(p, p.value("calib"), false));
  warnAboutCalibration(ws);
  if (p.isSet("eval")) ws.setEvaluation(dataSourceFromOptions(p, p.value("eval"), false));
  const bool evaluated = ws.hasEvaluation();
  const std::vector<ExperimentRow> rows = ws.runExperiment(base, axis, values, stderrHooks());

  if (p.isSet("json")) {
    QJsonArray out;
    for (const ExperimentRow& r : rows)
      out.append(QJsonObject{{"value", QString::fromStdString(r.value)},
                             {"top1", r.evaluated ? QJsonValue(r.top1) : QJsonValue()},
                             {"kl", evaluated ? QJsonValue(r.kl) : QJsonValue()},
                             {"agreement", evaluated ? QJsonValue(r.agreement) : QJsonValue()},
                             {"mean_loss_before", r.meanLossBefore},
                             {"mean_loss_after", r.meanLossAfter},
                             {"wall_s", r.seconds}});
    printJson({{"model", p.positionalArguments()[0]},
               {"axis", QString::fromStdString(axis)},
               {"seed", static_cast<qint64>(base.seed)},
               {"rows", out}});
    return 0;
  }
  QList<QStringList> table;
  for (const ExperimentRow& r : rows)
    table << QStringList{QString::fromStdString(r.value),
                         r.evaluated ? QString::number(r.top1, 'f', 2) : "-",
                         evaluated ? QString::number(r.kl, 'g', 4) : "-",
                         QString::number(r.meanLossBefore, 'g', 4),
                         QString::number(r.meanLossAfter, 'g', 4),
                         QString::number(r.seconds, 'f', 1)};
  printLine(
      QString("experiment over %1 (other settings fixed, seed %2)").arg(QString::fromStdString(axis)).arg(base.seed));
  printLine(formatTable({QString::fromStdString(axis), "top1_%", "kl", "loss_rtn", "loss_final", "wall_s"}, table));
  return 0;
}

}  // namespace roundlab::cli
