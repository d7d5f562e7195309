// Loading and writing images: validation before decoding, decoding (JPEG with libjpeg, other
// formats with OpenCV, see io/jpeg_codec.h), conversion to the internal form (see
// skintrack/core/image.h).
#include "skintrack/io/image_io.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "io/image_file.h"
#include "io/jpeg_codec.h"
#include "io/streaming_conversion.h"
#include "skintrack/core/image.h"
#include "skintrack/core/parallel.h"
#include "skintrack/io/file_io.h"

namespace fs = std::filesystem;

namespace skintrack::io {

namespace {

using internal::InputError;

// JPEGs up to this size are read into memory and decoded by libjpeg directly; larger files
// (a JPEG under the pixel limit is far smaller) go to OpenCV's decoder, which streams.
constexpr std::uint64_t kMaxJpegInMemory = std::uint64_t{1} << 30;

// "400.0 MP"; falls back to pixels when one decimal of a megapixel says too little.
std::string Megapixels(std::int64_t px) {
  char buf[64];
  if (px >= 100'000) {
    std::snprintf(buf, sizeof(buf), "%.1f MP", static_cast<double>(px) / 1e6);
  } else {
    std::snprintf(buf, sizeof(buf), "%lld px", static_cast<long long>(px));
  }
  return buf;
}

// Exception texts may span lines; a Status message is one line.
std::string OneLine(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

// The line of what a decoder printed that says most (the first naming an error, else the
// first), at most 160 characters; "" when it printed nothing.
std::string DecoderMessage(const std::string& said) {
  std::string best;
  size_t start = 0;
  while (start < said.size()) {
    size_t end = said.find('\n', start);
    if (end == std::string::npos) end = said.size();
    std::string line = OneLine(said.substr(start, end - start));
    start = end + 1;
    if (line.empty()) continue;
    if (best.empty()) best = line;
    if (line.find("error") != std::string::npos) {
      best = line;
      break;
    }
  }
  if (best.size() > 160) best = best.substr(0, 157) + "...";
  return best;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// The reason given for a JPEG libjpeg refused (`message`: libjpeg's own words).
std::string CorruptJpeg(const std::string& message) {
  return "cannot decode JPEG data (corrupt: " + OneLine(message) + ")";
}

std::string SizeText(int w, int h) { return std::to_string(w) + "x" + std::to_string(h) + " px"; }

// Converts a decoded image of any supported depth and channel count to CV_32FC3 in [0,1].
// raw.convertTo(*f, CV_32F, scale) in bands of rows on every core (convertTo itself runs on
// one; a 12 MP photo is 36 M samples).
void ConvertToFloat(const cv::Mat& raw, double scale, cv::Mat* f) {
  f->create(raw.size(), CV_MAKETYPE(CV_32F, raw.channels()));
  constexpr int kBand = 64;
  ForEachRowBand(raw.rows, kBand, [&](int, int y0, int y1) {
    cv::Mat dst = f->rowRange(y0, y1);
    raw.rowRange(y0, y1).convertTo(dst, CV_32F, scale);
  });
}

Status ToInternal(const cv::Mat& raw, const std::string& path, cv::Mat* out) {
  cv::Mat f;
  switch (raw.depth()) {
    case CV_8U:
      ConvertToFloat(raw, 1.0 / 255.0, &f);
      break;
    case CV_16U:
      ConvertToFloat(raw, 1.0 / 65535.0, &f);
      break;
    case CV_32F:
    case CV_64F:
      raw.convertTo(f, CV_32F);
      cv::patchNaNs(f, 0.0);
      f = cv::max(cv::min(f, 1.0), 0.0);
      break;
    default:
      return InputError(path, "unsupported sample type " + cv::typeToString(raw.type()));
  }
  switch (f.channels()) {
    case 1:
      cv::cvtColor(f, *out, cv::COLOR_GRAY2BGR);
      break;
    case 2: {  // grey + alpha
      cv::Mat grey;
      cv::extractChannel(f, grey, 0);
      cv::cvtColor(grey, *out, cv::COLOR_GRAY2BGR);
      break;
    }
    case 3:
      *out = f;
      break;
    case 4:
      cv::cvtColor(f, *out, cv::COLOR_BGRA2BGR);
      break;
    default:
      return InputError(path, "unsupported channel count " + std::to_string(f.channels()));
  }
  return Status::Ok();
}

// The largest JPEG file accepted for a picture of n pixels: kJpegMetadataAllowance +
// kJpegMaxBytesPerPixel n bytes.
constexpr std::uint64_t kJpegMetadataAllowance = 64ull << 20;  // EXIF, ICC, XMP, thumbnails
constexpr std::uint64_t kJpegMaxBytesPerPixel = 16;

Status LoadImageImpl(const std::string& path, const LoadOptions& options, LoadedImage* out) {
  SKINTRACK_RETURN_IF_ERROR(options.Check());

  ImageHeader header;
  std::vector<unsigned char> core_bmp;  // a core-header BMP rewritten for OpenCV, else empty
  std::vector<unsigned char> jpeg;      // a JPEG file's bytes, for the direct libjpeg path
  {
    internal::FileReader reader;
    SKINTRACK_RETURN_IF_ERROR(reader.Open(path));
    SKINTRACK_RETURN_IF_ERROR(internal::ParseHeader(reader, &header));
    const std::int64_t pixels = std::int64_t{header.width} * header.height;
    if (pixels > options.max_pixels) {
      std::string claimed = Megapixels(pixels);
      std::string limit = Megapixels(options.max_pixels);
      if (claimed == limit) {
        claimed = std::to_string(pixels) + " px";
        limit = std::to_string(options.max_pixels) + " px";
      }
      return InputError(path, "header claims " + SizeText(header.width, header.height) + " (" +
                                  claimed + "), over the limit of " + limit);
    }
    // A JPEG holds at most a few bytes a pixel (about 3 for noise at quality 100) plus its
    // metadata: far more is not a photo (e.g. a 3 GB file under a 1 MP header), refused before
    // reading it through.
    if (header.format == "jpeg" &&
        reader.size() > kJpegMetadataAllowance + kJpegMaxBytesPerPixel * std::uint64_t(pixels)) {
      return InputError(path, "file is " + internal::SizeForMessage(reader.size()) +
                                  ", far more than a " + SizeText(header.width, header.height) +
                                  " JPEG holds");
    }
    SKINTRACK_RETURN_IF_ERROR(internal::CheckComplete(reader, header));
    if (header.format == "bmp")
      SKINTRACK_RETURN_IF_ERROR(internal::ConvertCoreBmp(reader, &core_bmp));
    if (header.format == "jpeg" && reader.size() <= kMaxJpegInMemory) {
      jpeg.resize(static_cast<size_t>(reader.size()));
      if (!reader.ReadAt(0, jpeg.data(), jpeg.size())) return InputError(path, "cannot read");
    }
  }

  const int reduction = header.format == "jpeg" ? options.reduction : 1;
  std::string warning;  // from a JPEG decoded despite corrupt data
  cv::Mat raw;
  bool decoded = false;
  // A JPEG's rows are converted to float on a second thread as they are decoded.
  internal::StreamingConversion streamed(options.apply_exif_orientation);
  if (!jpeg.empty()) {
    std::string message;
    switch (internal::DecodeJpeg(jpeg.data(), jpeg.size(), reduction,
                                 options.apply_exif_orientation, options.max_pixels, &raw, &message,
                                 &streamed)) {
      case internal::JpegDecodeResult::kDecoded:
        decoded = true;
        warning = message;
        break;
      case internal::JpegDecodeResult::kCorrupt:
        return InputError(path, CorruptJpeg(message));
      case internal::JpegDecodeResult::kUnsupported:
        break;  // CMYK and the like: OpenCV's decoder below
    }
    jpeg = {};
  }
  if (!decoded) {
    // IMREAD_UNCHANGED must not be used: OpenCV then ignores the EXIF orientation.
    int flags = cv::IMREAD_ANYDEPTH | cv::IMREAD_ANYCOLOR;
    switch (reduction) {
      case 2:
        flags = cv::IMREAD_REDUCED_COLOR_2;
        break;
      case 4:
        flags = cv::IMREAD_REDUCED_COLOR_4;
        break;
      case 8:
        flags = cv::IMREAD_REDUCED_COLOR_8;
        break;
      default:
        break;
    }
    if (!options.apply_exif_orientation) flags |= cv::IMREAD_IGNORE_ORIENTATION;
    std::string said;  // what the decoder printed (libpng's errors, OpenCV's warnings)
    SKINTRACK_RETURN_IF_ERROR(core_bmp.empty()
                                  ? internal::OpenCvImread(path, flags, &raw, &said)
                                  : internal::OpenCvImdecode(core_bmp, flags, &raw, &said));
    const std::string first = DecoderMessage(said);
    if (raw.empty()) {
      return InputError(path, "cannot decode " + internal::FormatDisplayName(header.format) +
                                  " data (corrupt" + (first.empty() ? "" : ": " + first) + ")");
    }
    if (!first.empty() && said.find("error") != std::string::npos)
      warning = "data damaged, decoded anyway (" + first + ")";
  }

  // (the streamed rows count only when the direct JPEG path decoded the picture)
  cv::Mat image = streamed.Finish();
  if (!decoded) image.release();
  if (image.empty()) SKINTRACK_RETURN_IF_ERROR(ToInternal(raw, path, &image));
  // Full size with orientation applied: the header's, swapped when the decoded image turned.
  cv::Size full(header.width, header.height);
  if ((image.cols > image.rows) != (full.width > full.height) && image.cols != image.rows) {
    std::swap(full.width, full.height);
  }
  if (full.width < options.min_side || full.height < options.min_side) {
    return InputError(path, "image is " + SizeText(full.width, full.height) +
                                ", smaller than the minimum of " +
                                std::to_string(options.min_side) + " px on a side");
  }
  out->image = image;
  out->header = header;
  out->path = path;
  out->scale = 1.0 / reduction;
  out->full_size = full;
  out->warning = warning;
  return Status::Ok();
}

Status WriteError(const std::string& path, const std::string& reason) {
  return Status::IoError(path + ": cannot write image (" + reason + ")");
}

Status WriteImageImpl(const std::string& path, const cv::Mat& image, int jpeg_quality) {
  const std::string ext = Lower(fs::path(path).extension().string());
  const bool is_jpeg = ext == ".jpg" || ext == ".jpeg";
  const bool is_webp = ext == ".webp";
  if (!is_jpeg && !is_webp && ext != ".png" && ext != ".tif" && ext != ".tiff" && ext != ".bmp") {
    return Status::InvalidArgument(path + ": unsupported image extension '" + ext +
                                   "' (use .png, .jpg, .jpeg, .tif, .tiff, .webp or .bmp)");
  }
  if ((is_jpeg || is_webp) && (jpeg_quality < 1 || jpeg_quality > 100)) {
    return Status::InvalidArgument(path + ": JPEG/WebP quality must be in 1..100, got " +
                                   std::to_string(jpeg_quality));
  }
  if (image.empty()) return Status::InvalidArgument(path + ": cannot write an empty image");

  // Everything is written as 8-bit (also PNG and TIFF, which could hold 16 bits): the internal
  // form is sRGB-encoded, so 8 bits per sample is what any viewer or later load expects.
  cv::Mat img8;
  if (image.type() == CV_32FC3) {
    cv::Mat clean = image.clone();
    cv::patchNaNs(clean, 0.0);
    clean.convertTo(img8, CV_8U, 255.0);  // rounds to nearest and saturates to [0,255]
  } else if (image.type() == CV_8UC1 || image.type() == CV_8UC3) {
    img8 = image;
  } else {
    return Status::InvalidArgument(path + ": cannot write image of type " +
                                   cv::typeToString(image.type()) +
                                   " (expected CV_32FC3, CV_8UC1 or CV_8UC3)");
  }

  SKINTRACK_RETURN_IF_ERROR(CheckWritable(path));  // before the encoding's cost

  std::vector<int> params;
  if (is_jpeg) params = {cv::IMWRITE_JPEG_QUALITY, jpeg_quality};
  if (is_webp) params = {cv::IMWRITE_WEBP_QUALITY, jpeg_quality};
  // Encode in memory first, so a failing encoder leaves no partial file behind.
  std::vector<unsigned char> bytes;
  if (Status st = EncodeImage(ext, img8, params, &bytes); !st.ok()) {
    return WriteError(path, st.message());
  }

  // A temporary file renamed over the target: a failed write leaves no partial image (and a
  // device path is written in place, never removed).
  return WriteFile(path, bytes.data(), bytes.size());
}

}  // namespace

Status LoadOptions::Check() const {
  if (max_pixels <= 0) {
    return Status::InvalidArgument("max_pixels must be > 0, got " + std::to_string(max_pixels));
  }
  if (reduction != 1 && reduction != 2 && reduction != 4 && reduction != 8) {
    return Status::InvalidArgument("reduction must be 1, 2, 4 or 8, got " +
                                   std::to_string(reduction));
  }
  if (min_side < 1) {
    return Status::InvalidArgument("min_side must be >= 1, got " + std::to_string(min_side));
  }
  return Status::Ok();
}

Status ReadImageHeader(const std::string& path, ImageHeader* header) {
  if (header == nullptr) return Status::InvalidArgument("ReadImageHeader: null output");
  try {
    internal::FileReader reader;
    SKINTRACK_RETURN_IF_ERROR(reader.Open(path));
    ImageHeader h;
    SKINTRACK_RETURN_IF_ERROR(internal::ParseHeader(reader, &h));
    *header = h;
    return Status::Ok();
  } catch (const std::exception& e) {
    return Status::Internal(path + ": cannot read header (" + OneLine(e.what()) + ")");
  } catch (...) {
    return Status::Internal(path + ": cannot read header (unknown exception)");
  }
}

Status LoadImage(const std::string& path, const LoadOptions& options, LoadedImage* out) {
  if (out == nullptr) return Status::InvalidArgument("LoadImage: null output");
  try {
    return LoadImageImpl(path, options, out);
  } catch (const cv::Exception& e) {
    // OpenCV refuses some inputs by throwing (e.g. sizes over its own limits): the data is bad.
    return InputError(path, "cannot decode image (" + OneLine(e.err) + ")");
  } catch (const std::bad_alloc&) {
    return InputError(path, "cannot decode image (out of memory)");
  } catch (const std::exception& e) {
    return Status::Internal(path + ": cannot load image (" + OneLine(e.what()) + ")");
  } catch (...) {
    return Status::Internal(path + ": cannot load image (unknown exception)");
  }
}

Status WriteImage(const std::string& path, const cv::Mat& image, int jpeg_quality) {
  try {
    return WriteImageImpl(path, image, jpeg_quality);
  } catch (const cv::Exception& e) {
    return WriteError(path, "encoder failed: " + OneLine(e.err));
  } catch (const std::exception& e) {
    return WriteError(path, OneLine(e.what()));
  } catch (...) {
    return WriteError(path, "unknown exception");
  }
}

Status WriteImages(const std::vector<ImageToWrite>& images) {
  return RunEach(
      static_cast<int>(images.size()),
      [&](int i) {
        const ImageToWrite& w = images[static_cast<size_t>(i)];
        return WriteImage(w.path, w.image, w.jpeg_quality);
      },
      "WriteImages");
}

Status EncodeImage(const std::string& ext, const cv::Mat& image, const std::vector<int>& params,
                   std::vector<unsigned char>* bytes) {
  if (bytes == nullptr) return Status::InvalidArgument("EncodeImage: null output");
  if (image.empty() || (image.depth() != CV_8U && image.depth() != CV_16U)) {
    return Status::InvalidArgument(
        "EncodeImage: expected a non-empty 8- or 16-bit image, got " +
        (image.empty() ? std::string("an empty one") : cv::typeToString(image.type())));
  }
  const std::string e = Lower(ext);
  bytes->clear();
  try {
    bool direct = (e == ".jpg" || e == ".jpeg") && image.depth() == CV_8U &&
                  (image.channels() == 1 || image.channels() == 3) && params.size() % 2 == 0;
    int quality = 95;  // OpenCV's default
    bool progressive = false, optimize = false;
    for (size_t i = 0; direct && i < params.size(); i += 2) {
      if (params[i] == cv::IMWRITE_JPEG_QUALITY) {
        quality = params[i + 1];
      } else if (params[i] == cv::IMWRITE_JPEG_PROGRESSIVE) {
        progressive = params[i + 1] != 0;
      } else if (params[i] == cv::IMWRITE_JPEG_OPTIMIZE) {
        optimize = params[i + 1] != 0;
      } else {
        direct = false;  // restart interval, separate luma/chroma quality, ...: OpenCV's encoder
      }
    }
    bool encoded = false;
    std::string message = "encoder failed";
    if (direct) {
      encoded = internal::EncodeJpeg(image, quality, progressive, optimize, bytes, &message);
      if (!encoded) message = "encoder failed: " + OneLine(message);
    } else {
      SKINTRACK_RETURN_IF_ERROR(internal::OpenCvImencode(e, image, params, bytes, &encoded));
    }
    if (!encoded || bytes->empty()) return Status::IoError(message);
    return Status::Ok();
  } catch (const cv::Exception& ex) {
    return Status::IoError("encoder failed: " + OneLine(ex.err));
  } catch (const std::bad_alloc&) {
    return Status::IoError("encoder failed: out of memory");
  }
}

Status DecodeImage(const std::vector<unsigned char>& bytes, cv::Mat* image,
                   std::int64_t max_pixels) {
  if (image == nullptr) return Status::InvalidArgument("DecodeImage: null output");
  if (bytes.empty()) return Status::InvalidInput("DecodeImage: no bytes");
  try {
    if (bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF) {
      std::string message;
      switch (
          internal::DecodeJpeg(bytes.data(), bytes.size(), 1, true, max_pixels, image, &message)) {
        case internal::JpegDecodeResult::kDecoded:
          return Status::Ok();
        case internal::JpegDecodeResult::kCorrupt:
          return Status::InvalidInput(CorruptJpeg(message));
        case internal::JpegDecodeResult::kUnsupported:
          break;
      }
    }
    SKINTRACK_RETURN_IF_ERROR(internal::OpenCvImdecode(bytes, cv::IMREAD_COLOR, image));
    if (image->empty()) return Status::InvalidInput("cannot decode image data (corrupt)");
    return Status::Ok();
  } catch (const cv::Exception& ex) {
    return Status::InvalidInput("cannot decode image data (" + OneLine(ex.err) + ")");
  } catch (const std::bad_alloc&) {
    return Status::InvalidInput("cannot decode image data (out of memory)");
  }
}

}  // namespace skintrack::io
