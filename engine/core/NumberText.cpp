#include "engine/core/NumberText.h"

#include <cstdio>

namespace roundlab {

namespace {
std::string printed(const char* format, double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}
}  // namespace

std::string shortNumber(double v) { return printed("%g", v); }
std::string exactNumber(double v) { return printed("%.9g", v); }

}  // namespace roundlab
