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
#include <QMenuBar>
#include <QMessageBox>
#include <QSet>
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

namespace {
QString keysText(const QAction* a) {
  QStringList keys;
  for (const QKeySequence& k : a->shortcuts()) keys << k.toString(QKeySequence::NativeText);
  return keys.join(", ");
}

void collectShortcuts(QMenu* menu, const QString& group, QList<MainWindow::Shortcut>& out, QSet<QAction*>& seen) {
  for (QAction* a : menu->actions()) {
    if (a->menu()) {
      collectShortcuts(a->menu(), group + " ▸ " + a->text().remove('&'), out, seen);
    } else if (!a->shortcuts().isEmpty() && !seen.contains(a)) {
      seen.insert(a);
      out.append({group, a->text().remove('&'), keysText(a)});
    }
  }
}
}  // namespace

QList<MainWindow::Shortcut> MainWindow::shortcuts() const {
  // Generated from the actions themselves, in menu order, so the sheet can never miss one.
  QList<Shortcut> out;
  QSet<QAction*> seen;
  for (QAction* top : menuBar()->actions())
    if (top->menu()) collectShortcuts(top->menu(), top->text().remove('&'), out, seen);
  for (QAction* a : findChildren<QAction*>())  // window-wide keys that have no menu entry
    if (!a->shortcuts().isEmpty() && !seen.contains(a)) {
      seen.insert(a);
      out.append({"Window", a->text().remove('&'), keysText(a)});
    }
  return out;
}

void MainWindow::showShortcutSheet() {
  QDialog dialog(this);
  dialog.setWindowTitle("Keyboard shortcuts");
  auto* search = new QLineEdit(&dialog);
  search->setPlaceholderText("Search actions and keys");
  search->setClearButtonEnabled(true);
  auto* table = new QTableWidget(&dialog);
  table->setObjectName("shortcutSheet");
  table->setColumnCount(3);
  table->setHorizontalHeaderLabels({"Menu", "Action", "Shortcut"});
  table->verticalHeader()->hide();
  table->horizontalHeader()->setStretchLastSection(true);
  table->setEditTriggers(QAbstractItemView::NoEditTriggers);
  for (const Shortcut& s : shortcuts()) {
    const int row = table->rowCount();
    table->insertRow(row);
    table->setItem(row, 0, new QTableWidgetItem(s.menu));
    table->setItem(row, 1, new QTableWidgetItem(s.action));
    table->setItem(row, 2, new QTableWidgetItem(s.keys));
  }
  table->resizeColumnsToContents();
  connect(search, &QLineEdit::textChanged, table, [table](const QString& text) {
    for (int r = 0; r < table->rowCount(); ++r) {
      bool match = text.isEmpty();
      for (int c = 0; c < 3 && !match; ++c) match = table->item(r, c)->text().contains(text, Qt::CaseInsensitive);
      table->setRowHidden(r, !match);
    }
  });
  auto* layout = new QVBoxLayout(&dialog);
  layout->addWidget(search);
  layout->addWidget(table);
  dialog.resize(560, 560);
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
