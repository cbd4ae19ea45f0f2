#pragma once
// A report as a PDF: A4, the document laid out by QTextDocument at 96 dpi (its pixels are the
// PDF's), tables as text (searchable, copyable) and plots drawn straight onto the PDF's painter as
// vector graphics; a plot taller than a page is split across pages.
#include "app/report/ReportSections.h"

class QIODevice;

namespace roundlab::report {

// Writes the PDF to `out` (open for writing). Needs a QGuiApplication.
void writeReportPdf(const ReportDocument& document, QIODevice* out);

}  // namespace roundlab::report
