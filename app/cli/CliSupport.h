#pragma once
// Shared plumbing of roundlab-cli's commands: option parsing, one-line errors, JSON output.
#include <QCommandLineParser>
#include <QJsonArray>
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <vector>

#include "engine/workspace/Workspace.h"

namespace roundlab::cli {

// Exit codes: 0 ok, 1 engine/input error, 2 usage error.
constexpr int kExitError = 1;
constexpr int kExitUsage = 2;

// Thrown for bad command-line usage; main() prints it as one line and exits kExitUsage.
struct UsageError {
  QString message;
};

// Parses `args` (command name first) with the given options plus --help, --json, --threads.
// Returns false when --help was printed.
bool parseCommand(QCommandLineParser& parser, const QStringList& args, const QString& description,
                  const QString& positional = {}, const QString& positionalHelp = {});

void printJson(const QJsonObject& doc);
void printLine(const QString& line);  // stdout
void note(const QString& line);       // stderr, for progress and notes
// Prints the workspace's calibration warning (FP model near chance), if any, as a note.
void warnAboutCalibration(const Workspace& ws);

QJsonArray toJsonArray(const std::vector<int64_t>& v);
// One of an enum's names; an unknown name is a usage error listing the names.
template <typename E>
E parseChoice(const EnumTable<E>& table, const QString& value, const QString& option) {
  try {
    return table.parse(value.toStdString());
  } catch (const Error& e) {
    throw UsageError{option + ": " + QString::fromStdString(e.what())};
  }
}
std::vector<float> parseFloatList(const QString& text, const QString& option);
// --std: finite numbers above 0 (a std of 0 would divide by zero).
std::vector<float> parseStdList(const QString& text);
// An integer in [min, max]; anything else (text, a value that would wrap) is a usage error.
int64_t parseInt(const QString& text, const QString& option, int64_t min,
                 int64_t max = std::numeric_limits<int32_t>::max());
// A finite number in [min, max], or in (min, max] with minExclusive (e.g. a rate that must be > 0).
double parseNumber(const QString& text, const QString& option, double min, double max, bool minExclusive = false);
// An output file option: its folder exists and is writable, it is not a folder and not one of
// `inputs` (checked before any work, so a bad path costs nothing). No-op when the option is unset.
void checkOutputOption(const QCommandLineParser& parser, const QString& option, const QStringList& inputs);
// Left-aligned columns for human-readable tables.
QString formatTable(const QStringList& header, const QList<QStringList>& rows);

// Shared by commands: the layer table (info, demo), evaluation results, data-file options.
QJsonObject summaryToJson(const ModelSummary& s);
QString summaryToText(const ModelSummary& s);
QJsonObject evalReportToJson(const EvalReport& r);
// A language model's figures of a quantized run's evaluation against the FP model: loss_fp,
// loss_quantized, perplexity_fp, perplexity_quantized (nothing for classification).
void addLanguageModelKeys(QJsonObject& o, const EvalReport& r);
// "FP perplexity 4.10, quantized 4.35" (empty for classification or without labels).
QString perplexityLine(const EvalReport& r);
// --mean --std --labels, and with subset also --count --seed (a subset of the data file).
void addDataOptions(QCommandLineParser& parser, bool subset = true);
DataSource dataSourceFromOptions(const QCommandLineParser& parser, const QString& path, bool subset = true);

// Quantization settings (method, bits, grid, AdaRound, calibration subset, seed) as options.
void addQuantizationOptions(QCommandLineParser& parser);
QuantizationRequest quantizationRequestFromOptions(const QCommandLineParser& parser);
// Progress lines on stderr, at most twice a second, with an ETA.
ProgressFn stderrProgress();
JobHooks stderrHooks();
// --model-output N|KEY: which output of a model returning a tuple or dict is its logits.
void addModelOutputOption(QCommandLineParser& parser);
// The model given as the command's one positional argument (with --model-output where the command
// has it), loaded into `workspace`.
void loadModelArgument(Workspace& workspace, const QCommandLineParser& parser);

int runInfo(const QStringList& args);
int runEval(const QStringList& args);
int runMakeCalib(const QStringList& args);
int runDemo(const QStringList& args);
int runQuantize(const QStringList& args);
int runSession(const QStringList& args);
int runRerun(const QStringList& args);
int runCompare(const QStringList& args);
int runExperiment(const QStringList& args);
int runImportance(const QStringList& args);
int runAllocate(const QStringList& args);

}  // namespace roundlab::cli
