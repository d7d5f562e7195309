// JPEG decoding and encoding on libjpeg(-turbo), with OpenCV 4.6's settings (see jpeg_codec.h).
#include "io/jpeg_codec.h"

#include <algorithm>
#include <csetjmp>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

// jpeglib.h needs size_t and FILE declared before it (above); jerror.h comes after it.
#include <jerror.h>
#include <jpeglib.h>

#include "io/image_file.h"

namespace skintrack::io::internal {
namespace {

// libjpeg reports fatal errors through error_exit, which must not return: it jumps back to the
// setjmp of the call that started the work. Warnings are counted, not printed.
struct ErrorManager {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void ErrorExit(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

void EmitMessage(j_common_ptr cinfo, int msg_level) {
  if (msg_level >= 0) return;             // trace messages
  if (cinfo->err->num_warnings++ == 0) {  // the first warning's text is kept
    (*cinfo->err->format_message)(cinfo, reinterpret_cast<ErrorManager*>(cinfo->err)->message);
  }
}

void InitErrors(ErrorManager* err) {
  jpeg_std_error(&err->pub);
  err->pub.error_exit = ErrorExit;
  err->pub.emit_message = EmitMessage;
  err->message[0] = '\0';
}

// The decoding itself, between a setjmp and libjpeg's possible longjmp: no object with a
// destructor is created in this frame (the image belongs to the caller).
JpegDecodeResult DecodeRaw(const unsigned char* data, std::size_t size, int reduction,
                           std::int64_t max_pixels, cv::Mat* image, int* orientation,
                           std::string* message, JpegRowSink* sink) {
  jpeg_decompress_struct cinfo;
  ErrorManager err;
  InitErrors(&err);
  cinfo.err = &err.pub;
  jpeg_create_decompress(&cinfo);
  if (setjmp(err.jump) != 0) {
    jpeg_destroy_decompress(&cinfo);
    *message = err.message;
    return JpegDecodeResult::kCorrupt;
  }
  jpeg_mem_src(&cinfo, data, static_cast<unsigned long>(size));
  jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xffff);
  jpeg_read_header(&cinfo, TRUE);
  if (std::int64_t{cinfo.image_width} * cinfo.image_height > max_pixels) {
    jpeg_destroy_decompress(&cinfo);
    *message = "a picture of " + std::to_string(cinfo.image_width) + "x" +
               std::to_string(cinfo.image_height) + " px, over the limit of " +
               std::to_string(max_pixels) + " px";
    return JpegDecodeResult::kCorrupt;
  }
  if (cinfo.num_components == 4) {  // CMYK / YCCK (12-bit data fails jpeg_read_header)
    jpeg_destroy_decompress(&cinfo);
    return JpegDecodeResult::kUnsupported;
  }
  *orientation = 0;
  for (jpeg_saved_marker_ptr m = cinfo.marker_list; m != nullptr; m = m->next) {
    if (m->marker == JPEG_APP0 + 1) {  // the first APP1, as OpenCV's ExifReader takes it
      *orientation = ExifOrientation(m->data, m->data_length);
      break;
    }
  }
  // OpenCV asks for JCS_RGB and swaps to BGR; libjpeg-turbo writes BGR itself, same values.
  cinfo.out_color_space = JCS_EXT_BGR;
  cinfo.scale_num = 1;
  cinfo.scale_denom = static_cast<unsigned int>(reduction);
  jpeg_start_decompress(&cinfo);
  try {
    image->create(static_cast<int>(cinfo.output_height), static_cast<int>(cinfo.output_width),
                  CV_8UC3);
  } catch (...) {  // out of memory: libjpeg's buffers freed before the exception goes on
    jpeg_destroy_decompress(&cinfo);
    throw;
  }
  const bool streaming = sink != nullptr && sink->Begin(*image, *orientation);
  JSAMPROW rows[16];
  while (cinfo.output_scanline < cinfo.output_height) {
    const int y = static_cast<int>(cinfo.output_scanline);
    const int n = std::min(16, image->rows - y);
    for (int i = 0; i < n; ++i) rows[i] = image->ptr<unsigned char>(y + i);
    jpeg_read_scanlines(&cinfo, rows, static_cast<JDIMENSION>(n));
    if (streaming) sink->Decoded(static_cast<int>(cinfo.output_scanline));
  }
  jpeg_finish_decompress(&cinfo);
  const long warnings = err.pub.num_warnings;
  jpeg_destroy_decompress(&cinfo);
  message->clear();
  if (warnings > 0) {
    *message = "JPEG data corrupt in places, decoded anyway (" + std::to_string(warnings) +
               " libjpeg warning" + (warnings > 1 ? "s" : "") + "; the first: " + err.message + ")";
  }
  return JpegDecodeResult::kDecoded;
}

// Compressed data goes to a block of the caller's vector at a time; its growth failing ends
// the compression through libjpeg's error path (an exception must not cross libjpeg's C frames).
struct VectorDestination {
  jpeg_destination_mgr pub;
  std::vector<unsigned char>* bytes;
  unsigned char block[1 << 16];
};

bool AppendBlock(VectorDestination* d, std::size_t n) {
  try {
    d->bytes->insert(d->bytes->end(), d->block, d->block + n);
    return true;
  } catch (...) {
    return false;
  }
}

void InitDestination(j_compress_ptr cinfo) {
  auto* d = reinterpret_cast<VectorDestination*>(cinfo->dest);
  d->pub.next_output_byte = d->block;
  d->pub.free_in_buffer = sizeof(d->block);
}

boolean EmptyOutputBuffer(j_compress_ptr cinfo) {
  auto* d = reinterpret_cast<VectorDestination*>(cinfo->dest);
  if (!AppendBlock(d, sizeof(d->block))) {
    cinfo->err->msg_code = JERR_OUT_OF_MEMORY;
    (*cinfo->err->error_exit)(reinterpret_cast<j_common_ptr>(cinfo));
  }
  InitDestination(cinfo);
  return TRUE;
}

void TermDestination(j_compress_ptr cinfo) {
  auto* d = reinterpret_cast<VectorDestination*>(cinfo->dest);
  if (!AppendBlock(d, sizeof(d->block) - d->pub.free_in_buffer)) {
    cinfo->err->msg_code = JERR_OUT_OF_MEMORY;
    (*cinfo->err->error_exit)(reinterpret_cast<j_common_ptr>(cinfo));
  }
}

bool EncodeRaw(const cv::Mat& image, int quality, bool progressive, bool optimize,
               VectorDestination* dest, std::string* message) {
  jpeg_compress_struct cinfo;
  ErrorManager err;
  InitErrors(&err);
  cinfo.err = &err.pub;
  jpeg_create_compress(&cinfo);
  if (setjmp(err.jump) != 0) {
    jpeg_destroy_compress(&cinfo);
    *message = err.message;
    return false;
  }
  dest->pub.init_destination = InitDestination;
  dest->pub.empty_output_buffer = EmptyOutputBuffer;
  dest->pub.term_destination = TermDestination;
  cinfo.dest = &dest->pub;
  cinfo.image_width = static_cast<JDIMENSION>(image.cols);
  cinfo.image_height = static_cast<JDIMENSION>(image.rows);
  const bool colour = image.channels() == 3;
  cinfo.input_components = colour ? 3 : 1;
  cinfo.in_color_space = colour ? JCS_EXT_BGR : JCS_GRAYSCALE;
  jpeg_set_defaults(&cinfo);
  cinfo.restart_interval = 0;
  jpeg_set_quality(&cinfo, quality, TRUE);
  if (progressive) jpeg_simple_progression(&cinfo);
  if (optimize) cinfo.optimize_coding = TRUE;
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row =
        const_cast<JSAMPROW>(image.ptr<unsigned char>(static_cast<int>(cinfo.next_scanline)));
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  return true;
}

}  // namespace

int ExifOrientation(const unsigned char* app1, std::size_t size) {
  constexpr std::size_t kTiff = 6;  // "Exif\0\0"
  if (app1 == nullptr || size < kTiff + 8) return 0;
  const unsigned char* t = app1 + kTiff;
  const std::size_t n = size - kTiff;
  bool le;
  if (t[0] == 'I' && t[1] == 'I') {
    le = true;
  } else if (t[0] == 'M' && t[1] == 'M') {
    le = false;
  } else {
    return 0;
  }
  auto u16 = [&](std::size_t o) { return le ? Le16(t + o) : Be16(t + o); };
  auto u32 = [&](std::size_t o) { return le ? Le32(t + o) : Be32(t + o); };
  const std::size_t ifd = u32(4);  // from the file: compared without overflowing
  if (ifd > n || n - ifd < 2) return 0;
  const std::size_t count = u16(ifd);
  for (std::size_t i = 0; i < count; ++i) {
    if ((n - ifd - 2) / 12 <= i) return 0;  // entry i would end past the payload
    const std::size_t e = ifd + 2 + 12 * i;
    if (u16(e) == 0x0112) {           // Orientation
      if (u16(e + 2) != 3) return 0;  // SHORT
      const int v = u16(e + 8);
      return v >= 1 && v <= 8 ? v : 0;
    }
  }
  return 0;
}

void ApplyExifOrientation(int orientation, cv::Mat* image) {
  if (orientation < 2 || orientation > 8) return;
  cv::Mat m = *image;
  if (orientation >= 5) cv::transpose(m, m);  // 5..8 swap the axes first
  // Then the flip that remains: 2 and 6 mirror left-right, 4 and 8 top-bottom, 3 and 7 both.
  switch (orientation) {
    case 2:
    case 6:
      cv::flip(m, m, 1);
      break;
    case 4:
    case 8:
      cv::flip(m, m, 0);
      break;
    case 3:
    case 7:
      cv::flip(m, m, -1);
      break;
    default:
      break;
  }
  *image = m;
}

JpegDecodeResult DecodeJpeg(const unsigned char* data, std::size_t size, int reduction,
                            bool apply_orientation, std::int64_t max_pixels, cv::Mat* image,
                            std::string* message, JpegRowSink* sink) {
  int orientation = 0;
  const JpegDecodeResult r =
      DecodeRaw(data, size, reduction, max_pixels, image, &orientation, message, sink);
  if (r == JpegDecodeResult::kDecoded && apply_orientation) {
    ApplyExifOrientation(orientation, image);
  }
  return r;
}

bool EncodeJpeg(const cv::Mat& image, int quality, bool progressive, bool optimize,
                std::vector<unsigned char>* bytes, std::string* message) {
  CV_Assert(image.type() == CV_8UC1 || image.type() == CV_8UC3);
  bytes->clear();
  auto dest = std::make_unique<VectorDestination>();  // 64 KiB: not on the stack
  dest->bytes = bytes;
  const bool ok =
      EncodeRaw(image, std::clamp(quality, 0, 100), progressive, optimize, dest.get(), message);
  if (!ok) bytes->clear();
  return ok;
}

}  // namespace skintrack::io::internal
