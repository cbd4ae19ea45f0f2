#include "engine/io/Hdf5MemoryFile.h"

#include <atomic>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "engine/core/Sha256.h"

namespace roundlab::hdf5 {

namespace {

constexpr hsize_t kUserBlock = 512;
constexpr const char kSealMarker[] = "RoundLab sealed HDF5, sha256 of the bytes after 512: ";

void seal(std::string& bytes) {
  const std::string mark = kSealMarker + sha256Hex(bytes.substr(kUserBlock)) + "\n";
  std::memcpy(bytes.data(), mark.data(), mark.size());  // the user block is HDF5's to leave alone
}

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
  // The seal goes in front, as a user block: HDF5 finds the superblock at 512 (h5jam does the same).
  bytes.insert(0, kUserBlock, '\0');
  seal(bytes);
  return bytes;
}

bool hasSeal(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char head[sizeof kSealMarker - 1] = {};
  return in.read(head, sizeof head) && std::memcmp(head, kSealMarker, sizeof head) == 0;
}

Seal checkSeal(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char head[sizeof kSealMarker - 1] = {};
  if (!in.read(head, sizeof head) || std::memcmp(head, kSealMarker, sizeof head) != 0) return Seal::Absent;
  char digest[64];
  if (!in.read(digest, sizeof digest)) return Seal::Broken;
  in.seekg(0, std::ios::end);
  if (in.tellg() <= static_cast<std::streamoff>(kUserBlock)) return Seal::Broken;
  in.seekg(static_cast<std::streamoff>(kUserBlock));
  const std::string rest{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (!in.eof() && in.fail()) return Seal::Broken;
  return sha256Hex(rest) == std::string(digest, sizeof digest) ? Seal::Intact : Seal::Broken;
}

void resealFile(const std::string& path) {
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  if (bytes.size() <= kUserBlock) throw std::runtime_error(path + " has no user block to seal");
  seal(bytes);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot rewrite " + path);
}

}  // namespace roundlab::hdf5
