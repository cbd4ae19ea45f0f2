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
    for (int c = 0; c < model->columnCount(); ++c) row << csvField(model->index(r, c).data().toString());
    f.write((row.join(',') + "\r\n").toUtf8());
  }
  if (!f.commit()) {
    if (error) *error = f.errorString();
    return false;
  }
  return true;
}

void addCsvExportMenu(QAbstractItemView* view) {
  view->setContextMenuPolicy(Qt::ActionsContextMenu);
  auto* action = new QAction("Export table as CSV…", view);
  QObject::connect(action, &QAction::triggered, view, [view] {
    const QString path = QFileDialog::getSaveFileName(view, "Export table", "table.csv", "CSV (*.csv)");
    QString error;
    if (!path.isEmpty() && !saveTableCsv(view->model(), path, &error)) reportFailure(view, "table", error);
  });
  view->addAction(action);
}

void addPlotExportMenu(QCustomPlot* plot) {
  plot->setContextMenuPolicy(Qt::ActionsContextMenu);
  auto* action = new QAction("Save plot as PNG / SVG / PDF…", plot);
  QObject::connect(action, &QAction::triggered, plot, [plot] {
    const QString path =
        QFileDialog::getSaveFileName(plot, "Save plot", "plot.png", "PNG (*.png);;SVG (*.svg);;PDF (*.pdf)");
    QString error;
    if (!path.isEmpty() && !savePlot(plot, path, &error)) reportFailure(plot, "plot", error);
  });
  plot->addAction(action);
}

}  // namespace roundlab::widgets
