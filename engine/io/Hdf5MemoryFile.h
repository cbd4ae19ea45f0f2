#pragma once
// An HDF5 file built in memory (the core driver, no backing store). RoundLab's savers build the
// whole file here and hand the finished image to an AtomicFile, so a full disk can only fail that
// one checked write: never an HDF5 close in a destructor, never a half-written file on disk.
//
// Every file is sealed: a 512-byte HDF5 user block at its start holds the SHA-256 of the rest.
// Readers check the seal before HDF5 parses a byte, so a damaged RoundLab file is refused with one
// line and never reaches HDF5's own parsers (which crash or hang on some corrupted heaps; see
// docs/reliability.md). HDF5 tools read sealed files as usual (they skip the user block).
#include <H5Cpp.h>

#include <string>

namespace roundlab::hdf5 {

class MemoryFile {
 public:
  MemoryFile();
  ~MemoryFile();
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;

  H5::H5File& file() { return file_; }
  // Flushes and closes the file and returns its bytes. Throws H5::Exception. Every group and
  // dataset opened on file() must be closed (out of scope) before.
  std::string image();

 private:
  H5::H5File file_;
};

enum class Seal { Absent, Intact, Broken };
// Whether the file at `path` starts with RoundLab's seal, and whether its checksum matches.
Seal checkSeal(const std::string& path);
// Only whether the file starts with the seal's marker (cheap: no checksum).
bool hasSeal(const std::string& path);
// Seals a file that starts with a 512-byte user block anew (for tools and tests that edit a
// sealed file on purpose). Throws std::runtime_error when it cannot.
void resealFile(const std::string& path);

}  // namespace roundlab::hdf5
