// The direct libjpeg path against OpenCV's codec, which it replaces: decoded pixels (every
// chroma layout, progressive, grey, DCT reductions, the eight EXIF orientations in both byte
// orders) and encoded bytes must be identical.
#include "io/jpeg_codec.h"

#include <gtest/gtest.h>

#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "io/streaming_conversion.h"
#include "skintrack/io/image_io.h"
#include "test_util.h"

// jpeglib.h needs size_t and FILE declared before it.
#include <jpeglib.h>

namespace skintrack::io {
namespace {

using Bytes = std::vector<unsigned char>;

// Smooth gradients plus noise: every DCT coefficient and both chroma planes matter.
cv::Mat Scene(int w, int h, int channels = 3) {
  cv::Mat m(h, w, CV_8UC3);
  cv::randu(m, 0, 60);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) m.at<cv::Vec3b>(y, x) += cv::Vec3b(x * 190 / w, y * 190 / h, 90);
  if (channels == 1) cv::extractChannel(m, m, 1);
  return m;
}

Bytes Encode(const cv::Mat& img, const std::vector<int>& params) {
  Bytes b;
  EXPECT_TRUE(cv::imencode(".jpg", img, b, params));
  return b;
}

// The bytes with an APP1 Exif segment (Orientation only) inserted after SOI.
Bytes WithOrientation(const Bytes& jpeg, int orientation, bool big_endian) {
  const unsigned char o = static_cast<unsigned char>(orientation);
  Bytes tiff = big_endian ? Bytes{'M', 'M', 0, 0x2A, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3,
                                  0,   0,   0, 1,    0, o, 0, 0, 0, 0, 0,    0,    0, 0}
                          : Bytes{'I', 'I', 0x2A, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0,
                                  1,   0,   0,    0, o, 0, 0, 0, 0, 0, 0,    0,    0, 0};
  Bytes app1 = {0xFF, 0xE1, 0, static_cast<unsigned char>(2 + 6 + tiff.size()), 'E', 'x', 'i',
                'f',  0,    0};
  app1.insert(app1.end(), tiff.begin(), tiff.end());
  Bytes out(jpeg.begin(), jpeg.begin() + 2);
  out.insert(out.end(), app1.begin(), app1.end());
  out.insert(out.end(), jpeg.begin() + 2, jpeg.end());
  return out;
}

// Loads `bytes` (written to a file) through io::LoadImage and through cv::imread with the
// flags LoadImage would use; the two must be equal to the last bit.
void ExpectLoadEqualsOpenCv(const Bytes& bytes, int reduction, bool orient,
                            const std::string& what) {
  const std::string path = test::MakeTempDir("jpeg") + "/a.jpg";
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  LoadOptions options;
  options.reduction = reduction;
  options.apply_exif_orientation = orient;
  options.min_side = 1;
  LoadedImage ours;
  ASSERT_TRUE(LoadImage(path, options, &ours).ok()) << what;
  int flags = reduction == 1   ? cv::IMREAD_ANYDEPTH | cv::IMREAD_ANYCOLOR
              : reduction == 2 ? cv::IMREAD_REDUCED_COLOR_2
              : reduction == 4 ? cv::IMREAD_REDUCED_COLOR_4
                               : cv::IMREAD_REDUCED_COLOR_8;
  if (!orient) flags |= cv::IMREAD_IGNORE_ORIENTATION;
  cv::Mat ref = cv::imread(path, flags);
  ASSERT_FALSE(ref.empty()) << what;
  if (ref.channels() == 1) cv::cvtColor(ref, ref, cv::COLOR_GRAY2BGR);
  cv::Mat ours8;
  ours.image.convertTo(ours8, CV_8U, 255.0);
  ASSERT_EQ(ours8.size(), ref.size()) << what;
  EXPECT_EQ(cv::norm(ours8, ref, cv::NORM_INF), 0.0) << what;
}

// A JPEG written with libjpeg itself from `m` (CV_8UC3 BGR, or CV_8UC4 read as CMYK), luma
// sampled h x v times the chroma (OpenCV 4.6 on libjpeg 6.2 always writes 4:2:0 and cannot
// write CMYK).
Bytes LibjpegFile(const cv::Mat& m, int h, int v) {
  jpeg_compress_struct cinfo;
  jpeg_error_mgr jerr;
  cinfo.err = jpeg_std_error(&jerr);
  jpeg_create_compress(&cinfo);
  unsigned char* out = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &out, &size);
  cinfo.image_width = static_cast<JDIMENSION>(m.cols);
  cinfo.image_height = static_cast<JDIMENSION>(m.rows);
  cinfo.input_components = m.channels();
  cinfo.in_color_space = m.channels() == 4 ? JCS_CMYK : JCS_EXT_BGR;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, 90, TRUE);
  cinfo.comp_info[0].h_samp_factor = h;
  cinfo.comp_info[0].v_samp_factor = v;
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW r = const_cast<JSAMPROW>(m.ptr<unsigned char>(static_cast<int>(cinfo.next_scanline)));
    jpeg_write_scanlines(&cinfo, &r, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  Bytes bytes(out, out + size);
  std::free(out);
  return bytes;
}

TEST(JpegCodecTest, DecodesEveryLayoutAsOpenCvDoes) {
  const cv::Mat colour = Scene(157, 93), grey = Scene(157, 93, 1);
  const std::vector<std::pair<std::string, Bytes>> files = {
      {"4:2:0 q92", Encode(colour, {cv::IMWRITE_JPEG_QUALITY, 92})},
      {"4:4:4", LibjpegFile(colour, 1, 1)},
      {"4:2:2", LibjpegFile(colour, 2, 1)},
      {"4:4:0", LibjpegFile(colour, 1, 2)},
      {"progressive", Encode(colour, {cv::IMWRITE_JPEG_PROGRESSIVE, 1})},
      {"optimized, restart markers",
       Encode(colour, {cv::IMWRITE_JPEG_OPTIMIZE, 1, cv::IMWRITE_JPEG_RST_INTERVAL, 3})},
      {"grey", Encode(grey, {cv::IMWRITE_JPEG_QUALITY, 80})},
  };
  for (const auto& [name, bytes] : files) {
    // The direct path itself (not OpenCV's fallback) decodes it, to the same pixels.
    cv::Mat direct;
    std::string message;
    ASSERT_EQ(internal::DecodeJpeg(bytes.data(), bytes.size(), 1, true, 1 << 30, &direct, &message),
              internal::JpegDecodeResult::kDecoded)
        << name;
    cv::Mat ref = cv::imdecode(bytes, cv::IMREAD_COLOR);
    EXPECT_EQ(cv::norm(direct, ref, cv::NORM_INF), 0.0) << name;
    for (int reduction : {1, 2, 4, 8}) {
      ExpectLoadEqualsOpenCv(bytes, reduction, true, name + " /" + std::to_string(reduction));
    }
  }
}

// A 4-component (CMYK) JPEG, which the direct path leaves to OpenCV's decoder.
Bytes CmykJpeg(int w, int h) {
  cv::Mat cmyk(h, w, CV_8UC4);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      cmyk.at<cv::Vec4b>(y, x) =
          cv::Vec4b(static_cast<uchar>(x * 255 / w), static_cast<uchar>(y * 255 / h), 128, 200);
  return LibjpegFile(cmyk, 1, 1);
}

TEST(JpegCodecTest, LeavesCmykToOpenCv) {
  const Bytes cmyk = CmykJpeg(48, 40);
  cv::Mat direct;
  std::string message;
  EXPECT_EQ(internal::DecodeJpeg(cmyk.data(), cmyk.size(), 1, true, 1 << 30, &direct, &message),
            internal::JpegDecodeResult::kUnsupported);
  ExpectLoadEqualsOpenCv(cmyk, 1, true, "CMYK");
  ExpectLoadEqualsOpenCv(cmyk, 2, true, "CMYK /2");
}

TEST(JpegCodecTest, CorruptScanDataLoadsWithAWarning) {
  Bytes bytes = Encode(Scene(320, 240), {cv::IMWRITE_JPEG_QUALITY, 90});
  const std::string dir = test::MakeTempDir("jpeg");
  auto load = [&](const Bytes& b, LoadedImage* li) {
    std::ofstream(dir + "/c.jpg", std::ios::binary)
        .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    return LoadImage(dir + "/c.jpg", LoadOptions(), li);
  };
  LoadedImage clean, damaged;
  ASSERT_TRUE(load(bytes, &clean).ok());
  EXPECT_TRUE(clean.warning.empty()) << clean.warning;
  // Scan bytes overwritten in the middle (markers and end of image intact): libjpeg recovers.
  for (size_t i = bytes.size() / 2; i < bytes.size() / 2 + 400; ++i) bytes[i] = 0xAB;
  ASSERT_TRUE(load(bytes, &damaged).ok());
  EXPECT_NE(damaged.warning.find("JPEG data corrupt in places, decoded anyway"), std::string::npos)
      << damaged.warning;
  EXPECT_EQ(damaged.warning.find('\n'), std::string::npos);  // one line
  EXPECT_EQ(damaged.image.size(), clean.image.size());
}

// The float conversion made while decoding (rows as libjpeg delivers them, 16 at most)
// equals converting the decoded picture afterwards; a picture to be turned is declined.
TEST(JpegCodecTest, StreamedConversionEqualsConvertingAfterwards) {
  const Bytes plain = Encode(Scene(157, 93), {cv::IMWRITE_JPEG_QUALITY, 92});
  for (int reduction : {1, 2}) {
    internal::StreamingConversion streamed(true);
    cv::Mat direct;
    std::string message;
    ASSERT_EQ(internal::DecodeJpeg(plain.data(), plain.size(), reduction, true, 1 << 30, &direct,
                                   &message, &streamed),
              internal::JpegDecodeResult::kDecoded);
    const cv::Mat converted = streamed.Finish();
    ASSERT_EQ(converted.type(), CV_32FC3);
    cv::Mat expected;
    direct.convertTo(expected, CV_32F, 1.0 / 255.0);
    EXPECT_EQ(cv::norm(converted, expected, cv::NORM_INF), 0.0) << "/" << reduction;
  }
  const Bytes turned = WithOrientation(plain, 6, false);
  for (bool apply : {true, false}) {
    internal::StreamingConversion streamed(apply);
    cv::Mat direct;
    std::string message;
    ASSERT_EQ(internal::DecodeJpeg(turned.data(), turned.size(), 1, apply, 1 << 30, &direct,
                                   &message, &streamed),
              internal::JpegDecodeResult::kDecoded);
    const cv::Mat converted = streamed.Finish();
    EXPECT_EQ(converted.empty(), apply);  // turned after decoding: converted by the loader then
    if (!apply) {
      cv::Mat expected;
      direct.convertTo(expected, CV_32F, 1.0 / 255.0);
      EXPECT_EQ(cv::norm(converted, expected, cv::NORM_INF), 0.0);
    }
  }
  // Data that fails after every row went to the sink (a second frame header after the scan:
  // libjpeg's error path, a longjmp out of the decoding): the error comes back and the second
  // thread ends.
  Bytes failing(plain.begin(), plain.end() - 2);  // without its end-of-image marker
  const Bytes second_frame = {0xFF, 0xC0, 0x00, 0x11, 0x08, 0x00, 0x10, 0x00, 0x10, 0x03, 0x01,
                              0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01, 0xFF, 0xD9};
  failing.insert(failing.end(), second_frame.begin(), second_frame.end());
  internal::StreamingConversion streamed(true);
  cv::Mat direct;
  std::string message;
  EXPECT_EQ(internal::DecodeJpeg(failing.data(), failing.size(), 1, true, 1 << 30, &direct,
                                 &message, &streamed),
            internal::JpegDecodeResult::kCorrupt)
      << message;
  EXPECT_FALSE(streamed.Finish().empty());  // it had started; the loader discards it
}

TEST(JpegCodecTest, AppliesTheEightExifOrientationsAsOpenCvDoes) {
  const Bytes plain = Encode(Scene(40, 24), {cv::IMWRITE_JPEG_QUALITY, 95});
  for (bool big_endian : {true, false}) {
    for (int o = 1; o <= 8; ++o) {
      const Bytes b = WithOrientation(plain, o, big_endian);
      const std::string what = "orientation " + std::to_string(o) + (big_endian ? " MM" : " II");
      ExpectLoadEqualsOpenCv(b, 1, true, what);
      ExpectLoadEqualsOpenCv(b, 2, true, what + " /2");
      ExpectLoadEqualsOpenCv(b, 1, false, what + " ignored");
    }
  }
}

TEST(JpegCodecTest, ReadsTheOrientationTagOnly) {
  const Bytes jpeg = Encode(Scene(16, 16), {});
  for (int o = 1; o <= 8; ++o) {
    for (bool be : {true, false}) {
      const Bytes b = WithOrientation(jpeg, o, be);
      EXPECT_EQ(internal::ExifOrientation(b.data() + 6, b.size() - 6 - jpeg.size() + 2), o);
    }
  }
  const Bytes b = WithOrientation(jpeg, 9, false);  // out of range
  EXPECT_EQ(internal::ExifOrientation(b.data() + 6, 6 + 28), 0);
  const Bytes six = WithOrientation(jpeg, 6, false);
  EXPECT_EQ(internal::ExifOrientation(six.data() + 6, 6 + 28), 6);
  EXPECT_EQ(internal::ExifOrientation(six.data() + 6, 6 + 21), 0);  // entry cut off
  Bytes far = six;  // IFD offset 0xFFFFFFF0: beyond the payload, no wrap-around
  far[6 + 6 + 4] = 0xF0, far[6 + 6 + 5] = far[6 + 6 + 6] = far[6 + 6 + 7] = 0xFF;
  EXPECT_EQ(internal::ExifOrientation(far.data() + 6, 6 + 28), 0);
  const Bytes xmp = {'h', 't', 't', 'p', ':', '/', '/', 'n', 's', '.', 'a', 'd', 'o', 'b', 'e'};
  EXPECT_EQ(internal::ExifOrientation(xmp.data(), xmp.size()), 0);
  EXPECT_EQ(internal::ExifOrientation(nullptr, 0), 0);
}

TEST(JpegCodecTest, EncodesTheSameBytesAsOpenCv) {
  const cv::Mat colour = Scene(101, 67), grey = Scene(101, 67, 1);
  const std::vector<std::vector<int>> settings = {
      {},
      {cv::IMWRITE_JPEG_QUALITY, 1},
      {cv::IMWRITE_JPEG_QUALITY, 92},
      {cv::IMWRITE_JPEG_QUALITY, 100},
      {cv::IMWRITE_JPEG_QUALITY, 85, cv::IMWRITE_JPEG_PROGRESSIVE, 1},
      {cv::IMWRITE_JPEG_QUALITY, 85, cv::IMWRITE_JPEG_OPTIMIZE, 1},
      {cv::IMWRITE_JPEG_RST_INTERVAL, 2},  // not handled directly: OpenCV's encoder
  };
  for (const cv::Mat& img : {colour, grey}) {
    for (const auto& params : settings) {
      Bytes ours;
      ASSERT_TRUE(EncodeImage(".JPG", img, params, &ours).ok());
      EXPECT_EQ(ours, Encode(img, params)) << img.channels() << " channels, " << params.size();
    }
  }
  // The direct encoder itself (EncodeImage could fall back to OpenCV's and still match).
  for (const cv::Mat& img : {colour, grey}) {
    Bytes direct;
    std::string message;
    ASSERT_TRUE(internal::EncodeJpeg(img, 92, false, false, &direct, &message)) << message;
    EXPECT_EQ(direct, Encode(img, {cv::IMWRITE_JPEG_QUALITY, 92}));
  }
  // Larger than one 64-KiB block of the destination.
  const cv::Mat big = Scene(640, 480);
  Bytes direct;
  std::string message;
  ASSERT_TRUE(internal::EncodeJpeg(big, 100, false, false, &direct, &message));
  EXPECT_GT(direct.size(), size_t{1} << 16);
  EXPECT_EQ(direct, Encode(big, {cv::IMWRITE_JPEG_QUALITY, 100}));
}

TEST(JpegCodecTest, DecodeImageMatchesImdecode) {
  const cv::Mat img = Scene(64, 48);
  for (const std::string ext : {".jpg", ".png", ".bmp"}) {
    Bytes bytes;
    ASSERT_TRUE(cv::imencode(ext, img, bytes));
    cv::Mat ours;
    ASSERT_TRUE(DecodeImage(bytes, &ours).ok()) << ext;
    EXPECT_EQ(cv::norm(ours, cv::imdecode(bytes, cv::IMREAD_COLOR), cv::NORM_INF), 0.0) << ext;
  }
  cv::Mat out;
  EXPECT_EQ(DecodeImage({}, &out).code(), StatusCode::kInvalidInput);
  Bytes bad = {0xFF, 0xD8, 0xFF, 0xDB, 0x00, 0x03, 0x00, 0xFF, 0xD9};
  const Status st = DecodeImage(bad, &out);
  EXPECT_EQ(st.code(), StatusCode::kInvalidInput);
  EXPECT_NE(st.message().find("corrupt"), std::string::npos) << st.message();
  // Over the pixel limit: refused before any pixel is decoded.
  Bytes jpeg;
  ASSERT_TRUE(cv::imencode(".jpg", img, jpeg));
  const Status big = DecodeImage(jpeg, &out, 64 * 47);
  EXPECT_EQ(big.code(), StatusCode::kInvalidInput);
  EXPECT_NE(big.message().find("64x48 px, over the limit"), std::string::npos) << big.message();
  EXPECT_TRUE(DecodeImage(jpeg, &out, 64 * 48).ok());
}

TEST(JpegCodecTest, EncodeImageRefusesWhatItCannotWrite) {
  Bytes b;
  EXPECT_EQ(EncodeImage(".jpg", cv::Mat(), {}, &b).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(EncodeImage(".jpg", cv::Mat(8, 8, CV_32FC3), {}, &b).code(),
            StatusCode::kInvalidArgument);
  EXPECT_FALSE(EncodeImage(".xyz", cv::Mat(8, 8, CV_8UC3, cv::Scalar(1)), {}, &b).ok());
  // 16-bit PNG goes to OpenCV's encoder and round-trips exactly.
  const cv::Mat deep(9, 7, CV_16UC3, cv::Scalar(1000, 40000, 65535));
  ASSERT_TRUE(EncodeImage(".png", deep, {}, &b).ok());
  EXPECT_EQ(cv::norm(cv::imdecode(b, cv::IMREAD_UNCHANGED), deep, cv::NORM_INF), 0.0);
}

}  // namespace
}  // namespace skintrack::io
