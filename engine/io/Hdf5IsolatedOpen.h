#pragma once
// How every HDF5 reader of RoundLab opens a file, so that HDF5 never parses an untrusted byte in
// RoundLab's own process. HDF5 1.10.8 crashes, reads out of bounds or loops for ever on some
// damaged files (tests/fuzz/hdf5-known-crashes), and an out-of-bounds read need not crash where
// it happens, so a trial read proves nothing. Hence:
//  - a file RoundLab sealed (Hdf5MemoryFile.h) is checked against its checksum and opened as is;
//  - any other file is copied, object by object, by HDF5 in a child process into a fresh in-memory
//    file; RoundLab reads that copy. A crash or a hang ends only the child, and the file is
//    refused with one line.
#include <H5Cpp.h>

#include <string>

namespace roundlab::hdf5 {

// Opens `path` read-only as above. Throws Error(BadDataFile) naming `path` when its seal is
// broken, or when HDF5 crashed or ran past a time limit (growing with the size) while copying it;
// H5::FileIException when HDF5 cannot open it at all (the caller words that for its kind of file).
H5::H5File openForReading(const std::string& path);

// The child's work: every attribute of the root and every object under it (with their attributes)
// copied into a fresh file, skipping what does not copy; its image. Empty when the file does not
// open as HDF5. Runs in this process: exposed for the tests.
std::string copyToMemory(const std::string& path);

}  // namespace roundlab::hdf5
