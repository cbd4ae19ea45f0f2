#include "engine/core/AtomicFile.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "engine/core/Error.h"

namespace roundlab {

namespace fs = std::filesystem;

namespace {

constexpr const char* kTempMarker = ".roundlab-tmp.";

std::string lowerFirst(std::string s) {
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = static_cast<char>(s[0] - 'A' + 'a');
  return s;
}

// The PID in ".NAME.roundlab-tmp.PID.N", or 0 when `name` is not one of ours.
long temporaryFileOwner(const std::string& name) {
  if (name.empty() || name[0] != '.') return 0;
  const size_t at = name.rfind(kTempMarker);
  if (at == std::string::npos) return 0;
  const char* p = name.c_str() + at + std::strlen(kTempMarker);
  char* end = nullptr;
  const long pid = std::strtol(p, &end, 10);
  if (end == p || *end != '.' || pid <= 0) return 0;
  return pid;
}

void syncFolder(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;  // best effort: the rename itself has happened
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

int removeStaleTemporaryFiles(const std::string& folder) {
  return removeFilesOfEndedProcesses(folder, temporaryFileOwner);
}

int removeFilesOfEndedProcesses(const std::string& folder, const std::function<long(const std::string&)>& ownerOf) {
  int removed = 0;
  std::error_code ec;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    const long pid = ownerOf(it->path().filename().string());
    if (pid == 0 || pid == static_cast<long>(::getpid())) continue;
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // still running (or not ours to ask)
    std::error_code removeError;
    if (fs::remove(it->path(), removeError)) ++removed;
  }
  return removed;
}

AtomicFile::AtomicFile(std::string target) : target_(std::move(target)) {
  const fs::path t(target_);
  const fs::path dir = t.has_parent_path() ? t.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw Error(ErrorCode::WriteFailed, "cannot write " + target_ + ": folder does not exist");
  removeStaleTemporaryFiles(dir.string());
  static std::atomic<unsigned> counter{0};
  temp_ =
      (dir / ("." + t.filename().string() + kTempMarker + std::to_string(::getpid()) + "." + std::to_string(counter++)))
          .string();
}

AtomicFile::~AtomicFile() {
  if (committed_) return;
  std::error_code ec;
  fs::remove(temp_, ec);
}

void AtomicFile::fail(const std::string& what, int error) {
  std::error_code ec;
  fs::remove(temp_, ec);
  const bool existed = fs::exists(target_, ec);
  // EFBIG: a file-size limit (ulimit -f) or the file system's largest file.
  const std::string reason = error == EFBIG ? "file too large (a file-size limit, ulimit -f, or the file system's)"
                                            : lowerFirst(std::strerror(error));
  throw Error(ErrorCode::WriteFailed, what + " " + target_ + " failed: " + reason +
                                          (existed ? "; the existing file is unchanged" : "; nothing was written"));
}

void AtomicFile::write(const void* data, std::size_t size) {
  const int fd = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) fail("writing", errno);
  const char* p = static_cast<const char*>(data);
  std::size_t left = size;
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = n < 0 ? errno : ENOSPC;
      ::close(fd);
      fail("writing", error);
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  // Delayed allocation can report a full disk only here.
  if (::fsync(fd) != 0) {
    const int error = errno;
    ::close(fd);
    fail("writing", error);
  }
  if (::close(fd) != 0) fail("writing", errno);
}

void AtomicFile::commit() {
  struct stat existing {};
  if (::stat(target_.c_str(), &existing) == 0) ::chmod(temp_.c_str(), existing.st_mode & 07777);
  if (::rename(temp_.c_str(), target_.c_str()) != 0) fail("replacing", errno);
  committed_ = true;
  const fs::path t(target_);
  syncFolder(t.has_parent_path() ? t.parent_path() : fs::path("."));
}

}  // namespace roundlab
