// Private helpers of the io module: checked file access, header parsing and truncation checks.
// Not part of the public API (see include/skintrack/io/image_io.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "skintrack/core/status.h"
#include "skintrack/io/image_io.h"

namespace skintrack::io::internal {

// Random-access reads from a regular file whose size is known up front.
class FileReader {
 public:
  // Checks that `path` names a readable, non-empty regular file and opens it. Errors are
  // kInvalidInput naming the file: not found, is a directory, not a regular file, empty,
  // cannot read (permission denied / other reason).
  Status Open(const std::string& path);

  std::uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }

  // Reads exactly n bytes at `offset`; false when they are not all in the file or on error.
  bool ReadAt(std::uint64_t offset, void* dst, std::size_t n);

  // Makes the bytes from `offset` on available in memory (a window of up to 64 KiB). Returns
  // how many are available at *data (0 at the end of the file or on a read error).
  std::size_t Peek(std::uint64_t offset, const unsigned char** data);

 private:
  bool Fill(std::uint64_t offset);

  std::ifstream in_;
  std::uint64_t size_ = 0;
  std::string path_;
  std::vector<unsigned char> window_;
  std::uint64_t window_offset_ = 0;
};

// Big- and little-endian integer decoding from a byte buffer.
inline std::uint16_t Be16(const unsigned char* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline std::uint32_t Be32(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}
inline std::uint16_t Le16(const unsigned char* p) {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}
inline std::uint32_t Le32(const unsigned char* p) {
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
         (std::uint32_t{p[3]} << 24);
}

// CRC-32 as used by PNG (ISO 3309 / zlib polynomial), over n bytes.
std::uint32_t Crc32(const unsigned char* data, std::size_t n);

// A file size for a message: "512 bytes", "3.2 kB", "83.9 MB", "3.2 GB" (decimal units).
std::string SizeForMessage(std::uint64_t bytes);

// Display name of a format id ("jpeg" -> "JPEG", "webp" -> "WebP", ...).
std::string FormatDisplayName(const std::string& format);

// Detects the format by magic bytes and parses the header. `reader` must be open.
// Errors are kInvalidInput naming reader.path().
Status ParseHeader(FileReader& reader, ImageHeader* header);

// Checks, without decoding, that the file holds all the data its structure announces: JPEG
// reaches an EOI marker after its last scan, PNG reaches IEND, TIFF strips/tiles, the WebP
// RIFF size and the BMP pixel array lie within the file. `header` comes from ParseHeader.
// Errors are kInvalidInput naming reader.path() with the word "truncated".
Status CheckComplete(FileReader& reader, const ImageHeader& header);

// One entry of a TIFF image file directory.
struct TiffEntry {
  std::uint16_t tag = 0;
  std::uint16_t type = 0;  // 1 BYTE, 3 SHORT, 4 LONG (others are not read)
  std::uint32_t count = 0;
  unsigned char value[4] = {0, 0, 0, 0};  // the value itself when it fits, else its offset
};

// The first image file directory of a (classic, not Big-) TIFF file.
struct TiffIfd {
  bool little_endian = true;
  std::vector<TiffEntry> entries;
  const TiffEntry* Find(std::uint16_t tag) const;
};

// Reads the first IFD. Errors are kInvalidInput naming the file ("header truncated", corrupt).
Status ReadTiffIfd(FileReader& reader, TiffIfd* ifd);

// Reads the values of a BYTE/SHORT/LONG entry (at most max_count of them, else false). False
// when the type is not one of those or the values lie outside the file.
bool ReadTiffValues(FileReader& reader, const TiffIfd& ifd, const TiffEntry& entry,
                    std::size_t max_count, std::vector<std::uint64_t>* values);

// When `reader` holds a BMP with the old 12-byte core header (which OpenCV 4.6 decodes as grey),
// fills *bmp with the same image rewritten with a BITMAPINFOHEADER, for cv::imdecode. Leaves
// *bmp empty for any other file. Errors are kInvalidInput naming reader.path().
Status ConvertCoreBmp(FileReader& reader, std::vector<unsigned char>* bmp);

// "<path>: <reason>" as kInvalidInput.
inline Status InputError(const std::string& path, const std::string& reason) {
  return Status::InvalidInput(path + ": " + reason);
}

}  // namespace skintrack::io::internal
