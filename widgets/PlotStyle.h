#pragma once
// Shared look of RoundLab's plots: fonts large enough to project, a title element, and colours
// that follow the application palette (light or dark).
#include <QColor>
#include <QFont>
#include <QString>
#include <QStringList>

#include <vector>

class QCPAxis;
class QCPBars;
class QCustomPlot;

namespace roundlab::widgets {

// The size of every plot's text relative to the application's font (0.5–3; 1.5 or 2 to project):
// plots styled later take it at once, existing ones with applyPlotFonts.
void setPlotFontScale(double scale);
double plotFontScale();
// The width of every plot's lines and the size of its markers relative to how the views draw
// them (presentation mode: 1.25–2), applied before each replot, so it holds for data drawn later.
void setPlotLineScale(double scale);
double plotLineScale();
// A plot text `step` points above the application's font, at the plot font scale.
QFont plotFont(int step, bool bold = false);
// Tick labels, axis labels (one size up), legend, colour scales, title and empty hint at the scale.
void applyPlotFonts(QCustomPlot* plot);

// Axis labels two sizes up, a bold title row, drag and wheel zoom (double-click resets), a context
// menu that saves, copies and resets the plot.
void stylePlot(QCustomPlot* plot, const QString& xLabel, const QString& yLabel);
// The title, wrapped onto more lines whenever it is wider than the plot (never cut at the edges).
void setPlotTitle(QCustomPlot* plot, const QString& title);
QString plotTitle(const QCustomPlot* plot);  // the whole title, unwrapped; empty when the plot has none
// What an empty plot says to do ("Run a quantization (Ctrl+R) to see …"): shown over the axis
// rect while no plottable holds data, hidden as soon as one does.
void setEmptyHint(QCustomPlot* plot, const QString& hint);
// The legend sits in a row of its own under the axes (never over the data) and only while it
// has entries (no empty legend box over an empty plot).
void showLegendWhenFilled(QCustomPlot* plot);
// Back to empty: no plottables, items or text ticks (a previous model's layer names), `title`.
void clearPlot(QCustomPlot* plot, const QString& title);
// Background, axes, grid and text from the current palette; call again when it changes.
void applyPalette(QCustomPlot* plot);

// A bar series: no outline, one colour, the given bar width (data sorted by x).
QCPBars* addBars(QCustomPlot* plot, const QString& name, const std::vector<double>& x, const std::vector<double>& y,
                 double width, const QColor& color);
// Names as an axis's tick labels at 0, 1, 2, …
void setNameTicks(QCPAxis* axis, const QStringList& names, double rotation = 0);
// A per-layer bar series: horizontal bars, layer index `layer` on the left axis (yAxis), the
// values along the bottom one (xAxis).
QCPBars* addLayerBars(QCustomPlot* plot, const QString& name, const std::vector<double>& layer,
                      const std::vector<double>& value, double width, const QColor& color);
// The axes of a per-layer bar chart (addLayerBars): layer names down the left in model order,
// the values along the bottom fitted to the data from `valueLower`, with headroom.
void fitLayerBars(QCustomPlot* plot, const QStringList& layers, double valueLower);
// Room beyond the highest value of `axis`'s range, so that no bar touches the plot's edge.
void addHeadroom(QCPAxis* axis);
// Histogram bin count for n values: about sqrt(n), between 10 and 101.
int defaultBins(size_t n);

// Saves a plot as PNG (twice the on-screen resolution, for projection), SVG or PDF by the
// path's suffix, atomically (an existing file is replaced only by a complete one).
bool savePlot(QCustomPlot* plot, const QString& path, QString* error = nullptr);

// The views' fixed meanings: FP data, quantized data, rounded up, rounded down.
QColor fpColor();
QColor quantizedColor();
QColor upColor();
QColor downColor();

}  // namespace roundlab::widgets
