#include "engine/model/ModelArchive.h"

#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <vector>

#include "engine/core/Error.h"

namespace roundlab {

namespace {

// Zip format: PKWARE APPNOTE.TXT 6.3 (sections 4.3.7 local header, 4.3.12 central directory,
// 4.3.14-16 end of central directory and its zip64 forms).
constexpr uint32_t kLocalHeader = 0x04034b50, kCentralHeader = 0x02014b50, kEnd = 0x06054b50, kEnd64 = 0x06064b50,
                   kEnd64Locator = 0x07064b50;

class Reader {
 public:
  Reader(const std::string& path, const char* bytes, std::size_t size) : path_(path), p_(bytes), size_(size) {}
  std::size_t size() const { return size_; }
  bool fits(uint64_t at, uint64_t n) const { return at <= size_ && n <= size_ - at; }
  uint64_t u(uint64_t at, int width) const {
    if (!fits(at, static_cast<uint64_t>(width))) truncated();
    uint64_t v = 0;
    for (int i = width - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p_[at + static_cast<uint64_t>(i)]);
    return v;
  }
  const char* at(uint64_t offset) const { return p_ + offset; }
  [[noreturn]] void truncated() const {
    throw Error(ErrorCode::NotTorchScript,
                path_ + " is not a TorchScript file: truncated or damaged (its zip directory points past the end)");
  }
  [[noreturn]] void damaged(const std::string& what) const {
    throw Error(ErrorCode::NotTorchScript, path_ + " is damaged: " + what + " (copy or download it again)");
  }

 private:
  const std::string& path_;
  const char* p_;
  std::size_t size_;
};

uint32_t crcOf(const char* data, uint64_t size) {
  uLong crc = crc32(0L, Z_NULL, 0);
  while (size > 0) {
    const uInt n = static_cast<uInt>(std::min<uint64_t>(size, 1u << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data), n);
    data += n;
    size -= n;
  }
  return static_cast<uint32_t>(crc);
}

// CRC-32 of a deflated record's inflated bytes; false when the stream is broken.
bool inflatedCrc(const char* data, uint64_t size, uint64_t expectedSize, uint32_t& crc) {
  z_stream z{};
  if (inflateInit2(&z, -MAX_WBITS) != Z_OK) return false;
  std::vector<unsigned char> buffer(1 << 16);
  uLong c = crc32(0L, Z_NULL, 0);
  uint64_t produced = 0;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
  z.avail_in = static_cast<uInt>(std::min<uint64_t>(size, UINT32_MAX));
  int status = Z_OK;
  while (status == Z_OK) {
    z.next_out = buffer.data();
    z.avail_out = static_cast<uInt>(buffer.size());
    status = inflate(&z, Z_NO_FLUSH);
    const uInt n = static_cast<uInt>(buffer.size()) - z.avail_out;
    c = crc32(c, buffer.data(), n);
    produced += n;
    if (status == Z_BUF_ERROR && z.avail_in == 0) break;
  }
  inflateEnd(&z);
  crc = static_cast<uint32_t>(c);
  return status == Z_STREAM_END && produced == expectedSize;
}

}  // namespace

void checkModelArchive(const std::string& path, const char* bytes, std::size_t size) {
  if (size == 0) throw Error(ErrorCode::NotTorchScript, path + " is empty, not a TorchScript file");
  const Reader r(path, bytes, size);
  if (size < 4 || r.u(0, 4) != kLocalHeader)
    throw Error(ErrorCode::NotTorchScript, path +
                                               " is not a TorchScript file (not a zip archive; save the model with "
                                               "torch.jit.script(model).save() or torch.jit.trace)");
  // The end-of-central-directory record: 22 bytes plus a comment of up to 64 KiB, at the end.
  uint64_t end = UINT64_MAX;
  for (uint64_t at = size >= 22 ? size - 22 : 0, stop = size > 22 + 65535 ? size - 22 - 65535 : 0;; --at) {
    if (r.u(at, 4) == kEnd && at + 22 + r.u(at + 20, 2) == size) {
      end = at;
      break;
    }
    if (at == stop) break;
  }
  if (end == UINT64_MAX)
    throw Error(ErrorCode::NotTorchScript,
                path + " is not a TorchScript file: truncated or damaged (the zip directory at its end is missing)");
  uint64_t entries = r.u(end + 10, 2), directorySize = r.u(end + 12, 4), directory = r.u(end + 16, 4);
  if (entries == 0xffff || directory == 0xffffffff) {  // zip64
    if (end < 20 || r.u(end - 20, 4) != kEnd64Locator) r.truncated();
    const uint64_t end64 = r.u(end - 20 + 8, 8);
    if (r.u(end64, 4) != kEnd64) r.truncated();
    entries = r.u(end64 + 32, 8);
    directorySize = r.u(end64 + 40, 8);
    directory = r.u(end64 + 48, 8);
  }
  if (!r.fits(directory, directorySize)) r.truncated();
  uint64_t at = directory;
  for (uint64_t i = 0; i < entries; ++i) {
    if (r.u(at, 4) != kCentralHeader) r.damaged("its zip directory is broken at entry " + std::to_string(i + 1));
    const uint64_t method = r.u(at + 10, 2), crc = r.u(at + 16, 4), nameLength = r.u(at + 28, 2),
                   extraLength = r.u(at + 30, 2), commentLength = r.u(at + 32, 2);
    uint64_t compressed = r.u(at + 20, 4), uncompressed = r.u(at + 24, 4), local = r.u(at + 42, 4);
    if (!r.fits(at + 46, nameLength + extraLength)) r.truncated();
    const std::string name(r.at(at + 46), nameLength);
    // Zip64 sizes and offset live in extra field 0x0001, in this order, only where the 32-bit field is full.
    for (uint64_t e = at + 46 + nameLength, stop = e + extraLength; e + 4 <= stop;) {
      const uint64_t id = r.u(e, 2), length = r.u(e + 2, 2);
      if (id == 1) {
        uint64_t f = e + 4;
        if (uncompressed == 0xffffffff) uncompressed = r.u(f, 8), f += 8;
        if (compressed == 0xffffffff) compressed = r.u(f, 8), f += 8;
        if (local == 0xffffffff) local = r.u(f, 8);
      }
      e += 4 + length;
    }
    if (r.u(local, 4) != kLocalHeader) r.damaged("record '" + name + "' does not start where the directory says");
    const uint64_t data = local + 30 + r.u(local + 26, 2) + r.u(local + 28, 2);
    if (!r.fits(data, compressed)) r.truncated();
    uint32_t actual = 0;
    if (method == 0) {
      actual = crcOf(r.at(data), compressed);
    } else if (method == 8) {
      if (!inflatedCrc(r.at(data), compressed, uncompressed, actual))
        r.damaged("record '" + name + "' does not decompress");
    } else {
      r.damaged("record '" + name + "' uses zip method " + std::to_string(method) + ", which TorchScript never writes");
    }
    if (actual != crc) r.damaged("record '" + name + "' fails its CRC-32 check");
    at += 46 + nameLength + extraLength + commentLength;
  }
}

void checkModelArchiveFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw Error(ErrorCode::FileNotFound, "model file cannot be opened: " + path);
  const std::streamoff size = in.tellg();
  std::vector<char> bytes(static_cast<std::size_t>(std::max<std::streamoff>(size, 0)));
  in.seekg(0);
  if (!bytes.empty() && !in.read(bytes.data(), size))
    throw Error(ErrorCode::NotTorchScript, path + " cannot be read to its end (a disk or network error?)");
  checkModelArchive(path, bytes.data(), bytes.size());
}

}  // namespace roundlab
