#pragma once
// RoundLab's main window: docks for the layer table (with per-layer results once quantized), the
// selected layer's properties and the log console; the welcome page, then the central views
// (Weights, Grid (playground), Rounding flips, Learning (the rounding as it is learned),
// Importance, Run, Mixed precision, Evaluate, Structure (blocks, what stays FP)); a status bar with the device, memory
// and the running job. The engine thread owns the workspace; the window composes widgets, holds snapshots and runs, and
// no numerical logic; JobController keeps the job state. File and Edit menus, data files, sessions, preferences and
// exports: MainWindowFiles.cpp; View and Help menus, colour scheme, presentation mode, welcome page, shortcut sheet:
// MainWindowView.cpp; quantization and importance jobs: MainWindowJobs.cpp; the result views (layer properties,
// importance, run history): MainWindowResults.cpp.
#include <QElapsedTimer>
#include <QHash>
#include <QMainWindow>

#include <functional>
#include <map>

#include <memory>
#include <optional>
#include <utility>

#include "app/gui/EngineThread.h"
#include "app/gui/Preferences.h"
#include "app/lessons/LessonChecks.h"
#include "widgets/RunComparisonModel.h"

class QComboBox;
class QDockWidget;
class QLabel;
class QTabWidget;
class QLineEdit;
class QSortFilterProxyModel;
class QTableView;
class QTableWidget;
class QMenu;
class QCloseEvent;
class QDragEnterEvent;
class QDropEvent;
class QEvent;
class QShowEvent;
class QStackedWidget;
class QTreeWidget;

namespace roundlab::widgets {
class ImportanceView;
class LayerTableModel;
class ModelGraphView;
class LogConsole;
class RoundingFlipsView;
class RoundingTraceView;
class RunComparisonView;
class WeightHistogramView;
}  // namespace roundlab::widgets

namespace roundlab::app {

class RunPanel;
class ExperimentPanel;
class GridPlayground;
class PresentationMode;
class WelcomePage;
class AllocationDocument;
class AllocationPanel;
class JobController;
class LessonDirector;
class LessonsPanel;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  // Starts loading in the background; modelLoaded / loadFailed follow. `outputChoice`: which
  // output of a model returning a tuple or dict is its logits (empty: the first, or "logits").
  void openModel(const QString& path, const QString& outputChoice = {});
  // Reopens the current model scoring another of its outputs (File ▸ Model output…): an index of
  // its tuple or a key of its dict. Its runs go, as with any model opened.
  void chooseModelOutput(const QString& choice);
  // The bundled demos (File ▸ Open demo, the welcome page, the lessons).
  enum class Demo { ResidualCnn, Transformer, CharacterGpt };
  // Opens a bundled demo model. The character GPT brings its own calibration and validation sets
  // (token ids); an image demo brings the Fashion-MNIST sets back where the GPT's were in use.
  // (Opening a demo's file by any other way — File ▸ Open model, recent files — does the same.)
  void openDemo(Demo demo = Demo::ResidualCnn);
  // Quantizes the loaded model on the engine thread; quantized / jobFailed follow. `atAllocation`:
  // started from Mixed precision, which shows its progress too.
  // atAllocation: started from Mixed precision (its progress there); guarded: beside the uniform
  // allocations of the same size, the closest to FP kept (EngineWorker::quantizeGuarded).
  void startQuantization(const QuantizationRequest& request, bool atAllocation = false, bool guarded = false);
  void cancelJob();
  // Estimates importance on the engine thread; the allocation becomes editable when it is done.
  void estimateImportance();
  // Refines the Mixed precision allocation with measured interactions on the engine thread; the
  // refined allocation replaces it as one undo step.
  void refineAllocation();
  // Sessions and exports run on the engine thread; sessionSaved / sessionOpened / exported follow.
  void saveSessionAs(const QString& path);
  void openSession(const QString& path);
  void exportTo(ExportKind kind, const QString& path);
  // Opens a dropped or recent file by its kind (.rlab session, .h5 calibration set, else model).
  void openAnyFile(const QString& path);
  QString sessionPath() const { return sessionPath_; }
  QStringList recentFiles() const;

  // What the window shows: the model as of the last load or finished run (null before a load).
  const ModelSnapshot* snapshot() const { return snapshot_.get(); }
  const RunRecord* lastRun() const { return report_.get(); }  // the run the views show
  // The run history (Evaluate): every run of the session, oldest first. Showing, deleting and
  // renaming run on the engine thread; runHistoryChanged follows.
  const std::vector<RunPtr>& runHistory() const { return history_; }
  void showRun(int number);
  void deleteRun(int number);
  void renameRun(int number, const QString& name);
  RunPanel* runPanel() const { return run_; }
  AllocationDocument* allocation() const { return allocation_; }
  AllocationPanel* allocationPanel() const { return allocationPanel_; }
  ExperimentPanel* experimentPanel() const { return experiments_; }
  const ExperimentList& experimentList() const { return experimentList_; }
  QString calibrationPath() const { return calibration_; }
  // The data runs use, shown (and changeable) in the Run and Evaluate views.
  void setCalibrationPath(const QString& path);
  QString validationPath() const { return validation_; }
  void setValidationPath(const QString& path);
  // The samples and SHA-256 of a data file for the Run and Evaluate lines (the hash on a pool
  // thread, remembered by path, size and modification time).
  void describeData(const QString& path);
  // How the data file at `path` is read from now on (the user's answer when normalizationAsked);
  // repeats the job that stopped to ask, if there is one.
  void setDataNormalization(const QString& path, Normalization normalization);
  QTableView* layerView() const { return layerView_; }
  widgets::WeightHistogramView* histogram() const { return histogram_; }
  GridPlayground* playground() const { return playground_; }
  widgets::RoundingFlipsView* flipsView() const { return flips_; }
  widgets::RoundingTraceView* traceView() const { return trace_; }
  widgets::ImportanceView* importanceView() const { return importance_; }
  widgets::RunComparisonView* compareView() const { return compare_; }
  // Colours the layer table's rows by a column of LayerTableModel (-1: none).
  QComboBox* shadeBox() const { return shadeBy_; }
  // The model's dataflow graph (Structure view), coloured as the layer table.
  widgets::ModelGraphView* graphView() const { return graph_; }
  // Selects `layer` in the layer table (every view follows); false when the table shows no such
  // layer (none loaded, or the filter hides it).
  bool selectLayer(const QString& layer);
  widgets::LogConsole* logConsole() const { return log_; }
  QTabWidget* views() const { return tabs_; }
  // Brings the tab that holds `view` (one of the views above, maybe inside its scroll area) to front.
  void showView(QWidget* view);
  // The welcome page (start without a file, Help ▸ Welcome) instead of the views, until a model
  // opens or a view is chosen.
  void showWelcome();
  WelcomePage* welcomePage() const { return welcome_; }
  bool welcomeShown() const;
  // Every action with a keyboard shortcut, grouped by menu in menu order ("Window" for keys with
  // no menu entry): what the shortcut sheet (Help ▸ Keyboard shortcuts) lists.
  struct Shortcut {
    QString menu, action, keys;
  };
  QList<Shortcut> shortcuts() const;
  // Help ▸ About: version, build, libraries, the CPU kernels and BLAS in use, licence.
  static QString aboutText();
  // Where the autosave of the last run goes (removed on a clean exit).
  static QString autosavePath();
  // Edit ▸ Preferences: the values in effect, and applying new ones (saved, then in effect).
  const Preferences& preferences() const { return preferences_; }
  void applyPreferences(const Preferences& preferences);
  // View ▸ Presentation mode (F5): larger text everywhere at the chosen size (View ▸
  // Presentation size, 1.25–2×, optionally high contrast), only the views and the layer table.
  void setPresentationMode(bool on);
  bool presentationMode() const;
  // Where Save session proposes to write a session (the preferences' folder).
  QString proposedSessionPath() const;
  bool jobRunning() const;
  // The view a lesson names ("grid", "evaluate", ...; lessonViewNames()), null for none.
  QWidget* viewNamed(const QString& name) const;

  // Help ▸ Lessons (MainWindowLessons.cpp): the lessons dock, its steps performed on this window,
  // its exercises checked against this window's results.
  LessonsPanel* lessonsPanel() const { return lessons_; }
  LessonDirector* lessonDirector() const { return director_; }
  void showLessons();
  LessonFacts lessonFacts() const;
  // File ▸ Export handout: the PDF at `pdfPath` and the HTML beside it; false with `error`.
  bool exportHandout(const QString& pdfPath, QString* error);
  QString proposedHandoutPath() const;
  // Export ▸ Report (MainWindowReport.cpp): the shown run with the run history, experiments,
  // importance and allocation, as `path` (.html or .pdf) and the other format beside it.
  bool exportReport(const QString& path, QString* error);

 Q_SIGNALS:
  void modelLoaded(const QString& path);
  void loadFailed(const QString& message);
  void quantized();
  void jobFailed(const QString& message, bool cancelled);
  // A job stopped because only the user knows whether the float data at `path` are normalised
  // already; a question box follows (setDataNormalization answers it).
  void normalizationAsked(const QString& path, const QString& message);
  void importanceReady();
  void sessionSaved(const QString& path);
  void sessionOpened(const QString& path);
  void exported(const QString& path, const QString& validation);
  void runHistoryChanged();
  void experimentFinished();

 private Q_SLOTS:
  void onLoaded(roundlab::SnapshotPtr snapshot);
  void onLoadFailed(const QString& message);
  void onQuantized(roundlab::RunPtr run, roundlab::SnapshotPtr snapshot);
  void onAllocationRefined(const roundlab::app::RefinementPtr& refinement);
  void onHistoryChanged(const roundlab::app::RunHistory& history);
  void onJobFailed(const QString& message, bool cancelled);
  void onNormalizationAsked(const QString& path, const QString& message);
  void onLayerSelected();
  void chooseModelFile();
  // File ▸ Model output…: which output of a model returning a tuple or dict is scored, from a list.
  void askModelOutput();
  // "… returns 2 outputs (0: tensor [1,32,256], 1: tuple); RoundLab scores output 0 …", or empty
  // for a model returning one tensor (or not run yet).
  QString modelOutputNote() const;
  void chooseSessionFile();   // File ▸ Open session, the welcome page
  void recoverLastSession();  // File ▸ Recover last session, the welcome page
  void updateMemory();

 protected:
  void closeEvent(QCloseEvent* event) override;
  void dragEnterEvent(QDragEnterEvent* event) override;
  void dropEvent(QDropEvent* event) override;
  void changeEvent(QEvent* event) override;
  void showEvent(QShowEvent* event) override;

 private:
  void buildMenus();
  // "model.pt — RoundLab" or "session.rlab* — RoundLab": the document, and whether it has results
  // no session file holds.
  void updateTitle();
  void setUnsaved(bool unsaved);
  // Before `before` ("closing", "opening another model") with results no session holds: Save
  // (then `then` once written), Discard or Cancel. True to go on now.
  bool settleUnsavedResults(const QString& before, const std::function<void()>& then);
  void buildFileMenu(QMenu* file);
  void buildExportMenu(QMenu* menu);
  void buildViewMenu(QMenu* menu);
  void buildHelpMenu(QMenu* menu);
  void buildPresentationMenu(QMenu* menu);
  void buildLessons();       // the dock, Help ▸ Lessons, File ▸ Export handout
  void chooseHandoutFile();  // File ▸ Export handout
  void chooseReportFile();   // Export ▸ Report
  // Window size and place fitted to the screen, docks as last left (MainWindowView.cpp).
  void restoreWindowLayout();
  void saveWindowLayout();
  void applyDefaultDockSizes();
  void resetLayout();  // View ▸ Reset layout
  // The Run form's settings as last started, kept in the settings; restored at the next start.
  void rememberRunForm(const QuantizationRequest& request);
  void restoreRunForm();
  // The data sets that go with the bundled demo model at `model` (see openDemo); other models keep
  // the data in use. `sessionCalibration`: a session set the calibration set already.
  void useDemoData(const QString& model, bool sessionCalibration = false);
  void addRecentFile(const QString& path);
  void rebuildRecentMenu();
  void showShortcutSheet();
  void showDocumentation(const QString& document = {});  // a guide relative to the folder; empty: README
  void showAbout();
  void applyColorScheme(int scheme);  // 0 follow the system, 1 light, 2 dark
  // Logs (and shows) the outcome of saving a table or a plot from the Export menu.
  void reportSaved(const QString& what, const QString& path, bool ok, const QString& error);
  QDockWidget* addDock(const QString& title, const QString& objectName, QWidget* content, Qt::DockWidgetArea area);
  // Starts a job on the last run (labelled `text`): false, with `noRun` reported, before a run,
  // and false while another job runs.
  bool startJobOnRun(const QString& noRun, const QString& text);
  // Checks a model and a calibration set are there and no job runs, then marks one running.
  bool beginJob(const QString& what);
  // The views that show the job (Run, Mixed precision) end it; the others stop waiting.
  void endViewJobs(const QString& message, bool completed);
  // The run history from the engine (the views follow when the current run changed).
  void applyHistory(const RunHistory& history);
  // The Experiments view: building it, starting an experiment, what a finished cell changes.
  void buildExperiments();
  void startExperiment(const ExperimentSetup& setup, bool atAllocation = false);
  void measureParetoFront();  // Mixed precision ▸ Measure the front: an experiment of its points
  void experimentsArrived(const ExperimentList& experiments);
  void onExperimentFinished(const roundlab::ExperimentPtr& experiment);
  void showSummary();
  // Result views (MainWindowResults.cpp).
  void showImportance(const ImportanceReport& report);
  void updateLayerImportance();
  void showRunMetrics();  // the layer table's results columns from the shown run
  void showRunResults();  // every view from the shown run (or the FP model without one)
  // The Learning view for `layer`: while a quantization runs, the trace of its finished layer (or
  // a line saying it is still to come); else the shown run's (`outcome` null: not in it, no run).
  void showRoundingTrace(const QString& layer, const LayerOutcome* outcome);
  void drawRoundingTrace(const QString& layer, const RoundingTrace& trace);
  QString selectedLayer() const;  // the layer table's selected layer (empty: none)
  void colorGraph();              // the graph's node colours from the layer table's shades
  void refreshRunHistory();

  EngineThread engine_;
  SnapshotPtr snapshot_;
  RunPtr report_;  // the run the views show
  QString pendingPath_, calibration_, validation_;
  // The data sets in use before a demo's load switched them (restored when it fails to load).
  std::optional<std::pair<QString, QString>> dataBeforeLoad_;
  std::function<void()> retryJob_;  // the last job that read data: repeated after the user's answer
  QString askedPath_;               // the data file the last stopped job asked about
  widgets::LayerTableModel* layerModel_;
  QSortFilterProxyModel* layerProxy_;
  QTableView* layerView_;
  QLineEdit* filter_;
  widgets::WeightHistogramView* histogram_;
  GridPlayground* playground_;
  QTreeWidget* blocks_;
  QTableWidget* notQuantized_;
  QLabel *status_, *device_, *memory_, *job_;
  JobController* jobs_ = nullptr;
  QTabWidget* tabs_;
  QStackedWidget* central_;
  WelcomePage* welcome_;
  widgets::RoundingFlipsView* flips_;
  widgets::RoundingTraceView* trace_;
  widgets::ImportanceView* importance_;
  widgets::RunComparisonView* compare_;
  QComboBox* shadeBy_;
  widgets::ModelGraphView* graph_;
  std::vector<RunPtr> history_;                     // the workspace's runs, oldest first
  std::map<QString, RoundingTracePtr> liveTraces_;  // the running quantization's finished layers
  bool liveTracing_ = false;                        // a quantization runs: Learning shows its layers
  QList<int> runsWithWeights_;                      // those that can be shown again (the engine says which)
  widgets::LogConsole* log_;
  QTableWidget* properties_;
  QMenu* recentMenu_ = nullptr;
  QMenu* viewMenu_ = nullptr;
  QString sessionPath_;
  Preferences preferences_;
  QHash<QString, QString> sha256s_;  // "path|size|mtime" -> SHA-256 of the file
  bool screenFollowed_ = false;
  bool loading_ = false;                                 // a model is being loaded (openModel .. loaded / loadFailed)
  bool crashedLastTime_ = false;                         // an autosave was there at start: the last exit was not clean
  QByteArray defaultDockState_;                          // the docks as built
  bool dockSizesPending_ = false;                        // no saved dock layout: default sizes once shown
  bool runViewJob_ = false, allocationViewJob_ = false;  // which views show the running job
  bool experimentViewJob_ = false;
  ExperimentPanel* experiments_ = nullptr;
  ExperimentList experimentList_;  // the workspace's experiments, as the engine last sent them
  RunPanel* run_;
  AllocationDocument* allocation_;
  AllocationPanel* allocationPanel_;
  PresentationMode* presentation_;
  LessonsPanel* lessons_ = nullptr;
  LessonDirector* director_ = nullptr;
  QString exportingKind_;      // the export under way ("torchscript", ...)
  QStringList exportedKinds_;  // exported (and validated) since the model opened
};

}  // namespace roundlab::app
