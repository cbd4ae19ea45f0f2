#include "engine/core/EnumTable.h"

#include "engine/core/Error.h"

namespace roundlab {

void throwUnknownEnumName(const char* what, const std::string& text, const std::string& names) {
  throw Error(ErrorCode::InvalidArgument, std::string(what) + " must be one of " + names + ", got '" + text + "'");
}

}  // namespace roundlab
