#pragma once
// An experiment fanned out over processes (docs/experiments.md): one self-contained job file per
// distinct run (model and data paths with their SHA-256, every setting, the seed, the cells it
// fills), run by `roundlab-cli run-job` anywhere the files are, and merged into one session.
#include <QString>

#include "engine/workspace/Workspace.h"

namespace roundlab::cli {

struct JobsWritten {
  QString dir, list, sbatch;  // the folder, jobs.txt (one job file per line), the Slurm script (or empty)
  int jobs = 0;
};

// Writes DIR/job-NNN.json per distinct request of the plan and DIR/jobs.txt, and with `slurm`
// DIR/run-jobs.sbatch (an array job over jobs.txt). Refuses a folder that already holds jobs.
// `modelOutput`: the model's output choice (--model-output), recorded for run-job.
JobsWritten writeExperimentJobs(const ExperimentPlan& plan, const std::string& modelPath,
                                const std::string& modelOutput, const DataSource& calibration,
                                const DataSource* evaluation, const QString& dir, bool slurm);

// An importance sweep as jobs: one per layer (the measured estimate of a layer does not depend on
// the others'), into DIR like writeExperimentJobs; merge adds the whole table to a session.
JobsWritten writeImportanceJobs(const ImportanceRequest& request, const std::vector<std::string>& layers,
                                const std::string& modelPath, const std::string& modelOutput,
                                const DataSource& calibration, const QString& dir);

int runRunJob(const QStringList& args);
int runMerge(const QStringList& args);

}  // namespace roundlab::cli
