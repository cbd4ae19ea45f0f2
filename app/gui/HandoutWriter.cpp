#include "app/gui/HandoutWriter.h"

#include <QAbstractTextDocumentLayout>
#include <QBuffer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QPageSize>
#include <QPdfWriter>
#include <QPicture>
#include <QRegularExpression>
#include <QSaveFile>
#include <QSvgGenerator>
#include <QTextCursor>
#include <QTextDocument>
#include <QTextObjectInterface>

#include <functional>
#include <vector>

#include "widgets/PlotStyle.h"
#include "widgets/QCustomPlotInclude.h"

namespace roundlab::app {

namespace {

constexpr int kPlotWidth = 620, kPlotHeight = 340;  // document pixels: the width of an A4 text column
constexpr int kPlotObject = QTextFormat::UserObject + 1;
constexpr int kPlotIndex = QTextFormat::UserProperty + 1;

// A plot in the PDF: its painter commands recorded once, played back on the PDF's painter, so
// the plot stays vector graphics at any zoom.
class PlotObject : public QObject, public QTextObjectInterface {
  Q_OBJECT
  Q_INTERFACES(QTextObjectInterface)
 public:
  using QObject::QObject;
  // The plot's index in the format (formats compare by value: a picture there would merge them).
  int add(QPicture picture) {
    pictures_.push_back(std::move(picture));
    return static_cast<int>(pictures_.size()) - 1;
  }
  QSizeF intrinsicSize(QTextDocument*, int, const QTextFormat&) override { return QSizeF(kPlotWidth, kPlotHeight); }
  void drawObject(QPainter* painter, const QRectF& rect, QTextDocument*, int, const QTextFormat& format) override {
    painter->save();
    painter->translate(rect.topLeft());
    painter->scale(rect.width() / kPlotWidth, rect.height() / kPlotHeight);
    pictures_[format.property(kPlotIndex).toInt()].play(painter);
    painter->restore();
  }

 private:
  std::vector<QPicture> pictures_;
};

// The plot laid out at the handout's size while `draw` paints it: its title wrapped and its legend
// flowed for that width, not for the size its view has now (a hidden view's plots never had one).
template <typename Draw>
void atHandoutSize(QCustomPlot* plot, Draw draw) {
  const QSize size = plot->size();
  plot->resize(kPlotWidth, kPlotHeight);
  widgets::setPlotTitle(plot, widgets::plotTitle(plot));
  draw();
  plot->resize(size);
  widgets::setPlotTitle(plot, widgets::plotTitle(plot));
}

QPicture record(QCustomPlot* plot) {
  QPicture picture;
  atHandoutSize(plot, [&] {
    QCPPainter painter(&picture);
    plot->toPainter(&painter, kPlotWidth, kPlotHeight);
    painter.end();
  });
  return picture;
}

QString svgOf(QCustomPlot* plot) {
  QBuffer buffer;
  buffer.open(QIODevice::WriteOnly);
  QSvgGenerator svg;
  svg.setOutputDevice(&buffer);
  svg.setResolution(plot->logicalDpiX());  // text at the size it has on screen (the default is 72 dpi)
  svg.setSize(QSize(kPlotWidth, kPlotHeight));
  svg.setViewBox(QRect(0, 0, kPlotWidth, kPlotHeight));
  atHandoutSize(plot, [&] {
    QCPPainter painter;
    painter.begin(&svg);
    plot->toPainter(&painter, kPlotWidth, kPlotHeight);
    painter.end();
  });
  return QString::fromLatin1(buffer.data().toBase64());
}

// The lesson's Markdown as an HTML fragment; figures as `figure(path)` says (a file URL for the
// PDF, embedded data for the HTML file).
QString markdownHtml(const HandoutSection& s, const std::function<QString(const QString&)>& figure) {
  QTextDocument md;
  md.setMarkdown(s.markdown);
  QString html = md.toHtml();
  const QRegularExpression body("<body[^>]*>(.*)</body>", QRegularExpression::DotMatchesEverythingOption);
  const QRegularExpressionMatch m = body.match(html);
  if (m.hasMatch()) html = m.captured(1);
  static const QRegularExpression image("<img src=\"([^\"]+)\"");
  QString out;
  qsizetype last = 0;
  for (auto it = image.globalMatch(html); it.hasNext();) {
    const QRegularExpressionMatch i = it.next();
    out += html.mid(last, i.capturedStart(1) - last) + figure(QDir(s.lessonDir).filePath(i.captured(1)));
    last = i.capturedEnd(1);
  }
  return out + html.mid(last);
}

QString exercisesHtml(const HandoutSection& s) {
  if (s.exercises.isEmpty()) return {};
  QString html = "<h3>Your answers</h3><table border='1' cellspacing='0' cellpadding='4'>";
  for (const auto& [question, answer] : s.exercises)
    html += "<tr><td>" + question.toHtmlEscaped() + "</td><td><b>" +
            (answer.isEmpty() ? QString("not answered yet") : answer.toHtmlEscaped() + " ✓") + "</b></td></tr>";
  return html + "</table>";
}

QString runsHtml(const Handout& h) {
  QString html = "<h2>Your runs</h2>";
  if (h.runRows.isEmpty()) return html + "<p>No run yet.</p>";
  html += "<table border='1' cellspacing='0' cellpadding='4'><tr>";
  for (const QString& c : h.runHeader) html += "<th>" + c.toHtmlEscaped() + "</th>";
  html += "</tr>";
  for (const QStringList& row : h.runRows) {
    html += "<tr>";
    for (const QString& c : row) html += "<td>" + c.toHtmlEscaped() + "</td>";
    html += "</tr>";
  }
  return html + "</table>";
}

QString dataUrl(const QString& path) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) return path;
  const QString type = path.endsWith(".svg") ? "image/svg+xml" : "image/" + QFileInfo(path).suffix();
  return "data:" + type + ";base64," + QString::fromLatin1(f.readAll().toBase64());
}

QByteArray htmlOf(const Handout& h) {
  QString html = "<!DOCTYPE html><html><head><meta charset='utf-8'><title>" + h.title.toHtmlEscaped() +
                 "</title><style>body{font-family:sans-serif;max-width:48em;margin:2em auto;line-height:1.45}"
                 "img{max-width:100%}table{border-collapse:collapse}</style></head><body>";
  html += "<h1>" + h.title.toHtmlEscaped() + "</h1><p>" + h.subtitle.toHtmlEscaped() + "</p>";
  for (int i = 0; i < h.sections.size(); ++i) {
    const HandoutSection& s = h.sections[i];
    html += QString("<section><h2>%1. %2</h2>").arg(i + 1).arg(s.title.toHtmlEscaped());
    html += markdownHtml(s, dataUrl) + exercisesHtml(s);
    for (QCustomPlot* plot : s.plots)
      html += "<p><img alt='plot' src='data:image/svg+xml;base64," + svgOf(plot) + "'></p>";
    html += "</section>";
  }
  html += runsHtml(h) + "</body></html>";
  return html.toUtf8();
}

void writePdf(const Handout& h, QIODevice* out) {
  QTextDocument doc;
  auto* plots = new PlotObject(&doc);
  doc.documentLayout()->registerHandler(kPlotObject, plots);
  QTextCursor c(&doc);
  c.insertHtml("<h1>" + h.title.toHtmlEscaped() + "</h1><p>" + h.subtitle.toHtmlEscaped() + "</p>");
  QTextBlockFormat newPage;
  newPage.setPageBreakPolicy(QTextFormat::PageBreak_AlwaysBefore);
  for (int i = 0; i < h.sections.size(); ++i) {
    const HandoutSection& s = h.sections[i];
    c.insertBlock(newPage);
    c.insertHtml(QString("<h2>%1. %2</h2>").arg(i + 1).arg(s.title.toHtmlEscaped()) +
                 markdownHtml(s, [](const QString& file) { return QUrl::fromLocalFile(file).toString(); }) +
                 exercisesHtml(s));
    for (QCustomPlot* plot : s.plots) {
      c.insertBlock(QTextBlockFormat());
      QTextCharFormat f;
      f.setObjectType(kPlotObject);
      f.setProperty(kPlotIndex, plots->add(record(plot)));
      c.insertText(QString(QChar::ObjectReplacementCharacter), f);
    }
  }
  c.insertBlock(newPage);
  c.insertHtml(runsHtml(h));
  {
    QPdfWriter writer(out);
    writer.setPageSize(QPageSize(QPageSize::A4));
    writer.setPageMargins(QMarginsF(18, 18, 18, 18), QPageLayout::Millimeter);
    // At 96 dpi the document's pixels are the writer's (the plots keep their size), and with its
    // page size set the document prints itself, with its plot handler, not a clone without it.
    writer.setResolution(96);
    writer.setTitle(h.title);
    writer.setCreator("RoundLab");
    doc.setPageSize(QSizeF(writer.width(), writer.height()));
    doc.print(&writer);
  }
}

}  // namespace

QString handoutHtmlPath(const QString& pdfPath) {
  const QFileInfo info(pdfPath);
  return info.dir().filePath(info.completeBaseName() + ".html");
}

bool writeHandout(const Handout& handout, const QString& pdfPath, QString* error) {
  // Both written to temporary files, renamed only when both are whole: a failed export leaves an
  // earlier handout as it was.
  QSaveFile pdf(pdfPath), html(handoutHtmlPath(pdfPath));
  for (QSaveFile* f : {&pdf, &html})
    if (!f->open(QIODevice::WriteOnly)) {
      *error = f->fileName() + ": " + f->errorString();
      return false;
    }
  writePdf(handout, &pdf);
  if (html.write(htmlOf(handout)) < 0 || pdf.error() != QFileDevice::NoError) {
    *error = (html.error() != QFileDevice::NoError ? html : pdf).fileName() + ": could not be written";
    return false;
  }
  for (QSaveFile* f : {&pdf, &html})
    if (!f->commit()) {
      *error = f->fileName() + ": " + f->errorString();
      return false;
    }
  return true;
}

}  // namespace roundlab::app

#include "HandoutWriter.moc"
