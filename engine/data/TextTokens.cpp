#include "engine/data/TextTokens.h"

#include <algorithm>
#include <map>
#include <set>

#include "engine/core/Error.h"
#include "engine/data/Dataset.h"

namespace roundlab {

namespace {

// Length of the UTF-8 character starting at text[i]; 1 for a byte that starts no valid sequence
// (Latin-1 text), so that it never swallows the characters after it.
size_t utf8Length(const std::string& text, size_t i) {
  const auto c = static_cast<unsigned char>(text[i]);
  const size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
  if (i + n > text.size()) return 1;
  for (size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return 1;
  return n;
}

}  // namespace

Vocabulary byteVocabulary() { return {"bytes", {}}; }

Vocabulary charVocabulary(const std::string& text) {
  std::set<std::string> chars;
  for (size_t i = 0; i < text.size();) {
    const size_t n = utf8Length(text, i);
    chars.insert(text.substr(i, n));
    i += n;
  }
  // UTF-8 byte order is code point order.
  return {"chars", std::vector<std::string>(chars.begin(), chars.end())};
}

Vocabulary listedVocabulary(std::vector<std::string> tokens, const std::string& origin) {
  std::set<std::string> seen;
  for (size_t id = 0; id < tokens.size(); ++id) {
    if (tokens[id].empty())
      throw Error(ErrorCode::InvalidArgument, origin + ": token id " + std::to_string(id) + " is empty or missing");
    if (!seen.insert(tokens[id]).second)
      throw Error(ErrorCode::InvalidArgument, origin + ": the token '" + tokens[id] + "' has two ids");
  }
  if (tokens.empty()) throw Error(ErrorCode::InvalidArgument, origin + " lists no tokens");
  return {"file", std::move(tokens)};
}

std::vector<int64_t> tokenize(const std::string& text, const Vocabulary& vocab, const std::string& origin) {
  std::vector<int64_t> ids;
  ids.reserve(text.size());
  if (vocab.kind == "bytes") {
    for (char c : text) ids.push_back(static_cast<unsigned char>(c));
    return ids;
  }
  std::map<std::string, int64_t> idOf;
  size_t longest = 1;
  for (size_t id = 0; id < vocab.tokens.size(); ++id) {
    idOf.emplace(vocab.tokens[id], static_cast<int64_t>(id));
    longest = std::max(longest, vocab.tokens[id].size());
  }
  int64_t line = 1;
  for (size_t i = 0; i < text.size();) {
    size_t n = std::min(longest, text.size() - i);
    auto it = idOf.end();
    for (; n > 0; --n)  // the longest listed token here (one character, for a character vocabulary)
      if ((it = idOf.find(text.substr(i, n))) != idOf.end()) break;
    if (it == idOf.end())
      throw Error(ErrorCode::BadDataFile,
                  origin + " line " + std::to_string(line) + ": the text '" + text.substr(i, utf8Length(text, i)) +
                      "' is in no token of the vocabulary (" + std::to_string(vocab.size()) + " tokens)");
    ids.push_back(it->second);
    line += std::count(text.begin() + static_cast<std::ptrdiff_t>(i), text.begin() + static_cast<std::ptrdiff_t>(i + n),
                       '\n');
    i += n;
  }
  return ids;
}

TokenSet tokenWindows(const std::vector<int64_t>& ids, int64_t context, int64_t count, uint64_t seed,
                      const std::string& origin) {
  if (context < 1) throw Error(ErrorCode::InvalidArgument, "the context must be at least 1 token");
  const int64_t windows = (static_cast<int64_t>(ids.size()) - 1) / context;
  if (windows < 1)
    throw Error(ErrorCode::InvalidArgument, origin + " has " + std::to_string(ids.size()) +
                                                " tokens, fewer than one window of " + std::to_string(context) +
                                                " tokens and its next token");
  TokenSet s;
  s.context = context;
  for (int64_t w : sampleIndices(windows, count, seed)) {
    const auto first = ids.begin() + w * context;
    s.inputs.insert(s.inputs.end(), first, first + context);
    s.labels.insert(s.labels.end(), first + 1, first + context + 1);
    ++s.n;
  }
  return s;
}

}  // namespace roundlab
