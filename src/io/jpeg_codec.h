// JPEG through libjpeg(-turbo) directly, and OpenCV's imgcodecs loaded only when another format
// is read or written (private to the io module).
//
// Why: libopencv_imgcodecs pulls ~120 shared libraries (GDAL, GDCM, ...) whose loading costs
// every process ~0.1 s; the photos SkinTrack measures are nearly always JPEGs. The JPEG path
// uses the same libjpeg and the same settings as OpenCV 4.6's codec, so its pixels (decode)
// and bytes (encode) are identical to cv::imread / cv::imencode (tested against them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "skintrack/core/status.h"

namespace skintrack::io::internal {

enum class JpegDecodeResult {
  kDecoded,      // *image holds the picture
  kUnsupported,  // a JPEG this path leaves to OpenCV (CMYK / YCCK, more than 8 bits)
  kCorrupt,      // libjpeg refused the data; *message says why
};

// Receives the rows DecodeJpeg has decoded as they come, on the decoding thread (so that a
// caller can work on them while the next are decoded). Neither call may throw (both are
// called between libjpeg's setjmp and its cleanup).
class JpegRowSink {
 public:
  virtual ~JpegRowSink() = default;
  // Before the first row: the image being decoded into (its final size and type, rows not
  // yet written) and the EXIF orientation of the first APP1 segment (0 when none). False:
  // nothing more is sent.
  virtual bool Begin(const cv::Mat& image, int orientation) noexcept = 0;
  // Rows [0, rows) of that image are decoded and will not change (before any orientation is
  // applied).
  virtual void Decoded(int rows) noexcept = 0;
};

// Decodes the JPEG file held in data[0, size) to CV_8UC3 BGR at 1/reduction of its size
// (1, 2, 4 or 8; libjpeg's DCT scaling), the EXIF orientation of its first APP1 segment
// applied when apply_orientation is set (as OpenCV does). libjpeg's warnings (recoverable
// corruption) are not printed; the picture decoded despite them is returned, and *message
// then says so in one line (empty after a clean decode).
// A picture of more than max_pixels (width x height as stored) is refused as kCorrupt before
// any pixel is decoded. `sink` (optional) is told of the rows as they are decoded.
JpegDecodeResult DecodeJpeg(const unsigned char* data, std::size_t size, int reduction,
                            bool apply_orientation, std::int64_t max_pixels, cv::Mat* image,
                            std::string* message, JpegRowSink* sink = nullptr);

// Encodes CV_8UC1 or CV_8UC3 (BGR) as OpenCV's encoder does: libjpeg defaults, quality 0..100
// with baseline quantisation tables, optionally progressive and with optimised Huffman tables.
// False (with *message) on a libjpeg error.
bool EncodeJpeg(const cv::Mat& image, int quality, bool progressive, bool optimize,
                std::vector<unsigned char>* bytes, std::string* message);

// The EXIF orientation (1..8) in the TIFF structure of an APP1 payload (the 6-byte "Exif\0\0"
// identifier included, as OpenCV reads it); 0 when absent or unreadable.
int ExifOrientation(const unsigned char* app1, std::size_t size);

// Turns *image from its stored orientation to its display orientation (EXIF 1..8; any other
// value leaves it unchanged).
void ApplyExifOrientation(int orientation, cv::Mat* image);

// OpenCV's imgcodecs (libopencv_imgcodecs.so.<version>), opened with dlopen at the first call.
// Errors: kInternal when the library or a function is missing, naming it; the calls themselves
// return what OpenCV returns (an empty image, false) and may throw cv::Exception.
// The decoders print what they find wrong to stderr themselves (libpng's "libpng error: IDAT:
// CRC error", OpenCV's "[ WARN:...]" and "imread_(...)" lines): the two decode calls hold
// standard error (file descriptor 2) redirected to a temporary file for their duration (calls
// on several threads share one redirection and still run at once), and hand what was printed
// meanwhile to *messages (may be null; one line per message) instead of letting it reach the
// user's terminal beside the one-line error. A caller's own thread printing to stderr during a
// decode would be captured too (the CLI prints nothing then). A decode that printed while
// another decode ran (whose lines its capture may hold) is run again alone, so that *messages
// are its own.
Status OpenCvImread(const std::string& path, int flags, cv::Mat* image,
                    std::string* messages = nullptr);
Status OpenCvImdecode(const std::vector<unsigned char>& bytes, int flags, cv::Mat* image,
                      std::string* messages = nullptr);
Status OpenCvImencode(const std::string& ext, const cv::Mat& image, const std::vector<int>& params,
                      std::vector<unsigned char>* bytes, bool* encoded);

}  // namespace skintrack::io::internal
