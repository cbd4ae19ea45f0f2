#pragma once
// What a report holds, as one plain value: gathered from a saved session (SessionInfo) or from the
// workbench's results (its runs, experiments, importance and allocation). The inputs with their
// SHA-256 hashes, every setting of the run, the library versions, per-layer results, the run
// history, experiments, importance tables and the bit allocation. ReportSections turns it into
// the document that ReportHtml and ReportPdf write.
#include <QString>

#include <string>
#include <utility>
#include <vector>

#include "engine/workspace/Workspace.h"

namespace roundlab::report {

// One run of the history, as the runs table lists it.
struct ReportRun {
  int number = 0;
  QString label;                  // "#2 adaround W3A32", or the user's name for it
  QString settings;               // "adaround W3A32"
  bool reported = false;          // the run the report is about
  double top1 = -1, top1Fp = -1;  // percent; -1: not evaluated (or data without labels)
  double averageBits = 0;         // weight bits per weight over the quantized layers
  double seconds = 0;             // quantization wall time
};

// Bit-widths per layer and what they add up to.
struct ReportAllocation {
  QString source;                                 // where the bits come from, for the heading
  std::vector<std::pair<std::string, int>> bits;  // model order
  std::vector<int64_t> weights;                   // per entry of `bits`; 0 when unknown
  double averageBits = 0;                         // over the layers with known weights
  int64_t bytes = 0;                              // Σ ceil(weights · bits / 8)
  bool hasPredictedLoss = false;
  double predictedLoss = 0;  // from importance (Mixed precision)
};

struct ReportContent {
  QString title;        // "RoundLab report: fmnist_resnet.pt, rtn W4A32"
  QString generated;    // when the report was written (UTC, ISO 8601)
  QString origin;       // "session /path/run.rlab" or "RoundLab workbench"
  QString sessionPath;  // the session the run is saved in; empty: not saved, no rerun command
  QString modelPath, modelSha256;
  QString modelOutput;  // --model-output of the run (empty: the default output)
  QString calibrationPath, calibrationSha256;
  QString evaluationPath;  // the validation set the runs were evaluated on (empty: unknown)
  DataOptions calibrationOptions;
  LibraryVersions versions;  // as the run recorded them
  QString runLabel;
  QuantizationResult result;  // the run: its request (every setting, the seed) and per-layer outcomes
  bool evaluated = false;     // `evaluation` holds the run's top-1 on `evaluationPath`
  EvalReport evaluation;
  std::vector<ReportRun> runs;  // the history (one entry for a session)
  std::vector<ExperimentRecord> experiments;
  std::vector<ImportanceTable> importance;  // the one the allocation uses first
  ReportAllocation allocation;              // the run's per-layer bits
  bool hasPlannedAllocation = false;        // the workbench's Mixed-precision allocation, when edited
  ReportAllocation plannedAllocation;
};

// A report of a saved session (Workspace::readSession). The model's and calibration set's hashes
// are the ones the session recorded.
ReportContent contentFromSession(const SessionInfo& session);

// What the workbench holds when it writes a report.
struct WorkbenchResults {
  RunPtr run;                // the run the report is about (the one the views show); required
  std::vector<RunPtr> runs;  // the run history, oldest first
  std::vector<ExperimentPtr> experiments;
  ImportancePtr importance;  // may be null
  Allocation allocation;     // Mixed precision's allocation; empty bits: none
  QString sessionPath;       // where the run is saved, if it is (empty: unsaved)
  QString evaluationPath;    // the validation set in use
};

// A report of the workbench's results. Hashes the model and calibration files now (their
// SHA-256, as a session records them); a file that no longer opens gets a hash that says so.
ReportContent contentFromWorkbench(const WorkbenchResults& results);

// Bytes a layer's weights take at `bits` (Σ ceil(weights · bits / 8)).
int64_t weightBytes(int64_t weights, int bits);

}  // namespace roundlab::report
