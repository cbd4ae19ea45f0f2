#pragma once
// The files a quantized run can be exported to (docs/quantized-model-format.md).
#include "engine/core/EnumTable.h"

namespace roundlab {

enum class ExportKind { TorchScript, QuantizedHdf5, Encodings, ResultsCsv };

// Names "torchscript" | "h5" | "encodings" | "csv"; descriptions say what each file holds.
const EnumTable<ExportKind>& exportKindTable();
inline const char* exportKindName(ExportKind k) { return exportKindTable().name(k); }

}  // namespace roundlab
