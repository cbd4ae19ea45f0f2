#include "app/cli/ExperimentJobs.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSaveFile>

#include "app/cli/CliSupport.h"
#include "app/cli/ExperimentTable.h"
#include "app/cli/ImportanceOptions.h"
#include "engine/core/Sha256.h"
#include "engine/pipeline/RequestFields.h"

namespace roundlab::cli {

namespace {

constexpr const char* kJobFormat = "roundlab-job-1";

QString absolute(const std::string& path) { return QFileInfo(QString::fromStdString(path)).absoluteFilePath(); }

QJsonObject requestJson(const QuantizationRequest& r) {
  QJsonObject fields;
  for (const auto& [key, text] : requestToText(r)) fields[QString::fromStdString(key)] = QString::fromStdString(text);
  QJsonObject bits;
  for (const auto& [layer, b] : r.bits) bits[QString::fromStdString(layer)] = b;
  fields["bit_overrides"] = bits;
  return fields;
}

QuantizationRequest requestFromJson(const QJsonObject& o) {
  std::map<std::string, std::string> fields;
  for (auto it = o.begin(); it != o.end(); ++it)
    if (it.key() != "bit_overrides") fields[it.key().toStdString()] = it.value().toString().toStdString();
  QuantizationRequest r = requestFromText(fields);
  const QJsonObject bits = o["bit_overrides"].toObject();
  for (auto it = bits.begin(); it != bits.end(); ++it) r.bits[it.key().toStdString()] = it.value().toInt();
  return r;
}

QJsonArray floats(const std::vector<float>& v) {
  QJsonArray a;
  for (const float f : v) a.append(static_cast<double>(f));
  return a;
}

QJsonObject sourceJson(const DataSource& s) {
  return {{"path", absolute(s.path)},
          {"sha256", QString::fromStdString(sha256File(s.path))},
          {"normalize", normalizationTable().name(s.options.normalization)},
          {"mean", floats(s.options.mean)},
          {"std", floats(s.options.std)},
          {"labels", s.options.labelsPath.empty() ? QString() : absolute(s.options.labelsPath)}};
}

DataSource sourceFromJson(const QJsonObject& o, const QString& job, const std::string& what) {
  DataSource s;
  s.path = o["path"].toString().toStdString();
  checkRecordedHash(s.path, o["sha256"].toString().toStdString(), what, "the job was written");
  s.options.normalization = normalizationTable().parse(o["normalize"].toString().toStdString());
  for (const auto& v : o["mean"].toArray()) s.options.mean.push_back(static_cast<float>(v.toDouble()));
  for (const auto& v : o["std"].toArray()) s.options.std.push_back(static_cast<float>(v.toDouble()));
  s.options.labelsPath = o["labels"].toString().toStdString();
  (void)job;
  return s;
}

QJsonObject planJson(const ExperimentPlan& plan) {
  QJsonArray axes, cells;
  for (const std::string& a : plan.axes) axes.append(QString::fromStdString(a));
  for (const ExperimentCell& c : plan.cells) {
    QJsonArray settings;
    for (const auto& [axis, value] : c.settings)
      settings.append(QJsonArray{QString::fromStdString(axis), QString::fromStdString(value)});
    QJsonObject cell{
        {"group", QString::fromStdString(c.group)}, {"title", QString::fromStdString(c.title)}, {"settings", settings}};
    if (c.seeded) cell["seed"] = QString::number(c.seed);  // text: a 64-bit seed is no JSON double
    cells.append(cell);
  }
  QJsonObject out{{"kind", experimentKindName(plan.kind)},
                  {"title", QString::fromStdString(plan.title)},
                  {"axes", axes},
                  {"base", requestJson(plan.base)},
                  {"cells", cells}};
  if (!plan.seeds.empty()) {
    QJsonArray seeds;
    for (const uint64_t s : plan.seeds) seeds.append(QString::number(s));
    out["seeds"] = seeds;
  }
  return out;
}

uint64_t seedFromJson(const QJsonValue& v) {
  bool ok = false;
  const qulonglong seed = v.toString().toULongLong(&ok);
  if (!ok) throw Error(ErrorCode::BadDataFile, "its experiment has a seed that is no number");
  return seed;
}

ExperimentPlan planFromJson(const QJsonObject& o) {
  ExperimentPlan plan;
  plan.kind = parseExperimentKind(o["kind"].toString().toStdString());
  plan.title = o["title"].toString().toStdString();
  for (const auto& a : o["axes"].toArray()) plan.axes.push_back(a.toString().toStdString());
  plan.base = requestFromJson(o["base"].toObject());
  for (const auto& c : o["cells"].toArray()) {
    ExperimentCell cell;
    cell.group = c.toObject()["group"].toString().toStdString();
    cell.title = c.toObject()["title"].toString().toStdString();
    for (const auto& s : c.toObject()["settings"].toArray())
      cell.settings.emplace_back(s.toArray().at(0).toString().toStdString(),
                                 s.toArray().at(1).toString().toStdString());
    if (c.toObject().contains("seed")) {
      cell.seeded = true;
      cell.seed = seedFromJson(c.toObject()["seed"]);
    }
    plan.cells.push_back(cell);
  }
  for (const auto& s : o["seeds"].toArray()) plan.seeds.push_back(seedFromJson(s));
  validate(plan);
  return plan;
}

void writeFileAtomically(const QString& path, const QByteArray& bytes) {
  QSaveFile f(path);
  if (!f.open(QIODevice::WriteOnly) || f.write(bytes) != bytes.size() || !f.commit())
    throw Error(ErrorCode::WriteFailed, "cannot write " + path.toStdString() + ": " + f.errorString().toStdString());
}

// A folder for new job files: made if need be, refused when it holds jobs already (nothing is
// overwritten).
QDir emptyJobsDir(const QString& dirName) {
  QDir dir(dirName);
  if (!dir.exists() && !QDir().mkpath(dirName))
    throw Error(ErrorCode::WriteFailed, "cannot create the jobs folder " + dirName.toStdString());
  if (!dir.entryList({"job-*.json"}, QDir::Files).isEmpty())
    throw Error(ErrorCode::InvalidArgument,
                dirName.toStdString() + " already holds job files: give an empty folder (or remove them)");
  return dir;
}

QString jobName(size_t index) { return QString("job-%1").arg(index + 1, 3, 10, QChar('0')); }

// DIR/jobs.txt: one job file per line (for xargs, GNU parallel, the Slurm array); its path.
QString writeJobList(const QDir& dir, const QStringList& jobs) {
  const QString path = dir.absoluteFilePath("jobs.txt");
  writeFileAtomically(path, (jobs.join('\n') + '\n').toUtf8());
  return path;
}

// merge needs every job's result; names the first few missing.
void requireEveryResult(const QStringList& missing, qsizetype jobs) {
  if (missing.isEmpty()) return;
  throw Error(ErrorCode::InvalidArgument,
              std::to_string(missing.size()) + " of " + std::to_string(jobs) + " jobs have no result yet: " +
                  missing.mid(0, 5).join(", ").toStdString() + (missing.size() > 5 ? ", ..." : ""));
}

QJsonObject readJob(const QString& path) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly))
    throw Error(ErrorCode::FileNotFound,
                "cannot open job file " + path.toStdString() + ": " + f.errorString().toStdString());
  QJsonParseError error;
  const QJsonDocument doc = QJsonDocument::fromJson(f.read(1 << 24), &error);
  if (doc.isNull() || !doc.isObject())
    throw Error(ErrorCode::BadDataFile, path.toStdString() + " is not a RoundLab job file (not JSON: " +
                                            error.errorString().toStdString() + ")");
  const QJsonObject job = doc.object();
  if (job["format"].toString() != kJobFormat)
    throw Error(ErrorCode::BadDataFile,
                path.toStdString() + " is not a RoundLab job file (no \"format\": \"" + kJobFormat + "\")");
  return job;
}

// The session a job writes: beside its job file unless it names an absolute path.
QString jobOutput(const QString& jobPath, const QJsonObject& job) {
  return QFileInfo(jobPath).absoluteDir().absoluteFilePath(job["output"].toString());
}

QJsonObject importanceRequestJson(const ImportanceRequest& r) {
  QJsonArray bits, layers;
  for (const int b : r.bits) bits.append(b);
  QuantizationRequest grid;
  grid.weights = r.weights;
  return {{"estimator", importanceEstimatorName(r.estimator)},
          {"bits", bits},
          {"calibration_count", static_cast<qint64>(r.calibrationCount)},
          {"batch", static_cast<qint64>(r.batch)},
          {"path_points", r.pathPoints},
          {"path_sample_share", r.pathSampleShare},
          {"full_set_per_point", r.fullSetPerPoint},
          {"hutchinson_samples", r.hutchinsonSamples},
          {"seed", QString::number(r.seed)},
          {"grid", requestJson(grid)}};
}

ImportanceRequest importanceRequestFromJson(const QJsonObject& o) {
  ImportanceRequest r;
  r.estimator = parseImportanceEstimator(o["estimator"].toString().toStdString());
  r.bits.clear();
  for (const auto& b : o["bits"].toArray()) r.bits.push_back(b.toInt());
  r.calibrationCount = o["calibration_count"].toInteger();
  r.batch = o["batch"].toInteger();
  r.pathPoints = o["path_points"].toInt();
  r.pathSampleShare = o["path_sample_share"].toDouble();
  r.fullSetPerPoint = o["full_set_per_point"].toBool();
  r.hutchinsonSamples = o["hutchinson_samples"].toInt();
  r.seed = o["seed"].toString().toULongLong();
  r.weights = requestFromJson(o["grid"].toObject()).weights;
  return r;
}

// A part of an importance table as a job writes it (doubles in JSON read back bit for bit).
ImportanceTable importancePartFromJson(const QJsonObject& o, const std::string& where) {
  ImportanceTable t;
  t.estimator = parseImportanceEstimator(o["estimator"].toString().toStdString());
  for (const auto& b : o["bits"].toArray()) t.bits.push_back(b.toInt());
  t.fpLoss = o["fp_loss"].toDouble();
  t.seconds = o["wall_s"].toDouble();
  for (const auto& l : o["layers"].toArray()) {
    const std::string name = l.toObject()["name"].toString().toStdString();
    const QJsonObject values = l.toObject()["importance"].toObject();
    t.layers.push_back(name);
    for (const int b : t.bits) {
      if (!values.contains(QString::number(b)))
        throw Error(ErrorCode::BadDataFile,
                    where + " has no importance of " + name + " at " + std::to_string(b) + " bits");
      t.values[name][b] = values[QString::number(b)].toDouble();
    }
    const QJsonObject errors = l.toObject()["standard_error"].toObject();
    if (!errors.isEmpty())
      for (const int b : t.bits) t.errors[name][b] = errors[QString::number(b)].toDouble();
  }
  return t;
}

QJsonObject readJsonFile(const QString& path, const char* what) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly))
    throw Error(ErrorCode::FileNotFound, std::string("cannot open ") + what + " " + path.toStdString());
  const QJsonDocument doc = QJsonDocument::fromJson(f.read(1 << 26));
  if (!doc.isObject()) throw Error(ErrorCode::BadDataFile, path.toStdString() + " is not a " + what + " (not JSON)");
  return doc.object();
}

// The job's model: its path, hash and (when not the default) which output is its logits.
QJsonObject modelJson(const std::string& path, const std::string& output) {
  QJsonObject model{{"path", absolute(path)}, {"sha256", QString::fromStdString(sha256File(path))}};
  if (!output.empty()) model["output"] = QString::fromStdString(output);
  return model;
}

}  // namespace

JobsWritten writeExperimentJobs(const ExperimentPlan& plan, const std::string& modelPath,
                                const std::string& modelOutput, const DataSource& calibration,
                                const DataSource* evaluation, const QString& dirName, bool slurm) {
  const QDir dir = emptyJobsDir(dirName);
  const std::vector<size_t> first = plan.firstEqualCell();
  std::vector<std::vector<size_t>> jobs;  // each distinct request with the cells that repeat it
  for (size_t i = 0; i < first.size(); ++i) {
    if (first[i] == i) jobs.push_back({});
    for (auto& j : jobs)
      if (!j.empty() && j.front() == first[i]) j.push_back(i);
    if (first[i] == i) jobs.back().push_back(i);
  }
  const QJsonObject model = modelJson(modelPath, modelOutput);
  const QJsonObject calib = sourceJson(calibration);
  const QJsonObject experiment = planJson(plan);
  JobsWritten out;
  out.dir = dir.absolutePath();
  QStringList list;
  for (size_t j = 0; j < jobs.size(); ++j) {
    const QString name = jobName(j);
    QJsonArray cells;
    for (const size_t c : jobs[j]) cells.append(static_cast<qint64>(c));
    QJsonObject job{{"format", kJobFormat},
                    {"job", static_cast<qint64>(j + 1)},
                    {"of", static_cast<qint64>(jobs.size())},
                    {"model", model},
                    {"calibration", calib},
                    {"experiment", experiment},
                    {"cells", cells},
                    {"label", QString::fromStdString(plan.cells[jobs[j].front()].runLabel())},
                    {"request", requestJson(plan.request(jobs[j].front()))},
                    {"output", name + ".rlab"}};
    if (evaluation) job["evaluation"] = sourceJson(*evaluation);
    const QString path = dir.absoluteFilePath(name + ".json");
    writeFileAtomically(path, QJsonDocument(job).toJson());
    list << path;
  }
  out.jobs = static_cast<int>(jobs.size());
  out.list = writeJobList(dir, list);
  if (slurm) {
    out.sbatch = dir.absoluteFilePath("run-jobs.sbatch");
    const QString script = QString(R"(#!/bin/bash
# RoundLab experiment "%1": one Slurm array task per job file of %2.
# Submit with:  sbatch %3
# Then merge:   roundlab-cli merge %2 -o study.rlab
#SBATCH --job-name=roundlab-experiment
#SBATCH --array=1-%4
#SBATCH --cpus-per-task=1
#SBATCH --output=%2/logs/job-%a.log
set -euo pipefail
job=$(sed -n "${SLURM_ARRAY_TASK_ID}p" "%5")
# One thread, as the jobs were written for: every process then gives the same bits.
exec "%6" run-job --threads 1 "$job"
)")
                               .arg(QString::fromStdString(plan.title), out.dir, out.sbatch)
                               .arg(out.jobs)
                               .arg(out.list, QCoreApplication::applicationFilePath());
    QDir().mkpath(dir.absoluteFilePath("logs"));
    writeFileAtomically(out.sbatch, script.toUtf8());
  }
  return out;
}

JobsWritten writeImportanceJobs(const ImportanceRequest& request, const std::vector<std::string>& layers,
                                const std::string& modelPath, const std::string& modelOutput,
                                const DataSource& calibration, const QString& dirName) {
  const QDir dir = emptyJobsDir(dirName);
  const QJsonObject model = modelJson(modelPath, modelOutput);
  const QJsonObject calib = sourceJson(calibration);
  JobsWritten out;
  out.dir = dir.absolutePath();
  QStringList list;
  for (size_t j = 0; j < layers.size(); ++j) {
    const QString name = jobName(j);
    const QJsonObject job{{"format", kJobFormat},
                          {"kind", "importance"},
                          {"job", static_cast<qint64>(j + 1)},
                          {"of", static_cast<qint64>(layers.size())},
                          {"model", model},
                          {"calibration", calib},
                          {"importance", importanceRequestJson(request)},
                          {"layers", QJsonArray{QString::fromStdString(layers[j])}},
                          {"label", QString::fromStdString(layers[j])},
                          {"output", name + ".importance.json"}};
    const QString path = dir.absoluteFilePath(name + ".json");
    writeFileAtomically(path, QJsonDocument(job).toJson());
    list << path;
  }
  out.jobs = static_cast<int>(layers.size());
  out.list = writeJobList(dir, list);
  return out;
}

namespace {

// run-job for a job of an importance sweep: the importance of its layers, as JSON beside the job.
int runImportanceJob(const QCommandLineParser& p, const QString& jobPath, const QJsonObject& job,
                     const QString& output) {
  const std::string where = jobPath.toStdString();
  ImportanceRequest request;
  DataSource calibration;
  std::string modelPath;
  try {
    request = importanceRequestFromJson(job["importance"].toObject());
    for (const auto& l : job["layers"].toArray()) request.layers.push_back(l.toString().toStdString());
    if (request.layers.empty()) throw Error(ErrorCode::BadDataFile, "it names no layer");
    modelPath = job["model"].toObject()["path"].toString().toStdString();
    checkRecordedHash(modelPath, job["model"].toObject()["sha256"].toString().toStdString(), "model",
                      "the job was written");
    calibration = sourceFromJson(job["calibration"].toObject(), jobPath, "calibration set");
  } catch (const Error& e) {
    throw Error(e.code(), where + ": " + e.what());
  }
  Workspace ws;
  ws.loadModel(modelPath, job["model"].toObject()["output"].toString().toStdString());
  ws.setCalibration(calibration);
  note(QString("job %1 of %2: importance of %3")
           .arg(job["job"].toInt())
           .arg(job["of"].toInt())
           .arg(job["label"].toString()));
  QJsonObject part = importanceToJson(ws.estimateImportance(request, stderrHooks())->table);
  part["format"] = "roundlab-importance-part-1";
  writeFileAtomically(output, QJsonDocument(part).toJson());
  if (p.isSet("json"))
    printJson({{"output", output}});
  else
    printLine("wrote " + output);
  return 0;
}

// merge for an importance sweep: the parts in the jobs' (model) order, as one table added to a
// session of the same model (--into), which the workbench opens with it.
int mergeImportance(const QCommandLineParser& p, const QDir& dir, const QStringList& jobFiles) {
  if (!p.isSet("into"))
    throw UsageError{"an importance sweep merges into a session of the same model: give --into RUN.rlab"};
  ImportanceTable table;
  std::string modelSha;
  QStringList missing;
  for (const QString& name : jobFiles) {
    const QString path = dir.absoluteFilePath(name);
    const QJsonObject job = readJob(path);
    if (job["kind"].toString() != "importance")
      throw Error(ErrorCode::InvalidArgument, path.toStdString() + " is not a job of the importance sweep");
    const QString out = jobOutput(path, job);
    if (!QFileInfo::exists(out)) {
      missing << name;
      continue;
    }
    const ImportanceTable part = importancePartFromJson(readJsonFile(out, "importance part"), out.toStdString());
    if (table.layers.empty() && table.bits.empty()) {
      table.estimator = part.estimator;
      table.bits = part.bits;
      table.fpLoss = part.fpLoss;
      modelSha = job["model"].toObject()["sha256"].toString().toStdString();
    } else if (part.estimator != table.estimator || part.bits != table.bits || part.fpLoss != table.fpLoss) {
      throw Error(ErrorCode::InvalidArgument, out.toStdString() + " is a part of another importance estimate");
    }
    for (const std::string& l : part.layers) {
      if (table.values.count(l)) throw Error(ErrorCode::InvalidArgument, "layer " + l + " is in two jobs");
      table.layers.push_back(l);
      table.values[l] = part.values.at(l);
      if (part.errors.count(l)) table.errors[l] = part.errors.at(l);
    }
    table.seconds += part.seconds;
  }
  requireEveryResult(missing, jobFiles.size());
  Workspace::addImportanceToSession(p.value("into").toStdString(), modelSha, table, p.value("output").toStdString());
  if (p.isSet("json")) {
    QJsonObject out = importanceToJson(table);
    out["session"] = p.value("output");
    printJson(out);
  } else {
    printLine(QString("merged the importance of %1 layers (%2) into %3")
                  .arg(table.layers.size())
                  .arg(importanceEstimatorName(table.estimator))
                  .arg(p.value("output")));
  }
  return 0;
}

}  // namespace

int runRunJob(const QStringList& args) {
  QCommandLineParser p;
  p.addOption(
      {{"o", "output"}, "Where to write the result session (default: as the job file says, beside it).", "OUT.rlab"});
  if (!parseCommand(p, args, "Run one job of an experiment written by 'experiment --jobs-dir'.", "JOB.json",
                    "job file"))
    return 0;
  if (p.positionalArguments().size() != 1) throw UsageError{"expects exactly one JOB.json"};
  const QString jobPath = p.positionalArguments()[0];
  const QJsonObject job = readJob(jobPath);
  const QString output = p.isSet("output") ? p.value("output") : jobOutput(jobPath, job);
  if (job["kind"].toString() == "importance") return runImportanceJob(p, jobPath, job, output);
  const std::string where = jobPath.toStdString();
  ExperimentPlan plan;
  std::vector<size_t> cells;
  DataSource calibration, evaluation;
  std::string modelPath;
  try {
    plan = planFromJson(job["experiment"].toObject());
    for (const auto& c : job["cells"].toArray()) {
      if (c.toInteger(-1) < 0) throw Error(ErrorCode::BadDataFile, "its cells are not cell numbers");
      cells.push_back(static_cast<size_t>(c.toInteger()));
    }
    modelPath = job["model"].toObject()["path"].toString().toStdString();
    checkRecordedHash(modelPath, job["model"].toObject()["sha256"].toString().toStdString(), "model",
                      "the job was written");
    calibration = sourceFromJson(job["calibration"].toObject(), jobPath, "calibration set");
    if (job.contains("evaluation"))
      evaluation = sourceFromJson(job["evaluation"].toObject(), jobPath, "evaluation set");
  } catch (const Error& e) {
    throw Error(e.code(), where + ": " + e.what());
  }
  if (cells.empty()) throw Error(ErrorCode::BadDataFile, where + " names no cell to run");
  Workspace ws;
  ws.loadModel(modelPath, job["model"].toObject()["output"].toString().toStdString());
  ws.setCalibration(calibration);
  if (!evaluation.path.empty()) ws.setEvaluation(evaluation);
  note(QString("job %1 of %2: %3").arg(job["job"].toInt()).arg(job["of"].toInt()).arg(job["label"].toString()));
  const ExperimentPtr e = ws.runExperiment(plan, stderrHooks(), cells);
  ws.saveSession(output.toStdString());
  if (p.isSet("json")) {
    QJsonObject out = experimentToJson(*e);
    out["session"] = output;
    printJson(out);
  } else {
    printLine("wrote " + output);
  }
  return 0;
}

int runMerge(const QStringList& args) {
  QCommandLineParser p;
  p.addOption({{"o", "output"}, "The merged session.", "OUT.rlab"});
  p.addOption(
      {"into", "An importance sweep's jobs: the session (same model) the merged table is added to.", "RUN.rlab"});
  if (!parseCommand(p, args, "Merge the results of an experiment's (or importance sweep's) jobs into one session.",
                    "DIR", "the jobs folder written by 'experiment --jobs-dir'"))
    return 0;
  if (p.positionalArguments().size() != 1) throw UsageError{"expects exactly one jobs folder"};
  if (!p.isSet("output")) throw UsageError{"-o OUT.rlab is required"};
  const QDir dir(p.positionalArguments()[0]);
  if (!dir.exists()) throw Error(ErrorCode::FileNotFound, "no jobs folder " + dir.path().toStdString());
  // job-001.json, …: not the results beside them (job-001.importance.json)
  const QStringList jobFiles =
      dir.entryList({"job-*.json"}, QDir::Files, QDir::Name).filter(QRegularExpression("^job-[0-9]+\\.json$"));
  if (jobFiles.isEmpty())
    throw Error(ErrorCode::InvalidArgument, dir.path().toStdString() + " holds no job files (job-*.json)");
  checkOutputOption(p, "output", {p.value("into")});
  if (readJob(dir.absoluteFilePath(jobFiles.front()))["kind"].toString() == "importance")
    return mergeImportance(p, dir, jobFiles);
  std::vector<std::string> sessions;
  QStringList missing;
  for (const QString& name : jobFiles) {
    const QString path = dir.absoluteFilePath(name);
    const QString out = jobOutput(path, readJob(path));
    if (QFileInfo::exists(out))
      sessions.push_back(out.toStdString());
    else
      missing << name;
  }
  requireEveryResult(missing, jobFiles.size());
  const ExperimentRecord merged = Workspace::mergeExperimentSessions(sessions, p.value("output").toStdString());
  if (p.isSet("json")) {
    QJsonObject out = experimentToJson(merged);
    out["session"] = p.value("output");
    printJson(out);
    return 0;
  }
  printLine(experimentToText(merged));
  printLine(QString("merged %1 jobs into %2").arg(sessions.size()).arg(p.value("output")));
  return 0;
}

}  // namespace roundlab::cli
