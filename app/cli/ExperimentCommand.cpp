// roundlab-cli experiment: sweep one or two design-space axes, or run the founding paper's study,
// holding every other setting; in this process, or written out as jobs for other processes.
#include "app/cli/CliSupport.h"
#include "app/cli/ExperimentJobs.h"
#include "app/cli/ExperimentTable.h"

namespace roundlab::cli {

namespace {

std::vector<std::string> valueList(const QCommandLineParser& p, const QString& option) {
  std::vector<std::string> values;
  for (const QString& v : p.value(option).split(',', Qt::SkipEmptyParts)) values.push_back(v.trimmed().toStdString());
  if (values.empty()) throw UsageError{"--" + option + " lists no value"};
  return values;
}

}  // namespace

int runExperiment(const QStringList& args) {
  QCommandLineParser p;
  p.addOption({"calib", "Calibration data (RoundLab HDF5 or IDX).", "CALIB.h5"});
  p.addOption({"eval", "Evaluate every variant on this data (accuracy, KL, agreement to FP).", "DATA"});
  QStringList axes;
  for (const std::string& a : experimentAxes()) axes << QString::fromStdString(a);
  p.addOption({"axis", "The setting to vary: " + axes.join(", ") + ".", "AXIS"});
  p.addOption({"values", "Comma-separated values of the axis, e.g. 4,3,2 or rtn,adaround,brecq,gptq.", "V1,V2,..."});
  p.addOption({"axis2", "A second setting, crossed with the first (a grid of runs).", "AXIS"});
  p.addOption({"values2", "Comma-separated values of the second axis.", "V1,V2,..."});
  p.addOption({"study",
               "The founding paper's study: loss, loss weighting, degrees of freedom, grid, variable, optimizer, "
               "weight selection, augmentation and calibration size, each varied alone around the given settings "
               "(--iters sets the iterations per unit)."});
  p.addOption({"seeds",
               "Repeat every cell once per seed (e.g. 0,1,2) and report mean ± standard deviation over them "
               "(the calibration subset, batch order and augmentation follow the seed).",
               "S1,S2,..."});
  p.addOption({"session", "Save the experiment and its first run as a session the workbench opens.", "OUT.rlab"});
  p.addOption({"jobs-dir",
               "Write one self-contained job file per run into DIR instead of running them (run each with "
               "roundlab-cli run-job, then roundlab-cli merge DIR).",
               "DIR"});
  p.addOption({"slurm", "With --jobs-dir: also write DIR/run-jobs.sbatch, a Slurm job array over the jobs."});
  addQuantizationOptions(p);
  addModelOutputOption(p);
  addDataOptions(p, /*subset=*/false);
  if (!parseCommand(p, args, "Sweep quantization settings and tabulate accuracy, loss and time.", "MODEL.pt",
                    "TorchScript model"))
    return 0;
  if (p.positionalArguments().size() != 1) throw UsageError{"expects exactly one MODEL.pt"};
  if (!p.isSet("calib")) throw UsageError{"--calib CALIB.h5 is required"};
  const bool study = p.isSet("study");
  if (study && (p.isSet("axis") || p.isSet("axis2")))
    throw UsageError{"--study chooses its own axes: leave out --axis and --axis2"};
  if (!study && (!p.isSet("axis") || !p.isSet("values")))
    throw UsageError{"--axis AXIS and --values V1,V2,... (or --study) are required"};
  if (p.isSet("axis2") != p.isSet("values2")) throw UsageError{"--axis2 and --values2 go together"};
  if (p.isSet("slurm") && !p.isSet("jobs-dir")) throw UsageError{"--slurm writes a job array: give --jobs-dir DIR"};
  checkOutputOption(p, "session", {p.positionalArguments()[0], p.value("calib"), p.value("eval")});
  const QuantizationRequest base = quantizationRequestFromOptions(p);

  Workspace ws;
  loadModelArgument(ws, p);
  const DataSource calibration = dataSourceFromOptions(p, p.value("calib"), false);
  ws.setCalibration(calibration);
  warnAboutCalibration(ws);
  DataSource evaluation;
  if (p.isSet("eval")) {
    evaluation = dataSourceFromOptions(p, p.value("eval"), false);
    ws.setEvaluation(evaluation);
  }
  ExperimentPlan plan;
  if (study)
    plan = paperStudyPlan(base, base.adaround.iterations, ws.calibrationInfo());
  else if (p.isSet("axis2"))
    plan = gridPlan(base, p.value("axis").toStdString(), valueList(p, "values"), p.value("axis2").toStdString(),
                    valueList(p, "values2"));
  else
    plan = sweepPlan(base, p.value("axis").toStdString(), valueList(p, "values"));
  if (p.isSet("seeds")) {
    std::vector<uint64_t> seeds;
    for (const std::string& v : valueList(p, "seeds")) {
      bool ok = false;
      const qulonglong seed = QString::fromStdString(v).toULongLong(&ok);
      if (!ok) throw UsageError{QString("--seeds expects non-negative integers, e.g. 0,1,2 (got '%1')").arg(v.c_str())};
      seeds.push_back(seed);
    }
    plan = withSeeds(plan, seeds);
  }

  if (p.isSet("jobs-dir")) {
    const JobsWritten w =
        writeExperimentJobs(plan, ws.modelPath(), ws.summary().outputChoice, calibration,
                            p.isSet("eval") ? &evaluation : nullptr, p.value("jobs-dir"), p.isSet("slurm"));
    if (p.isSet("json")) {
      printJson({{"jobs_dir", w.dir}, {"jobs", w.jobs}, {"cells", static_cast<qint64>(plan.cells.size())}});
      return 0;
    }
    printLine(
        QString("wrote %1 jobs for %2 cells into %3 (list: %4)").arg(w.jobs).arg(plan.cells.size()).arg(w.dir, w.list));
    printLine("run them, e.g.:  xargs -P 2 -n 1 roundlab-cli run-job < " + w.list);
    if (!w.sbatch.isEmpty()) printLine("or on Slurm:     sbatch " + w.sbatch);
    printLine("then:            roundlab-cli merge " + w.dir + " -o study.rlab");
    return 0;
  }

  const ExperimentPtr e = ws.runExperiment(plan, stderrHooks());
  if (p.isSet("session")) ws.saveSession(p.value("session").toStdString());
  if (p.isSet("json")) {
    QJsonObject out = experimentToJson(*e);
    out["model"] = p.positionalArguments()[0];
    printJson(out);
    return 0;
  }
  printLine(experimentToText(*e));
  if (p.isSet("session")) printLine("session saved to " + p.value("session"));
  return 0;
}

}  // namespace roundlab::cli
