#include "app/lessons/LessonBook.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>

#include "app/lessons/LessonRequest.h"
#include "engine/workspace/ExportKind.h"

namespace roundlab::app {

namespace {

// Every error names the manifest and where in it: "lessons.json: lesson 3 (blocks), step 2: ...".
class Reader {
 public:
  explicit Reader(QString file) : file_(std::move(file)) {}
  [[noreturn]] void fail(const QString& what) const {
    throw LessonFormatError((file_ + ": " + (where_.isEmpty() ? QString() : where_ + ": ") + what).toStdString());
  }
  void at(const QString& where) { where_ = where; }
  QString string(const QJsonObject& o, const char* key, bool required = true) const {
    const QJsonValue v = o.value(key);
    if (v.isUndefined() && !required) return {};
    if (!v.isString() || v.toString().trimmed().isEmpty()) fail(QString("\"%1\" must be a non-empty text").arg(key));
    return v.toString();
  }
  QJsonObject object(const QJsonValue& v, const QString& what) const {
    if (!v.isObject()) fail(what + " must be an object { ... }");
    return v.toObject();
  }
  QJsonArray array(const QJsonObject& o, const char* key) const {
    const QJsonValue v = o.value(key);
    if (v.isUndefined()) return {};
    if (!v.isArray()) fail(QString("\"%1\" must be a list [ ... ]").arg(key));
    return v.toArray();
  }
  // Keys the manifest may use in `o`: a misspelt key is an error, not a silently ignored line.
  void onlyKeys(const QJsonObject& o, const QStringList& allowed, const QString& what) const {
    for (const QString& k : o.keys())
      if (!allowed.contains(k)) fail(QString("%1 has no setting \"%2\" (known: %3)").arg(what, k, allowed.join(", ")));
  }

 private:
  QString file_, where_;
};

void readAction(Reader& r, const QString& kind, const QJsonValue& v) {
  auto needText = [&](const QStringList& allowed) {
    if (!v.isString() || (!allowed.isEmpty() && !allowed.contains(v.toString())))
      r.fail(QString("\"%1\" takes %2").arg(kind, allowed.isEmpty() ? "a name" : "one of " + allowed.join(", ")));
  };
  auto needTrue = [&] {
    if (v != QJsonValue(true)) r.fail(QString("\"%1\" takes true").arg(kind));
  };
  try {
    if (kind == "open_demo")
      needText({"resnet", "transformer"});
    else if (kind == "view")
      needText(lessonViewNames());
    else if (kind == "select_layer")
      needText({});
    else if (kind == "run_form")
      lessonRequest(r.object(v, "\"run_form\""));
    else if (kind == "playground")
      lessonGridConfig(r.object(v, "\"playground\""));
    else if (kind == "budget") {
      if (!v.isDouble() || v.toDouble() < 2 || v.toDouble() > 8) r.fail("\"budget\" takes average bits, 2 to 8");
    } else if (kind == "export") {
      QStringList kinds;
      for (const auto& entry : exportKindTable().entries()) kinds << QString::fromUtf8(entry.name);
      needText(kinds);
    } else
      needTrue();  // start_run, estimate_importance, quantize_allocation
  } catch (const LessonSettingError& e) {
    r.fail(QString::fromStdString(e.what()));
  }
}

void readExercise(Reader& r, const QJsonObject& o, LessonExercise& e) {
  r.onlyKeys(o,
             {"id", "question", "check", "choices", "tolerance", "layer", "grid", "grids", "run", "runs", "metric",
              "at", "max_loss_increase", "kind"},
             "an exercise");
  e.id = r.string(o, "id");
  e.question = r.string(o, "question");
  e.check = r.string(o, "check");
  if (!lessonCheckKinds().contains(e.check))
    r.fail(QString("no check \"%1\" (known: %2)").arg(e.check, lessonCheckKinds().join(", ")));
  e.params = o;
  for (const QJsonValue& c : r.array(o, "choices")) {
    if (!c.isString() || c.toString().trimmed().isEmpty()) r.fail("each of \"choices\" must be a non-empty text");
    e.choices << c.toString();
  }
  e.tolerance = o.value("tolerance").toDouble(0);
  try {
    auto needLayer = [&] { r.string(o, "layer"); };
    // "grids" or "runs": at least two, each named by a choice.
    auto alternatives = [&](const char* key, bool grids) {
      const QJsonArray a = r.array(o, key);
      if (a.size() < 2) r.fail(QString("\"%1\" needs at least 2 entries").arg(key));
      for (const QJsonValue& v : a) {
        if (grids)
          lessonGridConfig(r.object(v, "a grid"));
        else
          lessonRequest(r.object(v, "a run"));
      }
      if (e.choices.size() != a.size()) r.fail(QString("\"choices\" must name each of \"%1\" in order").arg(key));
    };
    if (e.check == "grid_sqnr" || e.check == "searched_exponent") {
      needLayer();
      lessonGridConfig(r.object(o.value("grid"), "\"grid\""));
    } else if (e.check == "better_grid") {
      needLayer();
      alternatives("grids", true);
    } else if (e.check == "run_metric") {
      lessonRequest(r.object(o.value("run"), "\"run\""));
      if (!QStringList{"top1", "top1_drop"}.contains(o.value("metric").toString()))
        r.fail("\"metric\" must be top1 or top1_drop");
    } else if (e.check == "better_run") {
      alternatives("runs", false);
    } else if (e.check == "most_flipped_layer") {
      lessonRequest(r.object(o.value("run"), "\"run\""));
    } else if (e.check == "undecided_percent") {
      needLayer();
      lessonRequest(r.object(o.value("run"), "\"run\""));
      const double at = o.value("at").toDouble(-1);
      if (at < 0 || at > 1) r.fail("\"at\" must be a share of the iterations, 0 to 1");
    } else if (e.check == "min_average_bits") {
      if (o.value("max_loss_increase").toDouble(-1) <= 0) r.fail("\"max_loss_increase\" must be a positive number");
    } else if (e.check == "export_done") {
      readAction(r, "export", o.value("kind"));
    }
  } catch (const LessonSettingError& err) {
    r.fail(QString::fromStdString(err.what()));
  }
  if (lessonAnswerKind(e.check) == "number" && e.tolerance <= 0)
    r.fail("a number exercise needs a positive \"tolerance\"");
}

}  // namespace

const QStringList& lessonActionKinds() {
  static const QStringList kinds{"open_demo",           "view",       "select_layer",        "run_form",
                                 "start_run",           "playground", "estimate_importance", "budget",
                                 "quantize_allocation", "export"};
  return kinds;
}

const QStringList& lessonCheckKinds() {
  static const QStringList kinds{"grid_sqnr",         "better_grid",      "searched_exponent",
                                 "run_metric",        "better_run",       "most_flipped_layer",
                                 "undecided_percent", "min_average_bits", "export_done"};
  return kinds;
}

const QStringList& lessonViewNames() {
  static const QStringList views{"weights", "grid",  "flips",    "learning", "importance",
                                 "run",     "mixed", "evaluate", "structure"};
  return views;
}

QString lessonAnswerKind(const QString& check) {
  if (check == "most_flipped_layer") return "layer";
  if (check == "better_grid" || check == "better_run") return "choice";
  if (check == "export_done") return "none";
  return "number";
}

LessonBook loadLessonBook(const QString& dir) {
  const QString path = QDir(dir).filePath("lessons.json");
  Reader r(path);
  QFile file(path);
  if (!file.open(QIODevice::ReadOnly)) r.fail("cannot be read (" + file.errorString() + ")");
  QJsonParseError parse{};
  const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &parse);
  if (parse.error != QJsonParseError::NoError) {
    file.seek(0);
    const QByteArray before = file.read(parse.offset);
    const int line = static_cast<int>(before.count('\n')) + 1;
    const int column = static_cast<int>(before.size() - before.lastIndexOf('\n'));
    r.fail(QString("not valid JSON at line %1, column %2: %3").arg(line).arg(column).arg(parse.errorString()));
  }
  const QJsonObject root = r.object(doc.isObject() ? QJsonValue(doc.object()) : QJsonValue(), "the manifest");
  if (root.value("format").toInt() != 1)
    r.fail("\"format\" must be 1 (this RoundLab reads lesson manifests of format 1)");
  LessonBook book;
  book.dir = QDir(dir).canonicalPath();
  book.title = r.string(root, "title");
  const QJsonArray lessons = r.array(root, "lessons");
  if (lessons.isEmpty()) r.fail("\"lessons\" lists no lesson");
  QSet<QString> ids;
  for (int i = 0; i < lessons.size(); ++i) {
    r.at(QString("lesson %1").arg(i + 1));
    const QJsonObject o = r.object(lessons[i], "a lesson");
    r.onlyKeys(o, {"id", "title", "minutes", "text", "handout", "show_me", "exercises"}, "a lesson");
    Lesson l;
    l.id = r.string(o, "id");
    if (ids.contains(l.id)) r.fail("the id \"" + l.id + "\" is used twice");
    ids.insert(l.id);
    r.at(QString("lesson %1 (%2)").arg(i + 1).arg(l.id));
    l.title = r.string(o, "title");
    l.minutes = o.value("minutes").toInt(0);
    if (l.minutes <= 0) r.fail("\"minutes\" must be a positive whole number");
    l.textFile = r.string(o, "text");
    QFile text(QDir(dir).filePath(l.textFile));
    if (!text.open(QIODevice::ReadOnly))
      r.fail("its text " + l.textFile + " cannot be read (" + text.errorString() + ")");
    l.markdown = QString::fromUtf8(text.readAll());
    for (const QJsonValue& v : r.array(o, "handout")) {
      if (!lessonViewNames().contains(v.toString()))
        r.fail(QString("\"handout\" names no view \"%1\" (known: %2)").arg(v.toString(), lessonViewNames().join(", ")));
      l.handoutPlots << v.toString();
    }
    const QJsonArray steps = r.array(o, "show_me");
    for (int s = 0; s < steps.size(); ++s) {
      r.at(QString("lesson %1 (%2), show_me %3").arg(i + 1).arg(l.id).arg(s + 1));
      const QJsonObject so = r.object(steps[s], "a step");
      r.onlyKeys(so, {"label", "actions", "quotes"}, "a step");
      LessonStep step;
      step.label = r.string(so, "label");
      for (const QJsonValue& a : r.array(so, "actions")) {
        const QJsonObject ao = r.object(a, "an action");
        if (ao.size() != 1) r.fail("each action is an object with one key, e.g. {\"view\": \"grid\"}");
        const QString kind = ao.keys().first();
        if (!lessonActionKinds().contains(kind))
          r.fail(QString("no action \"%1\" (known: %2)").arg(kind, lessonActionKinds().join(", ")));
        readAction(r, kind, ao.value(kind));
        step.actions.push_back({kind, ao.value(kind)});
      }
      if (step.actions.isEmpty()) r.fail("a step needs at least one action");
      for (const QJsonValue& q : r.array(so, "quotes")) {
        const QJsonObject qo = r.object(q, "a quote");
        r.onlyKeys(qo, {"metric", "text"}, "a quote");
        LessonQuote quote{r.string(qo, "metric"), r.string(qo, "text")};
        if (quote.metric != "top1" && quote.metric != "top1_fp") r.fail("a quote's \"metric\" must be top1 or top1_fp");
        if (!l.markdown.contains(quote.text))
          r.fail("the text " + l.textFile + " does not contain the quote " + quote.text);
        step.quotes.push_back(quote);
      }
      l.steps.push_back(step);
    }
    QSet<QString> exerciseIds;
    const QJsonArray exercises = r.array(o, "exercises");
    for (int x = 0; x < exercises.size(); ++x) {
      r.at(QString("lesson %1 (%2), exercise %3").arg(i + 1).arg(l.id).arg(x + 1));
      LessonExercise e;
      readExercise(r, r.object(exercises[x], "an exercise"), e);
      if (exerciseIds.contains(e.id)) r.fail("the id \"" + e.id + "\" is used twice");
      exerciseIds.insert(e.id);
      l.exercises.push_back(e);
    }
    book.lessons.push_back(l);
  }
  return book;
}

}  // namespace roundlab::app
