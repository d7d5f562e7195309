// Checked whole-file reads and writes (see skintrack/io/file_io.h).
#include "skintrack/io/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "io/image_file.h"

namespace fs = std::filesystem;

namespace skintrack::io {
namespace {

std::string Bytes(std::uint64_t n) {
  char buf[32];
  if (n >= 1000000000ull) {
    std::snprintf(buf, sizeof(buf), "%.1f GB", static_cast<double>(n) / 1e9);
  } else if (n >= 1000000ull) {
    std::snprintf(buf, sizeof(buf), "%.1f MB", static_cast<double>(n) / 1e6);
  } else if (n >= 1000ull) {
    std::snprintf(buf, sizeof(buf), "%.1f kB", static_cast<double>(n) / 1e3);
  } else {
    std::snprintf(buf, sizeof(buf), "%llu bytes", static_cast<unsigned long long>(n));
  }
  return buf;
}

Status WriteError(const std::string& path, const std::string& reason) {
  return Status::IoError(path + ": cannot write (" + reason + ")");
}

// Writes all of `bytes` to the open descriptor and closes it; errno's reason or "".
std::string WriteAllAndClose(int fd, const char* data, std::size_t size) {
  std::size_t done = 0;
  std::string reason;
  while (done < size) {
    const ssize_t n = ::write(fd, data + done, size - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      reason = std::strerror(errno);
      break;
    }
    if (n == 0) {
      reason = "short write";
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0 && reason.empty()) reason = std::strerror(errno);
  return reason;
}

}  // namespace

Status ReadSmallFile(const std::string& path, std::uint64_t max_bytes, const std::string& what,
                     std::string* bytes) {
  if (bytes == nullptr) return Status::InvalidArgument("ReadSmallFile: null output");
  internal::FileReader reader;
  SKINTRACK_RETURN_IF_ERROR(reader.Open(path));  // regular, non-empty, readable
  if (reader.size() > max_bytes) {
    return Status::InvalidInput(path + ": is " + Bytes(reader.size()) + ", more than the " +
                                Bytes(max_bytes) + " " + what + " may have");
  }
  bytes->resize(static_cast<std::size_t>(reader.size()));
  if (!reader.ReadAt(0, bytes->data(), bytes->size()))
    return Status::InvalidInput(path + ": cannot read (read error or the file changed)");
  return Status::Ok();
}

Status WriteFile(const std::string& path, const void* data, std::size_t size) {
  const char* bytes = static_cast<const char*>(data);
  if (path.empty()) return Status::IoError("(empty path): cannot write");
  struct stat st {};
  struct stat link {};
  const bool exists = ::stat(path.c_str(), &st) == 0;
  const bool symlink = ::lstat(path.c_str(), &link) == 0 && S_ISLNK(link.st_mode);
  if (exists && S_ISDIR(st.st_mode)) return WriteError(path, "is a directory");
  if ((exists && !S_ISREG(st.st_mode)) || symlink) {
    // A device or FIFO, or a symbolic link (e.g. /dev/stdout, which a rename would replace):
    // written in place through it, never replaced or removed.
    const bool file = !exists || S_ISREG(st.st_mode);  // (a link to one, or to nothing yet)
    const int fd =
        ::open(path.c_str(), O_WRONLY | O_CLOEXEC | (file ? O_CREAT | O_TRUNC : 0), 0666);
    if (fd < 0) return WriteError(path, std::strerror(errno));
    const std::string reason = WriteAllAndClose(fd, bytes, size);
    return reason.empty() ? Status::Ok() : WriteError(path, reason);
  }
  const fs::path target(path);
  const fs::path parent = target.parent_path();
  std::error_code ec;
  if (!parent.empty() && !fs::is_directory(parent, ec))
    return WriteError(
        path, fs::exists(parent, ec) ? "parent is not a directory" : "directory does not exist");
  // A temporary file beside the target (same file system, so the rename is atomic).
  static std::atomic<unsigned> counter{0};
  const std::string tmp =
      path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) return WriteError(path, std::strerror(errno));
  std::string reason = WriteAllAndClose(fd, bytes, size);
  if (reason.empty() && ::rename(tmp.c_str(), path.c_str()) != 0) reason = std::strerror(errno);
  if (!reason.empty()) {
    ::unlink(tmp.c_str());
    return WriteError(path, reason);
  }
  return Status::Ok();
}

}  // namespace skintrack::io
