#include "app/gui/PresentationMode.h"

#include <QApplication>
#include <QDockWidget>
#include <QMainWindow>

#include <algorithm>

#include "widgets/PlotStyle.h"
#include "widgets/QCustomPlotInclude.h"

namespace roundlab::app {

PresentationMode::PresentationMode(QMainWindow* window) : QObject(window), window_(window) {}

PresentationMode::~PresentationMode() {
  if (!active_) return;
  QApplication::setFont(font_);
  widgets::setPlotLineScale(1.0);
  if (paletteChanged_) QApplication::setPalette(palette_);
}

QPalette PresentationMode::highContrastPalette() {
  QPalette p;
  for (QPalette::ColorRole role :
       {QPalette::Window, QPalette::Base, QPalette::AlternateBase, QPalette::Button, QPalette::ToolTipBase})
    p.setColor(role, Qt::white);
  for (QPalette::ColorRole role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText, QPalette::ToolTipText})
    p.setColor(role, Qt::black);
  p.setColor(QPalette::AlternateBase, QColor(235, 235, 235));
  p.setColor(QPalette::Highlight, QColor(0, 60, 180));
  p.setColor(QPalette::HighlightedText, Qt::white);
  p.setColor(QPalette::PlaceholderText, QColor(90, 90, 90));
  p.setColor(QPalette::Disabled, QPalette::Text, QColor(110, 110, 110));
  p.setColor(QPalette::Disabled, QPalette::WindowText, QColor(110, 110, 110));
  return p;
}

void PresentationMode::enter(double scale, bool highContrast, const QStringList& keepDocks) {
  if (active_) leave();
  active_ = true;
  state_ = window_->saveState();
  font_ = QApplication::font();
  palette_ = QApplication::palette();
  for (QDockWidget* dock : window_->findChildren<QDockWidget*>())
    if (!keepDocks.contains(dock->objectName())) dock->hide();
  QFont larger = font_;
  larger.setPointSizeF((font_.pointSizeF() > 0 ? font_.pointSizeF() : 9.0) * std::clamp(scale, 1.0, 2.5));
  QApplication::setFont(larger);
  widgets::setPlotLineScale(std::clamp(scale, 1.0, 2.5));
  paletteChanged_ = highContrast;
  if (highContrast) QApplication::setPalette(highContrastPalette());
  refreshPlots();
  Q_EMIT toggled(true);
}

void PresentationMode::leave() {
  if (!active_) return;
  active_ = false;
  QApplication::setFont(font_);
  widgets::setPlotLineScale(1.0);
  if (paletteChanged_) QApplication::setPalette(palette_);
  window_->restoreState(state_);
  refreshPlots();
  Q_EMIT toggled(false);
}

void PresentationMode::refreshPlots() {
  // Plot text follows the application's font (widgets::plotFont); the plots are told again.
  for (QCustomPlot* plot : window_->findChildren<QCustomPlot*>()) {
    widgets::applyPlotFonts(plot);
    plot->replot();
  }
}

}  // namespace roundlab::app
