#include "app/report/ReportFile.h"

#include <QBuffer>
#include <QDir>
#include <QFileInfo>
#include <QSaveFile>

#include <memory>
#include <vector>

#include "app/report/ReportHtml.h"
#include "app/report/ReportPdf.h"
#include "app/report/ReportSections.h"

namespace roundlab::report {

namespace {

// Why `path` cannot be written, before anything is made; empty when it can be tried.
QString targetProblem(const QString& path) {
  const QFileInfo info(path);
  if (path.isEmpty()) return "no output file given";
  if (!info.absoluteDir().exists()) return path + ": the folder " + info.absolutePath() + " does not exist";
  if (info.isDir()) return path + ": is a folder, not a file";
  return {};
}

QByteArray render(const ReportDocument& d, ReportFormat format) {
  if (format == ReportFormat::Html) return reportHtml(d);
  QBuffer buffer;
  buffer.open(QIODevice::WriteOnly);
  writeReportPdf(d, &buffer);
  return buffer.data();
}

}  // namespace

std::optional<ReportFormat> reportFormatOf(const QString& path) {
  const QString suffix = QFileInfo(path).suffix().toLower();
  if (suffix == "html" || suffix == "htm" || suffix == "xhtml") return ReportFormat::Html;
  if (suffix == "pdf") return ReportFormat::Pdf;
  return std::nullopt;
}

const char* reportFormatName(ReportFormat format) { return format == ReportFormat::Html ? "html" : "pdf"; }

QString companionPath(const QString& path) {
  const QFileInfo info(path);
  const bool pdf = reportFormatOf(path) == ReportFormat::Pdf;
  return info.dir().filePath(info.completeBaseName() + (pdf ? ".html" : ".pdf"));
}

bool writeReport(const ReportContent& content, const QString& path, ReportFormat format, QString* error) {
  if (const QString problem = targetProblem(path); !problem.isEmpty()) {
    *error = problem;
    return false;
  }
  QSaveFile file(path);
  if (!file.open(QIODevice::WriteOnly)) {
    *error = path + ": " + file.errorString();
    return false;
  }
  const QByteArray bytes = render(reportDocument(content), format);
  if (file.write(bytes) != bytes.size() || !file.commit()) {
    *error = path + ": could not be written (" + file.errorString() + ")";
    return false;
  }
  return true;
}

bool writeReportPair(const ReportContent& content, const QString& path, QStringList* written, QString* error) {
  const std::optional<ReportFormat> chosen = reportFormatOf(path);
  if (!chosen) {
    *error = path + ": a report is an .html or a .pdf file";
    return false;
  }
  const ReportFormat other = *chosen == ReportFormat::Html ? ReportFormat::Pdf : ReportFormat::Html;
  const QString otherPath = companionPath(path);
  for (const QString& p : {path, otherPath})
    if (const QString problem = targetProblem(p); !problem.isEmpty()) {
      *error = problem;
      return false;
    }
  const ReportDocument d = reportDocument(content);
  // Both rendered and written to temporary files first; renamed only when both are whole.
  std::vector<std::unique_ptr<QSaveFile>> files;
  for (const auto& [p, format] : {std::pair{path, *chosen}, std::pair{otherPath, other}}) {
    auto file = std::make_unique<QSaveFile>(p);
    const QByteArray bytes = render(d, format);
    if (!file->open(QIODevice::WriteOnly) || file->write(bytes) != bytes.size()) {
      *error = p + ": could not be written (" + file->errorString() + ")";
      return false;
    }
    files.push_back(std::move(file));
  }
  for (const auto& file : files) {
    if (!file->commit()) {
      *error = file->fileName() + ": could not be written (" + file->errorString() + ")";
      return false;
    }
    written->push_back(file->fileName());
  }
  return true;
}

}  // namespace roundlab::report
