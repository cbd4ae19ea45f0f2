#pragma once
// A quantization request inside session files: every setting a typed attribute of a group, and
// the per-layer bit overrides in a subgroup (docs/session-format.md, /manifest/request).
#include <H5Cpp.h>

#include "engine/pipeline/QuantizationRequest.h"

namespace roundlab {

void writeRequest(H5::Group& group, const QuantizationRequest& request);
// Settings a session written before they existed lacks keep their defaults.
QuantizationRequest readRequest(const H5::Group& group);

}  // namespace roundlab
