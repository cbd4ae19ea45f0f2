#pragma once
// The key to the layer table's row colours: a strip from the faintest to the strongest shade,
// labelled with the metric's smallest and largest ranks. Hidden while the rows are not coloured.
#include <QWidget>

namespace roundlab::widgets {

class ShadeLegend : public QWidget {
  Q_OBJECT
 public:
  explicit ShadeLegend(QWidget* parent = nullptr);
  // The metric the rows are coloured by ("flip rate"); empty hides the legend.
  void setMetric(const QString& metric);
  QString text() const { return text_; }
  QSize sizeHint() const override;
  QSize minimumSizeHint() const override;

 protected:
  void paintEvent(QPaintEvent* event) override;

 private:
  QString text_;
};

}  // namespace roundlab::widgets
