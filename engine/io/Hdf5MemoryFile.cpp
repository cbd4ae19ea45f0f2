#include "engine/io/Hdf5MemoryFile.h"

#include <atomic>

namespace roundlab::hdf5 {

namespace {

H5::FileAccPropList inMemory() {
  H5::FileAccPropList access;
  access.setCore(1 << 20, false);  // grow by 1 MiB; nothing is ever written to disk by HDF5
  return access;
}

// The core driver still registers the name: two open memory files must not share it.
std::string uniqueName() {
  static std::atomic<unsigned> counter{0};
  return "roundlab-memory-file-" + std::to_string(counter++) + ".h5";
}

}  // namespace

MemoryFile::MemoryFile() : file_(uniqueName(), H5F_ACC_TRUNC, H5::FileCreatPropList::DEFAULT, inMemory()) {}

MemoryFile::~MemoryFile() {
  try {
    file_.close();
  } catch (const H5::Exception&) {  // in memory: nothing to lose
  }
}

std::string MemoryFile::image() {
  file_.flush(H5F_SCOPE_GLOBAL);
  const hid_t id = file_.getId();
  const ssize_t size = H5Fget_file_image(id, nullptr, 0);
  if (size < 0) throw H5::FileIException("H5Fget_file_image", "cannot take the in-memory file's image");
  std::string bytes(static_cast<size_t>(size), '\0');
  if (H5Fget_file_image(id, bytes.data(), bytes.size()) != size)
    throw H5::FileIException("H5Fget_file_image", "cannot copy the in-memory file's image");
  file_.close();
  return bytes;
}

}  // namespace roundlab::hdf5
