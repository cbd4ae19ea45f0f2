#include "engine/core/AtomicFile.h"

#include <filesystem>
#include <random>

#include "engine/core/Error.h"

namespace roundlab {

namespace fs = std::filesystem;

AtomicFile::AtomicFile(std::string target) : target_(std::move(target)) {
  const fs::path t(target_);
  const fs::path dir = t.has_parent_path() ? t.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw Error(ErrorCode::WriteFailed, "cannot write " + target_ + ": folder does not exist");
  temp_ = (dir / ("." + t.filename().string() + ".tmp" + std::to_string(std::random_device{}()))).string();
}

AtomicFile::~AtomicFile() {
  if (committed_) return;
  std::error_code ec;
  fs::remove(temp_, ec);
}

void AtomicFile::commit() {
  std::error_code ec;
  fs::rename(temp_, target_, ec);
  if (ec) throw Error(ErrorCode::WriteFailed, "cannot replace " + target_ + ": " + ec.message());
  committed_ = true;
}

}  // namespace roundlab
