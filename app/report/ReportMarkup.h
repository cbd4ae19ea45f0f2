#pragma once
// Internal to the report: XHTML fragments both renderers understand (browsers, and QTextDocument
// for the PDF): quoted attributes, closed elements, no named entities, tables with plain
// attributes; and the sections that ReportTables.cpp builds.
#include <QList>
#include <QString>
#include <QStringList>

#include <cmath>
#include <vector>

#include "app/report/ReportSections.h"

namespace roundlab::report {

inline QString esc(const QString& text) { return text.toHtmlEscaped(); }
inline QString esc(const std::string& text) { return QString::fromStdString(text).toHtmlEscaped(); }

inline QString heading(int level, const QString& text, const QString& id = {}) {
  return QString("<h%1%2>%3</h%1>").arg(level).arg(id.isEmpty() ? QString() : " id=\"" + id + "\"", esc(text));
}
inline QString paragraph(const QString& html) { return "<p>" + html + "</p>"; }
// A command line a reader copies: monospace, its lines as given (continued with " \\").
inline QString command(const QString& text) { return "<pre class=\"cmd\"><code>" + esc(text) + "</code></pre>"; }

struct Column {
  QString title;  // with its unit, e.g. "Flip rate (%)"
  bool number = false;
  bool nowrap = false;  // never broken across lines (layer names); numbers never are
};

inline QString table(const QList<Column>& columns, const QList<QStringList>& rows, const QString& cls = "data") {
  QString html = "<table class=\"" + cls + "\" border=\"1\" cellspacing=\"0\" cellpadding=\"3\"><thead><tr>";
  for (const Column& c : columns)
    html += QString("<th align=\"%1\">%2</th>").arg(c.number ? "right" : "left", esc(c.title));
  html += "</tr></thead><tbody>";
  for (const QStringList& row : rows) {
    html += "<tr>";
    for (int i = 0; i < row.size(); ++i) {
      const bool number = i < columns.size() && columns[i].number;
      const bool nowrap = number || (i < columns.size() && columns[i].nowrap);
      html += QString("<td align=\"%1\"%2>%3</td>")
                  .arg(number ? "right" : "left", nowrap ? " style=\"white-space:nowrap\"" : "", esc(row[i]));
    }
    html += "</tr>";
  }
  return html + "</tbody></table>";
}

// Key/value rows (the values may be markup, e.g. <code>).
inline QString facts(const QList<QPair<QString, QString>>& rows) {
  QString html = "<table class=\"facts\" border=\"0\" cellspacing=\"0\" cellpadding=\"3\"><tbody>";
  for (const auto& [key, value] : rows)
    html += "<tr><th align=\"left\">" + esc(key) + "</th><td>" + value + "</td></tr>";
  return html + "</tbody></table>";
}

// Numbers as tables show them: fixed decimals, "∞" and "–" for infinite and missing values.
inline QString fixed(double v, int decimals) {
  if (std::isnan(v)) return "–";
  if (std::isinf(v)) return v > 0 ? "∞" : "−∞";
  return QString::number(v, 'f', decimals);
}
inline QString significant(double v, int digits = 4) {
  if (std::isnan(v)) return "–";
  if (std::isinf(v)) return v > 0 ? "∞" : "−∞";
  return QString::number(v, 'g', digits);
}

// "name (description)" from an enum's table; the name alone when the description adds nothing.
template <typename Table, typename E>
QString named(const Table& table, E value) {
  const QString name = table.name(value), description = table.description(value);
  return description.isEmpty() || description == name ? name : name + " (" + description + ")";
}

// Sections built in ReportTables.cpp, appended to `blocks`.
void addLayerResults(const ReportContent& c, std::vector<ReportBlock>& blocks);
void addAllocations(const ReportContent& c, std::vector<ReportBlock>& blocks);
void addRuns(const ReportContent& c, std::vector<ReportBlock>& blocks);
void addExperiments(const ReportContent& c, std::vector<ReportBlock>& blocks);
void addImportance(const ReportContent& c, std::vector<ReportBlock>& blocks);

}  // namespace roundlab::report
