// The lessons as data: the bundled ones load, have what the workshop needs and no raw LaTeX; an
// instructor's mistake in a manifest is one line naming the file and the place; docs/lessons.md
// documents every action and check the format has.
#include <QDir>
#include <QFile>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include "app/lessons/LessonBook.h"
#include "app/lessons/LessonChecks.h"

using namespace roundlab;
using namespace roundlab::app;

namespace {

const QString kLessons = QStringLiteral(ROUNDLAB_SOURCE_DIR) + "/resources/lessons";

QString read(const QString& path) {
  QFile f(path);
  return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
}

// Loads a manifest written in `dir`; the error, or empty when it loads.
QString errorOf(const QString& dir, const QString& manifest) {
  QFile f(QDir(dir).filePath("lessons.json"));
  if (!f.open(QIODevice::WriteOnly)) return "cannot write";
  f.write(manifest.toUtf8());
  f.close();
  try {
    loadLessonBook(dir);
  } catch (const LessonFormatError& e) {
    return QString::fromStdString(e.what());
  }
  return {};
}

const QString kGood = R"({"format": 1, "title": "T", "lessons": [{"id": "a", "title": "A", "minutes": 5, "text": "a.md",
  "show_me": [{"label": "Go", "actions": [{"open_demo": "resnet"}, {"view": "grid"}], "quotes": [{"metric": "top1", "text": "12.34 %"}]}],
  "exercises": [{"id": "x", "question": "Q?", "check": "run_metric", "run": {"method": "rtn", "wbits": 2}, "metric": "top1", "tolerance": 0.1}]}]})";

}  // namespace

class LessonFormatTests : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void bundledLessonsAreComplete() {
    const LessonBook book = loadLessonBook(kLessons);
    QVERIFY(book.lessons.size() >= 8);
    static const QRegularExpression latex(R"(\$|\\(frac|sum|cdot|lfloor|left|mathrm|hat)\b)");
    static const QRegularExpression image(R"(!\[[^\]]*\]\(([^)]+)\))");
    for (const Lesson& l : book.lessons) {
      QVERIFY2(l.minutes >= 5 && l.minutes <= 15, qPrintable(l.id));
      QVERIFY2(!l.steps.isEmpty() && !l.exercises.isEmpty(), qPrintable(l.id));
      QVERIFY2(!latex.match(l.markdown).hasMatch(), qPrintable(l.id + ": raw LaTeX"));
      for (auto it = image.globalMatch(l.markdown); it.hasNext();) {
        const QString figure = it.next().captured(1);
        QVERIFY2(QFile::exists(QDir(book.dir).filePath(figure)), qPrintable(figure));
      }
    }
  }

  void mistakesNameTheFileAndThePlace() {
    QTemporaryDir dir;
    QFile text(QDir(dir.path()).filePath("a.md"));
    QVERIFY(text.open(QIODevice::WriteOnly));
    text.write("The run reaches 12.34 %.");
    text.close();
    QCOMPARE(errorOf(dir.path(), kGood), QString());
    struct Case {
      QString from, to, says;
    };
    const QList<Case> cases{
        {R"({"view": "grid"})", R"({"viwe": "grid"})", "show_me 1: no action \"viwe\""},
        {R"({"view": "grid"})", R"({"view": "grids"})", "\"view\" takes one of"},
        {R"("wbits": 2})", R"("wbitz": 2})", "exercise 1: a run has no setting \"wbitz\""},
        {R"("method": "rtn")", R"("method": "rnt")", "exercise 1:"},
        {R"("a.md")", R"("b.md")", "its text b.md cannot be read"},
        {R"("12.34 %")", R"("56.78 %")", "does not contain the quote 56.78 %"},
        {R"("tolerance": 0.1)", R"("tolerance": 0)", "needs a positive \"tolerance\""},
        {R"("minutes": 5)", R"("minuts": 5)", "a lesson has no setting \"minuts\""},
        {R"("check": "run_metric")", R"("check": "run_metrics")", "no check \"run_metrics\""},
        {R"("format": 1)", R"("format": 2)", "\"format\" must be 1"},
        {R"("lessons": [)", R"("lessons": [[)", "not valid JSON"},
    };
    for (const Case& c : cases) {
      QString manifest = kGood;
      QVERIFY2(manifest.contains(c.from), qPrintable(c.from));
      manifest.replace(c.from, c.to);
      const QString error = errorOf(dir.path(), manifest);
      QVERIFY2(error.startsWith(QDir(dir.path()).filePath("lessons.json") + ": "), qPrintable(error));
      QVERIFY2(error.contains(c.says), qPrintable(error + " <> " + c.says));
      QVERIFY2(!error.contains('\n'), qPrintable(error));
    }
  }

  // Answers are read as attendees write them, and compared with the run the exercise names: the
  // latest uniform run with its settings, never a mixed-precision one.
  void answersReadAsAttendeesWriteThem() {
    auto run = [](int number, const char* method, int wbits, double top1, std::map<std::string, int> bits = {}) {
      auto r = std::make_shared<RunRecord>();
      r->number = number;
      r->result.request.method = roundlab::parseQuantMethod(method);
      r->result.request.weights.bits = wbits;
      r->result.request.bits = std::move(bits);
      r->evaluated = r->evaluation.hasLabels = r->evaluation.hasReference = true;
      r->evaluation.top1 = top1;
      r->evaluation.referenceTop1 = 92.35;
      return RunPtr(r);
    };
    const std::vector<RunPtr> runs{run(1, "rtn", 2, 30.0), run(2, "rtn", 2, 32.1), run(3, "adaround", 2, 85.15),
                                   run(4, "rtn", 2, 70.0, {{"conv1", 8}})};
    LessonFacts facts;
    facts.runs = &runs;
    LessonExercise top1;
    top1.check = "run_metric";
    top1.params = QJsonObject{{"run", QJsonObject{{"method", "rtn"}, {"wbits", 2}}}, {"metric", "top1"}};
    top1.tolerance = 0.1;
    QCOMPARE(expectedAnswer(top1, facts).number, 32.1);  // run 2: not the older 1, not the mixed 4
    for (const QString a : {"32.1", "32,10 %", " 32.05", "about 32.1 %"})
      QVERIFY2(checkAnswer(top1, facts, a).correct, qPrintable(a));
    for (const QString a : {"30", "70", "", "many", "-32.1"})
      QVERIFY2(!checkAnswer(top1, facts, a).correct, qPrintable(a));
    LessonExercise drop = top1;
    drop.params = QJsonObject{{"run", QJsonObject{{"method", "adaround"}}}, {"metric", "top1_drop"}};
    QVERIFY(std::abs(expectedAnswer(drop, facts).number - 7.2) < 1e-9);
    for (const QString& a : QStringList{"7.2", "-7.2 points", QString::fromUtf8("\u22127.20"), "7.2 %"})
      QVERIFY2(checkAnswer(drop, facts, a).correct, qPrintable(a));
    QVERIFY(!checkAnswer(drop, facts, "85.15").correct);
    // No such run yet: the attendee is told what to run, nothing is accepted.
    LessonExercise missing = top1;
    missing.params = QJsonObject{{"run", QJsonObject{{"method", "brecq"}}}, {"metric", "top1"}};
    const LessonVerdict v = checkAnswer(missing, facts, "88.8");
    QVERIFY(!v.correct);
    QVERIFY2(v.message.contains("brecq"), qPrintable(v.message));
  }

  void formatIsDocumented() {
    const QString doc = read(QStringLiteral(ROUNDLAB_SOURCE_DIR) + "/docs/lessons.md");
    QVERIFY(!doc.isEmpty());
    for (const QString& name : lessonActionKinds() + lessonCheckKinds() + lessonViewNames())
      QVERIFY2(doc.contains("`" + name + "`"), qPrintable(name));
  }
};

QTEST_MAIN(LessonFormatTests)
#include "LessonFormatTests.moc"
