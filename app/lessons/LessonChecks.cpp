#include "app/lessons/LessonChecks.h"

#include <QJsonArray>
#include <QRegularExpression>

#include <cmath>

#include "app/lessons/LessonRequest.h"
#include "engine/pipeline/RequestFields.h"
#include "engine/workspace/GridPreview.h"

namespace roundlab::app {

namespace {

LessonAnswer missing(const QString& why) {
  LessonAnswer a;
  a.missing = why;
  return a;
}

LessonAnswer number(double value, const QString& shown) {
  LessonAnswer a;
  a.known = true;
  a.number = value;
  a.shown = shown;
  return a;
}

LessonAnswer text(const QString& value) {
  LessonAnswer a;
  a.known = true;
  a.text = a.shown = value;
  return a;
}

// What to do when the run an exercise asks about is missing: its Show me makes it.
QString describeRun(const QJsonObject& fields) {
  RunRecord r;
  r.result.request = lessonRequest(fields);
  QStringList settings;
  for (auto it = fields.begin(); it != fields.end(); ++it)
    settings << it.key() + " " +
                    (it.value().isString() ? it.value().toString() : QString::number(it.value().toDouble()));
  return QString::fromStdString(r.settingsLabel()) + " (" + settings.join(", ") +
         ", one bit-width for every layer; the lesson's Show me button starts it)";
}

// The layer's floating-point weights and shape (null when the model has no such layer).
const std::vector<float>* fpWeights(const LessonFacts& facts, const QString& layer, std::vector<int64_t>* shape) {
  if (!facts.snapshot) return nullptr;
  const std::string name = layer.toStdString();
  const LayerInfo* l = facts.snapshot->summary.findLayer(name);
  if (!l) return nullptr;
  *shape = l->weightShape;
  return fpWeightsOf(*facts.snapshot, facts.shown, name);
}

LessonAnswer gridAnswer(const LessonExercise& e, const LessonFacts& facts) {
  const QString layer = e.params.value("layer").toString();
  std::vector<int64_t> shape;
  const std::vector<float>* w = fpWeights(facts, layer, &shape);
  if (!w) return missing("Open the demo model first (" + layer + " is one of its layers).");
  if (e.check == "better_grid") {
    const QJsonArray grids = e.params.value("grids").toArray();
    int best = 0;
    double bestSqnr = -INFINITY;
    for (int i = 0; i < grids.size(); ++i) {
      const double sqnr = previewGrid(*w, shape, lessonGridConfig(grids[i].toObject())).sqnrDb;
      if (sqnr > bestSqnr) best = i, bestSqnr = sqnr;
    }
    LessonAnswer a = text(e.choices.value(best));
    a.shown = QString("%1 (%2 dB)").arg(a.text).arg(bestSqnr, 0, 'f', 1);
    return a;
  }
  const GridPreview p = previewGrid(*w, shape, lessonGridConfig(e.params.value("grid").toObject()));
  if (e.check == "searched_exponent") return number(p.grid.exponent, QString("a = %1").arg(p.grid.exponent, 0, 'f', 2));
  return number(p.sqnrDb, QString("%1 dB").arg(p.sqnrDb, 0, 'f', 1));
}

LessonAnswer runAnswer(const LessonExercise& e, const LessonFacts& facts) {
  if (e.check == "better_run") {
    const QJsonArray runs = e.params.value("runs").toArray();
    int best = -1;
    double bestTop1 = -1;
    for (int i = 0; i < runs.size(); ++i) {
      const RunRecord* r = latestRunMatching(facts, runs[i].toObject());
      if (!r || r->top1() < 0) return missing("Run " + describeRun(runs[i].toObject()) + " first.");
      if (r->top1() > bestTop1) best = i, bestTop1 = r->top1();
    }
    LessonAnswer a = text(e.choices.value(best));
    a.shown = QString("%1 (%2 % top-1)").arg(a.text).arg(bestTop1, 0, 'f', 2);
    return a;
  }
  const QJsonObject fields = e.params.value("run").toObject();
  const RunRecord* r = latestRunMatching(facts, fields);
  if (!r || r->top1() < 0) return missing("Run " + describeRun(fields) + " first.");
  if (e.check == "run_metric") {
    if (e.params.value("metric").toString() == "top1")
      return number(r->top1(), QString("%1 %").arg(r->top1(), 0, 'f', 2));
    if (r->top1Fp() < 0) return missing("The run was evaluated without the FP model; run it again.");
    const double drop = r->top1Fp() - r->top1();
    return number(drop, QString("%1 points").arg(drop, 0, 'f', 2));
  }
  if (e.check == "most_flipped_layer") {
    const LayerOutcome* most = nullptr;
    for (const LayerOutcome& o : r->result.layers)
      if (!most || o.flipRate > most->flipRate) most = &o;
    if (!most) return missing("The run has no quantized layer.");
    LessonAnswer a = text(QString::fromStdString(most->layer));
    a.shown = QString("%1 (%2 % of its weights flipped)").arg(a.text).arg(100 * most->flipRate, 0, 'f', 1);
    return a;
  }
  // undecided_percent: the snapshot nearest to the asked share of the iterations.
  const QString layer = e.params.value("layer").toString();
  const LayerOutcome* o = r->outcome(layer.toStdString());
  if (!o || o->trace.empty())
    return missing("The run " + describeRun(fields) + " has no learning trace of " + layer + ".");
  const double at = e.params.value("at").toDouble() * o->trace.iterations.back();
  size_t nearest = 0;
  for (size_t i = 0; i < o->trace.iterations.size(); ++i)
    if (std::abs(o->trace.iterations[i] - at) < std::abs(o->trace.iterations[nearest] - at)) nearest = i;
  const double share = 100.0 * o->trace.undecided[nearest];
  return number(share, QString("%1 % at iteration %2").arg(share, 0, 'f', 1).arg(o->trace.iterations[nearest]));
}

LessonAnswer allocationAnswer(const LessonExercise& e, const LessonFacts& facts) {
  if (!facts.paretoFront || facts.paretoFront->empty())
    return missing("Estimate the importance first (Mixed precision ▸ Estimate importance).");
  const double limit = e.params.value("max_loss_increase").toDouble();
  const Allocation* best = nullptr;
  for (const Allocation& a : *facts.paretoFront)
    if (a.totals.predictedLoss <= limit && (!best || a.totals.averageBits < best->totals.averageBits)) best = &a;
  if (!best) return missing("No point of the Pareto front stays under the limit.");
  return number(best->totals.averageBits, QString("%1 bits (predicted increase %2)")
                                              .arg(best->totals.averageBits, 0, 'f', 2)
                                              .arg(best->totals.predictedLoss, 0, 'g', 3));
}

}  // namespace

const RunRecord* latestRunMatching(const LessonFacts& facts, const QJsonObject& fields) {
  if (!facts.runs) return nullptr;
  for (auto it = facts.runs->rbegin(); it != facts.runs->rend(); ++it)
    if (runMatches((*it)->result.request, fields)) return it->get();
  return nullptr;
}

LessonAnswer expectedAnswer(const LessonExercise& e, const LessonFacts& facts) {
  if (e.check == "grid_sqnr" || e.check == "better_grid" || e.check == "searched_exponent") return gridAnswer(e, facts);
  if (e.check == "min_average_bits") return allocationAnswer(e, facts);
  if (e.check == "export_done") {
    const QString kind = e.params.value("kind").toString();
    return facts.exports.contains(kind) ? text(kind) : missing("Export the " + kind + " file first (Export menu).");
  }
  return runAnswer(e, facts);
}

LessonVerdict checkAnswer(const LessonExercise& e, const LessonFacts& facts, const QString& answer) {
  const LessonAnswer right = expectedAnswer(e, facts);
  if (!right.known) return {false, right.missing};
  const QString kind = lessonAnswerKind(e.check);
  if (kind == "none") return {true, "Done: " + right.shown + "."};
  const QString given = answer.trimmed();
  if (given.isEmpty()) return {false, "Type an answer first."};
  if (kind == "number") {
    // The first number in the answer: "14.3 dB", "a = 0.62", "32,10 %", "−0.85 points" all read.
    static const QRegularExpression first(QStringLiteral("([-\u2212]?)\\s*(\\d+(?:[.,]\\d*)?|[.,]\\d+)"));
    const QRegularExpressionMatch m = first.match(given);
    if (!m.hasMatch()) return {false, "\"" + given + "\" is not a number."};
    double v = QString(m.captured(2)).replace(',', '.').toDouble();
    if (!m.captured(1).isEmpty()) v = -v;
    // A drop may be written as the change it is (Evaluate shows "-0.85 points").
    double target = right.number;
    if (e.params.value("metric").toString() == "top1_drop") v = std::abs(v), target = std::abs(target);
    if (std::abs(v - target) <= e.tolerance) return {true, "Right: " + right.shown + "."};
    return {false, QString("Not quite: look again (your answer is off by more than %1).").arg(e.tolerance)};
  }
  if (given.compare(right.text, Qt::CaseInsensitive) == 0) return {true, "Right: " + right.shown + "."};
  return {false, "Not this one: look again."};
}

}  // namespace roundlab::app
