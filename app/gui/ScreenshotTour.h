#pragma once
// Drives the main window through the demo for the documentation's screenshots: open the demo,
// run a short AdaRound, estimate importance (measured and Hessian), quantize at a 3-bit
// mixed-precision allocation, then save each central view as DIR/<view>.png and
// the whole window as DIR/main-window.png (and, with `presentation`, every view again in
// presentation mode as DIR/presentation/<view>.png), and quit. Used by scripts/screenshots.sh.
#include <QObject>
#include <QString>

namespace roundlab::app {

class MainWindow;

class ScreenshotTour : public QObject {
  Q_OBJECT
 public:
  ScreenshotTour(MainWindow* window, QString directory, bool presentation = false);
  void start();

 private:
  void saveViews();
  void shootEveryView(const QString& dir);
  MainWindow* window_;
  QString dir_;
  bool presentation_;
  int runs_ = 0, estimates_ = 0;
};

}  // namespace roundlab::app
