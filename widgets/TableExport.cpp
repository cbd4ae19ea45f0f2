#include "widgets/TableExport.h"

#include <QAbstractItemModel>
#include <QAbstractItemView>
#include <QAction>
#include <QFileDialog>
#include <QMessageBox>
#include <QRegularExpression>
#include <QSaveFile>
#include <QStringList>

#include "widgets/PlotStyle.h"
#include "widgets/QCustomPlotInclude.h"

namespace roundlab::widgets {

namespace {

QString csvField(QString text) {
  if (!text.contains(QRegularExpression("[\",\r\n]"))) return text;
  return '"' + text.replace('"', "\"\"") + '"';
}

void reportFailure(QWidget* parent, const QString& what, const QString& error) {
  if (!qEnvironmentVariableIsSet("ROUNDLAB_NO_DIALOGS"))
    QMessageBox::warning(parent, "RoundLab", "Could not save the " + what + ": " + error);
}

// A right-click menu entry on `widget`.
template <typename Fn>
void addContextAction(QWidget* widget, const QString& text, Fn fn) {
  widget->setContextMenuPolicy(Qt::ActionsContextMenu);
  auto* action = new QAction(text, widget);
  QObject::connect(action, &QAction::triggered, widget, fn);
  widget->addAction(action);
}

}  // namespace

bool saveTableCsv(const QAbstractItemModel* model, const QString& path, QString* error) {
  QSaveFile f(path);  // atomic: an existing file is replaced only by a complete one
  if (!f.open(QIODevice::WriteOnly)) {
    if (error) *error = f.errorString();
    return false;
  }
  QStringList header;
  for (int c = 0; c < model->columnCount(); ++c) header << csvField(model->headerData(c, Qt::Horizontal).toString());
  f.write((header.join(',') + "\r\n").toUtf8());
  for (int r = 0; r < model->rowCount(); ++r) {
    QStringList row;
    for (int c = 0; c < model->columnCount(); ++c) {
      const QModelIndex i = model->index(r, c);
      const QVariant plain = i.data(CsvRole);
      if (!plain.isValid())
        row << csvField(i.data().toString());
      else if (plain.userType() == QMetaType::Double)
        row << QString::number(plain.toDouble(), 'g', 10);  // QString::number never uses the locale
      else
        row << csvField(plain.toString());
    }
    f.write((row.join(',') + "\r\n").toUtf8());
  }
  if (!f.commit()) {
    if (error) *error = f.errorString();
    return false;
  }
  return true;
}

bool saveTableAs(QAbstractItemView* view, QString* path, QString* error) {
  *path = QFileDialog::getSaveFileName(view, "Export table", "table.csv", "CSV (*.csv)");
  return path->isEmpty() || saveTableCsv(view->model(), *path, error);
}

bool savePlotAs(QCustomPlot* plot, QString* path, QString* error) {
  // Named after its title ("Importance per layer at 4 bits" → importance-per-layer-at-4-bits.png).
  QString name = plotTitle(plot).toLower().replace(QRegularExpression("[^a-z0-9]+"), "-");
  name = name.mid(0, 60).remove(QRegularExpression("^-+|-+$"));
  *path = QFileDialog::getSaveFileName(plot, "Save plot", (name.isEmpty() ? "plot" : name) + ".png",
                                       "PNG (*.png);;SVG (*.svg);;PDF (*.pdf)");
  return path->isEmpty() || savePlot(plot, *path, error);
}

void addCsvExportMenu(QAbstractItemView* view) {
  addContextAction(view, "Export table as CSV…", [view] {
    QString path, error;
    if (!saveTableAs(view, &path, &error)) reportFailure(view, "table", error);
  });
}

void addPlotExportMenu(QCustomPlot* plot) {
  addContextAction(plot, "Save plot as PNG / SVG / PDF…", [plot] {
    QString path, error;
    if (!savePlotAs(plot, &path, &error)) reportFailure(plot, "plot", error);
  });
}

}  // namespace roundlab::widgets
