// Whole-file reads and writes for small files (presets, models, JSON, encoded images), with
// the checks a command-line tool needs: errors name the file and the reason.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "skintrack/core/status.h"

namespace skintrack::io {

// Reads all of `path` into *bytes. kInvalidInput naming the file when it is missing, a
// directory, not a regular file (a FIFO or a device could block or never end), empty, larger
// than max_bytes (e.g. "is 3.2 GB, more than the 1.0 MB a preset may have", with `what` =
// "a preset"), or unreadable.
Status ReadSmallFile(const std::string& path, std::uint64_t max_bytes, const std::string& what,
                     std::string* bytes);

// Whether `path` can be written as far as can be told without writing: kIoError naming it when
// it is a directory, or when it does not exist and its directory does not either (or is not a
// directory). WriteFile checks the same first; a caller can check before costly work.
Status CheckWritable(const std::string& path);

// Writes `bytes` to `path`. A regular file (or a new one) is written to a temporary file beside
// it and renamed over it, so a failed write leaves the old file, or none, never a partial one.
// Anything else that exists there (a device, a FIFO, a symbolic link such as /dev/stdout) is
// written in place and never removed or replaced. kIoError naming the file: is a directory, its
// directory is missing, or it cannot be opened, written or closed (with the system's reason, e.g.
// "No space left on device").
Status WriteFile(const std::string& path, const void* data, std::size_t size);
inline Status WriteFile(const std::string& path, const std::string& bytes) {
  return WriteFile(path, bytes.data(), bytes.size());
}

}  // namespace skintrack::io
