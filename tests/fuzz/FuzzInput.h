#pragma once
// Shared by RoundLab's fuzz targets: readers take paths, so each input is written to a file of
// this process first. A reader may throw roundlab::Error (a clear message for a bad file: the
// expected outcome); anything else escaping (another exception, a crash, a sanitizer report) is
// a bug that the fuzzer reports.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

namespace roundlab::fuzz {

inline std::string writeInput(const uint8_t* data, size_t size, const char* suffix) {
  const std::string path = "/tmp/roundlab-fuzz-" + std::to_string(::getpid()) + suffix;
  if (FILE* f = std::fopen(path.c_str(), "wb")) {
    if (size > 0) std::fwrite(data, 1, size, f);
    std::fclose(f);
  }
  return path;
}

}  // namespace roundlab::fuzz
