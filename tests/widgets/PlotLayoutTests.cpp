// How every plot lays itself out and answers the user, on real QCustomPlot widgets: titles wrap
// instead of being cut, legends sit under the axes (never over the data) and only while filled,
// bars keep headroom, a zoom or drag is undone by double-click, a plot copies to the clipboard,
// and the layer table's colours have a key.
#include <QApplication>
#include <QClipboard>
#include <QFontMetrics>
#include <QImage>
#include <QLabel>
#include <QTest>
#include <QWheelEvent>

#include "widgets/LayerTableModel.h"
#include "widgets/PlotNavigation.h"
#include "widgets/PlotStyle.h"
#include "widgets/QCustomPlotInclude.h"
#include "widgets/RoundingFlipsView.h"
#include "widgets/ShadeLegend.h"

using namespace roundlab;

class PlotLayoutTests : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  // A title wider than the plot is broken into lines, each no wider than the plot; the whole
  // title stays what plotTitle() answers, and a wider plot takes it back on one line.
  void longTitlesWrapToThePlotWidth() {
    QCustomPlot plot;
    widgets::stylePlot(&plot, "x", "y");
    plot.resize(320, 300);
    plot.show();
    QVERIFY(QTest::qWaitForWindowExposed(&plot));
    const QString title = "layer3.0.downsample.0: 33 up (red), 17 down (blue) of 8,192 weights in 128 channels";
    widgets::setPlotTitle(&plot, title);
    plot.replot();
    auto* element = qobject_cast<QCPTextElement*>(plot.plotLayout()->element(0, 0));
    QVERIFY(element);
    QCOMPARE(widgets::plotTitle(&plot), title);
    const QStringList lines = element->text().split('\n');
    QVERIFY2(lines.size() >= 2, qPrintable(element->text()));
    QCOMPARE(lines.join(' '), title);  // broken at spaces only: every word whole
    const QFontMetrics metrics(element->font());
    for (const QString& line : lines) QVERIFY2(metrics.horizontalAdvance(line) <= plot.width(), qPrintable(line));
    QVERIFY(element->outerRect().width() <= plot.width());
    plot.resize(metrics.horizontalAdvance(title) + 80, 300);
    plot.replot();
    QCOMPARE(element->text(), title);
  }

  // An empty plot's hint is never cut: over the axes when it fits there, else over the whole
  // plot with smaller text; at a larger plot font scale too. It goes when data come.
  void emptyHintsFitEveryPlotSize() {
    struct Restore {
      ~Restore() { widgets::setPlotFontScale(1.0); }
    } restore;
    const QString hint = "Run a quantization (Ctrl+R) to see the dequantized weights on their grid.";
    for (double scale : {1.0, 2.0})
      for (QSize size : {QSize(600, 400), QSize(260, 140)}) {
        widgets::setPlotFontScale(scale);
        QCustomPlot plot;
        widgets::stylePlot(&plot, "value", "count");
        widgets::setEmptyHint(&plot, hint);
        plot.resize(size);
        plot.show();
        QVERIFY(QTest::qWaitForWindowExposed(&plot));
        plot.replot();
        auto* label = plot.findChild<QLabel*>("emptyPlotHint");
        QVERIFY(label && label->isVisible());
        const QString where = QString("%1x%2 at %3").arg(size.width()).arg(size.height()).arg(scale);
        QVERIFY2(plot.rect().contains(label->geometry()), qPrintable(where));
        QVERIFY2(label->heightForWidth(label->width()) <= label->height(), qPrintable(where));
        if (size.width() == 600 && scale == 1.0) {  // room enough: over the axes, at full size
          QVERIFY(plot.axisRect()->rect().contains(label->geometry()));
          QCOMPARE(label->font().pointSizeF(), widgets::plotFont(2).pointSizeF());
        }
        plot.addGraph()->setData({0.0, 1.0}, {1.0, 2.0});
        plot.replot();
        QVERIFY(!label->isVisible());
      }
  }

  // The legend leaves the axis rect for a row of its own under it, and leaves the layout (no
  // empty box, no empty row) when its plot is cleared.
  void legendsSitUnderTheAxesOnlyWhileFilled() {
    widgets::RoundingFlipsView view;
    view.resize(900, 700);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QCustomPlot* rates = view.ratesPlot();
    const int rowsEmpty = rates->plotLayout()->rowCount();
    view.setLayers({"conv1", "layer1.0.conv1", "fc"}, {0.1, 0.2, 0.3}, {0.05, 0.02, 0.4});
    QVERIFY(rates->legend->visible());
    QCOMPARE(rates->plotLayout()->rowCount(), rowsEmpty + 1);
    QCOMPARE(rates->plotLayout()->element(rates->plotLayout()->rowCount() - 1, 0), rates->legend);
    QVERIFY(!rates->axisRect()->insetLayout()->elements(false).contains(rates->legend));
    const QRect legend = rates->legend->outerRect(), axes = rates->axisRect()->rect();
    QVERIFY2(legend.top() >= axes.bottom(), "the legend overlaps the axes");
    // Horizontal bars, layer names down the left in model order; headroom: the longest stack
    // (fc: 30 % up on 40 % down) ends before the right edge.
    QVERIFY(rates->yAxis->rangeReversed());
    QCOMPARE(qSharedPointerDynamicCast<QCPAxisTickerText>(rates->yAxis->ticker())->ticks().value(0), QString("conv1"));
    QVERIFY2(rates->xAxis->range().upper > 70.0 * 1.05, qPrintable(QString::number(rates->xAxis->range().upper)));
    view.clear();
    QVERIFY(!rates->legend->visible());
    QCOMPARE(rates->plotLayout()->rowCount(), rowsEmpty);
  }

  // Entries too wide for one row wrap onto more rows, whole; a wrapped legend has empty cells,
  // which the next layout must step over (3 entries in 2 columns once crashed it).
  void wideLegendsWrapWithoutCuttingEntries() {
    QCustomPlot plot;
    widgets::stylePlot(&plot, "iteration", "loss");
    widgets::showLegendWhenFilled(&plot);
    for (const char* name : {"batch loss (soft rounding)", "nearest rounding, all samples: 0.3954",
                             "learned rounding, all samples: 0.3006"}) {
      QCPGraph* g = plot.addGraph();
      g->setName(name);
      g->setData({0, 1}, {1, 2});
    }
    plot.resize(650, 400);
    plot.show();
    QVERIFY(QTest::qWaitForWindowExposed(&plot));
    for (int i = 0; i < 3; ++i) plot.replot();
    QVERIFY(plot.legend->rowCount() >= 2);
    for (int i = 0; i < plot.legend->itemCount(); ++i)
      if (QCPAbstractLegendItem* entry = plot.legend->item(i)) {
        QVERIFY(entry->outerRect().width() >= entry->minimumOuterSizeHint().width());
        QVERIFY(entry->outerRect().right() <= plot.width());
      }
    plot.resize(1600, 400);  // room for all three on one row again
    plot.replot();
    plot.replot();
    QCOMPARE(plot.legend->columnCount(), 3);
  }

  // Presentation mode's line scale: lines and markers grow, also for data drawn later, never
  // compound over replots, and come back exactly (a cosmetic pen too) when it ends.
  void linesScaleWithoutCompounding() {
    QCustomPlot plot;
    widgets::stylePlot(&plot, "x", "y");
    QCPGraph* thick = plot.addGraph();
    thick->setPen(QPen(Qt::blue, 2));
    thick->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 6));
    thick->setData({0, 1}, {0, 1});
    QCPGraph* cosmetic = plot.addGraph();
    cosmetic->setPen(QPen(Qt::red, 0));
    widgets::setPlotLineScale(2);
    for (int i = 0; i < 3; ++i) plot.replot();
    QCOMPARE(thick->pen().widthF(), 4.0);
    QCOMPARE(thick->scatterStyle().size(), 12.0);
    QCOMPARE(cosmetic->pen().widthF(), 2.0);
    QCPGraph* later = plot.addGraph();  // data drawn while presenting
    later->setPen(QPen(Qt::green, 1.5));
    plot.replot();
    QCOMPARE(later->pen().widthF(), 3.0);
    thick->setPen(QPen(Qt::blue, 3));  // the view sets a new pen: the new width is the base
    plot.replot();
    QCOMPARE(thick->pen().widthF(), 6.0);
    widgets::setPlotLineScale(1);
    plot.replot();
    QCOMPARE(thick->pen().widthF(), 3.0);
    QCOMPARE(thick->scatterStyle().size(), 6.0);
    QCOMPARE(cosmetic->pen().widthF(), 0.0);
    QCOMPARE(later->pen().widthF(), 1.5);
  }

  void headroomOnLinearAndLogAxes() {
    QCustomPlot plot;
    plot.yAxis->setRange(0, 50);
    widgets::addHeadroom(plot.yAxis);
    QVERIFY(plot.yAxis->range().upper > 52 && plot.yAxis->range().upper < 60);
    plot.yAxis->setScaleType(QCPAxis::stLogarithmic);
    plot.yAxis->setRange(1e-4, 1e-2);
    widgets::addHeadroom(plot.yAxis);
    QVERIFY(plot.yAxis->range().upper > 1.5e-2 && plot.yAxis->range().upper < 1e-1);
  }

  // A wheel zoom by the user is undone by double-click (and resetPlotZoom); new data from the
  // view becomes the new home, so a reset never brings back a previous layer's ranges.
  void doubleClickUndoesTheUsersZoom() {
    QCustomPlot plot;
    widgets::stylePlot(&plot, "x", "y");
    plot.resize(500, 400);
    plot.show();
    QVERIFY(QTest::qWaitForWindowExposed(&plot));
    plot.xAxis->setRange(0, 10);
    plot.yAxis->setRange(-1, 1);
    plot.replot();
    QVERIFY(!widgets::resetPlotZoom(&plot));  // nothing to undo
    const QPointF centre = plot.axisRect()->rect().center();
    QWheelEvent wheel(centre, plot.mapToGlobal(centre), QPoint(), QPoint(0, 240), Qt::NoButton, Qt::NoModifier,
                      Qt::NoScrollPhase, false);
    QApplication::sendEvent(&plot, &wheel);
    QApplication::processEvents();
    QVERIFY2(plot.xAxis->range().size() < 10 - 1e-6, "the wheel did not zoom");
    QTest::mouseDClick(&plot, Qt::LeftButton, Qt::NoModifier, centre.toPoint());
    QCOMPARE(plot.xAxis->range().lower, 0.0);
    QCOMPARE(plot.xAxis->range().upper, 10.0);
    QCOMPARE(plot.yAxis->range().lower, -1.0);
    // The user zooms, then the view shows another layer: its ranges are home from then on.
    QApplication::sendEvent(&plot, &wheel);
    QApplication::processEvents();
    plot.xAxis->setRange(100, 200);
    plot.replot();
    QVERIFY(!widgets::resetPlotZoom(&plot));
    QCOMPARE(plot.xAxis->range().lower, 100.0);
    // A right-click (its release goes to the context menu) is no drag: the view's next ranges
    // are still home.
    QTest::mousePress(&plot, Qt::RightButton, Qt::NoModifier, centre.toPoint());
    plot.xAxis->setRange(300, 400);
    plot.replot();
    QVERIFY(!widgets::resetPlotZoom(&plot));
  }

  void copyPutsThePlotOnTheClipboard() {
    QCustomPlot plot;
    widgets::stylePlot(&plot, "x", "y");
    plot.resize(300, 200);
    QApplication::clipboard()->clear();
    widgets::copyPlot(&plot);
    const QImage image = QApplication::clipboard()->image();
    QCOMPARE(image.width(), 600);  // twice the on-screen resolution
    QCOMPARE(image.height(), 400);
    QStringList menu;
    for (QAction* a : plot.actions()) menu << a->text();
    QVERIFY2(menu.join('|').contains("Copy plot") && menu.join('|').contains("Reset zoom"), qPrintable(menu.join('|')));
  }

  void shadeLegendNamesTheMetric() {
    widgets::ShadeLegend legend;
    legend.setMetric("flip rate");
    QVERIFY(!legend.isHidden());
    QVERIFY(legend.text().contains("flip rate"));
    legend.setMetric({});
    QVERIFY(legend.isHidden());
    QVERIFY(widgets::LayerTableModel::shadeColor(1).alpha() > widgets::LayerTableModel::shadeColor(0).alpha());
  }
};

QTEST_MAIN(PlotLayoutTests)
#include "PlotLayoutTests.moc"
