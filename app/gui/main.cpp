// roundlab: the RoundLab workbench. Opens the bundled demo on start, or the model, session or
// calibration set given.
#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>
#include <QTimer>

#include "app/common/ProcessSetup.h"
#include "app/gui/MainWindow.h"
#include "app/gui/Preferences.h"
#include "app/gui/ScreenshotTour.h"
#include "app/gui/WelcomePage.h"
#include "engine/core/Runtime.h"

int main(int argc, char** argv) {
  // The names first (static, before the application object): the preferences are read before it.
  QApplication::setApplicationName("RoundLab");
  QApplication::setOrganizationName("RoundLab");
  QApplication::setOrganizationDomain("roundlab.org");
  // --threads, else Edit ▸ Preferences' thread count.
  const int threads =
      roundlab::app::usableThreads(roundlab::app::threadsFromArgs(argc, argv, roundlab::app::savedThreadPreference()));
  roundlab::app::ensurePassiveOpenMp(threads, argv);
  roundlab::app::reportFileSizeLimitAsError();
  QApplication app(argc, argv);
  QApplication::setApplicationVersion(ROUNDLAB_VERSION);
  QApplication::setDesktopFileName("org.roundlab.RoundLab");  // packaging/: .desktop, icon, MIME type
  QApplication::setWindowIcon(QIcon::fromTheme("org.roundlab.RoundLab"));

  QCommandLineParser parser;
  parser.setApplicationDescription("RoundLab — learned-rounding post-training quantization workbench");
  parser.addHelpOption();
  parser.addVersionOption();
  parser.addOption({"threads", "LibTorch compute threads (default: Edit ▸ Preferences, 1 at first).", "N", "1"});
  parser.addOption({"demo", "Open the bundled demo (instead of the welcome page)."});
  parser.addOption({"screenshot", "Save a screenshot of the window once the model is shown, then quit.", "PNG"});
  parser.addOption(
      {"screenshots", "Run the demo tour and save a screenshot of every view into DIR, then quit.", "DIR"});
  parser.addOption(
      {"presentation", "With --screenshots: also every view in presentation mode, into DIR/presentation."});
  parser.addPositionalArgument("FILE",
                               "A TorchScript model, a session (.rlab) or a calibration set (.h5) to open "
                               "(default: the welcome page).");
  parser.process(app);
  roundlab::setComputeThreads(std::max(1, threads));
  roundlab::keepLargeBuffersInHeap();
  app.setProperty("computeThreads", std::max(1, threads));  // shown in the status bar

  roundlab::app::MainWindow window;
  window.show();
  const QString screenshot = parser.value("screenshot");
  auto grabAndQuit = [&window, screenshot] {
    QTimer::singleShot(500, &window, [&window, screenshot] {
      window.grab().save(screenshot);
      QApplication::exit(0);  // not quit(): closing the window could ask to save
    });
  };
  if (!screenshot.isEmpty()) {
    QObject::connect(&window, &roundlab::app::MainWindow::modelLoaded, &window, grabAndQuit);
    QObject::connect(&window, &roundlab::app::MainWindow::loadFailed, &window, grabAndQuit);
    QObject::connect(&window, &roundlab::app::MainWindow::jobFailed, &window, grabAndQuit);  // a session that fails
  }
  if (parser.isSet("screenshots")) {
    auto* tour = new roundlab::app::ScreenshotTour(&window, parser.value("screenshots"), parser.isSet("presentation"));
    tour->start();
    return app.exec();
  }
  // Without a file: the welcome page (how to start, recent files, the guides), or the demo for
  // users who turned the page off and for --demo.
  if (!parser.positionalArguments().isEmpty())
    window.openAnyFile(parser.positionalArguments().first());
  else if (parser.isSet("demo") || !roundlab::app::WelcomePage::shownAtStart())
    window.openDemo();
  else
    window.showWelcome();
  if (!screenshot.isEmpty() && window.welcomeShown()) grabAndQuit();
  return app.exec();
}
