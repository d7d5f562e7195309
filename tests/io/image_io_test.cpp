// Loading every supported format into the internal form, EXIF orientation, and writing.
#include "skintrack/io/image_io.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <vector>

#include "skintrack/core/image.h"
#include "test_util.h"

namespace skintrack::io {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<unsigned char>;

void WriteBytes(const std::string& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

// 8-bit BGR test pattern whose every pixel is known: B = x, G = y, R = 200.
cv::Mat Pattern8(int w, int h) {
  cv::Mat m(h, w, CV_8UC3);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) m.at<cv::Vec3b>(y, x) = cv::Vec3b(x % 256, y % 256, 200);
  }
  return m;
}

// 16-bit BGR pattern with a marked pixel at (10, 20): B = 32768, G = 65535, R = 0.
cv::Mat Pattern16(int w, int h) {
  cv::Mat m(h, w, CV_16UC3, cv::Scalar(1000, 2000, 3000));
  m.at<cv::Vec3w>(20, 10) = cv::Vec3w(32768, 65535, 0);
  return m;
}

class ImageIoTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = test::MakeTempDir("io"); }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  // Writes `img` with OpenCV, loads it with default options, checks the internal form.
  LoadedImage WriteAndLoad(const std::string& name, const cv::Mat& img,
                           const std::vector<int>& params = {}) {
    const std::string path = Path(name);
    EXPECT_TRUE(cv::imwrite(path, img, params)) << path;
    LoadedImage loaded;
    const Status st = LoadImage(path, LoadOptions(), &loaded);
    EXPECT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ(loaded.image.type(), CV_32FC3);
    EXPECT_EQ(loaded.image.cols, img.cols);
    EXPECT_EQ(loaded.image.rows, img.rows);
    EXPECT_EQ(loaded.path, path);
    return loaded;
  }

  std::string dir_;
};

void ExpectPixel(const cv::Mat& img, int x, int y, float b, float g, float r, float tol) {
  const cv::Vec3f v = img.at<cv::Vec3f>(y, x);
  EXPECT_NEAR(v[0], b, tol) << "B at " << x << "," << y;
  EXPECT_NEAR(v[1], g, tol) << "G at " << x << "," << y;
  EXPECT_NEAR(v[2], r, tol) << "R at " << x << "," << y;
}

TEST_F(ImageIoTest, LoadsPng8Exactly) {
  const LoadedImage li = WriteAndLoad("a.png", Pattern8(96, 80));
  EXPECT_EQ(li.header.format, "png");
  EXPECT_EQ(li.header.bit_depth, 8);
  EXPECT_EQ(li.header.channels, 3);
  ExpectPixel(li.image, 37, 53, 37 / 255.f, 53 / 255.f, 200 / 255.f, 1e-6f);
}

TEST_F(ImageIoTest, LoadsPng16Exactly) {
  const LoadedImage li = WriteAndLoad("a16.png", Pattern16(70, 66));
  EXPECT_EQ(li.header.bit_depth, 16);
  ExpectPixel(li.image, 10, 20, 0.50000763f, 1.0f, 0.0f, 1e-6f);
  ExpectPixel(li.image, 0, 0, 1000 / 65535.f, 2000 / 65535.f, 3000 / 65535.f, 1e-6f);
}

TEST_F(ImageIoTest, LoadsTiff8And16Exactly) {
  const LoadedImage a = WriteAndLoad("a.tif", Pattern8(96, 80));
  EXPECT_EQ(a.header.format, "tiff");
  EXPECT_EQ(a.header.bit_depth, 8);
  ExpectPixel(a.image, 90, 70, 90 / 255.f, 70 / 255.f, 200 / 255.f, 1e-6f);
  const LoadedImage b = WriteAndLoad("b.tiff", Pattern16(70, 66));
  EXPECT_EQ(b.header.bit_depth, 16);
  EXPECT_EQ(b.header.channels, 3);
  ExpectPixel(b.image, 10, 20, 0.50000763f, 1.0f, 0.0f, 1e-6f);
}

TEST_F(ImageIoTest, LoadsJpegKeepingBgrOrder) {
  // Flat colour: JPEG reproduces it within a couple of levels, and a B/R swap would be obvious.
  const cv::Mat img(72, 88, CV_8UC3, cv::Scalar(40, 120, 200));
  const LoadedImage li = WriteAndLoad("a.jpg", img, {cv::IMWRITE_JPEG_QUALITY, 95});
  EXPECT_EQ(li.header.format, "jpeg");
  ExpectPixel(li.image, 44, 36, 40 / 255.f, 120 / 255.f, 200 / 255.f, 3 / 255.f);
}

TEST_F(ImageIoTest, LoadsWebpLosslessExactlyAndLossyClosely) {
  // Quality above 100 makes OpenCV write lossless WebP (a VP8L chunk).
  const LoadedImage a = WriteAndLoad("a.webp", Pattern8(96, 80), {cv::IMWRITE_WEBP_QUALITY, 101});
  EXPECT_EQ(a.header.format, "webp");
  ExpectPixel(a.image, 37, 53, 37 / 255.f, 53 / 255.f, 200 / 255.f, 1e-6f);
  const cv::Mat flat(72, 88, CV_8UC3, cv::Scalar(40, 120, 200));
  const LoadedImage b = WriteAndLoad("b.webp", flat, {cv::IMWRITE_WEBP_QUALITY, 90});
  ExpectPixel(b.image, 44, 36, 40 / 255.f, 120 / 255.f, 200 / 255.f, 4 / 255.f);
}

TEST_F(ImageIoTest, LoadsBmpExactly) {
  const LoadedImage li = WriteAndLoad("a.bmp", Pattern8(97, 65));  // odd width: row padding
  EXPECT_EQ(li.header.format, "bmp");
  ExpectPixel(li.image, 96, 64, 96 / 255.f, 64 / 255.f, 200 / 255.f, 1e-6f);
  ExpectPixel(li.image, 0, 0, 0.f, 0.f, 200 / 255.f, 1e-6f);
}

TEST_F(ImageIoTest, GreyIsReplicatedToThreeChannels) {
  cv::Mat grey(66, 70, CV_8UC1, cv::Scalar(100));
  grey.at<unsigned char>(5, 6) = 7;
  const LoadedImage li = WriteAndLoad("grey.png", grey);
  EXPECT_EQ(li.header.channels, 1);
  ExpectPixel(li.image, 0, 0, 100 / 255.f, 100 / 255.f, 100 / 255.f, 1e-6f);
  ExpectPixel(li.image, 6, 5, 7 / 255.f, 7 / 255.f, 7 / 255.f, 1e-6f);
}

TEST_F(ImageIoTest, AlphaIsDropped) {
  cv::Mat rgba(66, 70, CV_8UC4, cv::Scalar(10, 20, 30, 255));
  rgba.at<cv::Vec4b>(3, 4) = cv::Vec4b(50, 60, 70, 0);  // fully transparent: colour kept
  const LoadedImage li = WriteAndLoad("rgba.png", rgba);
  EXPECT_EQ(li.header.channels, 4);
  ExpectPixel(li.image, 0, 0, 10 / 255.f, 20 / 255.f, 30 / 255.f, 1e-6f);
  ExpectPixel(li.image, 4, 3, 50 / 255.f, 60 / 255.f, 70 / 255.f, 1e-6f);
}

// A JPEG of 96x64 px, grey with a red 16x16 block at the top-left corner, carrying an APP1 Exif
// segment (inserted right after SOI) whose only tag is Orientation = `orientation`.
Bytes JpegWithOrientation(int orientation) {
  cv::Mat img(64, 96, CV_8UC3, cv::Scalar(128, 128, 128));
  img(cv::Rect(0, 0, 16, 16)).setTo(cv::Scalar(0, 0, 255));
  std::vector<unsigned char> jpeg;
  EXPECT_TRUE(cv::imencode(".jpg", img, jpeg, {cv::IMWRITE_JPEG_QUALITY, 95}));
  const Bytes app1 = {0xFF, 0xE1,
                      0x00, 34,  // APP1, length 34
                      'E',  'x',
                      'i',  'f',
                      0x00, 0x00,  // Exif identifier
                      'M',  'M',
                      0x00, 0x2A,
                      0x00, 0x00,
                      0x00, 8,     // big-endian TIFF header, IFD at 8
                      0x00, 0x01,  // one entry
                      0x01, 0x12,
                      0x00, 0x03,
                      0x00, 0x00,
                      0x00, 1,  // Orientation, SHORT, count 1
                      0x00, static_cast<unsigned char>(orientation),
                      0x00, 0x00,  // value
                      0x00, 0x00,
                      0x00, 0x00};  // no next IFD
  Bytes out(jpeg.size() + app1.size());
  std::copy(jpeg.begin(), jpeg.begin() + 2, out.begin());
  std::copy(app1.begin(), app1.end(), out.begin() + 2);
  std::copy(jpeg.begin() + 2, jpeg.end(), out.begin() + 2 + app1.size());
  return out;
}

bool IsRed(const cv::Mat& img, int x, int y) {
  const cv::Vec3f v = img.at<cv::Vec3f>(y, x);
  return v[0] < 0.2f && v[1] < 0.2f && v[2] > 0.8f;
}

TEST_F(ImageIoTest, AppliesExifOrientation) {
  const std::string path = Path("rotated.jpg");
  WriteBytes(path, JpegWithOrientation(6));  // 6: rotate 90 degrees clockwise to display

  LoadedImage li;
  ASSERT_TRUE(LoadImage(path, LoadOptions(), &li).ok());
  EXPECT_EQ(li.image.cols, 64);
  EXPECT_EQ(li.image.rows, 96);
  EXPECT_TRUE(IsRed(li.image, 56, 8));  // top-left corner moved to the top-right
  EXPECT_FALSE(IsRed(li.image, 8, 8));
  // The header reports the stored size.
  EXPECT_EQ(li.header.width, 96);
  EXPECT_EQ(li.header.height, 64);

  LoadOptions keep;
  keep.apply_exif_orientation = false;
  LoadedImage raw;
  ASSERT_TRUE(LoadImage(path, keep, &raw).ok());
  EXPECT_EQ(raw.image.cols, 96);
  EXPECT_EQ(raw.image.rows, 64);
  EXPECT_TRUE(IsRed(raw.image, 8, 8));
  EXPECT_FALSE(IsRed(raw.image, 88, 8));
}

TEST_F(ImageIoTest, ExifOrientationOneLeavesImageAsStored) {
  const std::string path = Path("upright.jpg");
  WriteBytes(path, JpegWithOrientation(1));
  LoadedImage li;
  ASSERT_TRUE(LoadImage(path, LoadOptions(), &li).ok());
  EXPECT_EQ(li.image.cols, 96);
  EXPECT_TRUE(IsRed(li.image, 8, 8));
}

TEST_F(ImageIoTest, MinSideAppliesAfterOrientation) {
  const std::string path = Path("rotated.jpg");
  WriteBytes(path, JpegWithOrientation(6));  // stored 96x64, displayed 64x96
  LoadOptions opts;
  opts.min_side = 65;
  LoadedImage li;
  const Status st = LoadImage(path, opts, &li);
  EXPECT_EQ(st.code(), StatusCode::kInvalidInput);
  EXPECT_NE(st.message().find("image is 64x96 px"), std::string::npos) << st.message();
}

TEST_F(ImageIoTest, WriteRoundTripPngIsExactTo8Bits) {
  cv::Mat img(70, 90, CV_32FC3);
  cv::randu(img, cv::Scalar::all(0.0), cv::Scalar::all(1.0));
  img.at<cv::Vec3f>(0, 0) = cv::Vec3f(-0.5f, 1.5f, 0.5f);  // out of range: saturated
  const std::string path = Path("round.png");
  ASSERT_TRUE(WriteImage(path, img).ok());
  LoadedImage li;
  ASSERT_TRUE(LoadImage(path, LoadOptions(), &li).ok());
  ASSERT_EQ(li.image.size(), img.size());
  cv::Mat clamped = cv::max(cv::min(img, 1.0), 0.0);
  double max_err = cv::norm(li.image, clamped, cv::NORM_INF);
  EXPECT_LE(max_err, 0.5 / 255 + 1e-6);  // rounded to the nearest 8-bit level
  // Values that are already 8-bit levels come back exactly.
  const cv::Mat levels = FromBgr8(Pattern8(90, 70));
  ASSERT_TRUE(WriteImage(path, levels).ok());
  ASSERT_TRUE(LoadImage(path, LoadOptions(), &li).ok());
  EXPECT_LE(cv::norm(li.image, levels, cv::NORM_INF), 1e-6);
}

// WriteImages writes every file (in parallel) with WriteImage's result, and reports the first
// failing file in list order while the others are still written.
TEST_F(ImageIoTest, WriteImagesWritesAllAndReportsTheFirstError) {
  const cv::Mat a = FromBgr8(Pattern8(90, 70)), b = FromBgr8(Pattern8(64, 80));
  const std::vector<ImageToWrite> files = {{Path("a.png"), a, 92},
                                           {Path("missing_dir/x.png"), a, 92},
                                           {Path("b.jpg"), b, 90},
                                           {Path("bad.xyz"), b, 92}};
  const Status st = WriteImages(files);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("missing_dir/x.png"), std::string::npos) << st.message();
  LoadedImage la, lb;
  ASSERT_TRUE(LoadImage(Path("a.png"), LoadOptions(), &la).ok());
  EXPECT_LE(cv::norm(la.image, a, cv::NORM_INF), 1e-6);
  ASSERT_TRUE(LoadImage(Path("b.jpg"), LoadOptions(), &lb).ok());
  EXPECT_EQ(lb.image.size(), b.size());
  EXPECT_TRUE(WriteImages({}).ok());
}

TEST_F(ImageIoTest, WritesEveryFormatAndType) {
  const cv::Mat img = FromBgr8(Pattern8(80, 72));
  for (const std::string ext :
       {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp", ".PNG"}) {
    const std::string path = Path("w" + ext);
    const Status st = WriteImage(path, img);
    ASSERT_TRUE(st.ok()) << st.ToString();
    ImageHeader h;
    ASSERT_TRUE(ReadImageHeader(path, &h).ok()) << path;
    EXPECT_EQ(h.width, 80);
    EXPECT_EQ(h.height, 72);
  }
  const cv::Mat grey(66, 70, CV_8UC1, cv::Scalar(9));
  for (const std::string ext : {".png", ".jpg", ".tif", ".webp", ".bmp"}) {
    const Status st = WriteImage(Path("grey" + ext), grey);
    ASSERT_TRUE(st.ok()) << st.ToString();
    LoadedImage li;
    ASSERT_TRUE(LoadImage(Path("grey" + ext), LoadOptions(), &li).ok()) << ext;
    ExpectPixel(li.image, 30, 30, 9 / 255.f, 9 / 255.f, 9 / 255.f, 2 / 255.f);
  }
  ASSERT_TRUE(WriteImage(Path("g.png"), grey).ok());
  LoadedImage li;
  ASSERT_TRUE(LoadImage(Path("g.png"), LoadOptions(), &li).ok());
  EXPECT_EQ(li.header.channels, 1);
  ExpectPixel(li.image, 1, 1, 9 / 255.f, 9 / 255.f, 9 / 255.f, 1e-6f);
  ASSERT_TRUE(WriteImage(Path("c.bmp"), Pattern8(70, 66)).ok());
  ASSERT_TRUE(LoadImage(Path("c.bmp"), LoadOptions(), &li).ok());
  ExpectPixel(li.image, 69, 65, 69 / 255.f, 65 / 255.f, 200 / 255.f, 1e-6f);
}

TEST_F(ImageIoTest, WriteQualityAffectsJpegAndWebp) {
  cv::Mat noise(128, 128, CV_8UC3);
  cv::randu(noise, cv::Scalar::all(0), cv::Scalar::all(256));
  for (const std::string ext : {".jpg", ".webp"}) {
    ASSERT_TRUE(WriteImage(Path("lo" + ext), noise, 10).ok());
    ASSERT_TRUE(WriteImage(Path("hi" + ext), noise, 95).ok());
    EXPECT_LT(fs::file_size(Path("lo" + ext)) * 2, fs::file_size(Path("hi" + ext))) << ext;
  }
}

TEST_F(ImageIoTest, WriteErrors) {
  const cv::Mat img = FromBgr8(Pattern8(80, 72));
  const std::string missing_dir = Path("no_such_dir");
  const std::string in_missing = missing_dir + "/x.png";
  Status st = WriteImage(in_missing, img);
  EXPECT_EQ(st.code(), StatusCode::kIoError);
  EXPECT_NE(st.message().find(in_missing), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("directory does not exist"), std::string::npos) << st.message();
  EXPECT_FALSE(fs::exists(missing_dir));  // nothing created

  st = WriteImage(Path("x.gif"), img);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("x.gif"), std::string::npos);
  st = WriteImage(Path("noext"), img);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);

  st = WriteImage(Path("x16.png"), cv::Mat(8, 8, CV_16UC3, cv::Scalar::all(1)));
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  st = WriteImage(Path("empty.png"), cv::Mat());
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  st = WriteImage(Path("q.jpg"), img, 0);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  st = WriteImage(Path("q.jpg"), img, 101);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(Path("q.jpg")));

  fs::create_directory(Path("adir.png"));
  st = WriteImage(Path("adir.png"), img);
  EXPECT_EQ(st.code(), StatusCode::kIoError);
  EXPECT_NE(st.message().find("is a directory"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace skintrack::io
