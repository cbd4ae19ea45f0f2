#include "app/lessons/LessonRequest.h"

#include <QJsonValue>
#include <QStringList>

#include <map>

#include "engine/pipeline/RequestFields.h"
#include "engine/workspace/GridPreview.h"

namespace roundlab::app {

namespace {

// The manifest's JSON values as RequestFields' text: true/false as 1/0, numbers exactly.
std::map<std::string, std::string> fieldsAsText(const QJsonObject& fields) {
  std::map<std::string, std::string> text;
  for (auto it = fields.begin(); it != fields.end(); ++it) {
    bool known = false;
    for (const RequestField& f : requestFields()) known = known || it.key() == QLatin1String(f.key);
    if (!known) throw LessonSettingError("a run has no setting \"" + it.key().toStdString() + "\"");
    const QJsonValue v = it.value();
    QString t;
    if (v.isBool())
      t = v.toBool() ? "1" : "0";
    else if (v.isDouble())
      t = v.toDouble() == static_cast<double>(v.toInteger()) ? QString::number(v.toInteger())
                                                             : QString::number(v.toDouble(), 'g', 17);
    else if (v.isString())
      t = v.toString();
    else
      throw LessonSettingError("the run setting \"" + it.key().toStdString() +
                               "\" must be a number, true/false or a name");
    text[it.key().toStdString()] = t.toStdString();
  }
  return text;
}

}  // namespace

QuantizationRequest lessonRequest(const QJsonObject& fields) {
  try {
    return requestFromText(fieldsAsText(fields));
  } catch (const LessonSettingError&) {
    throw;
  } catch (const std::exception& e) {
    throw LessonSettingError(e.what());
  }
}

bool runMatches(const QuantizationRequest& run, const QJsonObject& fields) {
  if (!run.bits.empty()) return false;  // a mixed-precision run is no lesson's uniform run
  const auto wanted = requestToText(lessonRequest(fields));
  const auto actual = requestToText(run);
  for (auto it = fields.begin(); it != fields.end(); ++it) {
    const std::string key = it.key().toStdString();
    if (wanted.at(key) != actual.at(key)) return false;
  }
  return true;
}

WeightQuantConfig lessonGridConfig(const QJsonObject& grid) {
  static const QStringList keys{"source", "bits", "symmetric", "granularity", "group_size",
                                "range",  "p",    "exponent",  "search"};
  for (const QString& k : grid.keys())
    if (!keys.contains(k)) throw LessonSettingError("a grid has no setting \"" + k.toStdString() + "\"");
  // Each value of its JSON type and within what the Grid view's controls can show.
  auto number = [&](const char* key, double lo, double hi, double fallback) {
    const QJsonValue v = grid.value(key);
    if (v.isUndefined()) return fallback;
    if (!v.isDouble() || v.toDouble() < lo || v.toDouble() > hi)
      throw LessonSettingError(
          QString("a grid's \"%1\" must be a number from %2 to %3").arg(key).arg(lo).arg(hi).toStdString());
    return v.toDouble();
  };
  auto flag = [&](const char* key, bool fallback) {
    const QJsonValue v = grid.value(key);
    if (v.isUndefined()) return fallback;
    if (!v.isBool()) throw LessonSettingError(QString("a grid's \"%1\" must be true or false").arg(key).toStdString());
    return v.toBool();
  };
  auto name = [&](const char* key) {
    const QJsonValue v = grid.value(key);
    if (!v.isString()) throw LessonSettingError(QString("a grid's \"%1\" must be a name").arg(key).toStdString());
    return v.toString().toStdString();
  };
  WeightQuantConfig c;
  try {
    const double bits = number("bits", 2, 8, c.bits);
    if (bits != static_cast<int>(bits)) throw LessonSettingError("a grid's \"bits\" must be a whole number");
    c.bits = static_cast<int>(bits);
    c.symmetric = flag("symmetric", c.symmetric);
    if (grid.contains("granularity")) c.granularity = parseGranularity(name("granularity"));
    c.groupSize = static_cast<int64_t>(number("group_size", 1, 4096, static_cast<double>(c.groupSize)));
    if (grid.contains("range")) c.rangeInit = parseRangeInit(name("range"));
    c.lpNorm = number("p", 1, 6, c.lpNorm);
    c.exponent = number("exponent", 0.3, 1, c.exponent);
    if (flag("search", false)) c.grid = GridKind::PowerSearched;
    validate(c);
    lessonGridSource(grid);
  } catch (const LessonSettingError&) {
    throw;
  } catch (const std::exception& e) {
    throw LessonSettingError(std::string("a grid: ") + e.what());
  }
  return c;
}

QString lessonGridSource(const QJsonObject& grid) {
  const QString source = grid.value("source").toString("layer");
  if (source == "layer") return {};
  syntheticDistributionTable().parse(source.toStdString());  // throws for an unknown name
  return source;
}

}  // namespace roundlab::app
