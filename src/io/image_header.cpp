// Hand-written header parsing: format by magic bytes, then width, height, channels and bit depth
// read from the header alone (no pixel is decoded, nothing large is allocated).
#include <algorithm>
#include <climits>
#include <cstring>
#include <string>

#include "io/image_file.h"

namespace skintrack::io::internal {

namespace {

constexpr char kUnsupported[] = "not a supported image (JPEG, PNG, TIFF, WebP, BMP)";
constexpr char kTruncated[] = "header truncated";

// Header fields as read, before the range checks common to all formats.
struct RawHeader {
  std::int64_t width = 0;
  std::int64_t height = 0;
  int channels = 0;
  int bit_depth = 0;
};

bool IsJpegSof(unsigned char m) {
  // SOF0..SOF15 are C0..CF, except C4 (DHT), C8 (JPG extension) and CC (DAC).
  return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
}

Status ParseJpeg(FileReader& r, RawHeader* h) {
  const std::string& path = r.path();
  std::uint64_t pos = 2;  // after SOI
  while (true) {
    unsigned char b[2];
    if (!r.ReadAt(pos, b, 2)) return InputError(path, kTruncated);
    if (b[0] != 0xFF) {
      return InputError(path,
                        "corrupt JPEG header (no marker at byte " + std::to_string(pos) + ")");
    }
    const unsigned char m = b[1];
    if (m == 0xFF) {  // fill byte before a marker
      ++pos;
      continue;
    }
    pos += 2;
    if (m == 0x01 || m == 0xD8 || (m >= 0xD0 && m <= 0xD7)) continue;  // no length field
    if (m == 0xD9 || m == 0xDA) {
      return InputError(path, "corrupt JPEG header (no frame header before the image data)");
    }
    unsigned char len_bytes[2];
    if (!r.ReadAt(pos, len_bytes, 2)) return InputError(path, kTruncated);
    const std::uint16_t len = Be16(len_bytes);
    if (len < 2) return InputError(path, "corrupt JPEG header (bad segment length)");
    if (IsJpegSof(m)) {
      if (len < 8) return InputError(path, "corrupt JPEG header (frame header too short)");
      unsigned char sof[6];  // precision, height, width, components
      if (!r.ReadAt(pos + 2, sof, sizeof(sof))) return InputError(path, kTruncated);
      h->bit_depth = sof[0];
      h->height = Be16(sof + 1);
      h->width = Be16(sof + 3);
      h->channels = sof[5];
      return Status::Ok();
    }
    pos += len;
  }
}

Status ParsePng(FileReader& r, RawHeader* h) {
  const std::string& path = r.path();
  unsigned char ihdr[25];  // length, type, 13 data bytes, CRC
  if (!r.ReadAt(8, ihdr, sizeof(ihdr))) return InputError(path, kTruncated);
  if (Be32(ihdr) != 13 || std::memcmp(ihdr + 4, "IHDR", 4) != 0) {
    return InputError(path, "corrupt PNG header (first chunk is not IHDR)");
  }
  if (Crc32(ihdr + 4, 17) != Be32(ihdr + 21)) {
    return InputError(path, "corrupt PNG header (IHDR checksum mismatch)");
  }
  const std::uint32_t w = Be32(ihdr + 8);
  const std::uint32_t hgt = Be32(ihdr + 12);
  if (w > 0x7FFFFFFFU || hgt > 0x7FFFFFFFU) {
    return InputError(path, "corrupt PNG header (size out of range)");
  }
  h->width = w;
  h->height = hgt;
  const int depth = ihdr[16];
  switch (ihdr[17]) {  // colour type
    case 0:
      h->channels = 1;
      break;
    case 2:
      h->channels = 3;
      break;
    case 3:  // palette: indices of 1..8 bits, decoded to 8-bit colour
      h->channels = 3;
      h->bit_depth = 8;
      return Status::Ok();
    case 4:
      h->channels = 2;
      break;
    case 6:
      h->channels = 4;
      break;
    default:
      return InputError(
          path, "corrupt PNG header (unknown colour type " + std::to_string(ihdr[17]) + ")");
  }
  h->bit_depth = depth;
  return Status::Ok();
}

Status ParseTiff(FileReader& r, RawHeader* h) {
  TiffIfd ifd;
  SKINTRACK_RETURN_IF_ERROR(ReadTiffIfd(r, &ifd));
  const std::string& path = r.path();
  auto first_value = [&](std::uint16_t tag, std::uint64_t fallback, std::uint64_t* v) {
    const TiffEntry* e = ifd.Find(tag);
    if (e == nullptr) {
      *v = fallback;
      return true;
    }
    // BitsPerSample has one value per sample; all are read (the count decides where they live).
    std::vector<std::uint64_t> values;
    if (!ReadTiffValues(r, ifd, *e, 1u << 16, &values) || values.empty()) return false;
    *v = values[0];
    return true;
  };
  std::uint64_t width = 0, height = 0, bits = 1, samples = 1, photometric = 1;
  if (ifd.Find(256) == nullptr || ifd.Find(257) == nullptr) {
    return InputError(path, "corrupt TIFF header (no ImageWidth/ImageLength)");
  }
  if (!first_value(256, 0, &width) || !first_value(257, 0, &height) ||
      !first_value(258, 1, &bits) || !first_value(277, 1, &samples) ||
      !first_value(262, 1, &photometric)) {
    return InputError(path, "corrupt TIFF header (unreadable tag value)");
  }
  h->width = static_cast<std::int64_t>(width);
  h->height = static_cast<std::int64_t>(height);
  h->channels = static_cast<int>(std::min<std::uint64_t>(samples, 1024));
  h->bit_depth = static_cast<int>(std::min<std::uint64_t>(bits, 1024));
  if (photometric == 3) {  // palette: decoded to 8-bit colour
    h->channels = 3;
    h->bit_depth = 8;
  }
  return Status::Ok();
}

Status ParseWebp(FileReader& r, RawHeader* h) {
  const std::string& path = r.path();
  unsigned char b[30];
  if (!r.ReadAt(0, b, sizeof(b))) return InputError(path, kTruncated);
  const unsigned char* data = b + 20;  // first chunk's payload
  if (std::memcmp(b + 12, "VP8 ", 4) == 0) {
    // Frame tag (3 bytes), start code 9D 01 2A, then 14-bit width and height.
    if (data[3] != 0x9D || data[4] != 0x01 || data[5] != 0x2A) {
      return InputError(path, "corrupt WebP header (bad VP8 start code)");
    }
    h->width = Le16(data + 6) & 0x3FFF;
    h->height = Le16(data + 8) & 0x3FFF;
    h->channels = 3;
  } else if (std::memcmp(b + 12, "VP8L", 4) == 0) {
    if (data[0] != 0x2F) return InputError(path, "corrupt WebP header (bad VP8L signature)");
    const std::uint32_t bits = Le32(data + 1);
    h->width = (bits & 0x3FFF) + 1;
    h->height = ((bits >> 14) & 0x3FFF) + 1;
    h->channels = ((bits >> 28) & 1U) ? 4 : 3;
  } else if (std::memcmp(b + 12, "VP8X", 4) == 0) {
    const bool alpha = (data[0] & 0x10) != 0;
    h->width = 1 + (data[4] | (data[5] << 8) | (data[6] << 16));
    h->height = 1 + (data[7] | (data[8] << 8) | (data[9] << 16));
    h->channels = alpha ? 4 : 3;
  } else {
    return InputError(path, "corrupt WebP header (no VP8, VP8L or VP8X chunk first)");
  }
  h->bit_depth = 8;
  return Status::Ok();
}

Status ParseBmp(FileReader& r, RawHeader* h) {
  const std::string& path = r.path();
  unsigned char b[30];
  if (!r.ReadAt(0, b, 18)) return InputError(path, kTruncated);
  const std::uint32_t dib = Le32(b + 14);
  int bpp = 0;
  if (dib == 12) {  // BITMAPCOREHEADER: 16-bit unsigned width and height, bottom-up
    if (!r.ReadAt(0, b, 26)) return InputError(path, kTruncated);
    h->width = Le16(b + 18);
    h->height = Le16(b + 20);
    bpp = Le16(b + 24);
  } else if (dib == 40 || dib == 52 || dib == 56 || dib == 64 || dib == 108 || dib == 124) {
    // BITMAPINFOHEADER and its extensions: signed 32-bit width and height (< 0: top-down).
    if (!r.ReadAt(0, b, 30)) return InputError(path, kTruncated);
    const auto width = static_cast<std::int32_t>(Le32(b + 18));
    const auto height = static_cast<std::int32_t>(Le32(b + 22));
    if (width < 0 || height == INT32_MIN) {
      return InputError(path, "corrupt BMP header (negative width)");
    }
    h->width = width;
    h->height = height < 0 ? -static_cast<std::int64_t>(height) : height;
    bpp = Le16(b + 28);
  } else {
    // "BM" alone is a weak signature: an unknown DIB header means this is probably not a BMP.
    return InputError(path, kUnsupported);
  }
  if (bpp != 1 && bpp != 4 && bpp != 8 && bpp != 16 && bpp != 24 && bpp != 32) {
    return InputError(path, "corrupt BMP header (" + std::to_string(bpp) + " bits per pixel)");
  }
  h->channels = bpp == 32 ? 4 : 3;  // palettes (1/4/8 bpp) are colour tables
  h->bit_depth = 8;                 // per decoded sample
  return Status::Ok();
}

}  // namespace

const TiffEntry* TiffIfd::Find(std::uint16_t tag) const {
  for (const TiffEntry& e : entries) {
    if (e.tag == tag) return &e;
  }
  return nullptr;
}

Status ReadTiffIfd(FileReader& r, TiffIfd* ifd) {
  const std::string& path = r.path();
  unsigned char head[8];
  if (!r.ReadAt(0, head, sizeof(head))) return InputError(path, kTruncated);
  ifd->little_endian = head[0] == 'I';
  const bool le = ifd->little_endian;
  const std::uint32_t offset = le ? Le32(head + 4) : Be32(head + 4);
  if (offset < 8) return InputError(path, "corrupt TIFF header (bad IFD offset)");
  unsigned char count_bytes[2];
  if (!r.ReadAt(offset, count_bytes, 2)) return InputError(path, kTruncated);
  const std::uint16_t count = le ? Le16(count_bytes) : Be16(count_bytes);
  if (count == 0) return InputError(path, "corrupt TIFF header (empty IFD)");
  std::vector<unsigned char> raw(std::size_t{count} * 12);
  if (!r.ReadAt(offset + 2, raw.data(), raw.size())) return InputError(path, kTruncated);
  ifd->entries.clear();
  ifd->entries.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const unsigned char* p = raw.data() + i * 12;
    TiffEntry e;
    e.tag = le ? Le16(p) : Be16(p);
    e.type = le ? Le16(p + 2) : Be16(p + 2);
    e.count = le ? Le32(p + 4) : Be32(p + 4);
    std::memcpy(e.value, p + 8, 4);
    ifd->entries.push_back(e);
  }
  return Status::Ok();
}

bool ReadTiffValues(FileReader& r, const TiffIfd& ifd, const TiffEntry& e, std::size_t max_count,
                    std::vector<std::uint64_t>* values) {
  std::size_t size = 0;
  if (e.type == 1) {
    size = 1;
  } else if (e.type == 3) {
    size = 2;
  } else if (e.type == 4) {
    size = 4;
  } else {
    return false;
  }
  if (e.count > max_count) return false;
  const bool le = ifd.little_endian;
  const std::size_t bytes = size * e.count;
  std::vector<unsigned char> buf(std::max<std::size_t>(bytes, 4));
  if (bytes <= 4) {
    std::memcpy(buf.data(), e.value, 4);
  } else {
    const std::uint32_t offset = le ? Le32(e.value) : Be32(e.value);
    if (!r.ReadAt(offset, buf.data(), bytes)) return false;
  }
  values->resize(e.count);
  for (std::size_t i = 0; i < e.count; ++i) {
    const unsigned char* p = buf.data() + i * size;
    if (size == 1) {
      (*values)[i] = p[0];
    } else if (size == 2) {
      (*values)[i] = le ? Le16(p) : Be16(p);
    } else {
      (*values)[i] = le ? Le32(p) : Be32(p);
    }
  }
  return true;
}

Status ParseHeader(FileReader& r, ImageHeader* header) {
  const std::string& path = r.path();
  unsigned char m[12] = {0};
  const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(r.size(), sizeof(m)));
  if (!r.ReadAt(0, m, n)) return InputError(path, "cannot read (I/O error)");

  static const unsigned char kPngSig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  RawHeader raw;
  std::string format;
  Status st;
  if (n >= 2 && m[0] == 0xFF && m[1] == 0xD8 && (n == 2 || m[2] == 0xFF)) {
    format = "jpeg";
    st = ParseJpeg(r, &raw);
  } else if (n >= 8 && std::memcmp(m, kPngSig, 8) == 0) {
    format = "png";
    st = ParsePng(r, &raw);
  } else if (n >= 4 && (std::memcmp(m, "II*\0", 4) == 0 || std::memcmp(m, "MM\0*", 4) == 0)) {
    format = "tiff";
    st = ParseTiff(r, &raw);
  } else if (n >= 12 && std::memcmp(m, "RIFF", 4) == 0 && std::memcmp(m + 8, "WEBP", 4) == 0) {
    format = "webp";
    st = ParseWebp(r, &raw);
  } else if (n >= 2 && m[0] == 'B' && m[1] == 'M') {
    format = "bmp";
    st = ParseBmp(r, &raw);
  } else {
    return InputError(path, kUnsupported);
  }
  SKINTRACK_RETURN_IF_ERROR(st);

  const std::string name = FormatDisplayName(format);
  if (raw.width <= 0 || raw.height <= 0) {
    return InputError(path, "corrupt " + name + " header (zero width or height)");
  }
  if (raw.width > INT_MAX || raw.height > INT_MAX) {
    return InputError(path, "corrupt " + name + " header (claims " + std::to_string(raw.width) +
                                "x" + std::to_string(raw.height) + " px)");
  }
  header->format = format;
  header->width = static_cast<int>(raw.width);
  header->height = static_cast<int>(raw.height);
  header->channels = raw.channels;
  header->bit_depth = raw.bit_depth;
  return Status::Ok();
}

}  // namespace skintrack::io::internal
