#pragma once
// Text <-> enum for settings given on command lines, in experiments and in session files.
#include <initializer_list>
#include <string>
#include <utility>

#include "engine/Error.h"

namespace roundlab {

// The value named `text` among `options`; InvalidArgument listing the names otherwise.
template <typename T>
T parseEnumName(const std::string& text, const char* what, std::initializer_list<std::pair<const char*, T>> options) {
  std::string names;
  for (const auto& [name, value] : options) {
    if (text == name) return value;
    names += (names.empty() ? "" : ", ") + std::string(name);
  }
  throw Error(ErrorCode::InvalidArgument, std::string(what) + " must be one of " + names + ", got '" + text + "'");
}

}  // namespace roundlab
