// The main window's menus: files (models, calibration sets, sessions, recent files, autosave
// recovery), exports with validation, views, appearance and the shortcut sheet.
#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QDialog>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QStandardPaths>
#include <QStyleFactory>
#include <QStyleHints>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QWindow>

#include "app/common/DemoAssets.h"
#include "app/gui/AllocationDocument.h"
#include "app/gui/MainWindow.h"
#include "widgets/LogConsole.h"
#include "widgets/PlotStyle.h"
#include "widgets/QCustomPlotInclude.h"
#include "widgets/RoundingFlipsView.h"
#include "widgets/TableExport.h"
#include "widgets/WeightHistogramView.h"

namespace roundlab::app {

namespace {
constexpr int kRecentFiles = 8;
}

QString MainWindow::autosavePath() {
  const QString dir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
  QDir().mkpath(dir);
  return dir + "/autosave.rlab";
}

void MainWindow::buildMenus() {
  buildFileMenu(menuBar()->addMenu("&File"));
  QMenu* edit = menuBar()->addMenu("&Edit");
  QAction* undo = allocation_->undoStack()->createUndoAction(this, "&Undo");
  undo->setShortcut(QKeySequence::Undo);
  QAction* redo = allocation_->undoStack()->createRedoAction(this, "&Redo");
  redo->setShortcuts({QKeySequence("Ctrl+Shift+Z"), QKeySequence::Redo});
  edit->addAction(undo);
  edit->addAction(redo);
  viewMenu_ = menuBar()->addMenu("&View");
  buildViewMenu(viewMenu_);
  buildExportMenu(menuBar()->addMenu("E&xport"));
  QMenu* help = menuBar()->addMenu("&Help");
  QAction* sheet = help->addAction("&Keyboard shortcuts", this, &MainWindow::showShortcutSheet);
  sheet->setShortcut(QKeySequence("Ctrl+/"));
  help->addAction("&About RoundLab", this, [this] {
    QMessageBox::about(this, "About RoundLab",
                       "RoundLab — a workbench for learned-rounding post-training quantization.");
  });
}

void MainWindow::buildFileMenu(QMenu* file) {
  QAction* open = file->addAction("&Open model…", this, &MainWindow::chooseModelFile);
  open->setShortcut(QKeySequence::Open);
  QMenu* demo = file->addMenu("Open &demo");
  demo->addAction("Residual CNN (Fashion-MNIST)", this, &MainWindow::openDemo);
  demo->addAction("Transformer (Fashion-MNIST)", this, [this] {
    const DemoAssets d = findDemoAssets();
    if (!d.dir.isEmpty()) openModel(d.transformer);
  });
  file->addAction("Open &calibration set…", this, [this] {
    const QString path =
        QFileDialog::getOpenFileName(this, "Open calibration set", {}, "RoundLab HDF5 (*.h5);;All files (*)");
    if (!path.isEmpty()) openAnyFile(path);
  });
  QAction* openSessionAction = file->addAction("Open &session…", this, [this] {
    const QString path = QFileDialog::getOpenFileName(this, "Open session", {}, "RoundLab session (*.rlab)");
    if (!path.isEmpty()) openSession(path);
  });
  openSessionAction->setShortcut(QKeySequence("Ctrl+Shift+O"));
  recentMenu_ = file->addMenu("Open &recent");
  rebuildRecentMenu();
  file->addAction("Recover last session", this, [this] {
    if (QFile::exists(autosavePath()))
      openSession(autosavePath());
    else
      status_->setText("There is no autosaved run to recover.");
  });
  file->addSeparator();
  QAction* save = file->addAction("&Save session", this, [this] {
    if (sessionPath_.isEmpty()) {
      const QString path = QFileDialog::getSaveFileName(this, "Save session", "run.rlab", "RoundLab session (*.rlab)");
      if (!path.isEmpty()) saveSessionAs(path);
    } else {
      saveSessionAs(sessionPath_);
    }
  });
  save->setShortcut(QKeySequence::Save);
  QAction* saveAs = file->addAction("Save session &as…", this, [this] {
    const QString path = QFileDialog::getSaveFileName(this, "Save session as", "run.rlab", "RoundLab session (*.rlab)");
    if (!path.isEmpty()) saveSessionAs(path);
  });
  saveAs->setShortcut(QKeySequence::SaveAs);
  file->addSeparator();
  QAction* quit = file->addAction("&Quit", this, &QWidget::close);
  quit->setShortcut(QKeySequence::Quit);
}

void MainWindow::buildExportMenu(QMenu* menu) {
  struct Item {
    const char* label;
    ExportKind kind;
    const char* filter;
    const char* name;
  };
  for (const Item& i : {Item{"Quantized &TorchScript…", ExportKind::TorchScript, "TorchScript (*.pt)", "quantized.pt"},
                        Item{"&HDF5 quantized model…", ExportKind::QuantizedHdf5, "HDF5 (*.h5)", "quantized.h5"},
                        Item{"&Encodings JSON…", ExportKind::Encodings, "JSON (*.json)", "encodings.json"},
                        Item{"Layer results &CSV…", ExportKind::ResultsCsv, "CSV (*.csv)", "layers.csv"}}) {
    menu->addAction(i.label, this, [this, i] {
      const QString path = QFileDialog::getSaveFileName(this, "Export", i.name, i.filter);
      if (!path.isEmpty()) exportTo(i.kind, path);
    });
  }
  menu->addSeparator();
  // The table of the view in front (the layer table when it has none), as CSV; every table also
  // has this in its context menu.
  menu->addAction("&Table of the current view as CSV…", this, [this] {
    const QList<QTableView*> tables = tabs_->currentWidget()->findChildren<QTableView*>();
    QAbstractItemView* table = tables.isEmpty() ? layerView_ : tables.first();
    if (auto* own = qobject_cast<QAbstractItemView*>(tabs_->currentWidget())) table = own;
    QString path, error;
    reportSaved("table", path, widgets::saveTableAs(table, &path, &error), error);
  });
  // A plot of the view in front, as PNG (2× for projection), SVG or PDF; every plot also has
  // this in its context menu.
  menu->addAction("Current &plot as PNG / SVG / PDF…", this, [this] {
    QList<QCustomPlot*> plots = tabs_->currentWidget()->findChildren<QCustomPlot*>();
    if (plots.isEmpty()) {
      status_->setText("The view in front has no plot.");
      return;
    }
    QCustomPlot* plot = plots.first();
    if (plots.size() > 1) {  // which one, by its title
      QStringList titles;
      for (QCustomPlot* p : plots)
        titles << (widgets::plotTitle(p).isEmpty() ? QString("plot %1").arg(titles.size() + 1) : widgets::plotTitle(p));
      bool ok = false;
      const QString title = QInputDialog::getItem(this, "Export plot", "Plot", titles, 0, false, &ok);
      if (!ok) return;
      plot = plots[static_cast<int>(titles.indexOf(title))];
    }
    QString path, error;
    reportSaved("plot", path, widgets::savePlotAs(plot, &path, &error), error);
  });
}

void MainWindow::reportSaved(const QString& what, const QString& path, bool ok, const QString& error) {
  if (!ok) {
    log_->log(widgets::LogConsole::Error, "Could not export the " + what + ": " + error);
  } else if (!path.isEmpty()) {  // empty: the dialog was cancelled
    log_->log(widgets::LogConsole::Info, "The " + what + " was exported to " + path);
    status_->setText("The " + what + " was exported to " + path);
  }
}

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

QStringList MainWindow::recentFiles() const { return QSettings().value("files/recent").toStringList(); }

void MainWindow::addRecentFile(const QString& path) {
  if (path.isEmpty() || path == autosavePath()) return;
  QStringList files = recentFiles();
  const QString absolute = QFileInfo(path).absoluteFilePath();
  files.removeAll(absolute);
  files.prepend(absolute);
  while (files.size() > kRecentFiles) files.removeLast();
  QSettings().setValue("files/recent", files);
  rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu() {
  if (!recentMenu_) return;
  recentMenu_->clear();
  for (const QString& f : recentFiles())
    recentMenu_->addAction(QFileInfo(f).fileName() + "  —  " + QFileInfo(f).absolutePath(), this,
                           [this, f] { openAnyFile(f); });
  recentMenu_->setEnabled(!recentMenu_->isEmpty());
}

void MainWindow::openAnyFile(const QString& path) {
  const QString suffix = QFileInfo(path).suffix().toLower();
  if (suffix == "rlab") {
    openSession(path);
  } else if (suffix == "h5" || suffix == "hdf5") {
    calibration_ = path;
    addRecentFile(path);
    status_->setText("Calibration set: " + path);
    log_->log(widgets::LogConsole::Info, "Calibration set: " + path);
  } else {
    openModel(path);
  }
}

bool MainWindow::startJobOnRun(const QString& noRun, const QString& text) {
  if (!report_) {
    onJobFailed(noRun, false);
    return false;
  }
  if (jobRunning_) return false;
  jobRunning_ = true;
  setJobText(text);
  return true;
}

void MainWindow::saveSessionAs(const QString& path) {
  if (startJobOnRun("There is no run to save yet: quantize first.", "Saving session")) engine_.saveSession(path);
}

void MainWindow::openSession(const QString& path) {
  if (jobRunning_) {
    status_->setText("A job is running; cancel it before opening a session.");
    return;
  }
  jobRunning_ = true;
  setJobText("Opening session");
  status_->setText("Opening session " + path + " …");
  engine_.openSession(path);
}

void MainWindow::exportTo(ExportKind kind, const QString& path) {
  if (startJobOnRun("Quantize the model before exporting it.", "Exporting"))
    engine_.exportModel(kind, path, validation_);
}

}  // namespace roundlab::app
