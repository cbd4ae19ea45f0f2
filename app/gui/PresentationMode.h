#pragma once
// View ▸ Presentation mode: the workbench readable from the back of a room. Every text — the
// window's and every plot's title, axis labels, tick labels and legend — grows by a chosen
// factor (1.25–2×), the docks a talk does not need (properties, log) hide, and an optional
// high-contrast palette replaces the colours; leaving puts fonts, palette and docks back as they
// were.
#include <QByteArray>
#include <QFont>
#include <QObject>
#include <QPalette>
#include <QStringList>

class QMainWindow;

namespace roundlab::app {

class PresentationMode : public QObject {
  Q_OBJECT
 public:
  explicit PresentationMode(QMainWindow* window);
  ~PresentationMode() override;  // the application's font and palette back (the window is going)
  bool active() const { return active_; }
  bool highContrast() const { return active_ && paletteChanged_; }
  // `scale`: 1.25–2; `keepDocks`: the docks that stay as they are (the layer table, the lessons).
  void enter(double scale, bool highContrast, const QStringList& keepDocks);
  void leave();
  // Black on white, strong selection, for projectors that wash colours out.
  static QPalette highContrastPalette();

 Q_SIGNALS:
  void toggled(bool active);

 private:
  void refreshPlots();
  QMainWindow* window_;
  QByteArray state_;  // the docks before
  QFont font_;
  QPalette palette_;
  bool active_ = false, paletteChanged_ = false;
};

}  // namespace roundlab::app
