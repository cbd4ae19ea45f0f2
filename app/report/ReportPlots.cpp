#include "app/report/ReportPlots.h"

#include <QBuffer>
#include <QFont>
#include <QFontMetricsF>
#include <QPainter>
#include <QRegularExpression>
#include <QSvgGenerator>

#include <algorithm>
#include <cmath>
#include <functional>

namespace roundlab::report {

namespace {

constexpr double kMargin = 10, kTitleHeight = 28, kAxisHeight = 44, kLegendHeight = 24, kRowGap = 8;
constexpr int kTitlePixels = 14, kTextPixels = 11;

QFont chartFont(int pixels, bool bold = false) {
  QFont f("DejaVu Sans");
  f.setStyleHint(QFont::SansSerif);
  f.setPixelSize(pixels);
  f.setBold(bold);
  return f;
}

double barHeight(const BarChart& c) { return c.series.size() > 1 ? 9 : 14; }
double rowPitch(const BarChart& c) {
  return barHeight(c) * static_cast<double>(std::max<size_t>(1, c.series.size())) + kRowGap;
}
bool hasLegend(const BarChart& c) { return c.series.size() > 1 || !std::isnan(c.reference); }
double fixedHeight(const BarChart& c) {
  return 2 * kMargin + kTitleHeight + kAxisHeight + (hasLegend(c) ? kLegendHeight : 0);
}

// The value axis: its range and ticks, linear or log10.
struct Scale {
  double lo = 0, hi = 1;
  bool log = false;
  std::vector<double> ticks;
  double at(double v, double x0, double x1) const {
    const double t = log ? (std::log10(v) - lo) / (hi - lo) : (v - lo) / (hi - lo);
    return x0 + std::clamp(t, 0.0, 1.0) * (x1 - x0);
  }
  double origin(double x0, double x1) const { return log ? x0 : at(std::max(lo, 0.0), x0, x1); }
};

Scale scaleOf(const BarChart& c) {
  Scale s;
  s.log = c.logScale;
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  auto take = [&](double v) {
    if (!std::isfinite(v) || (s.log && v <= 0)) return;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  };
  for (const ChartSeries& series : c.series)
    for (double v : series.values) take(v);
  take(c.reference);
  if (s.log) {
    if (!std::isfinite(lo)) lo = 0.1, hi = 1;
    s.lo = std::floor(std::log10(lo));
    s.hi = std::max(s.lo + 1, std::ceil(std::log10(hi)));
    const int step = static_cast<int>(std::ceil((s.hi - s.lo) / 8));
    for (double e = s.lo; e <= s.hi + 1e-9; e += step) s.ticks.push_back(std::pow(10.0, e));
    return s;
  }
  if (!std::isfinite(lo)) lo = 0, hi = 1;
  if (c.dots) {  // the values' range with some room, not from 0 (dots need no baseline)
    const double pad = std::max(0.1 * (hi - lo), 0.5);
    lo = lo >= 0 ? std::max(0.0, lo - pad) : lo - pad;
    hi += pad;
  } else {
    lo = std::min(lo, 0.0);
  }
  hi = std::max(hi, lo + 1e-12);
  const double raw = (hi - lo) / 5, magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * magnitude >= raw) {
      step = m * magnitude;
      break;
    }
  s.lo = std::floor(lo / step) * step;
  s.hi = std::ceil(hi / step) * step;
  for (double t = s.lo; t <= s.hi + step * 1e-6; t += step) s.ticks.push_back(std::abs(t) < step * 1e-9 ? 0 : t);
  return s;
}

QString tickText(double v, bool log) {
  if (!log || (v >= 1e-3 && v <= 1e4)) return QString::number(v, 'g', 6);
  // 1e-05 -> 1e-5, 1e+06 -> 1e6
  static const QRegularExpression padded("e(-?)0+(\\d)");
  QString text = QString::number(v, 'e', 0);
  text.replace("e+", "e").replace(padded, "e\\1\\2");
  return text;
}

QString valueText(const BarChart& c, double v) {
  if (!std::isfinite(v)) return v > 0 ? QString("∞") : QString("n/a");
  return c.logScale ? QString::number(v, 'g', 3) : QString::number(v, 'f', c.valueDecimals);
}

}  // namespace

QColor seriesColor(int index) {
  static const QColor colors[] = {QColor("#4477aa"), QColor("#ee7733"), QColor("#228833"),
                                  QColor("#aa3377"), QColor("#66ccee"), QColor("#bbbbbb")};
  return colors[index % 6];
}

QSizeF chartSize(const BarChart& c) {
  return {kChartWidth, fixedHeight(c) + rowPitch(c) * static_cast<double>(std::max<qsizetype>(1, c.categories.size()))};
}

std::vector<BarChart> splitChart(const BarChart& c, double maxHeight) {
  const auto rows = static_cast<qsizetype>(std::max(1.0, std::floor((maxHeight - fixedHeight(c)) / rowPitch(c))));
  if (c.categories.size() <= rows) return {c};
  std::vector<BarChart> parts;
  const qsizetype count = (c.categories.size() + rows - 1) / rows;
  for (qsizetype part = 0; part < count; ++part) {
    BarChart p = c;
    const qsizetype first = part * rows, n = std::min(rows, c.categories.size() - first);
    p.title = QString("%1 (%2–%3 of %4)").arg(c.title).arg(first + 1).arg(first + n).arg(c.categories.size());
    p.categories = c.categories.mid(first, n);
    for (ChartSeries& s : p.series)
      s.values = std::vector<double>(s.values.begin() + first, s.values.begin() + first + n);
    parts.push_back(std::move(p));
  }
  return parts;
}

void drawChart(QPainter& p, const BarChart& c) {
  const QSizeF size = chartSize(c);
  p.save();
  p.setRenderHint(QPainter::Antialiasing);
  p.fillRect(QRectF(QPointF(0, 0), size), Qt::white);
  // Title.
  p.setFont(chartFont(kTitlePixels, true));
  p.setPen(QColor("#222222"));
  p.drawText(QRectF(kMargin, kMargin, size.width() - 2 * kMargin, kTitleHeight), Qt::AlignLeft | Qt::AlignTop, c.title);
  // The category labels' column: as wide as the longest label, at most 45 % of the chart.
  const QFont text = chartFont(kTextPixels);
  p.setFont(text);
  const QFontMetricsF fm(text, p.device());
  double labelWidth = 0;
  for (const QString& label : c.categories) labelWidth = std::max(labelWidth, fm.horizontalAdvance(label));
  labelWidth = std::min(labelWidth + 4, 0.45 * size.width());
  const double x0 = kMargin + labelWidth + 6, x1 = size.width() - kMargin - (c.valueLabels ? 46 : 14);
  const double y0 = kMargin + kTitleHeight;
  const double y1 = y0 + rowPitch(c) * static_cast<double>(std::max<qsizetype>(1, c.categories.size()));
  const Scale s = scaleOf(c);
  // Grid lines and tick labels.
  for (double t : s.ticks) {
    const double x = s.at(t, x0, x1);
    p.setPen(QPen(QColor("#dddddd"), 1));
    p.drawLine(QPointF(x, y0), QPointF(x, y1));
    p.setPen(QColor("#444444"));
    p.drawText(QRectF(x - 40, y1 + 4, 80, 16), Qt::AlignHCenter | Qt::AlignTop, tickText(t, s.log));
  }
  p.setPen(QPen(QColor("#444444"), 1));
  p.drawLine(QPointF(x0, y1), QPointF(x1, y1));
  p.drawLine(QPointF(x0, y0), QPointF(x0, y1));
  p.drawText(QRectF(x0, y1 + 22, x1 - x0, 18), Qt::AlignHCenter | Qt::AlignTop,
             c.axisLabel + (s.log ? QString(" (log scale)") : QString()));
  // Rows: the label, a bar per series.
  const double bar = barHeight(c);
  for (qsizetype row = 0; row < c.categories.size(); ++row) {
    const double top = y0 + rowPitch(c) * static_cast<double>(row) + kRowGap / 2;
    p.setPen(QColor("#222222"));
    p.drawText(QRectF(kMargin, top, labelWidth, bar * static_cast<double>(std::max<size_t>(1, c.series.size()))),
               Qt::AlignRight | Qt::AlignVCenter, fm.elidedText(c.categories[row], Qt::ElideMiddle, labelWidth));
    for (size_t k = 0; k < c.series.size(); ++k) {
      const double v = static_cast<size_t>(row) < c.series[k].values.size() ? c.series[k].values[row] : std::nan("");
      const double y = top + bar * static_cast<double>(k);
      const bool drawable = std::isfinite(v) && !(s.log && v <= 0);
      const double base = s.origin(x0, x1);
      double end = base;
      if (drawable && c.dots) {
        end = s.at(v, x0, x1);
        p.setPen(QPen(QColor("#bbbbbb"), 1, Qt::DotLine));
        p.drawLine(QPointF(x0, y + bar / 2), QPointF(end, y + bar / 2));
        p.setPen(Qt::NoPen);
        p.setBrush(c.series[k].color);
        p.drawEllipse(QPointF(end, y + bar / 2), 4.5, 4.5);
        p.setBrush(Qt::NoBrush);
        end += 5;
      } else if (drawable) {
        end = s.at(v, x0, x1);
        p.fillRect(QRectF(QPointF(std::min(base, end), y + 1), QPointF(std::max(base, end), y + bar - 1)),
                   c.series[k].color);
      }
      if (c.valueLabels || !drawable) {
        p.setPen(drawable ? QColor("#222222") : QColor("#777777"));
        const QString label = drawable || !std::isfinite(v) ? valueText(c, v) : QString::number(v, 'g', 3);
        p.drawText(QRectF(std::max(base, end) + 3, y, 60, bar), Qt::AlignLeft | Qt::AlignVCenter, label);
      }
    }
  }
  // The reference line.
  if (!std::isnan(c.reference) && (!s.log || c.reference > 0)) {
    const double x = s.at(c.reference, x0, x1);
    p.setPen(QPen(QColor("#cc3311"), 1.5, Qt::DashLine));
    p.drawLine(QPointF(x, y0), QPointF(x, y1));
  }
  // The legend, under the axis.
  if (hasLegend(c)) {
    double x = x0;
    const double y = y1 + kAxisHeight;
    auto item = [&](const QString& name, const std::function<void(double, double)>& swatch) {
      swatch(x, y);
      p.setPen(QColor("#222222"));
      const double w = fm.horizontalAdvance(name);
      p.drawText(QRectF(x + 18, y, w + 4, 14), Qt::AlignLeft | Qt::AlignVCenter, name);
      x += 18 + w + 18;
    };
    for (const ChartSeries& series : c.series)
      item(series.name, [&](double sx, double sy) { p.fillRect(QRectF(sx, sy + 2, 12, 10), series.color); });
    if (!std::isnan(c.reference))
      item(c.referenceLabel, [&](double sx, double sy) {
        p.setPen(QPen(QColor("#cc3311"), 1.5, Qt::DashLine));
        p.drawLine(QPointF(sx, sy + 7), QPointF(sx + 14, sy + 7));
      });
  }
  p.restore();
}

QString chartSvg(const BarChart& c) {
  const QSizeF size = chartSize(c);
  QBuffer buffer;
  buffer.open(QIODevice::WriteOnly);
  QSvgGenerator svg;
  svg.setOutputDevice(&buffer);
  svg.setResolution(96);  // document pixels, as in the PDF
  svg.setSize(size.toSize());
  svg.setViewBox(QRectF(QPointF(0, 0), size));
  svg.setTitle(c.title);
  svg.setDescription("RoundLab report plot");
  QPainter painter(&svg);
  drawChart(painter, c);
  painter.end();
  QString out = QString::fromUtf8(buffer.data());
  // Inline in the page: from the <svg> element on, sized by its view box so it scales with the page.
  out = out.mid(out.indexOf("<svg"));
  // Browsers without DejaVu Sans fall back to another sans-serif face, not to their serif default.
  out.replace("font-family=\"DejaVu Sans\"", "font-family=\"DejaVu Sans, Verdana, Arial, sans-serif\"");
  static const QRegularExpression root("<svg[^>]*>");
  const QString open = QString(
                           "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" "
                           "version=\"1.2\" baseProfile=\"tiny\" class=\"plot\" role=\"img\" width=\"%1\" "
                           "height=\"%2\" viewBox=\"0 0 %1 %2\">")
                           .arg(size.width())
                           .arg(size.height());
  out.replace(root.match(out).capturedStart(), root.match(out).capturedLength(), open);
  return out.trimmed();
}

}  // namespace roundlab::report
