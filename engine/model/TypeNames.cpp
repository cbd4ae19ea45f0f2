#include "engine/model/TypeNames.h"

#include <regex>

namespace roundlab {

std::string normalizeTypeName(const std::string& qualified) {
  static const std::regex mangle(R"(___torch_mangle_[0-9]+\.)");
  return std::regex_replace(qualified, mangle, "");
}

std::string shortTypeName(const std::string& qualified) {
  const std::string n = normalizeTypeName(qualified);
  const auto dot = n.rfind('.');
  return dot == std::string::npos ? n : n.substr(dot + 1);
}

}  // namespace roundlab
