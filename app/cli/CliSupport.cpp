#include "app/cli/CliSupport.h"

#include <QJsonDocument>
#include <QTextStream>

#include <cmath>
#include <cstdio>

#include "engine/core/FileChecks.h"

namespace roundlab::cli {

bool parseCommand(QCommandLineParser& parser, const QStringList& args, const QString& description,
                  const QString& positional, const QString& positionalHelp) {
  parser.setApplicationDescription(description);
  parser.setOptionsAfterPositionalArgumentsMode(QCommandLineParser::ParseAsOptions);
  const QCommandLineOption help({"h", "help"}, "Show this help.");
  parser.addOption(help);
  parser.addOption({"json", "Print one JSON document on stdout."});
  parser.addOption({"threads", "LibTorch compute threads (default 1).", "N", "1"});
  if (!positional.isEmpty()) parser.addPositionalArgument(positional, positionalHelp);
  if (!parser.parse(args)) throw UsageError{parser.errorText()};
  if (parser.isSet(help)) {
    printLine(parser.helpText());
    return false;
  }
  parseInt(parser.value("threads"), "--threads", 1, 4096);
  return true;
}

void printJson(const QJsonObject& doc) {
  std::fputs(QJsonDocument(doc).toJson(QJsonDocument::Indented).constData(), stdout);
  std::fflush(stdout);
}

void printLine(const QString& line) {
  std::fputs(line.toUtf8().constData(), stdout);
  std::fputs("\n", stdout);
  std::fflush(stdout);
}

void note(const QString& line) {
  std::fputs(line.toUtf8().constData(), stderr);
  std::fputs("\n", stderr);
  std::fflush(stderr);
}

QJsonArray toJsonArray(const std::vector<int64_t>& v) {
  QJsonArray a;
  for (int64_t x : v) a.append(static_cast<qint64>(x));
  return a;
}

void warnAboutCalibration(const Workspace& ws) {
  const std::string warning = ws.calibrationWarning();
  if (!warning.empty()) note("warning: " + QString::fromStdString(warning));
}

std::vector<float> parseFloatList(const QString& text, const QString& option) {
  std::vector<float> out;
  for (const QString& part : text.split(',', Qt::SkipEmptyParts)) {
    bool ok = false;
    const float f = part.trimmed().toFloat(&ok);
    if (!ok || !std::isfinite(f)) throw UsageError{option + " expects numbers separated by commas, got '" + text + "'"};
    out.push_back(f);
  }
  return out;
}

std::vector<float> parseStdList(const QString& text) {
  std::vector<float> out = parseFloatList(text, "--std");
  for (float f : out)
    if (!(f > 0.f)) throw UsageError{"--std expects values above 0, got '" + text + "'"};
  return out;
}

int64_t parseInt(const QString& text, const QString& option, int64_t min, int64_t max) {
  bool ok = false;
  const qint64 v = text.trimmed().toLongLong(&ok);
  if (!ok || v < min || v > max)
    throw UsageError{option + " expects a whole number from " + QString::number(min) + " to " + QString::number(max) +
                     ", got '" + text + "'"};
  return v;
}

double parseNumber(const QString& text, const QString& option, double min, double max, bool minExclusive) {
  bool ok = false;
  const double v = text.trimmed().toDouble(&ok);
  if (!ok || !std::isfinite(v) || v < min || v > max || (minExclusive && v == min)) {
    const QString range = (minExclusive ? "a number above " : "a number from ") + QString::number(min) +
                          (std::isfinite(max) ? " to " + QString::number(max) : QString(" up"));
    throw UsageError{option + " expects " + range + ", got '" + text + "'"};
  }
  return v;
}

void checkOutputOption(const QCommandLineParser& parser, const QString& option, const QStringList& inputs) {
  if (!parser.isSet(option)) return;
  std::vector<std::string> in;
  for (const QString& i : inputs) in.push_back(i.toStdString());
  try {
    requireWritableTarget(parser.value(option).toStdString(), in);
  } catch (const Error& e) {
    throw UsageError{"--" + option + ": " + QString::fromStdString(e.what())};
  }
}

QString formatTable(const QStringList& header, const QList<QStringList>& rows) {
  QList<int> width;
  for (const QString& h : header) width << h.size();
  for (const QStringList& r : rows)
    for (int i = 0; i < r.size() && i < width.size(); ++i) width[i] = std::max(width[i], static_cast<int>(r[i].size()));
  auto line = [&](const QStringList& cells) {
    QString s;
    for (int i = 0; i < cells.size(); ++i) s += cells[i].leftJustified(i + 1 < cells.size() ? width[i] + 2 : 0);
    return s.trimmed().isEmpty() ? s : s;
  };
  QString out = line(header) + "\n";
  QStringList rule;
  for (int w : width) rule << QString(w, '-');
  out += line(rule) + "\n";
  for (const QStringList& r : rows) out += line(r) + "\n";
  return out;
}

void loadModelArgument(Workspace& workspace, const QCommandLineParser& parser) {
  if (parser.positionalArguments().size() != 1) throw UsageError{"expects exactly one MODEL.pt"};
  const bool output = parser.optionNames().contains("model-output");  // only commands with the option accept it
  workspace.loadModel(parser.positionalArguments()[0].toStdString(),
                      output ? parser.value("model-output").toStdString() : std::string());
}

void addModelOutputOption(QCommandLineParser& parser) {
  parser.addOption({"model-output",
                    "For a model that returns a tuple or dict: the output that holds the logits, by index or key "
                    "(default: the first, or \"logits\").",
                    "N|KEY"});
}

}  // namespace roundlab::cli
