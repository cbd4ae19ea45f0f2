#pragma once
// A report as a document: XHTML fragments (headings, paragraphs, tables with units) and plots, in
// reading order. ReportHtml writes them as one self-contained XHTML page with the plots as inline
// SVG; ReportPdf lays them out with QTextDocument and draws the plots as vector graphics.
#include <QString>

#include <optional>
#include <vector>

#include "app/report/ReportContent.h"
#include "app/report/ReportPlots.h"

namespace roundlab::report {

struct ReportBlock {
  QString html;                   // a well-formed XHTML fragment; empty for a plot
  std::optional<BarChart> chart;  // a plot
};

struct ReportDocument {
  QString title;
  QString subtitle;
  std::vector<ReportBlock> blocks;
};

ReportDocument reportDocument(const ReportContent& content);

}  // namespace roundlab::report
