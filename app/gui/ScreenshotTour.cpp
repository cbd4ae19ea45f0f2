#include "app/gui/ScreenshotTour.h"

#include <QAbstractItemModel>
#include <QApplication>
#include <QDir>
#include <QSlider>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>

#include "app/gui/AllocationPanel.h"
#include "app/gui/MainWindow.h"
#include "app/gui/RunPanel.h"

namespace roundlab::app {

ScreenshotTour::ScreenshotTour(MainWindow* window, QString directory)
    : QObject(window), window_(window), dir_(std::move(directory)) {}

void ScreenshotTour::start() {
  QDir().mkpath(dir_);
  connect(window_, &MainWindow::modelLoaded, this, [this] {
    QuantizationRequest r = window_->runPanel()->request();
    r.method = QuantMethod::AdaRound;
    r.weights.bits = 3;
    r.adaround.iterations = 200;
    r.calibrationCount = 256;
    window_->runPanel()->setRequest(r);
    window_->startQuantization(r);
  });
  connect(window_, &MainWindow::quantized, this, [this] { window_->estimateImportance(); });
  connect(window_, &MainWindow::importanceReady, this,
          [this] { QTimer::singleShot(300, this, [this] { saveViews(); }); });
  auto fail = [](const QString& message) {
    qCritical("screenshot tour failed: %s", qPrintable(message));
    QApplication::exit(1);
  };
  connect(window_, &MainWindow::loadFailed, this, fail);
  connect(window_, &MainWindow::jobFailed, this, [fail](const QString& m, bool) { fail(m); });
  window_->openDemo();
}

void ScreenshotTour::saveViews() {
  // A mid-network conv layer shows a full flip map and a many-level grid.
  QAbstractItemModel* layers = window_->layerView()->model();
  for (int row = 0; row < layers->rowCount(); ++row)
    if (layers->index(row, 0).data().toString() == "layer2.0.conv2") window_->layerView()->selectRow(row);
  window_->allocationPanel()->budgetSlider()->setValue(300);  // an allocation at 3 bits on average
  QTabWidget* views = window_->views();
  for (int i = 0; i < views->count(); ++i) {
    views->setCurrentIndex(i);
    QApplication::processEvents();
    const QString slug = views->tabText(i).toLower().replace(' ', '-');
    window_->grab().save(dir_ + "/" + slug + ".png");
    if (i == 0) window_->grab().save(dir_ + "/main-window.png");
  }
  QApplication::quit();
}

}  // namespace roundlab::app
