// BMP files with the old 12-byte BITMAPCOREHEADER (OS/2 1.x, Windows 2). OpenCV 4.6 parses
// them but never marks them as colour, so it silently decodes every such file as grey. We
// rewrite the file in memory with a 40-byte BITMAPINFOHEADER (and a 4-byte-per-entry palette),
// which OpenCV decodes correctly.
#include <cstring>
#include <vector>

#include "io/image_file.h"

namespace skintrack::io::internal {

namespace {

void PutLe16(std::vector<unsigned char>* b, std::size_t at, std::uint32_t v) {
  (*b)[at] = static_cast<unsigned char>(v & 0xFF);
  (*b)[at + 1] = static_cast<unsigned char>((v >> 8) & 0xFF);
}

void PutLe32(std::vector<unsigned char>* b, std::size_t at, std::uint32_t v) {
  PutLe16(b, at, v & 0xFFFF);
  PutLe16(b, at + 2, v >> 16);
}

}  // namespace

Status ConvertCoreBmp(FileReader& r, std::vector<unsigned char>* bmp) {
  bmp->clear();
  unsigned char h[26];
  if (!r.ReadAt(0, h, sizeof(h)) || h[0] != 'B' || h[1] != 'M' || Le32(h + 14) != 12) {
    return Status::Ok();  // not a core-header BMP: nothing to do
  }
  const std::uint32_t data_offset = Le32(h + 10);
  const std::uint32_t width = Le16(h + 18);
  const std::uint32_t height = Le16(h + 20);
  const std::uint32_t bpp = Le16(h + 24);
  const std::uint32_t colours = bpp <= 8 ? (1U << bpp) : 0;
  const std::uint64_t stride = (std::uint64_t{width} * bpp + 31) / 32 * 4;
  const std::uint64_t data_size = stride * height;
  if (data_offset < 26 + 3 * colours) {
    return InputError(r.path(), "corrupt BMP header (bad data offset)");
  }
  if (data_size > 0xFFFFFFFFULL - 54 - 4 * colours) {
    return InputError(r.path(), "corrupt BMP header (image too large)");
  }

  const std::uint32_t new_offset = 54 + 4 * colours;
  bmp->assign(new_offset + data_size, 0);
  (*bmp)[0] = 'B';
  (*bmp)[1] = 'M';
  PutLe32(bmp, 2, static_cast<std::uint32_t>(bmp->size()));
  PutLe32(bmp, 10, new_offset);
  PutLe32(bmp, 14, 40);  // BITMAPINFOHEADER
  PutLe32(bmp, 18, width);
  PutLe32(bmp, 22, height);  // positive: bottom-up, as in the core header
  PutLe16(bmp, 26, 1);       // planes
  PutLe16(bmp, 28, bpp);
  PutLe32(bmp, 30, 0);  // BI_RGB
  PutLe32(bmp, 34, static_cast<std::uint32_t>(data_size));
  PutLe32(bmp, 46, colours);
  for (std::uint32_t i = 0; i < colours; ++i) {  // RGBTRIPLE -> RGBQUAD
    unsigned char bgr[3];
    if (!r.ReadAt(26 + 3 * i, bgr, 3)) return InputError(r.path(), "header truncated");
    std::memcpy(bmp->data() + 54 + 4 * i, bgr, 3);
  }
  if (!r.ReadAt(data_offset, bmp->data() + new_offset, static_cast<std::size_t>(data_size))) {
    return InputError(r.path(), "truncated BMP data (pixel data past the end of the file)");
  }
  return Status::Ok();
}

}  // namespace skintrack::io::internal
