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

#include "widgets/QCustomPlotInclude.h"
#include "widgets/TableExport.h"

namespace roundlab::widgets {

void stylePlot(QCustomPlot* plot, const QString& xLabel, const QString& yLabel) {
  plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  plot->xAxis->setLabel(xLabel);
  plot->yAxis->setLabel(yLabel);
  QFont f = plot->xAxis->labelFont();
  f.setPointSize(f.pointSize() + 2);
  plot->xAxis->setLabelFont(f);
  plot->yAxis->setLabelFont(f);
  plot->plotLayout()->insertRow(0);
  QFont title = plot->font();
  title.setPointSize(title.pointSize() + 3);
  title.setBold(true);
  plot->plotLayout()->addElement(0, 0, new QCPTextElement(plot, "", title));
  applyPalette(plot);
  addPlotExportMenu(plot);  // every plot can be saved on its own
}

void setPlotTitle(QCustomPlot* plot, const QString& title) {
  if (auto* t = qobject_cast<QCPTextElement*>(plot->plotLayout()->element(0, 0))) t->setText(title);
}

QString plotTitle(const QCustomPlot* plot) {
  auto* t = qobject_cast<QCPTextElement*>(plot->plotLayout()->element(0, 0));
  return t ? t->text() : QString();
}

namespace {

bool hasData(QCustomPlot* plot) {
  for (int i = 0; i < plot->plottableCount(); ++i) {
    QCPPlottableInterface1D* data = plot->plottable(i)->interface1D();
    if (!data || data->dataCount() > 0) return true;  // a colour map has no 1-D interface: it holds data
  }
  return false;
}

// Before every replot: the hint over an empty plot, the legend only with entries. A label, not a
// plot item, so that the views' clearItems() never removes it.
void followContent(QCustomPlot* plot) {
  if (auto* hint = plot->findChild<QLabel*>("emptyPlotHint", Qt::FindDirectChildrenOnly)) {
    const bool empty = !hasData(plot);
    hint->setVisible(empty && !hint->text().isEmpty());
    if (empty) hint->setGeometry(plot->axisRect()->rect().adjusted(8, 8, -8, -8));
  }
  if (plot->legend && plot->property("legendWhenFilled").toBool())
    plot->legend->setVisible(plot->legend->itemCount() > 0);
}

// One connection per plot, however many of the helpers below ask for it.
void followContentOnReplot(QCustomPlot* plot) {
  if (plot->property("followsContent").toBool()) return;
  plot->setProperty("followsContent", true);
  QObject::connect(plot, &QCustomPlot::beforeReplot, plot, [plot] { followContent(plot); });
}

}  // namespace

void setEmptyHint(QCustomPlot* plot, const QString& hint) {
  auto* label = plot->findChild<QLabel*>("emptyPlotHint", Qt::FindDirectChildrenOnly);
  if (!label) {
    label = new QLabel(plot);
    label->setObjectName("emptyPlotHint");
    label->setAlignment(Qt::AlignCenter);
    label->setWordWrap(true);
    label->setAttribute(Qt::WA_TransparentForMouseEvents);  // zoom and the context menu still work
    QFont f = label->font();
    f.setPointSize(f.pointSize() + 2);
    label->setFont(f);
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
  for (QCPAxis* a : {plot->xAxis, plot->yAxis, plot->xAxis2, plot->yAxis2}) {
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
    plot->legend->setBorderPen(QPen(gridColor));
  }
}

QCPBars* addBars(QCustomPlot* plot, const QString& name, const std::vector<double>& x, const std::vector<double>& y,
                 double width, const QColor& color) {
  auto* bars = new QCPBars(plot->xAxis, plot->yAxis);
  bars->setName(name);
  bars->setData(QVector<double>(x.begin(), x.end()), QVector<double>(y.begin(), y.end()), true);
  bars->setWidth(width);
  bars->setPen(Qt::NoPen);
  bars->setBrush(color);
  return bars;
}

void setNameTicks(QCPAxis* axis, const QStringList& names, double rotation) {
  QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
  for (int i = 0; i < names.size(); ++i) ticker->addTick(i, names[i]);
  axis->setTicker(ticker);
  axis->setTickLabelRotation(rotation);
}

void fitLayerBars(QCustomPlot* plot, const QStringList& layers, double yLower) {
  setNameTicks(plot->xAxis, layers, 60);
  plot->rescaleAxes();
  plot->xAxis->setRange(-0.7, layers.size() - 0.3);
  plot->yAxis->setRangeLower(yLower);
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
