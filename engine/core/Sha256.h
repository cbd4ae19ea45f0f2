#pragma once
// SHA-256 of files (FIPS 180-4), for the input hashes every run records.
#include <string>

namespace roundlab {

// Lower-case hex digest of a file's bytes. Throws FileNotFound.
std::string sha256File(const std::string& path);
// Of a byte string (tests check it against the standard's examples).
std::string sha256Hex(const std::string& bytes);
// Refuses (BadDataFile) a file whose bytes changed since `when`, e.g. "the session was saved",
// naming the file and both digests' starts; FileNotFound when it is gone.
void checkRecordedHash(const std::string& path, const std::string& recordedSha256, const std::string& what,
                       const std::string& when = "the session was saved");

}  // namespace roundlab
