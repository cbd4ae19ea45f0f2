#pragma once
// What a user does with a plot beyond looking at it: zoom back to where the view put the axes
// (double-click, the context menu, View ▸ Reset plot zoom) and copy it to the clipboard.
class QCustomPlot;

namespace roundlab::widgets {

// Remembers the axes' ranges as the view sets them, so that a drag or wheel zoom can be undone;
// double-click resets. Adds "Reset zoom" and "Copy plot" to the context menu.
void enablePlotNavigation(QCustomPlot* plot);
// Back to the ranges the view last set; false when the user had not zoomed or dragged.
bool resetPlotZoom(QCustomPlot* plot);
// The plot as an image on the clipboard, at twice the on-screen resolution (for slides).
void copyPlot(QCustomPlot* plot);

}  // namespace roundlab::widgets
