// The main window driven offscreen: it opens the bundled demo off the GUI thread, lists every
// layer, plots the selected layer's weights and survives a bad file.
#include <QLineEdit>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>

#include "app/gui/MainWindow.h"
#include "widgets/QCustomPlotInclude.h"
#include "widgets/WeightHistogramView.h"

using namespace roundlab;

class MainWindowTests : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void opensDemoAndShowsLayers() {
    app::MainWindow w;
    w.show();
    QSignalSpy loaded(&w, &app::MainWindow::modelLoaded);
    w.openDemo();
    QVERIFY(loaded.wait(120000));
    QVERIFY(w.model());
    QCOMPARE(w.layerView()->model()->rowCount(), static_cast<int>(w.model()->summary().layers.size()));
    QCOMPARE(w.layerView()->model()->rowCount(), 10);
    // The first layer is selected and its weights are plotted: bar heights sum to its size.
    auto* bars = qobject_cast<QCPBars*>(w.histogram()->plot()->plottable(0));
    QVERIFY(bars);
    double sum = 0;
    for (auto it = bars->data()->constBegin(); it != bars->data()->constEnd(); ++it) sum += it->value;
    const QString first = w.layerView()->model()->index(0, 0).data().toString();
    QCOMPARE(sum, static_cast<double>(w.model()->layer(first.toStdString()).params));
    // Filtering narrows the table.
    auto* filter = w.findChild<QLineEdit*>();
    QVERIFY(filter);
    filter->setText("layer2");
    QCOMPARE(w.layerView()->model()->rowCount(), 3);
    filter->clear();
    QCOMPARE(w.layerView()->model()->rowCount(), 10);
  }

  void badFileKeepsCurrentModel() {
    app::MainWindow w;
    QSignalSpy loaded(&w, &app::MainWindow::modelLoaded);
    QSignalSpy failed(&w, &app::MainWindow::loadFailed);
    w.openDemo();
    QVERIFY(loaded.wait(120000));
    const Model* before = w.model();
    w.openModel(QString(ROUNDLAB_TEST_DATA_DIR) + "/not_a_model.pt");
    QVERIFY(failed.wait(60000));
    QVERIFY(failed.first().first().toString().contains("not a TorchScript file"));
    QCOMPARE(w.model(), before);
    QCOMPARE(w.layerView()->model()->rowCount(), 10);
  }
};

QTEST_MAIN(MainWindowTests)
#include "MainWindowTests.moc"
