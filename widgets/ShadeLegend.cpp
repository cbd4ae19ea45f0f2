#include "widgets/ShadeLegend.h"

#include <QLinearGradient>
#include <QPainter>

#include "widgets/LayerTableModel.h"

namespace roundlab::widgets {

namespace {
constexpr int kStrip = 90;  // pixels of the colour strip
}

ShadeLegend::ShadeLegend(QWidget* parent) : QWidget(parent) {
  setObjectName("shadeLegend");
  setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);
  hide();
}

void ShadeLegend::setMetric(const QString& metric) {
  text_ = metric.isEmpty() ? QString()
                           : QString("smallest %1 … largest (by rank; unshaded rows have no value)").arg(metric);
  setToolTip(text_);
  setVisible(!metric.isEmpty());
  updateGeometry();
  update();
}

QSize ShadeLegend::sizeHint() const {
  return {kStrip + 12 + fontMetrics().horizontalAdvance(text_), fontMetrics().height() + 6};
}

QSize ShadeLegend::minimumSizeHint() const { return {kStrip + 40, fontMetrics().height() + 6}; }

void ShadeLegend::paintEvent(QPaintEvent*) {
  QPainter p(this);
  const QRect strip(0, 3, kStrip, height() - 6);
  QLinearGradient g(strip.topLeft(), strip.topRight());
  g.setColorAt(0, LayerTableModel::shadeColor(0));
  g.setColorAt(1, LayerTableModel::shadeColor(1));
  p.fillRect(strip, palette().color(QPalette::Base));
  p.fillRect(strip, g);
  p.setPen(palette().color(QPalette::Mid));
  p.drawRect(strip.adjusted(0, 0, -1, -1));
  p.setPen(palette().color(QPalette::WindowText));
  const QRect textRect = rect().adjusted(kStrip + 8, 0, 0, 0);
  p.drawText(textRect, Qt::AlignVCenter | Qt::AlignLeft,
             fontMetrics().elidedText(text_, Qt::ElideRight, textRect.width()));
}

}  // namespace roundlab::widgets
