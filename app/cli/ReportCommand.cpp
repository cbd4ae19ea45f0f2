// roundlab-cli report SESSION.rlab -o report.html|report.pdf: everything needed to understand and
// reproduce a saved run (app/report), as a self-contained HTML page or a PDF.
#include "app/cli/ReportCommand.h"

#include <QFileInfo>
#include <QGuiApplication>

#include <cstring>

#include "app/cli/CliSupport.h"
#include "app/report/ReportContent.h"
#include "app/report/ReportFile.h"
#include "engine/core/Error.h"
#include "engine/core/Sha256.h"

namespace roundlab::cli {

std::unique_ptr<QCoreApplication> makeApplication(int& argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "report") != 0) return std::make_unique<QCoreApplication>(argc, argv);
  // A report draws into files only: no display needed, and none used (a stale DISPLAY would abort).
  if (!qEnvironmentVariableIsSet("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  return std::make_unique<QGuiApplication>(argc, argv);
}

int runReport(const QStringList& args) {
  QCommandLineParser p;
  p.addOption({{"o", "output"}, "The report: .html (one self-contained page, plots as inline SVG) or .pdf.", "FILE"});
  p.addOption({"eval",
               "Also evaluate the session's quantized model (and the FP model) on this data for the report's "
               "top-1; the model file must still be where the session says.",
               "DATA"});
  addDataOptions(p, /*subset=*/false);
  if (!parseCommand(p, args,
                    "Write a report of a saved session: inputs and their SHA-256, every setting, versions, seed, "
                    "per-layer results, experiments, importance, allocation, plots, and the commands that "
                    "reproduce the run.",
                    "SESSION.rlab", "session file"))
    return 0;
  if (p.positionalArguments().size() != 1) throw UsageError{"expects exactly one SESSION.rlab"};
  if (!p.isSet("output")) throw UsageError{"-o REPORT.html or -o REPORT.pdf is required"};
  const QString session = p.positionalArguments()[0], output = p.value("output");
  const std::optional<report::ReportFormat> format = report::reportFormatOf(output);
  if (!format) throw UsageError{"-o: " + output + ": the extension chooses the format: .html or .pdf"};
  checkOutputOption(p, "output", {session, p.value("eval")});

  const SessionInfo info = Workspace::readSession(session.toStdString());
  report::ReportContent content = report::contentFromSession(info);
  if (p.isSet("eval")) {
    // The top-1 must be the saved run's: a changed model file would give another model's.
    if (sha256File(info.modelPath) != info.modelSha256)
      throw Error(ErrorCode::BadDataFile, info.modelPath +
                                              ": the model file has changed since the session was saved "
                                              "(its SHA-256 differs), so --eval cannot evaluate the saved run");
    Workspace ws;
    ws.openSession(session.toStdString());
    ws.setEvaluation(dataSourceFromOptions(p, p.value("eval"), false));
    content.evaluation = ws.evaluate({}, stderrHooks()).report;
    content.evaluated = true;
    content.evaluationPath = QFileInfo(p.value("eval")).absoluteFilePath();
  }
  QString error;
  if (!report::writeReport(content, output, *format, &error)) {
    note("roundlab-cli report: error: " + error);
    return kExitError;
  }
  if (p.isSet("json")) {
    printJson({{"output", output}, {"format", report::reportFormatName(*format)}});
    return 0;
  }
  printLine(QString("report written to %1 (%2, %3 bytes)")
                .arg(output, report::reportFormatName(*format))
                .arg(QFileInfo(output).size()));
  return 0;
}

}  // namespace roundlab::cli
