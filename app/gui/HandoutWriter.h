#pragma once
// File ▸ Export handout: the workshop's lessons with the attendee's own results — each lesson's
// text and figures, the attendee's answers, the plots of the views the lesson used, as drawn now,
// and the table of the attendee's runs — as a PDF (QPdfWriter through QTextDocument; plots as
// vector graphics) and, beside it, an HTML file (plots as embedded SVG). Both are written whole
// or not at all.
#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>

class QCustomPlot;

namespace roundlab::app {

struct HandoutSection {
  QString title;
  QString markdown;
  QString lessonDir;                         // figures resolve against it
  QList<QPair<QString, QString>> exercises;  // question, the attendee's answer (empty: none yet)
  QList<QCustomPlot*> plots;                 // drawn at the time of writing
};

struct Handout {
  QString title;
  QString subtitle;  // who, when, with what: "RoundLab 0.x · 1 December 2026 · fmnist_resnet.pt"
  QList<HandoutSection> sections;
  QStringList runHeader;
  QList<QStringList> runRows;
};

// Writes `pdfPath` and the same name with .html beside it. False with `error` on failure.
bool writeHandout(const Handout& handout, const QString& pdfPath, QString* error);
QString handoutHtmlPath(const QString& pdfPath);

}  // namespace roundlab::app
