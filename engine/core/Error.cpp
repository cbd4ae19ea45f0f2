#include "engine/core/Error.h"

namespace roundlab {

const EnumTable<ErrorCode>& errorCodeTable() {
  static const EnumTable<ErrorCode> t{"error",
                                      {{ErrorCode::FileNotFound, "file-not-found", ""},
                                       {ErrorCode::NotTorchScript, "not-torchscript", ""},
                                       {ErrorCode::NoForwardMethod, "no-forward-method", ""},
                                       {ErrorCode::NoQuantizableLayer, "no-quantizable-layer", ""},
                                       {ErrorCode::InputShapeMismatch, "input-shape-mismatch", ""},
                                       {ErrorCode::UnknownLayer, "unknown-layer", ""},
                                       {ErrorCode::WeightShapeMismatch, "weight-shape-mismatch", ""},
                                       {ErrorCode::BadDataFile, "bad-data-file", ""},
                                       {ErrorCode::AmbiguousNormalization, "ambiguous-normalization", ""},
                                       {ErrorCode::DataShapeMismatch, "data-shape-mismatch", ""},
                                       {ErrorCode::NonFiniteValues, "non-finite-values", ""},
                                       {ErrorCode::WriteFailed, "write-failed", ""},
                                       {ErrorCode::Cancelled, "cancelled", ""},
                                       {ErrorCode::InvalidArgument, "invalid-argument", ""},
                                       {ErrorCode::Internal, "internal", ""}}};
  return t;
}

}  // namespace roundlab
