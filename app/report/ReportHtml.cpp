#include "app/report/ReportHtml.h"

#include <QRegularExpression>

#include "app/report/ReportMarkup.h"

namespace roundlab::report {

namespace {

const char* const kStyle =
    "body{font-family:'DejaVu Sans',Verdana,Arial,sans-serif;max-width:74em;margin:2em auto;padding:0 1.5em;"
    "line-height:1.45;color:#222;background:#fff}"
    "h1{font-size:1.6em;margin:0 0 .2em}h2{font-size:1.3em;border-bottom:1px solid #ccc;padding-bottom:.2em;"
    "margin-top:1.8em}h3{font-size:1.1em;margin-top:1.4em}"
    ".subtitle{color:#555;margin-top:0}nav{margin:1em 0;color:#555}nav a{color:#2a5d9f;text-decoration:none}"
    "table{border-collapse:collapse;margin:.5em 0 1em}table.data{font-size:.86em}"
    "table.data th,table.data td{border:1px solid #ccc;padding:3px 7px;vertical-align:top}"
    "table.data thead th{background:#eef1f5}table.data tbody tr:nth-child(even){background:#f8f8f8}"
    "table.data td[align=right]{font-variant-numeric:tabular-nums;white-space:nowrap}"
    "table.facts th,table.facts td{border:none;padding:2px 1.2em 2px 0;vertical-align:top}"
    "table.facts th{white-space:nowrap;color:#444;font-weight:600}"
    "code{font-family:'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:.9em;overflow-wrap:anywhere}"
    "pre.cmd{background:#f4f6f8;border:1px solid #d8dde3;border-radius:3px;padding:.5em .8em;overflow-x:auto;"
    "line-height:1.35}pre.cmd code{overflow-wrap:normal}"
    "svg.plot{display:block;width:100%;max-width:800px;height:auto;margin:.6em 0 1.4em}";

// The sections' headings with ids, as the page's table of contents.
QString contents(const ReportDocument& d) {
  static const QRegularExpression h2("<h2 id=\"([^\"]+)\">([^<]*)</h2>");
  QStringList links;
  for (const ReportBlock& b : d.blocks)
    for (auto it = h2.globalMatch(b.html); it.hasNext();) {
      const QRegularExpressionMatch m = it.next();
      links << "<a href=\"#" + m.captured(1) + "\">" + m.captured(2) + "</a>";
    }
  return "<nav>Contents: " + links.join(" · ") + "</nav>";
}

}  // namespace

QByteArray reportHtml(const ReportDocument& d) {
  QString html =
      "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\" xml:lang=\"en\">\n<head>"
      "<meta charset=\"utf-8\"/><meta name=\"generator\" content=\"RoundLab\"/>"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/><title>" +
      esc(d.title) + "</title><style>" + kStyle + "</style></head>\n<body>\n";
  html += "<h1>" + esc(d.title) + "</h1><p class=\"subtitle\">" + esc(d.subtitle) + "</p>" + contents(d) + "\n";
  for (const ReportBlock& b : d.blocks) html += (b.chart ? chartSvg(*b.chart) : b.html) + "\n";
  html += "</body>\n</html>\n";
  return html.toUtf8();
}

}  // namespace roundlab::report
