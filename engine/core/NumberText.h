#pragma once
// Numbers as text, locale-free: a short form for messages, and an exact form that brings a float
// back bit for bit (manifests, encodings, per-channel attributes).
#include <string>

namespace roundlab {

// "%g": six significant digits, e.g. "0.1", "1e-05" (messages).
std::string shortNumber(double v);
// "%.9g": nine significant digits, enough for any float to read back exactly.
std::string exactNumber(double v);

}  // namespace roundlab
