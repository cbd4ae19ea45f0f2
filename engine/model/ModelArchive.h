#pragma once
// The front checks of a model file before LibTorch reads it. A TorchScript file is a zip archive;
// LibTorch does not verify its records' CRC-32, so a file damaged in the middle would load and
// run with wrong weights. These checks walk the zip directory and verify every record's CRC-32,
// and give one clear line for an empty, truncated, non-zip or damaged file.
#include <cstddef>
#include <string>

namespace roundlab {

// Throws NotTorchScript naming `path` and what is wrong (empty, not a zip archive, truncated,
// record NAME damaged). `bytes` is the whole file.
void checkModelArchive(const std::string& path, const char* bytes, std::size_t size);
// Reads the file and checks it. Throws FileNotFound / NotTorchScript.
void checkModelArchiveFile(const std::string& path);

}  // namespace roundlab
