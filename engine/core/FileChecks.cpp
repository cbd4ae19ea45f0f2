#include "engine/core/FileChecks.h"

#include <unistd.h>

#include <filesystem>

namespace roundlab {

namespace fs = std::filesystem;

void requireReadableFile(const std::string& path, const std::string& what, ErrorCode code) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) throw Error(ErrorCode::FileNotFound, what + " not found: " + path);
  if (fs::is_directory(status)) throw Error(code, path + " is a folder, not a " + what);
  if (!fs::is_regular_file(status))
    throw Error(code, path + " is not a regular file (a FIFO, device or socket), not a " + what);
  if (::access(path.c_str(), R_OK) != 0)
    throw Error(code, path + " cannot be read: permission denied (check the file's permissions)");
}

void requireWritableTarget(const std::string& path, const std::vector<std::string>& inputs) {
  std::error_code ec;
  const fs::path target(path);
  if (fs::is_directory(target, ec)) throw Error(ErrorCode::WriteFailed, path + " is a folder; give a file name");
  fs::path folder = target.parent_path();
  if (folder.empty()) folder = ".";
  if (!fs::is_directory(folder, ec))
    throw Error(ErrorCode::WriteFailed, "cannot write " + path + ": the folder " + folder.string() + " does not exist");
  if (::access(folder.c_str(), W_OK) != 0)
    throw Error(ErrorCode::WriteFailed,
                "cannot write " + path + ": the folder " + folder.string() + " is not writable");
  if (!fs::exists(target, ec)) return;
  for (const std::string& input : inputs)
    if (!input.empty() && fs::equivalent(target, input, ec))
      throw Error(ErrorCode::InvalidArgument, "will not write " + path + ": it is also an input of this run (" + input +
                                                  "); choose another file name");
}

}  // namespace roundlab
