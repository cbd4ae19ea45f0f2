#pragma once
// Importance tables inside session files: one group per estimator (docs/session-format.md).
#include <H5Cpp.h>

#include "engine/importance/Importance.h"

namespace roundlab {

H5::Group writeImportance(H5::Group& parent, const ImportanceTable& table);  // returns its group
ImportanceTable readImportance(const H5::Group& group);

}  // namespace roundlab
