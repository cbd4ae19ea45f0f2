// Every lesson walked through as an attendee would: each "Show me" step gives the state it
// promises (the demo open, the Run form filled, the layer selected, the view in front, the run
// made with the lesson's settings, the Grid view set), the numbers the lesson text quotes are the
// real run's, each exercise accepts the answer computed from the attendee's own results and
// rejects a wrong one, progress is remembered, and the handout PDF has one section per lesson with
// the attendee's numbers in it (read back with pdftotext).
#include <QAbstractItemModel>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QItemSelectionModel>
#include <QJsonObject>
#include <QLabel>
#include <QProcess>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>

#include "app/common/DemoAssets.h"
#include "app/gui/AllocationDocument.h"
#include "app/gui/AllocationPanel.h"
#include "app/gui/GridPlayground.h"
#include "app/gui/LessonDirector.h"
#include "app/gui/LessonsPanel.h"
#include "app/gui/MainWindow.h"
#include "app/gui/RunPanel.h"
#include "app/lessons/LessonRequest.h"
#include "engine/pipeline/RequestFields.h"
#include "widgets/LayerTableModel.h"

using namespace roundlab;
using namespace roundlab::app;

namespace {

QString selectedLayer(const MainWindow& w) {
  const QModelIndexList rows = w.layerView()->selectionModel()->selectedRows(widgets::LayerTableModel::Name);
  return rows.isEmpty() ? QString() : rows.first().data().toString();
}

QString percent(double v) { return QString::number(v, 'f', 2) + " %"; }

// The state a step promises, from its actions: checked after the step ended.
void verifyStep(const MainWindow& w, const LessonStep& step, int runsBefore) {
  QString view, layer;
  QJsonObject form;
  bool ran = false, guarded = false;
  for (const LessonAction& a : step.actions) {
    if (a.kind == "open_demo") {
      const DemoAssets demo = findDemoAssets();
      QCOMPARE(QFileInfo(QString::fromStdString(w.snapshot()->path)).canonicalFilePath(),
               QFileInfo(a.value.toString() == "transformer" ? demo.transformer : demo.resnet).canonicalFilePath());
    }
    if (a.kind == "view") view = a.value.toString();
    if (a.kind == "select_layer") layer = a.value.toString();
    if (a.kind == "run_form") {
      form = a.value.toObject();
      QCOMPARE(requestToText(w.runPanel()->request()), requestToText(lessonRequest(form)));
    }
    if (a.kind == "start_run" || a.kind == "quantize_allocation") ran = true;
    if (a.kind == "quantize_allocation") guarded = w.allocationPanel()->uniformGuard();
    if (a.kind == "playground") {
      const WeightQuantConfig want = lessonGridConfig(a.value.toObject());
      const WeightQuantConfig got = w.playground()->config();
      QCOMPARE(got.bits, want.bits);
      QCOMPARE(got.granularity, want.granularity);
      QCOMPARE(got.rangeInit, want.rangeInit);
      QCOMPARE(got.grid, want.grid);
      QCOMPARE(got.lpNorm, want.lpNorm);
      if (want.grid == GridKind::Uniform) QCOMPARE(got.exponent, want.exponent);
      QVERIFY(w.playground()->preview());
    }
    if (a.kind == "estimate_importance") QVERIFY(w.allocation()->ready());
    if (a.kind == "budget") {
      QVERIFY(w.allocation()->totals().averageBits <= a.value.toDouble() + 1e-9);
      QVERIFY(w.allocation()->totals().averageBits > a.value.toDouble() - 0.5);
    }
    if (a.kind == "export") QVERIFY(w.lessonFacts().exports.contains(a.value.toString()));
  }
  if (!view.isEmpty()) {
    QWidget* v = w.viewNamed(view);
    QVERIFY2(w.views()->currentWidget() == v || w.views()->currentWidget()->isAncestorOf(v), qPrintable(view));
    QVERIFY(v->isVisible());
  }
  if (!layer.isEmpty()) QCOMPARE(selectedLayer(w), layer);
  if (ran) {
    if (guarded)  // the allocation and the uniform ones of its size: every run kept in the history
      QVERIFY(int(w.runHistory().size()) > runsBefore + 1);
    else
      QCOMPARE(int(w.runHistory().size()), runsBefore + 1);
    QVERIFY(w.lastRun());
    if (guarded)  // the kept one, which need not be the last quantized
      QVERIFY(std::any_of(w.runHistory().begin(), w.runHistory().end(),
                          [&](const RunPtr& r) { return r->number == w.lastRun()->number; }));
    else
      QVERIFY(w.lastRun()->number == w.runHistory().back()->number);
    if (!form.isEmpty() &&
        step.actions.end() != std::find_if(step.actions.begin(), step.actions.end(),
                                           [](const LessonAction& a) { return a.kind == "start_run"; }))
      QVERIFY(runMatches(w.lastRun()->result.request, form));
  }
  // The numbers the text quotes are this run's.
  for (const LessonQuote& q : step.quotes) {
    QVERIFY(w.lastRun());
    const double value = q.metric == "top1" ? w.lastRun()->top1() : w.lastRun()->top1Fp();
    QCOMPARE(percent(value), q.text);
  }
}

// A wrong answer for an exercise whose right one is `right`.
QString wrongAnswer(const LessonExercise& e, const LessonAnswer& right, const MainWindow& w) {
  const QString kind = lessonAnswerKind(e.check);
  if (kind == "number") return QString::number(right.number + 10 * e.tolerance + 1, 'f', 2);
  if (kind == "choice")
    for (const QString& c : e.choices)
      if (c != right.text) return c;
  for (const LayerInfo& l : w.snapshot()->summary.layers)
    if (QString::fromStdString(l.name) != right.text) return QString::fromStdString(l.name);
  return {};
}

}  // namespace

class LessonWalkthroughTests : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
  void init() {
    QSettings().remove("runForm");
    QSettings().remove("preferences");
    LessonsPanel::forgetProgress();
  }

  void everyLessonWalkedThrough() {
    QTemporaryDir sessions;
    MainWindow w;
    Preferences p = w.preferences();
    p.sessionFolder = sessions.path();
    w.applyPreferences(p);
    w.resize(1280, 720);
    w.show();
    w.showLessons();
    LessonsPanel* panel = w.lessonsPanel();
    QVERIFY2(panel->loadError().isEmpty(), qPrintable(panel->loadError()));
    const LessonBook& book = panel->book();
    QVERIFY(book.lessons.size() >= 8);
    QSignalSpy finished(w.lessonDirector(), &LessonDirector::finished);
    for (int i = 0; i < book.lessons.size(); ++i) {
      panel->setCurrentLesson(i);
      const Lesson& lesson = book.lessons[i];
      QVERIFY2(panel->text()->toPlainText().contains(lesson.title), qPrintable(lesson.title));
      QCOMPARE(panel->showMeButtons().size(), lesson.steps.size());
      for (int s = 0; s < lesson.steps.size(); ++s) {
        const int runsBefore = static_cast<int>(w.runHistory().size());
        finished.clear();
        panel->showMeButtons()[s]->click();
        if (finished.isEmpty()) {  // under way: no second step starts, also from a rebuilt lesson
          QVERIFY(!w.lessonDirector()->start(lesson.steps[s]));
          panel->setCurrentLesson(i);
          for (QPushButton* b : panel->showMeButtons()) QVERIFY(!b->isEnabled());
        }
        QVERIFY2(finished.size() == 1 || finished.wait(300000), qPrintable(lesson.steps[s].label));
        QVERIFY2(finished.first().at(0).toBool(), qPrintable(finished.first().at(1).toString()));
        verifyStep(w, lesson.steps[s], runsBefore);
        if (QTest::currentTestFailed()) return;
      }
      for (int x = 0; x < lesson.exercises.size(); ++x) {
        const LessonExercise& e = lesson.exercises[x];
        const LessonAnswer right = expectedAnswer(e, w.lessonFacts());
        QVERIFY2(right.known, qPrintable(e.id + ": " + right.missing));
        if (lessonAnswerKind(e.check) != "none") {
          const QString wrong = wrongAnswer(e, right, w);
          QVERIFY2(!panel->answer(x, wrong).correct, qPrintable(e.id + " accepted " + wrong));
          QVERIFY(panel->verdictLabel(x)->text().startsWith("✗"));
        }
        const QString given =
            lessonAnswerKind(e.check) == "number" ? QString::number(right.number, 'f', 2) : right.text;
        const LessonVerdict v = panel->answer(x, given);
        QVERIFY2(v.correct, qPrintable(e.id + ": " + given + ": " + v.message));
        QVERIFY(panel->verdictLabel(x)->text().startsWith("✓"));
        QVERIFY(!LessonsPanel::solvedAnswer(lesson, e).isEmpty());
      }
    }

    // Progress is the user's: a new panel (a new start) shows every lesson done.
    LessonsPanel again;
    again.load(book.dir);
    auto* list = again.findChild<QComboBox*>();
    for (int i = 0; i < book.lessons.size(); ++i)
      QVERIFY2(list->itemText(i).endsWith("✓"), qPrintable(list->itemText(i)));

    // The handout: one section per lesson, with this attendee's runs and answers.
    const QString pdf = QDir(sessions.path()).filePath("handout.pdf");
    QString error;
    QVERIFY2(w.exportHandout(pdf, &error), qPrintable(error));
    QProcess pdftotext;
    pdftotext.start("pdftotext", {"-layout", pdf, "-"});
    QVERIFY2(pdftotext.waitForFinished(60000) && pdftotext.exitCode() == 0, "pdftotext (poppler-utils) failed");
    const QString text = QString::fromUtf8(pdftotext.readAllStandardOutput());
    for (int i = 0; i < book.lessons.size(); ++i)
      QVERIFY2(text.contains(QString("%1. %2").arg(i + 1).arg(book.lessons[i].title)),
               qPrintable(book.lessons[i].title));
    for (const RunPtr& run : w.runHistory())
      QVERIFY2(text.contains(QString::number(run->top1(), 'f', 2)), qPrintable(QString::number(run->top1(), 'f', 2)));
    for (const Lesson& l : book.lessons)
      for (const LessonExercise& e : l.exercises)
        if (lessonAnswerKind(e.check) == "number")
          QVERIFY2(text.contains(LessonsPanel::solvedAnswer(l, e)), qPrintable(LessonsPanel::solvedAnswer(l, e)));
    QFile html(QDir(sessions.path()).filePath("handout.html"));
    QVERIFY(html.open(QIODevice::ReadOnly));
    const QString page = QString::fromUtf8(html.readAll());
    QCOMPARE(int(page.count("<section>")), int(book.lessons.size()));
    QVERIFY(page.contains("data:image/svg+xml"));
  }
};

QTEST_MAIN(LessonWalkthroughTests)
#include "LessonWalkthroughTests.moc"
