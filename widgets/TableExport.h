#pragma once
// Any table or plot of the workbench, saved from its context menu: a table as CSV (what it
// shows, in its current order, with its header), a plot as PNG, SVG or PDF.
#include <QString>

class QAbstractItemModel;
class QAbstractItemView;
class QCustomPlot;

namespace roundlab::widgets {

// The plain value a CSV field holds where the view shows formatted text ("2,304", "—", "+1.5"):
// a number (written in the C locale, full precision) or an empty string for a missing value.
// Models answer it for such columns; other columns are written as displayed.
inline constexpr int CsvRole = 0x0100 + 64;  // Qt::UserRole + 64

// Writes the model's CsvRole value (else its DisplayRole text) as RFC 4180 CSV (fields with commas, quotes or line
// breaks quoted), header row first, atomically. False, with the reason, when it cannot.
bool saveTableCsv(const QAbstractItemModel* model, const QString& path, QString* error = nullptr);

// Ask for a path (a file dialog) and save there. False only when saving failed (with the reason);
// a cancelled dialog leaves `path` empty and returns true.
bool saveTableAs(QAbstractItemView* view, QString* path, QString* error);
bool savePlotAs(QCustomPlot* plot, QString* path, QString* error);

// Adds "Export table as CSV…" to the view's context menu.
void addCsvExportMenu(QAbstractItemView* view);
// Adds "Save plot as PNG / SVG / PDF…" to the plot's context menu.
void addPlotExportMenu(QCustomPlot* plot);

}  // namespace roundlab::widgets
