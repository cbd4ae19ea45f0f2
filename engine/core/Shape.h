#pragma once
// Tensor shapes as text, e.g. "[64,3,3,3]" (messages, tables, views).
#include <cstdint>
#include <string>
#include <vector>

namespace roundlab {

std::string formatShape(const std::vector<int64_t>& shape);

}  // namespace roundlab
