#include "engine/Error.h"

namespace roundlab {

const char* errorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::FileNotFound:
      return "file-not-found";
    case ErrorCode::NotTorchScript:
      return "not-torchscript";
    case ErrorCode::NoForwardMethod:
      return "no-forward-method";
    case ErrorCode::NoQuantizableLayer:
      return "no-quantizable-layer";
    case ErrorCode::InputShapeMismatch:
      return "input-shape-mismatch";
    case ErrorCode::UnknownLayer:
      return "unknown-layer";
    case ErrorCode::WeightShapeMismatch:
      return "weight-shape-mismatch";
    case ErrorCode::BadDataFile:
      return "bad-data-file";
    case ErrorCode::DataShapeMismatch:
      return "data-shape-mismatch";
    case ErrorCode::NonFiniteValues:
      return "non-finite-values";
    case ErrorCode::WriteFailed:
      return "write-failed";
    case ErrorCode::Cancelled:
      return "cancelled";
    case ErrorCode::InvalidArgument:
      return "invalid-argument";
    case ErrorCode::Internal:
      return "internal";
  }
  return "unknown";
}

}  // namespace roundlab
