// Checked file access and small shared helpers of the io module.
#include "io/image_file.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace fs = std::filesystem;

namespace skintrack::io::internal {

namespace {

constexpr std::size_t kWindowSize = 64 * 1024;

std::string ReasonFromErrno(int err) {
  if (err == EACCES || err == EPERM) return "cannot read (permission denied)";
  if (err == 0) return "cannot read";
  return std::string("cannot read (") + std::strerror(err) + ")";
}

}  // namespace

Status FileReader::Open(const std::string& path) {
  path_ = path;
  size_ = 0;
  window_.clear();
  if (path.empty()) return Status::InvalidInput("(empty path): file not found");

  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (st.type() == fs::file_type::not_found || ec == std::errc::no_such_file_or_directory ||
      ec == std::errc::not_a_directory) {
    return InputError(path, "file not found");
  }
  if (ec) {
    if (ec == std::errc::permission_denied) return InputError(path, ReasonFromErrno(EACCES));
    return InputError(path, "cannot read (" + ec.message() + ")");
  }
  if (st.type() == fs::file_type::directory) return InputError(path, "is a directory");
  if (st.type() != fs::file_type::regular) return InputError(path, "not a regular file");

  const std::uintmax_t size = fs::file_size(path, ec);
  if (ec) return InputError(path, "cannot read (" + ec.message() + ")");
  if (size == 0) return InputError(path, "file is empty");

  errno = 0;
  in_.open(path, std::ios::binary);
  if (!in_.is_open()) return InputError(path, ReasonFromErrno(errno));
  size_ = size;
  return Status::Ok();
}

bool FileReader::Fill(std::uint64_t offset) {
  window_.clear();
  if (offset >= size_) return false;
  const std::size_t len =
      static_cast<std::size_t>(std::min<std::uint64_t>(kWindowSize, size_ - offset));
  window_.resize(len);
  in_.clear();
  in_.seekg(static_cast<std::streamoff>(offset));
  in_.read(reinterpret_cast<char*>(window_.data()), static_cast<std::streamsize>(len));
  if (!in_ || static_cast<std::size_t>(in_.gcount()) != len) {
    window_.clear();
    return false;
  }
  window_offset_ = offset;
  return true;
}

bool FileReader::ReadAt(std::uint64_t offset, void* dst, std::size_t n) {
  if (offset > size_ || n > size_ - offset) return false;
  if (n == 0) return true;
  if (n > kWindowSize) {
    in_.clear();
    in_.seekg(static_cast<std::streamoff>(offset));
    in_.read(static_cast<char*>(dst), static_cast<std::streamsize>(n));
    return in_ && static_cast<std::size_t>(in_.gcount()) == n;
  }
  const bool in_window =
      !window_.empty() && offset >= window_offset_ && offset + n <= window_offset_ + window_.size();
  if (!in_window && !Fill(offset)) return false;
  if (offset + n > window_offset_ + window_.size()) return false;  // file shrank
  std::memcpy(dst, window_.data() + (offset - window_offset_), n);
  return true;
}

std::size_t FileReader::Peek(std::uint64_t offset, const unsigned char** data) {
  const bool in_window =
      !window_.empty() && offset >= window_offset_ && offset < window_offset_ + window_.size();
  if (!in_window && !Fill(offset)) return 0;
  const std::size_t skip = static_cast<std::size_t>(offset - window_offset_);
  *data = window_.data() + skip;
  return window_.size() - skip;
}

std::uint32_t Crc32(const unsigned char* data, std::size_t n) {
  static const std::array<std::uint32_t, 256> table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1U) ? 0xEDB88320U ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  std::uint32_t crc = 0xFFFFFFFFU;
  for (std::size_t i = 0; i < n; ++i) crc = table[(crc ^ data[i]) & 0xFFU] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFU;
}

std::string SizeForMessage(std::uint64_t n) {
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

std::string FormatDisplayName(const std::string& format) {
  if (format == "jpeg") return "JPEG";
  if (format == "png") return "PNG";
  if (format == "tiff") return "TIFF";
  if (format == "webp") return "WebP";
  if (format == "bmp") return "BMP";
  return format;
}

}  // namespace skintrack::io::internal
