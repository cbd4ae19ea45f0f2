#pragma once
// Every text a window shows a user, gathered from its widgets: labels, group titles, combo box
// items, every cell and header of every item view, and in every plot its titles, axis labels,
// text ticks, plottable (legend) names and text items. GUI tests use it to look for content that
// should not be there (a previous model's layer names).
#include <QAbstractItemView>
#include <QComboBox>
#include <QGroupBox>
#include <QLabel>
#include <QStringList>
#include <QWidget>

#include "widgets/QCustomPlotInclude.h"

namespace roundlab::testing {

inline void itemTexts(const QAbstractItemModel* m, const QModelIndex& parent, QStringList& out) {
  for (int r = 0; r < m->rowCount(parent); ++r)
    for (int c = 0; c < m->columnCount(parent); ++c) {
      const QModelIndex i = m->index(r, c, parent);
      out << i.data().toString() << i.data(Qt::ToolTipRole).toString();
      if (c == 0) itemTexts(m, i, out);
    }
}

inline void plotTexts(QCustomPlot* p, QStringList& out) {
  for (QCPLayoutElement* e : p->plotLayout()->elements(true))
    if (auto* t = qobject_cast<QCPTextElement*>(e)) out << t->text();
  for (QCPAxisRect* rect : p->axisRects())
    for (QCPAxis* axis : rect->axes()) {
      out << axis->label();
      if (auto text = qSharedPointerDynamicCast<QCPAxisTickerText>(axis->ticker()))
        for (const QString& tick : text->ticks()) out << tick;
    }
  for (int i = 0; i < p->plottableCount(); ++i) out << p->plottable(i)->name();
  for (int i = 0; i < p->itemCount(); ++i)
    if (auto* t = qobject_cast<QCPItemText*>(p->item(i))) out << t->text();
}

// Where a widget sits, for messages: its class and the classes and names of its ancestors.
inline QString widgetPath(QWidget* w, QWidget* root) {
  QStringList path;
  for (QWidget* p = w; p && p != root; p = p->parentWidget())
    if (p == w || !p->objectName().isEmpty() || p->inherits("roundlab::widgets::WeightHistogramView") ||
        QString(p->metaObject()->className()).startsWith("roundlab::"))
      path.prepend(p->objectName().isEmpty() ? QString(p->metaObject()->className()) : p->objectName());
  return path.join('/');
}

// The texts of `root` and its descendants, except under widgets that `skip` accepts; each as
// "text" and, in `where`, the widget that shows it.
template <typename Skip>
QStringList viewTexts(QWidget* root, Skip skip, QStringList* where = nullptr) {
  QStringList out;
  for (QWidget* w : root->findChildren<QWidget*>()) {
    bool skipped = false;
    for (QWidget* p = w; p && p != root && !skipped; p = p->parentWidget()) skipped = skip(p);
    if (skipped) continue;
    if (auto* l = qobject_cast<QLabel*>(w)) out << l->text() << l->toolTip();
    if (auto* g = qobject_cast<QGroupBox*>(w)) out << g->title();
    if (auto* c = qobject_cast<QComboBox*>(w))
      for (int i = 0; i < c->count(); ++i) out << c->itemText(i);
    if (auto* v = qobject_cast<QAbstractItemView*>(w); v && v->model()) {
      itemTexts(v->model(), {}, out);
      for (int c = 0; c < v->model()->columnCount(); ++c) out << v->model()->headerData(c, Qt::Horizontal).toString();
    }
    if (auto* p = qobject_cast<QCustomPlot*>(w)) plotTexts(p, out);
    if (where)
      while (where->size() < out.size()) where->append(widgetPath(w, root));
  }
  for (qsizetype i = out.size() - 1; i >= 0; --i)
    if (out[i].isEmpty()) {
      out.removeAt(i);
      if (where) where->removeAt(i);
    }
  return out;
}

}  // namespace roundlab::testing
