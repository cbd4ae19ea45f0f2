#pragma once
// One quantization run of a workspace, as the views and the CLI see it: its settings and
// per-layer outcomes, its evaluation, and (when the workspace builds them) the per-layer views.
// Immutable once made: handed out as RunPtr, safe to keep on another thread.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/data/Dataset.h"
#include "engine/eval/Evaluation.h"
#include "engine/pipeline/QuantizationRequest.h"
#include "engine/workspace/LayerQuantView.h"

namespace roundlab {

struct RunRecord {
  int number = 0;    // 1, 2, ... within its workspace
  std::string name;  // the user's name for it (empty: the label says method and bits)
  QuantizationResult result;
  std::string modelPath, calibrationPath;
  DataOptions calibrationOptions;  // how the calibration set was read
  std::string sessionPath;         // the session it was opened from, if any
  bool evaluated = false;          // on the workspace's evaluation set, against the FP model
  EvalReport evaluation;
  std::map<std::string, LayerQuantView> layers;

  double top1() const { return evaluated && evaluation.hasLabels ? evaluation.top1 : -1; }
  // The FP model's top-1 on the same data (-1 when the run was evaluated without it).
  double top1Fp() const {
    return evaluated && evaluation.hasLabels && evaluation.hasReference ? evaluation.referenceTop1 : -1;
  }
  const LayerOutcome* outcome(const std::string& layer) const;  // null if the run has no such layer
  // e.g. "#2 adaround W3A32", "#3 brecq mixed W/A4"; "#2 my name" once the user named it.
  std::string label() const;
  // The method and widths alone, e.g. "adaround W3A32".
  std::string settingsLabel() const;
};
using RunPtr = std::shared_ptr<const RunRecord>;

// One layer of two runs side by side (b minus a); a layer missing from a run has its has* false.
struct LayerDelta {
  std::string layer;
  bool hasA = false, hasB = false;
  int bitsA = 0, bitsB = 0;
  double sqnrA = 0, sqnrB = 0, sqnrDelta = 0;  // dB; the delta is 0 unless both runs have the layer
  double flipRateA = 0, flipRateB = 0;
  double lossA = 0, lossB = 0;  // reconstruction loss of the final rounding
};

struct RunComparison {
  std::string labelA, labelB;
  double top1A = -1, top1B = -1;
  std::vector<LayerDelta> layers;  // a's layer order, then layers only b has
};

RunComparison compareRuns(const RunRecord& a, const RunRecord& b);

}  // namespace roundlab
