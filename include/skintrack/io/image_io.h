// Reading and writing images with strict validation.
//
// JPEG is read and written by libjpeg directly; the other formats by OpenCV's imgcodecs, which
// is opened (dlopen) only when one of them is used: its ~120 dependent libraries cost a process
// ~0.1 s to load.
//
// Loading converts every accepted file to the internal form documented in
// skintrack/core/image.h (CV_32FC3, BGR, sRGB-encoded, [0,1]), with EXIF orientation applied.
#pragma once

#include <cstdint>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "skintrack/core/status.h"

namespace skintrack::io {

struct LoadOptions {
  // Largest accepted width*height in pixels, read from the file header BEFORE decoding, so a
  // decompression bomb is refused without allocating. Default 120 MP.
  std::int64_t max_pixels = 120'000'000;
  // Smallest accepted side in px (after orientation). Default 64 px.
  int min_side = 64;
  // Apply the EXIF orientation tag (JPEG). Default true.
  bool apply_exif_orientation = true;
  // Decode JPEGs at 1/reduction of their size (1, 2, 4 or 8) using libjpeg's DCT scaling,
  // several times faster; reduced pixel centres sit at x_r = (x + 0.5) / reduction - 0.5.
  // Other formats are always decoded at full size. Default 1 (full size).
  int reduction = 1;
  Status Check() const;
};

// What the file header says, before any pixel is decoded.
struct ImageHeader {
  std::string format;  // "jpeg", "png", "tiff", "webp", "bmp"
  int width = 0;       // px, as stored (before EXIF orientation)
  int height = 0;      // px, as stored
  int channels = 0;    // 1 grey, 2 grey+alpha, 3 colour, 4 colour+alpha (0 when unknown)
  int bit_depth = 0;   // bits per sample: 8 or 16 (0 when unknown)
};

struct LoadedImage {
  cv::Mat image;       // internal form, CV_32FC3 BGR sRGB [0,1], orientation applied
  ImageHeader header;  // as read from the file
  std::string path;    // the path given
  double scale = 1.0;  // image px per full-size px (1 / the reduction applied)
  cv::Size full_size;  // full-size width x height, orientation applied
  // A problem the decoder got past, in one line (e.g. "JPEG data corrupt in places, decoded
  // anyway (...)"): the pixels may be partly wrong. Empty when the data decoded cleanly.
  std::string warning;
};

// Reads only the header of `path`. Errors (kInvalidInput) name the file and the reason:
// missing, a directory, empty, not an image of a supported format, header truncated.
Status ReadImageHeader(const std::string& path, ImageHeader* header);

// Loads `path` into the internal form. Errors are kInvalidInput, one line naming the file:
// missing file, directory, empty file, unsupported or non-image bytes (whatever the extension),
// truncated data (JPEG without end-of-image marker, PNG without IEND, ...), header larger than
// options.max_pixels, decoded image smaller than options.min_side.
Status LoadImage(const std::string& path, const LoadOptions& options, LoadedImage* out);

// Loads a mask image (any supported format): 255 where any channel is non-zero, else 0
// (CV_8UC1, EXIF orientation applied). When expected_size is non-empty, a mask of another
// size is an error (kInvalidInput naming the file and both sizes).
Status LoadMask(const std::string& path, const LoadOptions& options, cv::Size expected_size,
                cv::Mat* mask);

// Writes an internal-form image (CV_32FC3 [0,1]) or an 8-bit image (CV_8UC1/CV_8UC3) to `path`;
// the format follows the extension (.png, .jpg/.jpeg, .tif/.tiff, .webp, .bmp).
// jpeg_quality applies to JPEG and WebP (1..100; ignored for other formats). Errors are
// kIoError naming the file.
Status WriteImage(const std::string& path, const cv::Mat& image, int jpeg_quality = 92);

// Encodes an 8- or 16-bit image (1 channel, or 3 / 4 channels in BGR(A) order) as the bytes of
// a file whose extension is `ext` (".jpg", ".png", ".tif", ".webp", ".bmp"; case ignored).
// params: cv::ImwriteFlags pairs, as for cv::imencode. JPEG (8-bit, 1 or 3 channels, quality /
// progressive / optimize) is encoded by libjpeg directly, byte-identical to OpenCV's encoder;
// everything else by OpenCV's imgcodecs, loaded at the first such call. Errors: kIoError
// (encoder failed), kInvalidArgument (empty image, other depth), kInternal (imgcodecs missing).
Status EncodeImage(const std::string& ext, const cv::Mat& image, const std::vector<int>& params,
                   std::vector<unsigned char>* bytes);

// Decodes an image file held in memory (any supported format) to CV_8UC3 BGR, the EXIF
// orientation applied (as cv::imdecode with IMREAD_COLOR). A JPEG of more than max_pixels
// (width x height) is refused before decoding (other formats: OpenCV's own limit, 2^30 px).
// Errors: kInvalidInput (empty, corrupt or too large data), kInternal (imgcodecs missing for a
// format other than JPEG).
Status DecodeImage(const std::vector<unsigned char>& bytes, cv::Mat* image,
                   std::int64_t max_pixels = LoadOptions().max_pixels);

// One image for WriteImages.
struct ImageToWrite {
  std::string path;
  cv::Mat image;  // as WriteImage
  int jpeg_quality = 92;
};
// Writes every image as WriteImage does, encoding them in parallel (encoders are single-
// threaded; a 12 MP PNG takes about a second). Returns the first error in list order; the
// other files are still written.
Status WriteImages(const std::vector<ImageToWrite>& images);

}  // namespace skintrack::io
