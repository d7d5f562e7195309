// Truncation checks made before decoding. They matter because OpenCV's decoders are lenient:
// libjpeg fills a truncated JPEG with grey and only prints a warning, so a cut file would load
// "successfully". Each check walks the file's structure (cheaply: no pixel is decoded).
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <string>

#include "io/image_file.h"

namespace skintrack::io::internal {

namespace {

Status Truncated(const FileReader& r, const std::string& format, const std::string& detail) {
  return InputError(r.path(), "truncated " + format + " data (" + detail + ")");
}

std::string Bytes(std::uint64_t n) { return std::to_string(n) + " bytes"; }

// Markers allowed between the scans of a JPEG (after the first SOS).
bool IsInterScanMarker(unsigned char m) {
  return m == 0xC4 || m == 0xCC || m == 0xDA || m == 0xDB || m == 0xDC || m == 0xDD || m == 0xD9 ||
         m == 0xFE || (m >= 0xE0 && m <= 0xEF);
}

// From `pos` (inside entropy-coded data) finds the next marker, i.e. an FF byte followed by a
// byte that is neither 00 (stuffing), FF (fill) nor D0..D7 (restart). Returns false at the end
// of the file; otherwise *marker_pos is the offset of the FF and *marker the marker code.
bool NextMarker(FileReader& r, std::uint64_t pos, std::uint64_t* marker_pos,
                unsigned char* marker) {
  while (pos < r.size()) {
    const unsigned char* data = nullptr;
    const std::size_t avail = r.Peek(pos, &data);
    if (avail == 0) return false;
    const void* ff = std::memchr(data, 0xFF, avail);
    if (ff == nullptr) {
      pos += avail;
      continue;
    }
    pos += static_cast<std::size_t>(static_cast<const unsigned char*>(ff) - data);
    std::uint64_t next = pos + 1;
    unsigned char m = 0xFF;
    while (m == 0xFF) {
      if (!r.ReadAt(next, &m, 1)) return false;
      if (m == 0xFF) ++next;
    }
    if (m == 0x00 || (m >= 0xD0 && m <= 0xD7)) {
      pos = next + 1;
      continue;
    }
    *marker_pos = next - 1;
    *marker = m;
    return true;
  }
  return false;
}

// A JPEG is complete when, walking its segments and scans, an EOI marker is reached. Whatever
// follows EOI (padding, a second image of a multi-picture file) is ignored.
Status CheckJpeg(FileReader& r) {
  const char kName[] = "JPEG";
  const std::string no_eoi = "no end-of-image marker";
  std::uint64_t pos = 2;  // after SOI
  bool in_scans = false;  // a scan has been seen
  while (true) {
    unsigned char b[2];
    if (!r.ReadAt(pos, b, 2)) return Truncated(r, kName, no_eoi);
    if (b[0] != 0xFF || b[1] == 0xFF) {  // stray byte or fill byte: skip, as libjpeg does
      ++pos;
      continue;
    }
    const unsigned char m = b[1];
    if (m == 0xD9) return Status::Ok();
    pos += 2;
    if (m == 0x00 || m == 0x01 || m == 0xD8 || (m >= 0xD0 && m <= 0xD7)) continue;
    if (in_scans && !IsInterScanMarker(m)) {
      // Corrupt entropy data produced a bogus marker; the structure cannot be followed further.
      // Fall back to looking for an EOI anywhere after it and let the decoder judge the rest.
      std::uint64_t at = pos;
      unsigned char mk = 0;
      while (NextMarker(r, at, &at, &mk)) {
        if (mk == 0xD9) return Status::Ok();
        at += 2;
      }
      return Truncated(r, kName, no_eoi);
    }
    unsigned char len_bytes[2];
    if (!r.ReadAt(pos, len_bytes, 2)) return Truncated(r, kName, no_eoi);
    const std::uint16_t len = Be16(len_bytes);
    if (len < 2) return InputError(r.path(), "corrupt JPEG data (bad segment length)");
    if (pos + len > r.size()) {
      return Truncated(r, kName, "segment runs past the end of the file, no end-of-image marker");
    }
    pos += len;
    if (m == 0xDA) {  // start of scan: entropy-coded data follows, up to the next marker
      in_scans = true;
      unsigned char next = 0;
      if (!NextMarker(r, pos, &pos, &next)) return Truncated(r, kName, no_eoi);
    }
  }
}

std::string ChunkName(const unsigned char* type) {
  for (int i = 0; i < 4; ++i) {
    if (!std::isalpha(type[i])) return "?";
  }
  return std::string(reinterpret_cast<const char*>(type), 4);
}

// A PNG is complete when its chunks, walked by their lengths, reach IEND within the file.
Status CheckPng(FileReader& r) {
  std::uint64_t pos = 8;
  while (true) {
    unsigned char c[8];  // length, type
    if (!r.ReadAt(pos, c, sizeof(c))) return Truncated(r, "PNG", "no IEND chunk");
    const std::uint32_t len = Be32(c);
    if (len > 0x7FFFFFFFU) return InputError(r.path(), "corrupt PNG data (bad chunk length)");
    const std::uint64_t end = pos + 12 + len;
    if (end > r.size()) {
      return Truncated(r, "PNG", "chunk " + ChunkName(c + 4) + " runs past the end of the file");
    }
    if (std::memcmp(c + 4, "IEND", 4) == 0) return Status::Ok();
    pos = end;
  }
}

// A TIFF is complete when the strips (or tiles) of its first image lie within the file.
Status CheckTiff(FileReader& r) {
  TiffIfd ifd;
  SKINTRACK_RETURN_IF_ERROR(ReadTiffIfd(r, &ifd));
  constexpr std::size_t kMaxParts = 1u << 22;
  for (const auto& [off_tag, cnt_tag] : {std::pair<int, int>{273, 279}, {324, 325}}) {
    const TiffEntry* offsets = ifd.Find(static_cast<std::uint16_t>(off_tag));
    const TiffEntry* counts = ifd.Find(static_cast<std::uint16_t>(cnt_tag));
    if (offsets == nullptr || counts == nullptr) continue;
    std::vector<std::uint64_t> off, cnt;
    if (offsets->count > kMaxParts || counts->count > kMaxParts) continue;  // too odd to check
    if (!ReadTiffValues(r, ifd, *offsets, kMaxParts, &off) ||
        !ReadTiffValues(r, ifd, *counts, kMaxParts, &cnt)) {
      return Truncated(r, "TIFF", "strip table beyond the end of the file");
    }
    const std::size_t n = std::min(off.size(), cnt.size());
    for (std::size_t i = 0; i < n; ++i) {
      if (off[i] + cnt[i] > r.size()) {
        return Truncated(r, "TIFF",
                         "strip " + std::to_string(i) + " ends at byte " +
                             std::to_string(off[i] + cnt[i]) + ", file has " + Bytes(r.size()));
      }
    }
  }
  return Status::Ok();
}

// A WebP is complete when the file holds the whole RIFF container.
Status CheckWebp(FileReader& r) {
  unsigned char b[8];
  if (!r.ReadAt(0, b, sizeof(b))) return Truncated(r, "WebP", "no RIFF size");
  const std::uint64_t riff_end = std::uint64_t{Le32(b + 4)} + 8;
  if (riff_end > r.size()) {
    return Truncated(r, "WebP",
                     "RIFF container of " + Bytes(riff_end) + ", file has " + Bytes(r.size()));
  }
  return Status::Ok();
}

// A BMP is complete when its pixel array lies within the file.
Status CheckBmp(FileReader& r) {
  unsigned char b[38] = {0};
  if (!r.ReadAt(0, b, 26)) return Truncated(r, "BMP", "header");
  const std::uint32_t file_size = Le32(b + 2);
  const std::uint32_t data_offset = Le32(b + 10);
  const std::uint32_t dib = Le32(b + 14);
  std::int64_t width = 0, height = 0;
  std::uint32_t bpp = 0, compression = 0, image_size = 0;
  if (dib == 12) {
    width = Le16(b + 18);
    height = Le16(b + 20);
    bpp = Le16(b + 24);
  } else {
    if (!r.ReadAt(0, b, sizeof(b))) return Truncated(r, "BMP", "header");
    width = static_cast<std::int32_t>(Le32(b + 18));
    height = static_cast<std::int32_t>(Le32(b + 22));
    height = height < 0 ? -height : height;
    bpp = Le16(b + 28);
    compression = Le32(b + 30);
    image_size = Le32(b + 34);
  }
  if (data_offset < 14 + dib) return InputError(r.path(), "corrupt BMP header (bad data offset)");
  std::uint64_t end = 0;
  if (compression == 0 || compression == 3 || compression == 6) {  // RGB, BITFIELDS, ALPHABITFIELDS
    const std::uint64_t stride = ((static_cast<std::uint64_t>(width) * bpp + 31) / 32) * 4;
    const auto rows = static_cast<std::uint64_t>(height);
    if (rows != 0 && stride > (UINT64_MAX - data_offset) / rows) {
      return InputError(r.path(), "corrupt BMP header (pixel data size overflows)");
    }
    end = data_offset + stride * rows;
  } else if (image_size != 0) {  // RLE: the compressed size is stated
    end = std::uint64_t{data_offset} + image_size;
  } else if (file_size >= data_offset) {
    end = file_size;
  }
  if (end > r.size()) {
    return Truncated(
        r, "BMP",
        "pixel data ends at byte " + std::to_string(end) + ", file has " + Bytes(r.size()));
  }
  return Status::Ok();
}

}  // namespace

Status CheckComplete(FileReader& r, const ImageHeader& header) {
  if (header.format == "jpeg") return CheckJpeg(r);
  if (header.format == "png") return CheckPng(r);
  if (header.format == "tiff") return CheckTiff(r);
  if (header.format == "webp") return CheckWebp(r);
  if (header.format == "bmp") return CheckBmp(r);
  return Status::Internal(r.path() + ": no completeness check for format '" + header.format + "'");
}

}  // namespace skintrack::io::internal
