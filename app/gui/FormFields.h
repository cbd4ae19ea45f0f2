#pragma once
// Form fields of the Run view's settings, each created with its range and its tooltip.
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QSpinBox>

namespace roundlab::app::form {

inline QSpinBox* integer(int lo, int hi, int value, const QString& tip) {
  auto* s = new QSpinBox;
  s->setRange(lo, hi);
  s->setValue(value);
  s->setToolTip(tip);
  return s;
}

inline QDoubleSpinBox* number(double lo, double hi, int decimals, double step, const QString& tip) {
  auto* s = new QDoubleSpinBox;
  s->setRange(lo, hi);
  s->setDecimals(decimals);
  s->setSingleStep(step);
  s->setToolTip(tip);
  return s;
}

inline QComboBox* choice(const QStringList& items, const QString& tip) {
  auto* c = new QComboBox;
  c->addItems(items);
  c->setToolTip(tip);
  return c;
}

inline QCheckBox* check(const QString& text, const QString& tip) {
  auto* c = new QCheckBox(text);
  c->setToolTip(tip);
  return c;
}

}  // namespace roundlab::app::form
