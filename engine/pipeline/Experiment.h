#pragma once
// Design-space experiments: quantize once per cell of a plan — one setting (an "axis") varied
// while the rest is held, two axes crossed, or the founding paper's study (each axis of
// ../shared/design/algorithms.md §3 varied alone around one base) — and tabulate accuracy, KL,
// reconstruction loss and time per cell.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine/data/Dataset.h"
#include "engine/pipeline/QuantizationRequest.h"

namespace roundlab {

// Axes that can be swept, e.g. "wbits", "method", "grid", "iters", "lambda", "lr", "calib-count".
const std::vector<std::string>& experimentAxes();
// Sets one axis of a request from its text value. Throws InvalidArgument for an unknown axis or a
// value it cannot take.
void setAxis(QuantizationRequest& request, const std::string& axis, const std::string& value);

using AxisSetting = std::pair<std::string, std::string>;  // (axis, value)

struct ExperimentCell {
  std::string group;                  // the study's axis group ("loss", "grid", ...); empty for sweeps
  std::vector<AxisSetting> settings;  // applied to the plan's base in order
  std::string title;                  // shown instead of the settings when set (a Pareto point: "3.02 bits")
  // One repetition of the cell with its own seed (ExperimentPlan::seeds): the request's seed is
  // set after the settings. Cells that differ only in it share their label().
  bool seeded = false;
  uint64_t seed = 0;
  std::string label() const;     // e.g. "wbits=3", "method=brecq output-kl=0.1", "base"
  std::string runLabel() const;  // the label, with " seed=N" for a seeded cell
};

// Axis "bits" (not in experimentAxes(): its value is a whole allocation) sets every layer's width:
// "conv1=8 layer1.0.conv1=4 ..." (space-separated).
std::string layerBitsText(const std::map<std::string, int>& bits);

enum class ExperimentKind { Sweep, Grid, Study, Pareto };
const char* experimentKindName(ExperimentKind kind);  // "sweep" | "grid" | "study" | "pareto"
ExperimentKind parseExperimentKind(const std::string& name);

struct ExperimentPlan {
  ExperimentKind kind = ExperimentKind::Sweep;
  std::string title;
  QuantizationRequest base;
  std::vector<std::string> axes;  // Sweep: one, Grid: two (rows × columns), Study: the groups in order
  std::vector<ExperimentCell> cells;
  // Seeds each cell is repeated with (withSeeds); empty: each cell runs once, at the base's seed.
  std::vector<uint64_t> seeds;
  // The cell's request: the base with its settings (throws InvalidArgument naming the cell).
  QuantizationRequest request(size_t cell) const;
  // Each cell's index of the first cell with the same request: equal requests give the same bits,
  // so they are run once.
  std::vector<size_t> firstEqualCell() const;
};

// One axis over its values.
ExperimentPlan sweepPlan(const QuantizationRequest& base, const std::string& axis,
                         const std::vector<std::string>& values);
// Two axes crossed: cells row-major (the first axis's value outer).
ExperimentPlan gridPlan(const QuantizationRequest& base, const std::string& rowAxis,
                        const std::vector<std::string>& rowValues, const std::string& columnAxis,
                        const std::vector<std::string>& columnValues);
// The founding paper's study: loss (layer, block, block + output KL), loss weighting, degrees of
// freedom, grid, variable, optimizer, weight selection, augmentation and calibration size, each
// varied alone around `base` (a learned-rounding method; RTN and GPTQ bases become BRECQ) with
// `iterations` per unit. Calibration sizes above the calibration set's are left out, and so is
// augmentation on token ids (a language model's inputs have nothing to flip, crop or add noise to).
ExperimentPlan paperStudyPlan(QuantizationRequest base, int iterations, const DatasetInfo& calibration);
// Measured points of a predicted Pareto front: one cell per allocation (its per-layer widths),
// titled by its average bits.
ExperimentPlan paretoPlan(const QuantizationRequest& base, const std::vector<std::map<std::string, int>>& allocations,
                          const std::vector<double>& averageBits);
// Every cell of `plan` repeated once per seed (cell-major: a value's seeds run one after another),
// so results can be reported as mean ± standard deviation over seeds. Needs at least two distinct
// seeds; a plan that varies the seed itself cannot be repeated over seeds.
ExperimentPlan withSeeds(ExperimentPlan plan, const std::vector<uint64_t>& seeds);
// Throws InvalidArgument for a plan whose cells do not all make valid requests, before anything runs.
void validate(const ExperimentPlan& plan);

struct ExperimentRow {
  size_t cell = 0;
  int run = 0;             // the workspace run it made (0: none kept, e.g. read from a session or a merge)
  bool evaluated = false;  // top-1 on a labelled evaluation set
  bool compared = false;   // KL and agreement against the FP model
  double top1 = 0, kl = 0, agreement = 0;
  // A language model's mean cross-entropy per token (nats) on the evaluation set, quantized and
  // FP (when compared); perplexity = exp of each.
  bool languageModel = false;
  double loss = 0, lossFp = 0;
  double meanLossBefore = 0, meanLossAfter = 0;  // over layers, of the reconstruction objective
  double seconds = 0;                            // quantization wall time
};

// An experiment as the workspace keeps it: the plan and a row per cell finished so far (in cell
// order; a cancelled experiment keeps the rows it had).
struct ExperimentRecord {
  int number = 0;
  ExperimentPlan plan;
  std::vector<ExperimentRow> rows;
  bool complete() const { return rows.size() == plan.cells.size(); }
  const ExperimentRow* row(size_t cell) const;  // null before that cell finished
};

}  // namespace roundlab
