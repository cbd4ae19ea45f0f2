#pragma once
#include <string>

namespace roundlab {

// "__torch__.torch.nn.modules.conv.___torch_mangle_3.Conv2d" -> "__torch__.torch.nn.modules.conv.Conv2d"
std::string normalizeTypeName(const std::string& qualified);
// Last component of the normalised name: "Conv2d".
std::string shortTypeName(const std::string& qualified);

}  // namespace roundlab
