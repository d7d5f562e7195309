// Checked whole-file reads and writes (see skintrack/io/file_io.h).
#include "skintrack/io/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "io/image_file.h"

namespace fs = std::filesystem;

namespace skintrack::io {
namespace {

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
    return Status::InvalidInput(path + ": is " + internal::SizeForMessage(reader.size()) +
                                ", more than the " + internal::SizeForMessage(max_bytes) + " " +
                                what + " may have");
  }
  bytes->resize(static_cast<std::size_t>(reader.size()));
  if (!reader.ReadAt(0, bytes->data(), bytes->size()))
    return Status::InvalidInput(path + ": cannot read (read error or the file changed)");
  return Status::Ok();
}

Status CheckWritable(const std::string& path) {
  if (path.empty()) return Status::IoError("(empty path): cannot write");
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (st.type() == fs::file_type::directory) return WriteError(path, "is a directory");
  // An existing file or device, or a dangling link (its target is created through it): the
  // write itself tells the rest.
  if (fs::exists(st) || fs::is_symlink(fs::symlink_status(path, ec))) return Status::Ok();
  const fs::path parent = fs::path(path).parent_path();
  if (!parent.empty() && !fs::is_directory(parent, ec))
    return WriteError(
        path, fs::exists(parent, ec) ? "parent is not a directory" : "directory does not exist");
  return Status::Ok();
}

Status WriteFile(const std::string& path, const void* data, std::size_t size) {
  const char* bytes = static_cast<const char*>(data);
  SKINTRACK_RETURN_IF_ERROR(CheckWritable(path));
  struct stat st {};
  struct stat link {};
  const bool exists = ::stat(path.c_str(), &st) == 0;
  const bool symlink = ::lstat(path.c_str(), &link) == 0 && S_ISLNK(link.st_mode);
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
