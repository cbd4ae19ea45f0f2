// The main window's View and Help menus: docks, views, keyboard routes into the layer list, the
// colour scheme, the shortcut sheet and About; plots follow the screen's device pixel ratio.
#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QDialog>
#include <QDockWidget>
#include <QGuiApplication>
#include <QHeaderView>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QScreen>
#include <QSet>
#include <QSettings>
#include <QStackedWidget>
#include <QStatusBar>
#include <QStyleFactory>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QWindow>

#include <algorithm>

#include "app/common/DemoAssets.h"
#include "app/gui/DocumentationBrowser.h"
#include "app/gui/MainWindow.h"
#include "app/gui/PresentationMode.h"
#include "app/gui/WelcomePage.h"
#include "engine/core/Runtime.h"
#include "widgets/PlotNavigation.h"
#include "widgets/QCustomPlotInclude.h"

namespace roundlab::app {

void MainWindow::showView(QWidget* view) {
  central_->setCurrentWidget(tabs_);
  for (int i = 0; i < tabs_->count(); ++i)
    if (tabs_->widget(i) == view || tabs_->widget(i)->isAncestorOf(view)) tabs_->setCurrentIndex(i);
}

void MainWindow::buildViewMenu(QMenu* menu) {
  for (QDockWidget* dock : findChildren<QDockWidget*>()) menu->addAction(dock->toggleViewAction());
  menu->addSeparator();
  for (int i = 0; i < tabs_->count(); ++i) {
    QAction* a = menu->addAction(tabs_->tabText(i), this, [this, i] {
      central_->setCurrentWidget(tabs_);  // also from the welcome page
      tabs_->setCurrentIndex(i);
    });
    if (i < 9) a->setShortcut(QKeySequence(QString("Alt+%1").arg(i + 1)));
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
  QAction* zoom = menu->addAction("&Reset plot zoom", this, [this] {
    for (QCustomPlot* plot : tabs_->currentWidget()->findChildren<QCustomPlot*>()) widgets::resetPlotZoom(plot);
  });
  zoom->setShortcut(QKeySequence("Ctrl+0"));
  zoom->setToolTip("Every plot of the view in front back to the ranges it opened with (or double-click a plot)");
  menu->addAction("Reset &layout", this, &MainWindow::resetLayout)
      ->setToolTip("Every dock back in its place at its first size, the window fitted to the screen");
  menu->addSeparator();
  buildPresentationMenu(menu);
  QMenu* scheme = menu->addMenu("&Colour scheme");
  auto* group = new QActionGroup(this);
  const int current = QSettings().value("appearance/scheme", 0).toInt();
  const char* names[] = {"Follow the system", "Light", "Dark"};
  for (int i = 0; i < 3; ++i) {
    QAction* a = scheme->addAction(names[i], this, [this, i] {
      Preferences p = preferences_;
      p.colorScheme = i;
      applyPreferences(p);
    });
    a->setObjectName("colorScheme");
    a->setData(i);
    a->setCheckable(true);
    a->setChecked(i == current);
    group->addAction(a);
  }
}

namespace {

// Where a window of `wanted` size and place fits on the screen that holds its centre (the primary
// one when none does): never larger than the screen's available area, never partly off it. An
// invalid `wanted` is a first start: 1440×900 at most, 95 % of the screen at most, centred.
// `frame`: the window manager's frame around the client rectangle, which must fit too (known once
// the window shows).
QRect fitOnScreen(QRect wanted, const QMargins& frame = {}) {
  QScreen* screen = wanted.isValid() ? QGuiApplication::screenAt(wanted.center()) : nullptr;
  if (!screen) screen = QGuiApplication::primaryScreen();
  if (!screen) return wanted.isValid() ? wanted : QRect(0, 0, 1440, 900);
  const QRect area = screen->availableGeometry().marginsRemoved(frame);
  if (!wanted.isValid()) {
    wanted.setSize(QSize(std::min(1440, area.width() * 95 / 100), std::min(900, area.height() * 95 / 100)));
    wanted.moveCenter(area.center());
    return wanted;
  }
  wanted.setSize(wanted.size().boundedTo(area.size()));
  wanted.moveLeft(std::clamp(wanted.left(), area.left(), area.right() + 1 - wanted.width()));
  wanted.moveTop(std::clamp(wanted.top(), area.top(), area.bottom() + 1 - wanted.height()));
  return wanted;
}

}  // namespace

void MainWindow::restoreWindowLayout() {
  defaultDockState_ = saveState();  // the docks as built: what View ▸ Reset layout returns to
  QSettings settings;
  // The client rectangle, not saveGeometry(): restoring that through a window manager's frame
  // moved the window down by the title bar's height on every start.
  setGeometry(fitOnScreen(settings.value("window/rect").toRect()));
  if (settings.value("window/maximized").toBool()) setWindowState(windowState() | Qt::WindowMaximized);
  dockSizesPending_ = !restoreState(settings.value("window/state").toByteArray());
}

void MainWindow::saveWindowLayout() {
  QSettings settings;
  settings.setValue("window/rect", isMaximized() ? normalGeometry() : geometry());
  settings.setValue("window/maximized", isMaximized());
  settings.setValue("window/state", saveState());
}

void MainWindow::applyDefaultDockSizes() {
  // Wide enough for the layer table's name, kind and shape columns, and for the properties'
  // values; the log a few lines high. Docks split what is left between them, not one squeezed.
  const int w = width();
  QList<QDockWidget*> side, bottom;
  QList<int> sideWidths;
  QDockWidget* layers = findChild<QDockWidget*>("layersDock");
  for (QDockWidget* dock : findChildren<QDockWidget*>()) {
    if (dock->property("hiddenByDefault").toBool()) continue;  // opened on request (Help ▸ Lessons)
    dock->setVisible(true);
    if (dockWidgetArea(dock) == Qt::BottomDockWidgetArea) {
      bottom << dock;
    } else if (dock == layers) {
      side << dock;
      sideWidths << std::clamp(w * 27 / 100, 300, 480);
    } else if (!layers || dockWidgetArea(dock) != dockWidgetArea(layers)) {  // one width per column
      side << dock;
      sideWidths << std::clamp(w * 20 / 100, 240, 400);
    }
  }
  resizeDocks(side, sideWidths, Qt::Horizontal);
  const QList<QDockWidget*> left = {findChild<QDockWidget*>("layersDock"), findChild<QDockWidget*>("propertiesDock")};
  if (left[0] && left[1] && dockWidgetArea(left[0]) == dockWidgetArea(left[1]))  // stacked: the table gets more
    resizeDocks(left, {height() * 36 / 100, height() * 28 / 100}, Qt::Vertical);
  QList<int> heights;
  for (int i = 0; i < bottom.size(); ++i) heights << std::clamp(height() * 16 / 100, 90, 200);
  resizeDocks(bottom, heights, Qt::Vertical);
}

void MainWindow::resetLayout() {
  setWindowState(windowState() & ~Qt::WindowMaximized);
  restoreState(defaultDockState_);
  setGeometry(fitOnScreen(QRect()));
  applyDefaultDockSizes();
  saveWindowLayout();
}

void MainWindow::showEvent(QShowEvent* event) {
  QMainWindow::showEvent(event);
  if (dockSizesPending_) {  // the first start: docks sized once the window has its size
    dockSizesPending_ = false;
    applyDefaultDockSizes();
  }
  if (!windowHandle() || screenFollowed_) return;
  // Now the frame is known: the window with its frame on the screen, not only its client area.
  if (!isMaximized()) {
    const QRect fitted = fitOnScreen(geometry(), windowHandle()->frameMargins());
    if (fitted != geometry()) setGeometry(fitted);
  }
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
      p.setColor(QPalette::PlaceholderText, QColor(150, 150, 150));  // filter and search hints stay legible
      p.setColor(QPalette::Link, QColor(110, 170, 255));
    }
    QApplication::setPalette(p);
  }  // the plots follow in changeEvent (ApplicationPaletteChange)
  // A presentation in high contrast keeps it; the scheme chosen shows once it ends.
  if (presentation_ && presentation_->highContrast()) QApplication::setPalette(PresentationMode::highContrastPalette());
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

void MainWindow::buildPresentationMenu(QMenu* menu) {
  QAction* present = menu->addAction("&Presentation mode");
  present->setObjectName("presentationMode");
  present->setCheckable(true);
  present->setShortcut(QKeySequence(Qt::Key_F5));
  present->setToolTip("Larger text everywhere, only the views and the layer table; F5 again to leave");
  QMenu* size = menu->addMenu("Presentation &size");
  auto* sizes = new QActionGroup(this);
  const double chosen = QSettings().value("presentation/scale", 1.5).toDouble();
  for (double scale : {1.25, 1.5, 1.75, 2.0}) {
    QAction* a = size->addAction(QString("%1×").arg(scale), this, [this, scale] {
      QSettings().setValue("presentation/scale", scale);
      if (presentation_->active()) setPresentationMode(true);  // at the new size
    });
    a->setCheckable(true);
    a->setChecked(qFuzzyCompare(scale, chosen));
    sizes->addAction(a);
  }
  QAction* contrast = size->addAction("&High contrast", this, [this](bool on) {
    QSettings().setValue("presentation/highContrast", on);
    if (presentation_->active()) setPresentationMode(true);
  });
  contrast->setCheckable(true);
  contrast->setChecked(QSettings().value("presentation/highContrast", false).toBool());
  connect(present, &QAction::toggled, this, [this](bool on) { setPresentationMode(on); });
  connect(presentation_, &PresentationMode::toggled, present, [present](bool on) {
    const QSignalBlocker block(present);
    present->setChecked(on);
  });
}

void MainWindow::setPresentationMode(bool on) {
  if (!on) {
    presentation_->leave();
    applyColorScheme(preferences_.colorScheme);  // also a scheme chosen during the talk
    return;
  }
  const QSettings s;
  presentation_->enter(s.value("presentation/scale", 1.5).toDouble(),
                       s.value("presentation/highContrast", false).toBool(), {"layersDock"});
}

bool MainWindow::presentationMode() const { return presentation_->active(); }

void MainWindow::showDocumentation(const QString& document) {
  const QString folder = findDocumentation();
  if (folder.isEmpty()) {
    statusBar()->showMessage("The bundled documentation was not found (share/doc/roundlab).", 8000);
    return;
  }
  auto* browser = new DocumentationBrowser(folder, this);  // beside the window, not modal
  browser->setAttribute(Qt::WA_DeleteOnClose);
  browser->setObjectName("documentation");
  if (!document.isEmpty()) browser->showDocument(document);
  browser->show();
}

void MainWindow::showWelcome() {
  welcome_->setRecentFiles(recentFiles());
  // Only a run the last (crashed) session left: this session's own autosave is no crash.
  welcome_->setRecoverable(crashedLastTime_ && QFile::exists(autosavePath()) && !report_);
  central_->setCurrentIndex(0);  // the welcome page's scroll area
}

bool MainWindow::welcomeShown() const { return central_->currentWidget()->isAncestorOf(welcome_); }

void MainWindow::buildHelpMenu(QMenu* help) {
  QAction* sheet = help->addAction("&Keyboard shortcuts", this, &MainWindow::showShortcutSheet);
  sheet->setShortcut(QKeySequence("Ctrl+/"));
  QAction* docs = help->addAction("&Documentation", this, [this] { showDocumentation(); });
  docs->setShortcut(QKeySequence::HelpContents);
  QAction* lessons = help->addAction("&Lessons", this, &MainWindow::showLessons);
  lessons->setShortcut(QKeySequence("Ctrl+Shift+L"));
  lessons->setToolTip("The workshop's guided lessons, in a dock beside the views");
  help->addAction("&Welcome page", this, &MainWindow::showWelcome)
      ->setToolTip("How to start, the recent files and the guides");
  help->addAction("&About RoundLab", this, &MainWindow::showAbout);
}

QString MainWindow::aboutText() {
  const LibraryVersions v = libraryVersions();
  return QString(
             "<h3>RoundLab %1</h3>"
             "<p>A workbench for learned-rounding post-training quantization: AdaRound, BRECQ, QDrop, "
             "GPTQ and round-to-nearest on a calibration set, with importance-based mixed precision.</p>"
             "<table>"
             "<tr><td>Build</td><td>%2, Qt %3 (running %4)</td></tr>"
             "<tr><td>LibTorch</td><td>%5</td></tr>"
             "<tr><td>Compute</td><td>%6</td></tr>"
             "<tr><td>HDF5</td><td>%7</td></tr>"
             "<tr><td>zlib</td><td>%8</td></tr>"
             "<tr><td>QCustomPlot</td><td>%9</td></tr>"
             "</table>"
             "<p>MIT licence. roundlab.org · Help ▸ Documentation opens the bundled guides.</p>")
      .arg(QString::fromStdString(v.roundlab))
      .arg(QString("GCC-compatible ") + __VERSION__)
      .arg(QT_VERSION_STR, qVersion(), QString::fromStdString(v.torch), QString::fromStdString(computeKernels()),
           QString::fromStdString(v.hdf5), QString::fromStdString(v.zlib), QCUSTOMPLOT_VERSION_STR);
}

void MainWindow::showAbout() {
  QMessageBox box(QMessageBox::NoIcon, "About RoundLab", aboutText(), QMessageBox::Close, this);
  box.setIconPixmap(windowIcon().pixmap(64, 64));
  box.setTextInteractionFlags(Qt::TextSelectableByMouse);  // versions can be copied into a bug report
  if (!qEnvironmentVariableIsSet("ROUNDLAB_NO_DIALOGS")) box.exec();
}

}  // namespace roundlab::app
