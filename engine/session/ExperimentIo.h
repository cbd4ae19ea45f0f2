#pragma once
// Experiments inside session files: each one's plan (kind, title, axes, base request, cells) and
// the rows it finished (docs/session-format.md, /experiments).
#include <H5Cpp.h>

#include <vector>

#include "engine/pipeline/Experiment.h"

namespace roundlab {

void writeExperiment(H5::Group& parent, const ExperimentRecord& experiment);
// In their numbers' order. Throws InvalidArgument for a cell the plan's axes cannot make.
std::vector<ExperimentRecord> readExperiments(const H5::Group& parent);

}  // namespace roundlab
