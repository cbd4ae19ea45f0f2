#pragma once
// An experiment's results per value, over its seeds: the cells that repeat one setting with
// different seeds (ExperimentPlan::seeds) pooled into mean ± standard deviation, so a difference
// can be read against the spread. A plan without seeds gives one entry per cell (spread 0).
#include <string>
#include <vector>

#include "engine/pipeline/Experiment.h"

namespace roundlab {

// Mean and sample standard deviation (n - 1 in the denominator; 0 for a single value).
struct MeanStd {
  int count = 0;
  double mean = 0, std = 0;
};
MeanStd meanStd(const std::vector<double>& values);

struct SeededCell {
  std::vector<size_t> cells;  // the plan's cells repeating this setting, in seed order
  size_t finished = 0;        // of them, those with a row
  bool evaluated = false, compared = false, languageModel = false;  // every finished row has it
  MeanStd top1, kl, agreement, loss, lossFp, lossBefore, lossAfter, seconds;
  int firstRun = 0;  // the run of the first finished repetition (0: none kept)
};

// One entry per setting of the plan (a block of its seeds), in plan order; repeated values stay
// separate entries, as they are separate cells.
std::vector<SeededCell> seededCells(const ExperimentRecord& record);

}  // namespace roundlab
