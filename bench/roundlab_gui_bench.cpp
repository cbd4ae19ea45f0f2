// roundlab-gui-bench: how responsive the workbench stays while the engine thread works. Drives
// the real main window (offscreen unless a display is set) through the demo: the grid playground
// on the largest layer, an AdaRound run, an importance estimate, a cancelled run; a 1 ms timer on the GUI thread
// records every gap in the event loop. With --model, a large model (the language-model scale bench's)
// first. Same line format as roundlab-bench: `bench <what> <metric> <value> <unit>`.
#include <QApplication>
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QSlider>
#include <QTableView>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "app/gui/GridPlayground.h"
#include "app/gui/MainWindow.h"
#include "app/gui/RunPanel.h"
#include "engine/core/Runtime.h"
#include "widgets/GraphLayout.h"
#include "widgets/LayerTableModel.h"
#include "widgets/ModelGraphView.h"
#include "widgets/WeightHistogramView.h"

using namespace roundlab;

namespace {

void line(const char* what, const char* metric, double value, const char* unit) {
  std::printf("bench %-38s %-24s %12.4f %s\n", what, metric, value, unit);
  std::fflush(stdout);
}

// Gaps between ticks of a 1 ms GUI-thread timer while `wait` runs the event loop.
struct StallProbe {
  QTimer timer;
  QElapsedTimer clock;
  std::vector<double> gaps;
  StallProbe() {
    timer.setInterval(1);
    QObject::connect(&timer, &QTimer::timeout, [this] {
      if (clock.isValid()) gaps.push_back(static_cast<double>(clock.nsecsElapsed()) / 1e6);
      clock.start();
    });
    timer.start();
  }
  void report(const char* what) {
    timer.stop();
    std::sort(gaps.begin(), gaps.end());
    if (gaps.empty()) return;
    line(what, "gui_stall_max_ms", gaps.back(), "ms");
    line(what, "gui_stall_p99_ms", gaps[gaps.size() * 99 / 100], "ms");
    line(what, "gui_ticks", static_cast<double>(gaps.size()), "count");
  }
};

bool waitFor(QSignalSpy& spy, int ms) { return !spy.isEmpty() || spy.wait(ms); }

// The value after `flag` on the command line, empty when absent.
QString argumentAfter(const QStringList& args, const char* flag) {
  const qsizetype i = args.indexOf(flag);
  return i >= 0 && i + 1 < args.size() ? args[i + 1] : QString();
}

// A large model in the window (bench/lm_scale.py's decoder: 49 layers, 91M parameters): the load
// and its first views, the GUI thread's longest stall meanwhile, and each view's first draw.
bool benchLargeModel(app::MainWindow& w, const QString& model, const QString& data) {
  QSignalSpy loaded(&w, &app::MainWindow::modelLoaded), failed(&w, &app::MainWindow::loadFailed);
  StallProbe probe;
  QElapsedTimer wall;
  wall.start();
  w.openModel(model);
  for (int i = 0; i < 1200 && loaded.isEmpty() && failed.isEmpty(); ++i) loaded.wait(500);  // at most 10 min
  if (loaded.isEmpty()) return false;
  if (!data.isEmpty()) w.setCalibrationPath(data);
  QApplication::processEvents();
  line("gui:large_model_open", "wall_s", static_cast<double>(wall.elapsed()) / 1000, "s");
  probe.report("gui:large_model_open");
  line("gui:large_model_open", "layer_rows", w.layerView()->model()->rowCount(), "count");
  const auto draw = [&](const char* what, QWidget* view) {
    QElapsedTimer clock;
    clock.start();
    w.showView(view);
    QApplication::processEvents();
    line(what, "show_ms", static_cast<double>(clock.nsecsElapsed()) / 1e6, "ms");
  };
  // Every layer selected in turn: the histogram and grid of each (the largest holds 6.3M weights).
  std::vector<double> select;
  w.showView(w.histogram());
  for (int row = 0; row < w.layerView()->model()->rowCount(); ++row) {
    QElapsedTimer clock;
    clock.start();
    w.layerView()->selectRow(row);
    QApplication::processEvents();
    select.push_back(static_cast<double>(clock.nsecsElapsed()) / 1e6);
  }
  if (select.empty()) return false;
  std::sort(select.begin(), select.end());
  line("gui:large_model_select_layer", "update_ms_median", select[select.size() / 2], "ms");
  line("gui:large_model_select_layer", "update_ms_max", select.back(), "ms");
  draw("gui:large_model_playground", w.playground());
  draw("gui:large_model_graph", w.graphView());
  line("gui:large_model_graph", "layout_ms", w.graphView()->layoutMilliseconds(), "ms");
  w.showView(w.runPanel());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM") && qEnvironmentVariableIsEmpty("DISPLAY"))
    qputenv("QT_QPA_PLATFORM", "offscreen");
  qputenv("ROUNDLAB_NO_DIALOGS", "1");
  QApplication app(argc, argv);
  QApplication::setOrganizationName("RoundLab-bench");  // settings apart from the user's
  setComputeThreads(1);
  const LibraryVersions v = libraryVersions();
  std::printf("# roundlab-gui-bench %s, LibTorch %s, Qt %s, 1 engine thread\n", v.roundlab.c_str(), v.torch.c_str(),
              qVersion());
  app::MainWindow w;
  w.resize(1440, 900);
  w.show();
  // roundlab-gui-bench [--model LARGE.pt [--data TOKENS.h5]]: that model first, then the demo.
  const QStringList args = QApplication::arguments();
  if (const QString large = argumentAfter(args, "--model"); !large.isEmpty())
    if (!benchLargeModel(w, large, argumentAfter(args, "--data"))) return 1;
  QSignalSpy loaded(&w, &app::MainWindow::modelLoaded), done(&w, &app::MainWindow::quantized),
      failed(&w, &app::MainWindow::jobFailed), ready(&w, &app::MainWindow::importanceReady);
  w.openDemo();
  if (!waitFor(loaded, 120000)) return 1;

  {
    // The grid playground on the demo's largest layer: from a slider move to the redrawn plots.
    QAbstractItemModel* layers = w.layerView()->model();
    int largest = 0;
    using Table = widgets::LayerTableModel;
    auto params = [layers](int row) { return layers->index(row, Table::Params).data(Table::SortRole).toLongLong(); };
    for (int row = 0; row < layers->rowCount(); ++row)
      if (params(row) > params(largest)) largest = row;
    w.layerView()->selectRow(largest);
    app::GridPlayground* g = w.playground();
    w.showView(g);
    QApplication::processEvents();
    std::vector<double> ms;
    auto move = [&](QSlider* s, int value) {
      QElapsedTimer clock;
      clock.start();
      s->setValue(value);
      QApplication::processEvents();  // the plots painted
      ms.push_back(static_cast<double>(clock.nsecsElapsed()) / 1e6);
    };
    for (int round = 0; round < 3; ++round) {
      for (int bits = 2; bits <= 8; ++bits) move(g->bitsSlider(), bits);
      for (int p = 10; p <= 60; p += 5) move(g->pSlider(), p);
      for (int a = 100; a >= 30; a -= 10) move(g->exponentSlider(), a);
    }
    std::sort(ms.begin(), ms.end());
    const std::string what = "gui:grid_playground_" + layers->index(largest, 0).data().toString().toStdString();
    line(what.c_str(), "update_ms_median", ms[ms.size() / 2], "ms");
    line(what.c_str(), "update_ms_max", ms.back(), "ms");
    w.showView(w.runPanel());
  }

  {
    // Graph layout: a 150-layer model (50 residual blocks of three layers, a shortcut around each),
    // every edge with room for its tensor's shape (e.g. "1×64×56×56"), laid out by Graphviz on a
    // pool thread; the GUI thread only draws the result.
    const double labelWidth = 72, labelHeight = 14;
    widgets::GraphSpec spec;
    std::string previous = kModelInput;
    spec.nodes.push_back({kModelInput, 60, 30, {}});
    for (int b = 0; b < 50; ++b) {
      const std::string block = "blocks." + std::to_string(b);
      spec.clusters.push_back({block, block + " (Block)"});
      std::string in = previous;
      for (int l = 0; l < 3; ++l) {
        const std::string name = block + ".conv" + std::to_string(l);
        spec.nodes.push_back({name, 150, 34, block});
        spec.edges.push_back({in, name, labelWidth, labelHeight});
        in = name;
      }
      // The shortcut into the block's last layer.
      spec.edges.push_back({previous, block + ".conv2", labelWidth, labelHeight});
      previous = block + ".conv2";
    }
    spec.nodes.push_back({kModelOutput, 60, 30, {}});
    spec.edges.push_back({previous, kModelOutput, labelWidth, labelHeight});
    std::vector<double> ms;
    for (int i = 0; i < 3; ++i) ms.push_back(widgets::layoutGraph(spec).milliseconds);
    std::sort(ms.begin(), ms.end());
    line("gui:graph_layout_150_layers", "layout_ms_median", ms[1], "ms");
    // The demo's graph: shown in the Structure view, drawn on the GUI thread after the layout.
    QElapsedTimer draw;
    draw.start();
    w.showView(w.graphView());
    QApplication::processEvents();
    line("gui:graph_demo_resnet", "layout_ms", w.graphView()->layoutMilliseconds(), "ms");
    line("gui:graph_demo_resnet", "show_ms", static_cast<double>(draw.nsecsElapsed()) / 1e6, "ms");
    w.showView(w.runPanel());
  }

  QuantizationRequest r = app::RunPanel::referenceRequest();
  r.method = QuantMethod::AdaRound;
  r.weights.bits = 3;
  r.adaround.iterations = 200;
  r.calibrationCount = 256;
  {
    StallProbe probe;
    QElapsedTimer wall;
    wall.start();
    w.startQuantization(r);
    if (!waitFor(done, 600000)) return 1;
    QApplication::processEvents();  // the finished run's views are drawn
    probe.report("gui:adaround_w3_200it");
    line("gui:adaround_w3_200it", "wall_s", static_cast<double>(wall.elapsed()) / 1000, "s");
  }
  {
    StallProbe probe;
    w.estimateImportance();
    if (!waitFor(ready, 600000)) return 1;
    QApplication::processEvents();
    probe.report("gui:importance_measured");
  }
  // Cancel: from the click to the job reported as cancelled.
  r.adaround.iterations = 100000;
  w.startQuantization(r);
  QElapsedTimer settle;
  settle.start();
  while (settle.elapsed() < 1500) QApplication::processEvents(QEventLoop::AllEvents, 10);
  QElapsedTimer cancel;
  cancel.start();
  w.cancelJob();
  if (!waitFor(failed, 60000)) return 1;
  line("gui:cancel", "cancel_latency_ms", static_cast<double>(cancel.nsecsElapsed()) / 1e6, "ms");
  return 0;
}
