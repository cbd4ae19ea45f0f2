// roundlab-cli: RoundLab's engine from the command line (same engine as the GUI).
#include <QCoreApplication>

#include <cstdio>
#include <exception>
#include <new>
#include <string>

#include "app/cli/CliSupport.h"
#include "app/cli/ExperimentJobs.h"
#include "app/cli/ReportCommand.h"
#include "app/common/ProcessSetup.h"
#include "engine/core/Error.h"
#include "engine/core/Runtime.h"
#include "engine/importance/Importance.h"
#include "engine/pipeline/QuantizationRequest.h"

namespace {

// The usage text; choices come from the enums' tables, so it names what the build has.
std::string usage() {
  using namespace roundlab;
  const std::string methods = quantMethodTable().names("|");
  const std::string estimators = importanceEstimatorTable().names("|");
  return "usage: roundlab-cli COMMAND [options]   (roundlab-cli COMMAND --help for details)\n"
         "\n"
         "commands:\n"
         "  info MODEL.pt [--json]                      quantizable layers, blocks, unquantized parameters\n"
         "  eval MODEL.pt --data DATA [--reference FP.pt] [--task T] [--per-layer] [--batch N] [--json]\n"
         "                                              top-1 (or perplexity); KL and agreement against a reference\n"
         "  make-calib (IMAGE_DIR | IMAGES-IDX [LABELS-IDX]) -o OUT.h5 [--count N] [--seed N] ...\n"
         "  make-calib --text FILE.txt --vocab bytes|chars|VOCAB.json --context T -o OUT.h5 [--count N] [--seed N]\n"
         "                                              write a calibration/validation set in RoundLab's HDF5 layout\n"
         "  quantize MODEL.pt --calib CALIB.h5 [--method " +
         methods +
         "] [--wbits N] [--abits N]\n"
         "           [--grid " +
         gridKindTable().names("|") +
         "] [--bits LAYER=N ...] [--iters N] [--eval DATA]\n"
         "           [--session OUT.rlab] [--export-torchscript OUT.pt] [--export-h5 OUT.h5] [--json]\n"
         "                                              learned-rounding weight quantization\n"
         "  experiment MODEL.pt --calib CALIB.h5 (--axis AXIS --values V1,... [--axis2 AXIS --values2 V1,...] | "
         "--study)\n"
         "           [--eval DATA] [--session OUT.rlab] [--jobs-dir DIR [--slurm]] [quantize options]\n"
         "                                              sweep settings or run the founding paper's study: accuracy, "
         "loss, time\n"
         "  run-job JOB.json [-o OUT.rlab]              run one job written by experiment --jobs-dir\n"
         "  merge DIR -o OUT.rlab [--into RUN.rlab]     merge an experiment's (importance sweep's) job results into "
         "one "
         "session\n"
         "  importance MODEL.pt --calib CALIB.h5 [--estimator " +
         estimators +
         "[,...]] [--bits 2,3,4,6,8] [--jobs-dir DIR] [--json]\n"
         "                                              per-layer importance of quantization at each bit-width\n"
         "  allocate MODEL.pt --calib CALIB.h5 (--budget-bits X | --budget-bytes N | --budget-bops N) [--pin LAYER=B "
         "...]\n"
         "           [--estimator E] [--pareto] [--method M] [--eval DATA] [--session OUT.rlab] [--json]\n"
         "                                              mixed precision from importance under a budget\n"
         "  session SESSION.rlab [--json]               show a saved session\n"
         "  compare A.rlab B.rlab [--json]              two sessions' runs side by side, layer by layer\n"
         "  report SESSION.rlab -o REPORT.html|REPORT.pdf [--eval DATA] [--json]\n"
         "                                              a report of a session: settings, hashes, results, plots\n"
         "  rerun SESSION.rlab [--json]                 rerun a session, check the codes reproduce bit for bit\n"
         "  demo [--quick] [--json] [--sessions DIR]    quantize the bundled demo models: nearest vs learned rounding\n"
         "  version                                     RoundLab and library versions\n";
}

}  // namespace

const QString kOutOfMemory =
    "not enough memory for this run: use fewer samples (--calib-count, --count), a smaller --batch, or "
    "smaller inputs";

int main(int argc, char** argv) {
  const int requestedThreads = roundlab::app::threadsFromArgs(argc, argv);
  const int threads = roundlab::app::usableThreads(requestedThreads);
  roundlab::app::ensurePassiveOpenMp(threads, argv);
  roundlab::app::reportFileSizeLimitAsError();
  // Qt's image plugins print library text ("libpng error: Read Error") as warnings; commands
  // report every failure themselves, in one line naming the file. ROUNDLAB_QT_MESSAGES shows them.
  qInstallMessageHandler([](QtMsgType type, const QMessageLogContext&, const QString& message) {
    if (type == QtFatalMsg || qEnvironmentVariableIsSet("ROUNDLAB_QT_MESSAGES"))
      std::fprintf(stderr, "%s\n", qPrintable(message));
    if (type == QtFatalMsg) std::abort();
  });
  const std::unique_ptr<QCoreApplication> application = roundlab::cli::makeApplication(argc, argv);  // report: Gui
  QCoreApplication& app = *application;
  QCoreApplication::setApplicationName("roundlab-cli");
  QCoreApplication::setApplicationVersion(ROUNDLAB_VERSION);
  QStringList args = app.arguments();
  if (args.size() < 2 || args[1] == "-h" || args[1] == "--help" || args[1] == "help") {
    std::fputs(usage().c_str(), args.size() < 2 ? stderr : stdout);
    return args.size() < 2 ? roundlab::cli::kExitUsage : 0;
  }
  const QString command = args[1];
  args.removeAt(0);  // the command name takes the program's place for the parser
  try {
    if (requestedThreads > threads && threads > 0)
      roundlab::cli::note(QString("roundlab-cli: note: --threads %1 is more than this machine's %2 hardware threads; "
                                  "using %2")
                              .arg(requestedThreads)
                              .arg(threads));
    if (threads > 0) roundlab::setComputeThreads(threads);
    roundlab::keepLargeBuffersInHeap();
    if (command == "info") return roundlab::cli::runInfo(args);
    if (command == "eval") return roundlab::cli::runEval(args);
    if (command == "make-calib") return roundlab::cli::runMakeCalib(args);
    if (command == "demo") return roundlab::cli::runDemo(args);
    if (command == "quantize") return roundlab::cli::runQuantize(args);
    if (command == "session") return roundlab::cli::runSession(args);
    if (command == "rerun") return roundlab::cli::runRerun(args);
    if (command == "compare") return roundlab::cli::runCompare(args);
    if (command == "experiment") return roundlab::cli::runExperiment(args);
    if (command == "run-job") return roundlab::cli::runRunJob(args);
    if (command == "merge") return roundlab::cli::runMerge(args);
    if (command == "importance") return roundlab::cli::runImportance(args);
    if (command == "allocate") return roundlab::cli::runAllocate(args);
    if (command == "report") return roundlab::cli::runReport(args);
    if (command == "version" || command == "--version") {
      const auto v = roundlab::libraryVersions();
      std::printf("RoundLab %s (LibTorch %s, HDF5 %s, zlib %s)\n", v.roundlab.c_str(), v.torch.c_str(), v.hdf5.c_str(),
                  v.zlib.c_str());
      return 0;
    }
    roundlab::cli::note("roundlab-cli: unknown command '" + command + "' (try roundlab-cli --help)");
    return roundlab::cli::kExitUsage;
  } catch (const roundlab::cli::UsageError& e) {
    roundlab::cli::note("roundlab-cli " + command + ": " + e.message);
    return roundlab::cli::kExitUsage;
  } catch (const roundlab::Error& e) {
    roundlab::cli::note("roundlab-cli " + command + ": error: " + QString::fromStdString(e.what()).simplified());
    return roundlab::cli::kExitError;
  } catch (const std::bad_alloc&) {
    roundlab::cli::note("roundlab-cli " + command + ": error: " + kOutOfMemory);
    return roundlab::cli::kExitError;
  } catch (const std::exception& e) {
    const QString what = QString::fromStdString(e.what()).section('\n', 0, 0);
    if (what.contains(
            "allocate memory")) {  // LibTorch's allocator: "can't allocate memory: you tried to allocate N bytes"
      roundlab::cli::note("roundlab-cli " + command + ": error: " + kOutOfMemory);
      return roundlab::cli::kExitError;
    }
    roundlab::cli::note("roundlab-cli " + command + ": internal error: " + what);
    return roundlab::cli::kExitError;
  }
}
