#pragma once
// Writing a report to disk: HTML or PDF by the file's extension, atomically (QSaveFile: the file
// is whole or untouched, so a failed write never damages a user's earlier file), with one clear
// message naming the file when it cannot be written.
#include <QString>
#include <QStringList>

#include <optional>

#include "app/report/ReportContent.h"

namespace roundlab::report {

enum class ReportFormat { Html, Pdf };

// By the extension: .html, .htm or .xhtml, and .pdf (any case); none for anything else.
std::optional<ReportFormat> reportFormatOf(const QString& path);
const char* reportFormatName(ReportFormat format);  // "html" | "pdf"
// The same name in the other format, beside it: report.pdf <-> report.html.
QString companionPath(const QString& path);

// Writes `content` to `path`. False with `error` ("PATH: what is wrong") when it cannot.
bool writeReport(const ReportContent& content, const QString& path, ReportFormat format, QString* error);
// Writes `path` in its format and the other format beside it, both or (as far as the file system
// allows) neither; `written` lists the files. For the workbench's File ▸ Export ▸ Report.
bool writeReportPair(const ReportContent& content, const QString& path, QStringList* written, QString* error);

}  // namespace roundlab::report
