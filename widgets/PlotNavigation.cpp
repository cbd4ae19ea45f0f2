#include "widgets/PlotNavigation.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QMouseEvent>
#include <QTimer>

#include "widgets/QCustomPlotInclude.h"

namespace roundlab::widgets {

namespace {

// Per plot: the ranges before the user's first drag or zoom, and whether a range change now comes
// from the user (between a press and its release, or inside a wheel step).
struct Navigation : QObject {
  using QObject::QObject;
  QList<QPair<QCPAxis*, QCPRange>> home;
  bool moved = false, interacting = false;
};

// Found by name: without Q_OBJECT of its own, findChild<Navigation*> would match any QObject.
Navigation* navigation(QCustomPlot* plot) {
  return static_cast<Navigation*>(plot->findChild<QObject*>("plotNavigation", Qt::FindDirectChildrenOnly));
}

QList<QCPAxis*> plotAxes(QCustomPlot* plot) {
  QList<QCPAxis*> axes;
  for (QCPAxisRect* rect : plot->axisRects()) axes << rect->axes();
  return axes;
}

void userStarts(QCustomPlot* plot, Navigation* nav) {
  nav->interacting = true;
  if (nav->moved) return;
  nav->home.clear();
  for (QCPAxis* axis : plotAxes(plot)) nav->home.append({axis, axis->range()});
}

}  // namespace

void enablePlotNavigation(QCustomPlot* plot) {
  if (navigation(plot)) return;
  auto* nav = new Navigation(plot);
  nav->setObjectName("plotNavigation");
  // A left press starts a drag; a right press opens the context menu, which takes its release.
  QObject::connect(plot, &QCustomPlot::mousePress, nav, [plot, nav](QMouseEvent* event) {
    if (event->button() == Qt::LeftButton) userStarts(plot, nav);
  });
  QObject::connect(plot, &QCustomPlot::mouseRelease, nav, [nav] { nav->interacting = false; });
  QObject::connect(plot, &QCustomPlot::mouseWheel, nav, [plot, nav] {
    userStarts(plot, nav);
    QTimer::singleShot(0, nav, [nav] { nav->interacting = false; });  // the zoom follows this signal
  });
  QObject::connect(plot, &QCustomPlot::mouseDoubleClick, nav, [plot] { resetPlotZoom(plot); });
  // Every range change: the user's marks the plot moved; the view's (new data) is the new home.
  for (QCPAxis* axis : plotAxes(plot))
    QObject::connect(axis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), nav,
                     [nav] { nav->moved = nav->interacting; });
  auto* reset = new QAction("Reset zoom (double-click)", plot);
  QObject::connect(reset, &QAction::triggered, plot, [plot] { resetPlotZoom(plot); });
  auto* copy = new QAction("Copy plot", plot);
  QObject::connect(copy, &QAction::triggered, plot, [plot] { copyPlot(plot); });
  plot->setContextMenuPolicy(Qt::ActionsContextMenu);
  plot->addAction(reset);
  plot->addAction(copy);
}

bool resetPlotZoom(QCustomPlot* plot) {
  Navigation* nav = navigation(plot);
  if (!nav || !nav->moved) return false;
  nav->interacting = false;
  for (const auto& [axis, range] : nav->home)
    if (plotAxes(plot).contains(axis)) axis->setRange(range);
  nav->moved = false;
  plot->replot();
  return true;
}

void copyPlot(QCustomPlot* plot) {
  QApplication::clipboard()->setPixmap(plot->toPixmap(plot->width(), plot->height(), 2.0));
}

}  // namespace roundlab::widgets
