#include "engine/pipeline/ExperimentStatistics.h"

#include <algorithm>
#include <cmath>

namespace roundlab {

MeanStd meanStd(const std::vector<double>& values) {
  MeanStd s;
  s.count = static_cast<int>(values.size());
  if (values.empty()) return s;
  double sum = 0;
  for (const double v : values) sum += v;
  s.mean = sum / static_cast<double>(values.size());
  if (values.size() < 2) return s;
  double squares = 0;
  for (const double v : values) squares += (v - s.mean) * (v - s.mean);
  s.std = std::sqrt(squares / static_cast<double>(values.size() - 1));
  return s;
}

std::vector<SeededCell> seededCells(const ExperimentRecord& record) {
  const ExperimentPlan& plan = record.plan;
  // A seeded plan's cells come in blocks of its seeds (validate checks it); others stand alone.
  const size_t n = std::max<size_t>(1, plan.seeds.size());
  std::vector<SeededCell> out(plan.cells.size() / n);
  for (size_t i = 0; i < out.size() * n; ++i) out[i / n].cells.push_back(i);
  for (SeededCell& s : out) {
    std::vector<double> top1, kl, agreement, loss, lossFp, before, after, seconds;
    bool evaluated = true, compared = true, languageModel = true;
    for (const size_t c : s.cells) {
      const ExperimentRow* r = record.row(c);
      if (!r) continue;
      if (s.finished++ == 0) s.firstRun = r->run;
      evaluated = evaluated && r->evaluated;
      compared = compared && r->compared;
      languageModel = languageModel && r->languageModel;
      top1.push_back(r->top1);
      kl.push_back(r->kl);
      agreement.push_back(r->agreement);
      loss.push_back(r->loss);
      lossFp.push_back(r->lossFp);
      before.push_back(r->meanLossBefore);
      after.push_back(r->meanLossAfter);
      seconds.push_back(r->seconds);
    }
    s.evaluated = s.finished > 0 && evaluated;
    s.compared = s.finished > 0 && compared;
    s.languageModel = s.finished > 0 && languageModel;
    s.top1 = meanStd(top1);
    s.kl = meanStd(kl);
    s.agreement = meanStd(agreement);
    s.loss = meanStd(loss);
    s.lossFp = meanStd(lossFp);
    s.lossBefore = meanStd(before);
    s.lossAfter = meanStd(after);
    s.seconds = meanStd(seconds);
  }
  return out;
}

}  // namespace roundlab
