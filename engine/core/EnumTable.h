#pragma once
// One table per enum: each value's name and a short description, written once and used for
// printing, parsing, command-line help and error messages alike, so they cannot drift apart.
#include <initializer_list>
#include <string>
#include <vector>

namespace roundlab {

// Throws InvalidArgument "<what> must be one of <names>, got '<text>'".
[[noreturn]] void throwUnknownEnumName(const char* what, const std::string& text, const std::string& names);

template <typename E>
class EnumTable {
 public:
  struct Entry {
    E value;
    const char* name;
    const char* description;
  };

  // `what` names the setting in messages, e.g. "method", "grid".
  EnumTable(const char* what, std::initializer_list<Entry> entries) : what_(what), entries_(entries) {}

  const char* what() const { return what_; }
  const std::vector<Entry>& entries() const { return entries_; }
  const char* name(E value) const {
    for (const Entry& e : entries_)
      if (e.value == value) return e.name;
    return "?";
  }
  const char* description(E value) const {
    for (const Entry& e : entries_)
      if (e.value == value) return e.description;
    return "";
  }
  // Throws InvalidArgument listing the names.
  E parse(const std::string& text) const {
    for (const Entry& e : entries_)
      if (text == e.name) return e.value;
    throwUnknownEnumName(what_, text, names());
  }
  // "a, b, c" (or joined by `separator`, e.g. "|" for usage lines).
  std::string names(const char* separator = ", ") const {
    std::string out;
    for (const Entry& e : entries_) out += (out.empty() ? "" : separator) + std::string(e.name);
    return out;
  }
  // "a (what a is), b (what b is)" for help texts; entries without a description stay bare.
  std::string namesWithDescriptions() const {
    std::string out;
    for (const Entry& e : entries_) {
      out += (out.empty() ? "" : ", ") + std::string(e.name);
      if (e.description && *e.description) out += std::string(" (") + e.description + ")";
    }
    return out;
  }

 private:
  const char* what_;
  std::vector<Entry> entries_;
};

}  // namespace roundlab
