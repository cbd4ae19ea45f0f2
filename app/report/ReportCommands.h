#pragma once
// The command lines that reproduce what a report shows: `roundlab-cli rerun SESSION.rlab` (exact:
// it checks the inputs' hashes and compares the codes bit for bit), the `roundlab-cli quantize`
// command built from every setting of the run's request, and `roundlab-cli experiment` for each
// sweep or grid. Settings that have no command-line option are named when they differ from the
// default, so a reader knows when only the rerun reproduces the run.
#include <QString>
#include <QStringList>

#include "engine/data/Dataset.h"
#include "engine/pipeline/Experiment.h"
#include "engine/pipeline/QuantizationRequest.h"

namespace roundlab::report {

struct ReportContent;

// A word for a POSIX shell: as it is when it needs no quoting, else in single quotes.
QString shellQuote(const QString& word);
// The words quoted and joined by spaces; with `width` > 0, lines of at most that many characters
// (a longer word alone on its line) continued with " \\" — still one command for a shell.
QString shellJoin(const QStringList& words, int width = 0);
constexpr int kCommandWidth = 88;  // what the report's command blocks hold

// The options (after MODEL.pt and --calib) that set every request field with a command-line
// option, each written out even at its default (defaults may change between versions), and
// the per-layer bit overrides as --bits LAYER=N.
QStringList requestOptions(const QuantizationRequest& request);
// The quantize option that sets a request field ("--wbits" for "wbits"); empty when none does.
QString commandLineOption(const std::string& field);
// "name=value" of every setting that no option sets and that differs from the default.
QStringList settingsWithoutOption(const QuantizationRequest& request);
// --normalize / --mean / --std / --labels when the calibration set was read other than by default.
QStringList dataOptions(const DataOptions& options);

struct ReproductionCommands {
  QString rerun;              // empty when the run is in no session file
  QString quantize;           // writes REPRODUCED.rlab
  QStringList withoutOption;  // settings quantize cannot give (see settingsWithoutOption)
  QStringList experiments;    // one per experiment (sweeps and grids; the study too)
};

ReproductionCommands reproductionCommands(const ReportContent& content);
// The experiment command that runs `plan` again on the report's inputs.
QString experimentCommand(const ReportContent& content, const ExperimentPlan& plan);

}  // namespace roundlab::report
