#include "widgets/PlotStyle.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <QApplication>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QPalette>
#include <QSaveFile>
#include <QSvgGenerator>

#include "widgets/PlotNavigation.h"
#include "widgets/QCustomPlotInclude.h"
#include "widgets/TableExport.h"

namespace roundlab::widgets {

namespace {

// Every axis of a plot: those of its axis rects and those of its colour scales (heat maps).
std::vector<QCPAxis*> allAxes(const QCustomPlot* plot) {
  std::vector<QCPAxis*> axes;
  for (QCPAxisRect* rect : plot->axisRects())
    for (QCPAxis* axis : rect->axes()) axes.push_back(axis);
  for (QCPLayoutElement* e : plot->plotLayout()->elements(true))
    if (auto* scale = qobject_cast<QCPColorScale*>(e)) axes.push_back(scale->axis());
  return axes;
}

QCPTextElement* titleElement(const QCustomPlot* plot) {
  return plot->plotLayout()->rowCount() > 0 ? qobject_cast<QCPTextElement*>(plot->plotLayout()->element(0, 0))
                                            : nullptr;
}

// The title broken into lines at spaces (a word longer than a line at any character) so that no
// line is wider than `width` pixels: a text element's minimum width is its widest line, and a
// title wider than the plot is cut at both edges.
QString wrapTitle(const QString& title, const QFontMetrics& metrics, int width) {
  QStringList lines;
  QString line;
  for (const QString& word : title.split(' ')) {
    const QString candidate = line.isEmpty() ? word : line + ' ' + word;
    if (line.isEmpty() || metrics.horizontalAdvance(candidate) <= width) {
      line = candidate;
      continue;
    }
    lines << line;
    line = word;
  }
  lines << line;
  QStringList fitted;
  for (QString l : lines) {
    while (l.size() > 1 && metrics.horizontalAdvance(l) > width) {
      int n = static_cast<int>(l.size()) - 1;
      while (n > 1 && metrics.horizontalAdvance(l.left(n)) > width) --n;
      fitted << l.left(n);
      l = l.mid(n);
    }
    fitted << l;
  }
  return fitted.join('\n');
}

// The width the title's column has: the plot's, less the columns beside it (a colour scale).
int titleWidth(const QCustomPlot* plot) {
  QCPLayoutGrid* layout = plot->plotLayout();  // hasElement is not const
  int beside = 0;
  for (int c = 1; c < layout->columnCount(); ++c)
    for (int r = 0; r < layout->rowCount(); ++r)
      if (layout->hasElement(r, c)) beside = std::max(beside, layout->element(r, c)->outerRect().width());
  return std::max(plot->width() - beside - 24, 120);
}

}  // namespace

void setPlotTitle(QCustomPlot* plot, const QString& title) {
  plot->setProperty("plotTitle", title);  // the whole title; the element shows it wrapped
  if (QCPTextElement* t = titleElement(plot)) t->setText(wrapTitle(title, QFontMetrics(t->font()), titleWidth(plot)));
}

QString plotTitle(const QCustomPlot* plot) { return plot->property("plotTitle").toString(); }

namespace {

bool hasData(QCustomPlot* plot) {
  for (int i = 0; i < plot->plottableCount(); ++i) {
    QCPPlottableInterface1D* data = plot->plottable(i)->interface1D();
    if (!data || data->dataCount() > 0) return true;  // a colour map has no 1-D interface: it holds data
  }
  return false;
}

// A legend in a row of its own under the axes, never over the data; out of the layout (no empty
// row, no empty box) while it has no entries.
void placeLegendBelow(QCustomPlot* plot) {
  QCPLegend* legend = plot->legend;
  QCPLayoutGrid* layout = plot->plotLayout();
  const bool inLayout =
      layout->hasElement(layout->rowCount() - 1, 0) && layout->element(layout->rowCount() - 1, 0) == legend;
  const bool filled = legend->itemCount() > 0;
  if (!plot->property("legendTakenOut").toBool()) {
    // First call: out of the axis rect's inset layout, where QCustomPlot puts it.
    plot->setProperty("legendTakenOut", true);
    if (QCPLayoutInset* inset = plot->axisRect()->insetLayout(); inset->take(legend)) inset->simplify();
    legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
    legend->setBorderPen(Qt::NoPen);
  }
  if (filled) {
    // As many entries side by side as fit the plot's width, the rest on further rows: an entry is
    // never cut to fit a column.
    // itemCount() counts the grid's cells, and a wrapped grid has empty ones: skip them.
    int widest = 1, entries = 0;
    for (int i = 0; i < legend->itemCount(); ++i)
      if (QCPLayoutElement* entry = legend->item(i)) {
        ++entries;
        widest = std::max(widest, entry->minimumOuterSizeHint().width());
      }
    const int columns = std::clamp((plot->width() - 16) / (widest + legend->columnSpacing()), 1, std::max(entries, 1));
    if (legend->wrap() != columns) {
      legend->setWrap(columns);
      legend->setFillOrder(QCPLayoutGrid::foColumnsFirst, true);  // re-flow the entries
    }
  }
  if (filled && !inLayout) {
    layout->insertRow(layout->rowCount());
    layout->addElement(layout->rowCount() - 1, 0, legend);
    layout->setRowStretchFactor(layout->rowCount() - 1, 0.001);
  } else if (!filled && inLayout) {
    layout->take(legend);
    layout->simplify();
  }
  legend->setVisible(filled);
}

// Before every replot: the hint over an empty plot, the legend only with entries. A label, not a
// plot item, so that the views' clearItems() never removes it.
double lineScale = 1.0;

// `pen` at the line scale. The width the view gave it is kept in `owner`'s properties: a pen the
// view sets anew (its width differs from the one last scaled here) becomes the new base.
QPen scaledPen(QObject* owner, QPen pen) {
  const bool ours =
      owner->property("basePenWidth").isValid() && pen.widthF() == owner->property("scaledPenWidth").toDouble();
  const double base = ours ? owner->property("basePenWidth").toDouble() : pen.widthF();
  owner->setProperty("basePenWidth", base);
  // Unscaled, the view's own width (0: a cosmetic one-pixel pen) comes back exactly.
  pen.setWidthF(lineScale == 1.0 ? base : std::max(base, 1.0) * lineScale);
  owner->setProperty("scaledPenWidth", pen.widthF());
  return pen;
}

void scaleLines(QCustomPlot* plot) {
  if (lineScale == 1.0 && !plot->property("linesScaled").toBool()) return;  // never scaled: as drawn
  plot->setProperty("linesScaled", lineScale != 1.0);
  for (int i = 0; i < plot->plottableCount(); ++i) {
    QCPAbstractPlottable* p = plot->plottable(i);
    if (p->pen().style() != Qt::NoPen) p->setPen(scaledPen(p, p->pen()));
    if (auto* g = qobject_cast<QCPGraph*>(p); g && g->scatterStyle().shape() != QCPScatterStyle::ssNone) {
      QCPScatterStyle style = g->scatterStyle();
      if (!g->property("baseScatterSize").isValid() || style.size() != g->property("scaledScatterSize").toDouble())
        g->setProperty("baseScatterSize", style.size());
      style.setSize(g->property("baseScatterSize").toDouble() * lineScale);
      g->setProperty("scaledScatterSize", style.size());
      g->setScatterStyle(style);
    }
  }
  for (int i = 0; i < plot->itemCount(); ++i) {
    if (auto* line = qobject_cast<QCPItemStraightLine*>(plot->item(i))) line->setPen(scaledPen(line, line->pen()));
    if (auto* line = qobject_cast<QCPItemLine*>(plot->item(i))) line->setPen(scaledPen(line, line->pen()));
  }
}

void followContent(QCustomPlot* plot) {
  scaleLines(plot);
  if (auto* hint = plot->findChild<QLabel*>("emptyPlotHint", Qt::FindDirectChildrenOnly)) {
    const bool empty = !hasData(plot);
    hint->setVisible(empty && !hint->text().isEmpty());
    if (empty) {
      // Over the axes when it fits there; else over the whole (small, or scaled-up) plot, on the
      // plot's background, its text smaller until it fits: never cut.
      QRect area = plot->axisRect()->rect().adjusted(8, 8, -8, -8);
      QFont font = plotFont(2);
      hint->setFont(font);
      const bool whole = hint->heightForWidth(area.width()) > area.height();
      if (whole) area = plot->rect().adjusted(4, 4, -4, -4);
      while (hint->heightForWidth(area.width()) > area.height() && font.pointSizeF() > 6) {
        font.setPointSizeF(font.pointSizeF() * 0.9);
        hint->setFont(font);
      }
      hint->setBackgroundRole(QPalette::Base);  // the plot's own background (applyPalette)
      hint->setAutoFillBackground(whole);
      hint->setGeometry(area);
    }
  }
  if (plot->legend && plot->property("legendWhenFilled").toBool()) placeLegendBelow(plot);
  // The title re-wrapped at the plot's current width.
  if (QCPTextElement* t = titleElement(plot)) {
    const QString wrapped = wrapTitle(plotTitle(plot), QFontMetrics(t->font()), titleWidth(plot));
    if (wrapped != t->text()) t->setText(wrapped);
  }
}

// One connection per plot, however many of the helpers below ask for it.
void followContentOnReplot(QCustomPlot* plot) {
  if (plot->property("followsContent").toBool()) return;
  plot->setProperty("followsContent", true);
  QObject::connect(plot, &QCustomPlot::beforeReplot, plot, [plot] { followContent(plot); });
}

}  // namespace

namespace {
double fontScale = 1.0;
}

void setPlotLineScale(double scale) { lineScale = std::clamp(scale, 0.5, 3.0); }
double plotLineScale() { return lineScale; }

void setPlotFontScale(double scale) { fontScale = std::clamp(scale, 0.5, 3.0); }
double plotFontScale() { return fontScale; }

QFont plotFont(int step, bool bold) {
  QFont f = QApplication::font();
  const double base = f.pointSizeF() > 0 ? f.pointSizeF() : 9.0;
  f.setPointSizeF((base + step) * fontScale);
  f.setBold(bold);
  return f;
}

void applyPlotFonts(QCustomPlot* plot) {
  for (QCPAxis* axis : allAxes(plot)) {
    axis->setTickLabelFont(plotFont(0));
    axis->setLabelFont(plotFont(2));
  }
  if (plot->legend) {
    plot->legend->setFont(plotFont(0));
    for (int i = 0; i < plot->legend->itemCount(); ++i)
      if (QCPAbstractLegendItem* item = plot->legend->item(i)) item->setFont(plotFont(0));
  }
  if (QCPTextElement* t = titleElement(plot)) t->setFont(plotFont(3, true));
  followContent(plot);  // the title re-wraps at its new size
}

void stylePlot(QCustomPlot* plot, const QString& xLabel, const QString& yLabel) {
  plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  plot->xAxis->setLabel(xLabel);
  plot->yAxis->setLabel(yLabel);
  plot->plotLayout()->insertRow(0);
  plot->plotLayout()->addElement(0, 0, new QCPTextElement(plot, "", plotFont(3, true)));
  applyPlotFonts(plot);
  applyPalette(plot);
  addPlotExportMenu(plot);  // every plot can be saved on its own
  enablePlotNavigation(plot);
  followContentOnReplot(plot);  // the title wraps to the plot's width
}

void setEmptyHint(QCustomPlot* plot, const QString& hint) {
  auto* label = plot->findChild<QLabel*>("emptyPlotHint", Qt::FindDirectChildrenOnly);
  if (!label) {
    label = new QLabel(plot);
    label->setObjectName("emptyPlotHint");
    label->setAlignment(Qt::AlignCenter);
    label->setWordWrap(true);
    label->setAttribute(Qt::WA_TransparentForMouseEvents);  // zoom and the context menu still work
    label->setFont(plotFont(2));
    followContentOnReplot(plot);
  }
  label->setText(hint);
  followContent(plot);
}

void showLegendWhenFilled(QCustomPlot* plot) {
  plot->setProperty("legendWhenFilled", true);
  followContentOnReplot(plot);
  followContent(plot);
}

void clearPlot(QCustomPlot* plot, const QString& title) {
  plot->clearPlottables();
  plot->clearItems();
  for (QCPAxisRect* rect : plot->axisRects())
    for (QCPAxis* axis : rect->axes())
      if (auto text = qSharedPointerDynamicCast<QCPAxisTickerText>(axis->ticker())) text->clear();
  setPlotTitle(plot, title);
  plot->replot();
}

void applyPalette(QCustomPlot* plot) {
  const QPalette p = QApplication::palette();
  const QColor text = p.color(QPalette::WindowText), base = p.color(QPalette::Base);
  plot->setBackground(base);
  QColor gridColor = text;
  gridColor.setAlpha(40);
  for (QCPAxis* a : allAxes(plot)) {
    a->setBasePen(QPen(text));
    a->setTickPen(QPen(text));
    a->setSubTickPen(QPen(text));
    a->setTickLabelColor(text);
    a->setLabelColor(text);
    a->grid()->setPen(QPen(gridColor, 0, Qt::DotLine));
  }
  if (auto* t = qobject_cast<QCPTextElement*>(plot->plotLayout()->element(0, 0))) t->setTextColor(text);
  if (plot->legend) {
    plot->legend->setBrush(base);
    plot->legend->setTextColor(text);
    plot->legend->setBorderPen(Qt::NoPen);  // it sits in a row of its own, under the axes
  }
}

namespace {

QCPBars* makeBars(QCPAxis* keyAxis, QCPAxis* valueAxis, const QString& name, const std::vector<double>& keys,
                  const std::vector<double>& values, double width, const QColor& color) {
  auto* bars = new QCPBars(keyAxis, valueAxis);
  bars->setName(name);
  bars->setData(QVector<double>(keys.begin(), keys.end()), QVector<double>(values.begin(), values.end()), true);
  bars->setWidth(width);
  bars->setPen(Qt::NoPen);
  bars->setBrush(color);
  return bars;
}

}  // namespace

QCPBars* addBars(QCustomPlot* plot, const QString& name, const std::vector<double>& x, const std::vector<double>& y,
                 double width, const QColor& color) {
  return makeBars(plot->xAxis, plot->yAxis, name, x, y, width, color);
}

void setNameTicks(QCPAxis* axis, const QStringList& names, double rotation) {
  QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
  for (int i = 0; i < names.size(); ++i) ticker->addTick(i, names[i]);
  axis->setTicker(ticker);
  axis->setTickLabelRotation(rotation);
}

QCPBars* addLayerBars(QCustomPlot* plot, const QString& name, const std::vector<double>& layer,
                      const std::vector<double>& value, double width, const QColor& color) {
  return makeBars(plot->yAxis, plot->xAxis, name, layer, value, width, color);  // layers down the left
}

void fitLayerBars(QCustomPlot* plot, const QStringList& layers, double valueLower) {
  // Layer names read horizontally down the left, in model order from the top: long names take
  // width, of which a view has plenty, rather than the height under slanted labels.
  setNameTicks(plot->yAxis, layers, 0);
  plot->yAxis->setRangeReversed(true);
  plot->rescaleAxes();
  plot->yAxis->setRange(-0.7, layers.size() - 0.3);
  plot->xAxis->setRangeLower(valueLower);
  addHeadroom(plot->xAxis);
}

void addHeadroom(QCPAxis* axis) {
  // The longest bar ends before the plot's edge: 8 % of the span, a third of a decade on a log axis.
  const QCPRange r = axis->range();
  if (axis->scaleType() == QCPAxis::stLogarithmic)
    axis->setRangeUpper(r.upper * std::pow(10.0, 0.35));
  else
    axis->setRangeUpper(r.upper + 0.08 * (r.upper - r.lower > 0 ? r.upper - r.lower : 1.0));
}

int defaultBins(size_t n) { return std::clamp(static_cast<int>(std::sqrt(static_cast<double>(n))), 10, 101); }

bool savePlot(QCustomPlot* plot, const QString& path, QString* error) {
  const QString suffix = QFileInfo(path).suffix().toLower();
  const int w = std::max(plot->width(), 640), h = std::max(plot->height(), 400);
  auto fail = [&](const QString& why) {
    if (error) *error = why;
    return false;
  };
  if (suffix == "pdf") {
    // QCustomPlot writes PDFs by path: write beside the target, then rename(2) over it, which
    // replaces an existing file atomically.
    const QString tmp = path + ".part";
    if (!plot->savePdf(tmp, w, h)) return fail("could not write " + tmp);
    if (std::rename(QFile::encodeName(tmp).constData(), QFile::encodeName(path).constData()) != 0) {
      QFile::remove(tmp);
      return fail("could not move the PDF to " + path);
    }
    return true;
  }
  QSaveFile f(path);
  if (!f.open(QIODevice::WriteOnly)) return fail(f.errorString());
  if (suffix == "svg") {
    QSvgGenerator svg;
    svg.setOutputDevice(&f);
    svg.setSize(QSize(w, h));
    svg.setViewBox(QRect(0, 0, w, h));
    svg.setTitle("RoundLab plot");
    QCPPainter painter;
    painter.begin(&svg);
    plot->toPainter(&painter, w, h);
    painter.end();
  } else if (!plot->toPixmap(w, h, 2.0).save(&f, "PNG")) {
    return fail("could not encode the PNG");
  }
  if (!f.commit()) return fail(f.errorString());
  return true;
}

QColor fpColor() { return {52, 101, 164}; }
QColor quantizedColor() { return {245, 121, 0}; }
QColor upColor() { return {204, 0, 0}; }
QColor downColor() { return {32, 74, 135}; }

}  // namespace roundlab::widgets
