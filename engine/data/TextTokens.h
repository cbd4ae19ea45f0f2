#pragma once
// Token-id data from plain text, without Python: a vocabulary (bytes, the text's characters, or a
// list of token texts), tokenization, and fixed-length windows with next-token labels, written as
// a RoundLab data file (docs/data-format.md, "Token ids").
#include <cstdint>
#include <string>
#include <vector>

namespace roundlab {

struct Vocabulary {
  std::string kind;                 // "bytes", "chars" or "file"
  std::vector<std::string> tokens;  // token text by id (bytes: empty; id = byte value, 256 ids)
  int64_t size() const { return kind == "bytes" ? 256 : static_cast<int64_t>(tokens.size()); }
};

Vocabulary byteVocabulary();
// The distinct UTF-8 characters of `text`, by code point: id = rank.
Vocabulary charVocabulary(const std::string& text);
// A vocabulary file's tokens by id (each non-empty and distinct, else InvalidArgument).
Vocabulary listedVocabulary(std::vector<std::string> tokens, const std::string& origin);

// Ids of `text`: bytes, characters, or the longest listed token at each position. Throws
// BadDataFile naming `origin`, the line and the text that no token covers.
std::vector<int64_t> tokenize(const std::string& text, const Vocabulary& vocab, const std::string& origin);

struct TokenSet {
  int64_t n = 0, context = 0;
  std::vector<int64_t> inputs, labels;  // n x context each; labels[i][t]: the token after inputs[i][t]
  Vocabulary vocab;
  std::string source;
};

// Non-overlapping windows of context + 1 tokens (stride `context`): inputs the first `context`,
// labels the last; `count` of them drawn with `seed` (sampleIndices), all when count <= 0.
// Throws InvalidArgument when the text is shorter than one window.
TokenSet tokenWindows(const std::vector<int64_t>& ids, int64_t context, int64_t count, uint64_t seed,
                      const std::string& origin);

// Writes /inputs and /labels (uint16 when the vocabulary fits, else int32), the vocabulary and
// the source, atomically. Throws WriteFailed.
void writeTokenSet(const std::string& path, const TokenSet& set);

}  // namespace roundlab
