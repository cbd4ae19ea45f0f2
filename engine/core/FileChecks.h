#pragma once
// Checks on a user's files before RoundLab reads or writes them, so that a bad path gets one
// clear line naming it: a missing file, a folder, a FIFO or device (which would block a read
// for ever), a file without read permission; an output whose folder is missing or read-only, that
// is a folder, or that is one of the run's own inputs.
#include <string>
#include <vector>

#include "engine/core/Error.h"

namespace roundlab {

// Throws FileNotFound (`what` not found: PATH), or `notRegular` when PATH is a folder, a FIFO, a
// device or a socket, or is not readable. `what` names the file in the message ("model file").
void requireReadableFile(const std::string& path, const std::string& what, ErrorCode notRegular);

// Throws WriteFailed when `path` cannot be written as a new or replaced file: its folder is
// missing or not writable, or it is a folder; InvalidArgument when it is the same file as one of
// `inputs` (which the write would destroy).
void requireWritableTarget(const std::string& path, const std::vector<std::string>& inputs = {});

}  // namespace roundlab
