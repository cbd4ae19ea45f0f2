// The main window's View and Help menus: docks, views, keyboard routes into the layer list, the
// colour scheme, the shortcut sheet and About; plots follow the screen's device pixel ratio.
#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QDialog>
#include <QDockWidget>
#include <QHeaderView>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QSettings>
#include <QStyleFactory>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QWindow>

#include "app/gui/MainWindow.h"
#include "widgets/QCustomPlotInclude.h"

namespace roundlab::app {

void MainWindow::buildViewMenu(QMenu* menu) {
  for (QDockWidget* dock : findChildren<QDockWidget*>()) menu->addAction(dock->toggleViewAction());
  menu->addSeparator();
  for (int i = 0; i < tabs_->count(); ++i) {
    QAction* a = menu->addAction(tabs_->tabText(i), this, [this, i] { tabs_->setCurrentIndex(i); });
    a->setShortcut(QKeySequence(QString("Alt+%1").arg(i + 1)));
  }
  menu->addSeparator();
  // Keyboard routes into the layer list: filter it, or move through it with the arrow keys.
  QAction* find = menu->addAction("&Find layer", this, [this] {
    filter_->setFocus(Qt::ShortcutFocusReason);
    filter_->selectAll();
  });
  find->setShortcut(QKeySequence::Find);
  QAction* layers = menu->addAction("&Layer table", this, [this] { layerView_->setFocus(Qt::ShortcutFocusReason); });
  layers->setShortcut(QKeySequence("Ctrl+L"));
  menu->addSeparator();
  QMenu* scheme = menu->addMenu("&Colour scheme");
  auto* group = new QActionGroup(this);
  const int current = QSettings().value("appearance/scheme", 0).toInt();
  const char* names[] = {"Follow the system", "Light", "Dark"};
  for (int i = 0; i < 3; ++i) {
    QAction* a = scheme->addAction(names[i], this, [this, i] {
      QSettings().setValue("appearance/scheme", i);
      applyColorScheme(i);
    });
    a->setCheckable(true);
    a->setChecked(i == current);
    group->addAction(a);
  }
}

void MainWindow::showEvent(QShowEvent* event) {
  QMainWindow::showEvent(event);
  if (!windowHandle() || screenFollowed_) return;
  screenFollowed_ = true;
  // Plots render into a pixmap buffer at one device pixel ratio; moved to a screen with another
  // (a high-DPI laptop panel and a projector), they re-render at its ratio instead of blurring.
  connect(windowHandle(), &QWindow::screenChanged, this, [this] {
    for (QCustomPlot* plot : findChildren<QCustomPlot*>()) {
      plot->setBufferDevicePixelRatio(devicePixelRatioF());
      plot->replot();
    }
  });
}

void MainWindow::applyColorScheme(int scheme) {
  // Qt 6.4 has no colour-scheme API: the system's dark mode reaches us through the platform
  // theme's palette; the override sets a Fusion palette of our own.
  static const QPalette systemPalette = QApplication::palette();
  if (scheme == 0) {
    QApplication::setPalette(systemPalette);
  } else {
    QApplication::setStyle(QStyleFactory::create("Fusion"));
    QPalette p;
    if (scheme == 2) {
      p.setColor(QPalette::Window, QColor(37, 37, 38));
      p.setColor(QPalette::WindowText, QColor(230, 230, 230));
      p.setColor(QPalette::Base, QColor(30, 30, 30));
      p.setColor(QPalette::AlternateBase, QColor(45, 45, 48));
      p.setColor(QPalette::Text, QColor(230, 230, 230));
      p.setColor(QPalette::Button, QColor(45, 45, 48));
      p.setColor(QPalette::ButtonText, QColor(230, 230, 230));
      p.setColor(QPalette::Highlight, QColor(38, 79, 120));
      p.setColor(QPalette::HighlightedText, Qt::white);
      p.setColor(QPalette::ToolTipBase, QColor(45, 45, 48));
      p.setColor(QPalette::ToolTipText, QColor(230, 230, 230));
    }
    QApplication::setPalette(p);
  }  // the plots follow in changeEvent (ApplicationPaletteChange)
}

void MainWindow::showShortcutSheet() {
  QDialog dialog(this);
  dialog.setWindowTitle("Keyboard shortcuts");
  auto* table = new QTableWidget(&dialog);
  table->setColumnCount(2);
  table->setHorizontalHeaderLabels({"Action", "Shortcut"});
  table->verticalHeader()->hide();
  table->horizontalHeader()->setStretchLastSection(true);
  for (QAction* a : findChildren<QAction*>()) {
    if (a->shortcut().isEmpty()) continue;
    const int row = table->rowCount();
    table->insertRow(row);
    table->setItem(row, 0, new QTableWidgetItem(a->text().remove('&')));
    table->setItem(row, 1, new QTableWidgetItem(a->shortcut().toString(QKeySequence::NativeText)));
  }
  table->sortItems(0);
  table->resizeColumnsToContents();
  auto* layout = new QVBoxLayout(&dialog);
  layout->addWidget(table);
  dialog.resize(480, 520);
  if (!qEnvironmentVariableIsSet("ROUNDLAB_NO_DIALOGS")) dialog.exec();
}

void MainWindow::buildHelpMenu(QMenu* help) {
  QAction* sheet = help->addAction("&Keyboard shortcuts", this, &MainWindow::showShortcutSheet);
  sheet->setShortcut(QKeySequence("Ctrl+/"));
  help->addAction("&About RoundLab", this, [this] {
    QMessageBox::about(this, "About RoundLab",
                       "RoundLab — a workbench for learned-rounding post-training quantization.");
  });
}

}  // namespace roundlab::app
