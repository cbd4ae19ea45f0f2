#pragma once
// A report as one self-contained page: XHTML (it parses as XML too) with its style sheet inline
// and every plot as inline SVG, so it needs no other file and no network.
#include <QByteArray>

#include "app/report/ReportSections.h"

namespace roundlab::report {

QByteArray reportHtml(const ReportDocument& document);

}  // namespace roundlab::report
