#pragma once
// Typed, specific engine errors: which file, which layer, what was expected, what was found.
#include <stdexcept>
#include <string>

#include "engine/core/EnumTable.h"

namespace roundlab {

enum class ErrorCode {
  FileNotFound,
  NotTorchScript,
  NoForwardMethod,
  NoQuantizableLayer,
  InputShapeMismatch,
  UnknownLayer,
  WeightShapeMismatch,
  BadDataFile,
  AmbiguousNormalization,  // float data whose mean/std attributes may or may not be applied yet
  DataShapeMismatch,
  NonFiniteValues,
  WriteFailed,
  Cancelled,
  InvalidArgument,
  Internal,
};

// Short stable identifiers, e.g. "not-torchscript"; used in CLI JSON and by tests.
const EnumTable<ErrorCode>& errorCodeTable();
inline const char* errorCodeName(ErrorCode code) { return errorCodeTable().name(code); }

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

}  // namespace roundlab
