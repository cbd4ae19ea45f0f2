#pragma once
// An HDF5 file built in memory (the core driver, no backing store). RoundLab's savers build the
// whole file here and hand the finished image to an AtomicFile, so a full disk can only fail that
// one checked write: never an HDF5 close in a destructor, never a half-written file on disk.
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

}  // namespace roundlab::hdf5
