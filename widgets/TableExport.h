#pragma once
// Any table or plot of the workbench, saved from its context menu: a table as CSV (what it
// shows, in its current order, with its header), a plot as PNG, SVG or PDF.
#include <QString>

class QAbstractItemModel;
class QAbstractItemView;
class QCustomPlot;

namespace roundlab::widgets {

// Writes the model's DisplayRole text as RFC 4180 CSV (fields with commas, quotes or line
// breaks quoted), header row first, atomically. False, with the reason, when it cannot.
bool saveTableCsv(const QAbstractItemModel* model, const QString& path, QString* error = nullptr);

// Adds "Export table as CSV…" to the view's context menu.
void addCsvExportMenu(QAbstractItemView* view);
// Adds "Save plot as PNG / SVG / PDF…" to the plot's context menu.
void addPlotExportMenu(QCustomPlot* plot);

}  // namespace roundlab::widgets
