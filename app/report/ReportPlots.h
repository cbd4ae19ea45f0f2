#pragma once
// The report's plots: horizontal bar charts (one row per layer, run or experiment cell, a bar per
// series), drawn with QPainter — onto QSvgGenerator for the HTML file (inline SVG) and onto the
// PDF's painter (vector graphics). Needs a QGuiApplication (fonts); no widgets.
#include <QColor>
#include <QSizeF>
#include <QString>
#include <QStringList>

#include <limits>
#include <vector>

class QPainter;

namespace roundlab::report {

struct ChartSeries {
  QString name;
  QColor color;
  std::vector<double> values;  // one per category; NaN: none
};

struct BarChart {
  QString title;
  QString axisLabel;       // the value axis, with its unit
  QStringList categories;  // one row each, top to bottom
  std::vector<ChartSeries> series;
  bool logScale = false;     // values <= 0 have no bar there and are labelled at the axis
  bool dots = false;         // a dot per value on an axis fitted to the values (accuracies), not bars from 0
  bool valueLabels = false;  // each bar's value at its end
  int valueDecimals = 2;     // of those labels
  double reference = std::numeric_limits<double>::quiet_NaN();  // a dashed vertical line (e.g. FP top-1)
  QString referenceLabel;
};

// Every chart is this wide (document pixels at 96 dpi: an A4 text column with 18 mm margins).
constexpr double kChartWidth = 640;

// The chart's size: kChartWidth wide, as tall as its rows need.
QSizeF chartSize(const BarChart& chart);
// Charts no taller than `maxHeight` (a PDF page), the rows split in order; the titles say which part.
std::vector<BarChart> splitChart(const BarChart& chart, double maxHeight);
// Draws the chart with its top left corner at the painter's origin, at chartSize().
void drawChart(QPainter& painter, const BarChart& chart);
// The chart as an SVG element for inline use in (X)HTML: no XML declaration, scales to its container.
QString chartSvg(const BarChart& chart);

// Colours of the report's series (colour-blind safe, print well).
QColor seriesColor(int index);

}  // namespace roundlab::report
