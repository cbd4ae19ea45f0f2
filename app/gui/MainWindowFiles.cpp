// The main window's File, Edit and Export menus: models, calibration and validation sets (with
// their samples and hashes), sessions, recent files, autosave recovery, preferences, the
// remembered Run form, and exports with validation.
#include <algorithm>

#include <QAction>
#include <QDateTime>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QInputDialog>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QtConcurrent/QtConcurrentRun>

#include "app/gui/AllocationDocument.h"
#include "app/gui/JobController.h"
#include "app/gui/MainWindow.h"
#include "app/gui/PreferencesDialog.h"
#include "app/gui/RunPanel.h"
#include "engine/core/Sha256.h"
#include "engine/pipeline/RequestFields.h"
#include "widgets/DataFileBar.h"
#include "widgets/LogConsole.h"
#include "widgets/PlotStyle.h"
#include "widgets/QCustomPlotInclude.h"
#include "widgets/RunComparisonView.h"
#include "widgets/TableExport.h"

namespace roundlab::app {

namespace {
constexpr int kRecentFiles = 8;
}

QString MainWindow::proposedSessionPath() const {
  // Beside the open session, else in the preferences' folder.
  if (!sessionPath_.isEmpty() && sessionPath_ != autosavePath()) return sessionPath_;
  return QDir(preferences_.sessionDirectory()).filePath("run.rlab");
}

void MainWindow::applyPreferences(const Preferences& preferences) {
  // The Run form's spill field follows a changed preference only (not a colour-scheme change).
  const bool memoryChanged = preferences.activationMemoryMiB != preferences_.activationMemoryMiB;
  preferences_ = preferences;
  preferences_.save();
  applyColorScheme(preferences_.colorScheme);
  for (QAction* a : findChildren<QAction*>("colorScheme")) a->setChecked(a->data().toInt() == preferences_.colorScheme);
  widgets::setPlotFontScale(preferences_.plotFontScale);
  for (QCustomPlot* plot : findChildren<QCustomPlot*>()) {
    widgets::applyPlotFonts(plot);
    plot->replot();
  }
  if (memoryChanged) run_->setActivationMemory(preferences_.activationMemoryMiB);
  run_->setReferenceIterations(preferences_.iterations);
}

void MainWindow::rememberRunForm(const QuantizationRequest& request) {
  QSettings s;
  s.remove("runForm");
  s.beginGroup("runForm");
  for (const auto& [key, value] : requestToText(request))
    s.setValue(QString::fromStdString(key), QString::fromStdString(value));
}

void MainWindow::restoreRunForm() {
  QSettings s;
  s.beginGroup("runForm");
  std::map<std::string, std::string> fields;
  for (const QString& key : s.childKeys()) fields[key.toStdString()] = s.value(key).toString().toStdString();
  // A form saved before the stopping rule ran every iteration.
  if (!fields.empty() && !fields.count("stop_when_settled")) fields["stop_when_settled"] = "0";
  try {
    run_->setRequest(requestFromText(fields, preferences_.defaultRequest()));
  } catch (const std::exception& e) {  // a settings file edited by hand: say so, start from the defaults
    run_->setRequest(preferences_.defaultRequest());
    log_->log(widgets::LogConsole::Warning, "The Run form's saved settings were not read (" +
                                                QString::fromUtf8(e.what()) + "): it starts from the defaults.");
  }
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
  edit->addSeparator();
  QAction* preferences = edit->addAction("&Preferences…", this, [this] {
    PreferencesDialog dialog(preferences_, this);
    if (dialog.exec() == QDialog::Accepted) applyPreferences(dialog.value());
  });
  preferences->setShortcut(QKeySequence("Ctrl+,"));  // QKeySequence::Preferences is empty on some desktops
  preferences->setMenuRole(QAction::PreferencesRole);
  viewMenu_ = menuBar()->addMenu("&View");
  buildViewMenu(viewMenu_);
  QMenu* runMenu = menuBar()->addMenu("&Run");
  QAction* start = runMenu->addAction("&Start quantization", this, [this] {
    if (run_->startButton()->isEnabled())
      run_->startButton()->click();  // the Run view's settings
    else
      statusBar()->showMessage(snapshot_ ? "A job is running: wait for it or cancel it (Esc)."
                                         : "Open a model first (Ctrl+O, or File ▸ Open demo).",
                               5000);
  });
  start->setShortcut(QKeySequence("Ctrl+R"));
  QAction* cancel = runMenu->addAction("&Cancel the running job", this, &MainWindow::cancelJob);
  cancel->setShortcut(QKeySequence(Qt::Key_Escape));
  buildExportMenu(menuBar()->addMenu("E&xport"));
  buildHelpMenu(menuBar()->addMenu("&Help"));
}

void MainWindow::buildFileMenu(QMenu* file) {
  QAction* open = file->addAction("&Open model…", this, &MainWindow::chooseModelFile);
  open->setShortcut(QKeySequence::Open);
  file->addAction("Model &output…", this, &MainWindow::askModelOutput)
      ->setToolTip("For a model that returns a tuple or dict: which output holds the logits");
  QMenu* demo = file->addMenu("Open &demo");
  demo->addAction("Residual CNN (Fashion-MNIST)", this, [this] { openDemo(Demo::ResidualCnn); });
  demo->addAction("Transformer (Fashion-MNIST)", this, [this] { openDemo(Demo::Transformer); });
  demo->addAction("Character GPT (fortunes)", this, [this] { openDemo(Demo::CharacterGpt); })
      ->setToolTip("A small character-level language model, with its own calibration and validation texts");
  file->addAction("Open &calibration set…", this, [this] {
    const QString path =
        QFileDialog::getOpenFileName(this, "Open calibration set", {}, "RoundLab HDF5 (*.h5);;All files (*)");
    if (!path.isEmpty()) openAnyFile(path);
  });
  QAction* openSessionAction = file->addAction("Open &session…", this, &MainWindow::chooseSessionFile);
  openSessionAction->setShortcut(QKeySequence("Ctrl+Shift+O"));
  recentMenu_ = file->addMenu("Open &recent");
  rebuildRecentMenu();
  file->addAction("Recover last session", this, &MainWindow::recoverLastSession);
  file->addSeparator();
  QAction* save = file->addAction("&Save session", this, [this] {
    if (sessionPath_.isEmpty()) {
      const QString path =
          QFileDialog::getSaveFileName(this, "Save session", proposedSessionPath(), "RoundLab session (*.rlab)");
      if (!path.isEmpty()) saveSessionAs(path);
    } else {
      saveSessionAs(sessionPath_);
    }
  });
  save->setShortcut(QKeySequence::Save);
  QAction* saveAs = file->addAction("Save session &as…", this, [this] {
    const QString path =
        QFileDialog::getSaveFileName(this, "Save session as", proposedSessionPath(), "RoundLab session (*.rlab)");
    if (!path.isEmpty()) saveSessionAs(path);
  });
  saveAs->setShortcut(QKeySequence("Ctrl+Shift+S"));  // QKeySequence::SaveAs is empty on some platforms
  file->addSeparator();
  file->addAction("Export &handout…", this, &MainWindow::chooseHandoutFile)
      ->setToolTip("The lessons with your own answers, plots and runs, as PDF and HTML");
  file->addSeparator();
  QAction* quit = file->addAction("&Quit", this, &QWidget::close);
  quit->setShortcut(QKeySequence::Quit);
}

QString MainWindow::modelOutputNote() const {
  if (!snapshot_ || snapshot_->outputs.empty()) return {};
  QStringList listed;
  for (const auto& [choice, what] : snapshot_->outputs)
    listed << QString::fromStdString(choice) + ": " + QString::fromStdString(what);
  const std::string& chosen = snapshot_->summary.outputChoice;
  const bool dict = snapshot_->outputs.front().first != "0";
  const bool hasLogits = std::any_of(snapshot_->outputs.begin(), snapshot_->outputs.end(),
                                     [](const auto& o) { return o.first == "logits"; });
  if (chosen.empty() && dict && !hasLogits)
    return QString(
               "%1 returns %2 outputs (%3), none named logits: File ▸ Model output… chooses the one RoundLab "
               "scores.")
        .arg(QString::fromStdString(snapshot_->path))
        .arg(snapshot_->outputs.size())
        .arg(listed.join(", "));
  return QString("%1 returns %2 outputs (%3); RoundLab scores output %4. File ▸ Model output… chooses another.")
      .arg(QString::fromStdString(snapshot_->path))
      .arg(snapshot_->outputs.size())
      .arg(listed.join(", "))
      .arg(QString::fromStdString(chosen.empty() ? (dict ? "logits" : "0") : chosen));
}

void MainWindow::askModelOutput() {
  if (!snapshot_ || loading_) {
    status_->setText(loading_ ? "Still opening " + pendingPath_ + " …"
                              : "Open a model first (Ctrl+O, or File ▸ Open demo).");
    return;
  }
  if (jobs_->running()) {
    status_->setText("A job is running; cancel it before choosing another model output.");
    return;
  }
  if (snapshot_->outputs.empty()) {
    status_->setText(calibration_.isEmpty()
                         ? "RoundLab learns what the model returns by running it: open a calibration set first."
                         : "RoundLab learns what the model returns when the model opens with a calibration set: "
                           "reopen it (File ▸ Open recent), then choose. A model returning one tensor has no other "
                           "output.");
    return;
  }
  // Copies: the snapshot may change while the dialog is open (a job or a load finishing).
  const SnapshotPtr asked = snapshot_;
  const std::string chosen = asked->summary.outputChoice;
  QStringList items;
  std::vector<std::string> choices;
  int current = 0;
  for (const auto& [choice, what] : asked->outputs) {
    if (what.rfind("tensor", 0) != 0) continue;  // a tuple, list or None holds no logits
    if (choice == chosen || (chosen.empty() && (choice == "0" || choice == "logits"))) current = int(items.size());
    items << QString::fromStdString(choice) + ": " + QString::fromStdString(what);
    choices.push_back(choice);
  }
  bool ok = false;
  const QString item = QInputDialog::getItem(this, "Model output",
                                             "The model returns several outputs. Which one holds the logits?\n"
                                             "(Choosing another reopens the model: its runs go.)",
                                             items, current, false, &ok);
  if (!ok || items.indexOf(item) < 0) return;
  if (snapshot_ != asked || loading_ || jobs_->running()) {
    status_->setText("The model changed while choosing its output; choose again.");
    return;
  }
  const std::string choice = choices[size_t(items.indexOf(item))];
  if (choice != chosen) chooseModelOutput(QString::fromStdString(choice));
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
  menu->addAction("&Report (HTML and PDF)…", this, &MainWindow::chooseReportFile)
      ->setToolTip(
          "The run with its settings, input hashes, results, runs, experiments and importance, and the "
          "commands that reproduce it");
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
    setCalibrationPath(path);
    addRecentFile(path);
    status_->setText("Calibration set: " + path);
    log_->log(widgets::LogConsole::Info, "Calibration set: " + path);
  } else {
    openModel(path);
  }
}

void MainWindow::onNormalizationAsked(const QString& path, const QString& message) {
  endViewJobs("Stopped: how is " + QFileInfo(path).fileName() + " normalised?", false);
  jobs_->finish("Stopped: " + message, widgets::LogConsole::Warning);
  askedPath_ = path;
  Q_EMIT normalizationAsked(path, message);
  if (!isVisible() || qEnvironmentVariableIsSet("ROUNDLAB_NO_DIALOGS")) return;
  // The engine's message ends with the command-line options; here the buttons are the choice.
  QMessageBox box(QMessageBox::Question, "RoundLab", message.section(" Say which with", 0, 0), QMessageBox::Cancel,
                  this);
  box.setInformativeText(
      "Reading it the wrong way would quietly ruin every number. The choice holds for this "
      "file until RoundLab quits, and the job starts again.");
  const QAbstractButton* asStored = box.addButton("Already normalised: use as stored", QMessageBox::AcceptRole);
  const QAbstractButton* apply = box.addButton("Normalise it: subtract mean, divide by std", QMessageBox::AcceptRole);
  box.exec();
  if (box.clickedButton() == asStored)
    setDataNormalization(path, Normalization::None);
  else if (box.clickedButton() == apply)
    setDataNormalization(path, Normalization::Apply);
}

void MainWindow::setDataNormalization(const QString& path, Normalization normalization) {
  engine_.setNormalization(path, normalization);  // queued before the job it repeats
  log_->log(widgets::LogConsole::Info, QString("%1 is read with normalisation '%2' from now on")
                                           .arg(path, QString::fromUtf8(normalizationTable().name(normalization))));
  if (path != askedPath_ || !retryJob_ || jobs_->running()) return;  // only the job that asked repeats
  askedPath_.clear();
  const std::function<void()> retry = retryJob_;  // the job sets retryJob_ anew while it starts
  retry();
}

bool MainWindow::startJobOnRun(const QString& noRun, const QString& text) {
  if (jobs_->running()) return jobs_->begin(text);  // refused, and says why
  if (!report_) {
    onJobFailed(noRun, false);
    return false;
  }
  return jobs_->begin(text);
}

void MainWindow::saveSessionAs(const QString& path) {
  if (startJobOnRun("There is no run to save yet: quantize first.", "Saving session")) engine_.saveSession(path);
}

void MainWindow::openSession(const QString& path) {
  if (!jobs_->running() && !settleUnsavedResults("opening a session", [this, path] { openSession(path); })) return;
  if (jobs_->begin("Opening session " + path)) engine_.openSession(path);
}

void MainWindow::exportTo(ExportKind kind, const QString& path) {
  if (startJobOnRun("Quantize the model before exporting it.", "Exporting")) {
    exportingKind_ = exportKindName(kind);
    engine_.exportModel(kind, path, validation_);
  }
}

void MainWindow::setCalibrationPath(const QString& path) {
  calibration_ = path;
  run_->calibrationBar()->setFile(path);
  describeData(path);
}

void MainWindow::setValidationPath(const QString& path) {
  validation_ = path;
  compare_->validationBar()->setFile(path);
  describeData(path);
}

void MainWindow::describeData(const QString& path) {
  if (path.isEmpty()) return;
  engine_.describeData(path);
  const QFileInfo info(path);
  const QString key = QString("%1|%2|%3").arg(path).arg(info.size()).arg(info.lastModified().toMSecsSinceEpoch());
  auto show = [this, path](const QString& sha) {
    run_->calibrationBar()->setSha256(path, sha);
    compare_->validationBar()->setSha256(path, sha);
  };
  if (const auto known = sha256s_.constFind(key); known != sha256s_.constEnd()) {
    show(*known);
    return;
  }
  if (!info.isFile()) return;
  // Reading a large file takes a while: not on the GUI thread, and not in the engine's queue.
  auto* watcher = new QFutureWatcher<QString>(this);
  connect(watcher, &QFutureWatcher<QString>::finished, this, [this, watcher, key, show] {
    const QString sha = watcher->result();
    watcher->deleteLater();
    if (sha.isEmpty()) return;
    sha256s_.insert(key, sha);
    show(sha);
  });
  watcher->setFuture(QtConcurrent::run([path] {
    try {
      return QString::fromStdString(sha256File(path.toStdString()));
    } catch (const std::exception&) {
      return QString();  // unreadable: the line says why the file does not open
    }
  }));
}

}  // namespace roundlab::app
