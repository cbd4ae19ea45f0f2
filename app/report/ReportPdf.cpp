#include "app/report/ReportPdf.h"

#include <QAbstractTextDocumentLayout>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QTextCursor>
#include <QTextDocument>
#include <QTextObjectInterface>

#include "app/report/ReportMarkup.h"

namespace roundlab::report {

namespace {

constexpr int kChartObject = QTextFormat::UserObject + 2;
constexpr int kChartIndex = QTextFormat::UserProperty + 2;

// The PDF's style: QTextDocument's CSS subset, sizes in document pixels (96 dpi).
const char* const kStyle =
    "h1{font-size:22px}h2{font-size:17px;margin-top:18px}h3{font-size:14px;margin-top:12px}"
    "p.subtitle{color:#555555}table.data{font-size:10px;border-color:#bbbbbb}"
    "table.data th{background-color:#eef1f5}table.facts th{color:#444444;padding-right:12px}"
    "code{font-family:'DejaVu Sans Mono',monospace;font-size:10px}pre.cmd{background-color:#f4f6f8}";

// Plots in the text: each drawn on the PDF's painter when the document is printed.
class ChartObject : public QObject, public QTextObjectInterface {
  Q_OBJECT
  Q_INTERFACES(QTextObjectInterface)
 public:
  using QObject::QObject;
  int add(BarChart chart) {
    charts_.push_back(std::move(chart));
    return static_cast<int>(charts_.size()) - 1;
  }
  QSizeF intrinsicSize(QTextDocument*, int, const QTextFormat& format) override {
    return chartSize(charts_[static_cast<size_t>(format.property(kChartIndex).toInt())]);
  }
  void drawObject(QPainter* painter, const QRectF& rect, QTextDocument*, int, const QTextFormat& format) override {
    painter->save();
    painter->translate(rect.topLeft());
    drawChart(*painter, charts_[static_cast<size_t>(format.property(kChartIndex).toInt())]);
    painter->restore();
  }

 private:
  std::vector<BarChart> charts_;
};

}  // namespace

void writeReportPdf(const ReportDocument& d, QIODevice* out) {
  QPdfWriter writer(out);
  writer.setPageSize(QPageSize(QPageSize::A4));
  writer.setPageMargins(QMarginsF(18, 16, 18, 16), QPageLayout::Millimeter);
  // At 96 dpi the document's pixels are the writer's (plots and fonts keep their sizes), and with
  // its page size set the document prints itself, with its plot handler, not a clone without it.
  writer.setResolution(96);
  writer.setTitle(d.title);
  writer.setCreator("RoundLab");
  QTextDocument doc;
  QFont font("DejaVu Sans");
  font.setStyleHint(QFont::SansSerif);
  font.setPixelSize(12);
  doc.setDefaultFont(font);
  doc.setDefaultStyleSheet(kStyle);
  doc.setDocumentMargin(0);
  doc.setPageSize(QSizeF(writer.width(), writer.height()));
  auto* charts = new ChartObject(&doc);
  doc.documentLayout()->registerHandler(kChartObject, charts);
  QTextCursor c(&doc);
  c.insertHtml("<h1>" + esc(d.title) + "</h1><p class=\"subtitle\">" + esc(d.subtitle) + "</p>");
  for (const ReportBlock& b : d.blocks) {
    c.insertBlock(QTextBlockFormat());
    if (!b.chart) {
      c.insertHtml(b.html);
      continue;
    }
    const std::vector<BarChart> parts = splitChart(*b.chart, writer.height() - 40);
    for (size_t i = 0; i < parts.size(); ++i) {
      if (i > 0) c.insertBlock(QTextBlockFormat());
      QTextCharFormat f;
      f.setObjectType(kChartObject);
      f.setProperty(kChartIndex, charts->add(parts[i]));
      c.insertText(QString(QChar::ObjectReplacementCharacter), f);
    }
  }
  doc.print(&writer);
}

}  // namespace roundlab::report

#include "ReportPdf.moc"
