// Header parsing without decoding, and every refusal of LoadImage / ReadImageHeader.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "io/image_file.h"  // Crc32, to patch PNG headers
#include "skintrack/io/image_io.h"
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

Bytes Encode(const std::string& ext, const cv::Mat& img, const std::vector<int>& params = {}) {
  std::vector<unsigned char> buf;
  EXPECT_TRUE(cv::imencode(ext, img, buf, params)) << ext;
  return buf;
}

cv::Mat Noise(int w, int h, int type = CV_8UC3) {
  cv::Mat m(h, w, type);
  cv::randu(m, cv::Scalar::all(0), cv::Scalar::all(256));
  return m;
}

void PutBe32(Bytes* b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) (*b)[at + i] = static_cast<unsigned char>(v >> (24 - 8 * i));
}

// Offset of the first segment with marker `m` (the FF byte), walking the JPEG's segments.
std::size_t FindJpegSegment(const Bytes& j, unsigned char m) {
  std::size_t pos = 2;
  while (pos + 4 <= j.size() && j[pos] == 0xFF) {
    if (j[pos + 1] == m) return pos;
    pos += 2 + ((j[pos + 2] << 8) | j[pos + 3]);
  }
  ADD_FAILURE() << "marker not found";
  return 0;
}

class ImageHeaderTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = test::MakeTempDir("io_header"); }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  std::string Put(const std::string& name, const Bytes& bytes) {
    WriteBytes(Path(name), bytes);
    return Path(name);
  }
  ImageHeader Header(const std::string& path) {
    ImageHeader h;
    const Status st = ReadImageHeader(path, &h);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return h;
  }
  std::string dir_;
};

// Loading `path` fails with kInvalidInput and a one-line message naming it and `reason`.
void ExpectRefused(const std::string& path, const std::string& reason,
                   const LoadOptions& opts = LoadOptions()) {
  LoadedImage li;
  const Status st = LoadImage(path, opts, &li);
  EXPECT_EQ(st.code(), StatusCode::kInvalidInput) << st.ToString();
  EXPECT_NE(st.message().find(path), std::string::npos) << st.message();
  EXPECT_NE(st.message().find(reason), std::string::npos) << st.message();
  EXPECT_EQ(st.message().find('\n'), std::string::npos) << st.message();
  EXPECT_TRUE(li.image.empty());
}

void ExpectHeader(const ImageHeader& h, const std::string& format, int w, int hgt, int channels,
                  int depth) {
  EXPECT_EQ(h.format, format);
  EXPECT_EQ(h.width, w);
  EXPECT_EQ(h.height, hgt);
  EXPECT_EQ(h.channels, channels);
  EXPECT_EQ(h.bit_depth, depth);
}

TEST(LoadOptionsTest, DefaultsPassAndBadValuesFail) {
  LoadOptions o;
  EXPECT_TRUE(o.Check().ok());
  EXPECT_EQ(o.max_pixels, 120'000'000);
  EXPECT_EQ(o.min_side, 64);
  o.max_pixels = 0;
  EXPECT_EQ(o.Check().code(), StatusCode::kInvalidArgument);
  o.max_pixels = -5;
  EXPECT_EQ(o.Check().code(), StatusCode::kInvalidArgument);
  o = LoadOptions();
  o.min_side = 0;
  EXPECT_EQ(o.Check().code(), StatusCode::kInvalidArgument);
  o.min_side = 1;
  EXPECT_TRUE(o.Check().ok());
}

TEST(Crc32Test, KnownAnswer) {
  const unsigned char s[] = "123456789";
  EXPECT_EQ(internal::Crc32(s, 9), 0xCBF43926U);
}

TEST_F(ImageHeaderTest, ReadsEveryFormat) {
  const cv::Mat c3 = Noise(123, 45), g1 = Noise(31, 17, CV_8UC1), c4 = Noise(29, 11, CV_8UC4);
  cv::Mat c16(19, 23, CV_16UC3, cv::Scalar::all(40000));
  ExpectHeader(Header(Put("a.jpg", Encode(".jpg", c3))), "jpeg", 123, 45, 3, 8);
  ExpectHeader(Header(Put("g.jpg", Encode(".jpg", g1))), "jpeg", 31, 17, 1, 8);
  ExpectHeader(Header(Put("a.png", Encode(".png", c3))), "png", 123, 45, 3, 8);
  ExpectHeader(Header(Put("g.png", Encode(".png", g1))), "png", 31, 17, 1, 8);
  ExpectHeader(Header(Put("c4.png", Encode(".png", c4))), "png", 29, 11, 4, 8);
  ExpectHeader(Header(Put("c16.png", Encode(".png", c16))), "png", 23, 19, 3, 16);
  ExpectHeader(Header(Put("a.tif", Encode(".tif", c3))), "tiff", 123, 45, 3, 8);
  ExpectHeader(Header(Put("g.tif", Encode(".tif", g1))), "tiff", 31, 17, 1, 8);
  ExpectHeader(Header(Put("c16.tif", Encode(".tif", c16))), "tiff", 23, 19, 3, 16);
  ExpectHeader(Header(Put("a.bmp", Encode(".bmp", c3))), "bmp", 123, 45, 3, 8);
  // WebP: lossy (VP8 chunk), lossless (VP8L), lossy with alpha (VP8X).
  const Bytes vp8 = Encode(".webp", c3, {cv::IMWRITE_WEBP_QUALITY, 80});
  const Bytes vp8l = Encode(".webp", c3, {cv::IMWRITE_WEBP_QUALITY, 101});
  const Bytes vp8x = Encode(".webp", c4, {cv::IMWRITE_WEBP_QUALITY, 80});
  EXPECT_EQ(std::string(vp8.begin() + 12, vp8.begin() + 16), "VP8 ");
  EXPECT_EQ(std::string(vp8l.begin() + 12, vp8l.begin() + 16), "VP8L");
  EXPECT_EQ(std::string(vp8x.begin() + 12, vp8x.begin() + 16), "VP8X");
  ExpectHeader(Header(Put("a.webp", vp8)), "webp", 123, 45, 3, 8);
  ExpectHeader(Header(Put("l.webp", vp8l)), "webp", 123, 45, 3, 8);
  ExpectHeader(Header(Put("x.webp", vp8x)), "webp", 29, 11, 4, 8);
}

TEST_F(ImageHeaderTest, ReadsBigEndianTiffAndJpegAfterLargeAppSegment) {
  // Big-endian TIFF by hand: 8-byte header, IFD with width (SHORT) and height (LONG), 16 bits.
  const Bytes mm = {'M', 'M',  0, 42, 0, 0, 0, 8,                          // header, IFD at 8
                    0,   4,                                                // 4 entries
                    1,   0,    0, 3,  0, 0, 0, 1, 0x01, 0x2C, 0,    0,     // 256 width SHORT 300
                    1,   1,    0, 4,  0, 0, 0, 1, 0,    0,    0x02, 0x58,  // 257 height LONG 600
                    1,   2,    0, 3,  0, 0, 0, 1, 0,    16,   0,    0,     // 258 bits 16
                    1,   0x15, 0, 3,  0, 0, 0, 1, 0,    1,    0,    0,     // 277 samples 1
                    0,   0,    0, 0};
  ExpectHeader(Header(Put("mm.tif", mm)), "tiff", 300, 600, 1, 16);

  // A JPEG whose frame header comes after a 60 KB APP2 segment.
  const Bytes jpg = Encode(".jpg", Noise(70, 90));
  Bytes big = {0xFF, 0xD8, 0xFF, 0xE2, 0xEA, 0x60};  // APP2, length 60000
  big.resize(big.size() + 60000 - 2, 0x55);
  big.insert(big.end(), jpg.begin() + 2, jpg.end());
  ExpectHeader(Header(Put("big_app.jpg", big)), "jpeg", 70, 90, 3, 8);
  LoadedImage li;
  EXPECT_TRUE(LoadImage(Path("big_app.jpg"), LoadOptions(), &li).ok());
}

// A 24-bit BMP with the old 12-byte BITMAPCOREHEADER, w x h, B = x, G = y, R = 9, bottom-up.
Bytes CoreBmp(int w, int h) {
  const int stride = (w * 3 + 3) / 4 * 4;
  const std::uint32_t size = 26 + stride * h;
  Bytes b = {'B', 'M'};
  for (std::uint32_t v : {size, 0u, 26u, 12u}) {
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<unsigned char>(v >> (8 * i)));
  }
  for (int v : {w, h, 1, 24}) {
    b.push_back(static_cast<unsigned char>(v & 0xFF));
    b.push_back(static_cast<unsigned char>(v >> 8));
  }
  for (int row = h - 1; row >= 0; --row) {
    for (int x = 0; x < w; ++x) {
      b.insert(b.end(), {static_cast<unsigned char>(x), static_cast<unsigned char>(row), 9});
    }
    b.resize(b.size() + (stride - w * 3), 0);
  }
  return b;
}

TEST_F(ImageHeaderTest, BmpCoreHeaderAndTopDown) {
  const std::string core = Put("core.bmp", CoreBmp(70, 66));
  ExpectHeader(Header(core), "bmp", 70, 66, 3, 8);
  LoadedImage li;
  ASSERT_TRUE(LoadImage(core, LoadOptions(), &li).ok());
  const cv::Vec3f v = li.image.at<cv::Vec3f>(60, 50);
  EXPECT_NEAR(v[0], 50 / 255.f, 1e-6f);
  EXPECT_NEAR(v[1], 60 / 255.f, 1e-6f);
  EXPECT_NEAR(v[2], 9 / 255.f, 1e-6f);

  // Negative height in BITMAPINFOHEADER: top-down rows; the header reports the magnitude.
  Bytes bmp = Encode(".bmp", Noise(33, 21));
  const std::int32_t neg = -21;
  for (int i = 0; i < 4; ++i)
    bmp[22 + i] = static_cast<unsigned char>(static_cast<std::uint32_t>(neg) >> (8 * i));
  ExpectHeader(Header(Put("topdown.bmp", bmp)), "bmp", 33, 21, 3, 8);
}

TEST_F(ImageHeaderTest, MissingDirectoryAndEmpty) {
  const std::string missing = Path("nope.jpg");
  ExpectRefused(missing, "file not found");
  ExpectRefused(Path("no_dir/nope.jpg"), "file not found");
  ExpectRefused(dir_, "is a directory");
  ExpectRefused(Put("empty.png", {}), "file is empty");
  ImageHeader h;
  const Status st = ReadImageHeader(missing, &h);
  EXPECT_EQ(st.code(), StatusCode::kInvalidInput);
  EXPECT_EQ(st.message(), missing + ": file not found");
}

TEST_F(ImageHeaderTest, UnreadableFile) {
  if (::geteuid() == 0) GTEST_SKIP() << "running as root: permissions are not enforced";
  const std::string locked = Put("locked.png", Encode(".png", Noise(70, 70)));
  ASSERT_EQ(::chmod(locked.c_str(), 0), 0);
  ExpectRefused(locked, "cannot read (permission denied)");
}

TEST_F(ImageHeaderTest, FormatIsDetectedByMagicNotExtension) {
  std::mt19937 rng(7);
  Bytes noise(5000);
  for (auto& b : noise) b = static_cast<unsigned char>(rng());
  noise[0] = 0x12;  // make sure the random bytes do not start with a real signature
  ExpectRefused(Put("random.jpg", noise), "not a supported image (JPEG, PNG, TIFF, WebP, BMP)");
  ExpectRefused(Put("text.bmp", {'B', 'M', 'W', ' ', 'c', 'a', 'r', 's', ' ', 'a', 'r', 'e', ' ',
                                 'f', 'a', 's', 't', ' ', 'a', 'n', 'd', ' ', 'l', 'o', 'u', 'd'}),
                "not a supported image");
  ExpectRefused(Put("tiny.png", {'x'}), "not a supported image");

  const std::string png_as_jpg = Put("really_png.jpg", Encode(".png", Noise(70, 70)));
  LoadedImage li;
  const Status st = LoadImage(png_as_jpg, LoadOptions(), &li);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(li.header.format, "png");
  EXPECT_EQ(li.image.type(), CV_32FC3);
}

TEST_F(ImageHeaderTest, TruncatedHeaders) {
  const Bytes png = Encode(".png", Noise(70, 70));
  ExpectRefused(Put("hdr.png", Bytes(png.begin(), png.begin() + 20)), "header truncated");
  const Bytes jpg = Encode(".jpg", Noise(70, 70));
  ExpectRefused(Put("hdr.jpg", Bytes(jpg.begin(), jpg.begin() + 30)), "header truncated");
  ExpectRefused(Put("soi.jpg", {0xFF, 0xD8}), "header truncated");
  const Bytes webp = Encode(".webp", Noise(70, 70));
  ExpectRefused(Put("hdr.webp", Bytes(webp.begin(), webp.begin() + 16)), "header truncated");
  ExpectRefused(Put("hdr.tif", {'I', 'I', 42, 0, 8, 0, 0, 0, 5}), "header truncated");
}

// Cuts `bytes` at 60 % of their length.
Bytes Cut60(const Bytes& bytes) {
  return Bytes(bytes.begin(), bytes.begin() + bytes.size() * 6 / 10);
}

TEST_F(ImageHeaderTest, TruncatedDataIsRefusedBeforeDecoding) {
  const cv::Mat img = Noise(128, 128);
  ExpectRefused(Put("cut.jpg", Cut60(Encode(".jpg", img))), "truncated JPEG data");
  ExpectRefused(Put("cut.png", Cut60(Encode(".png", img))), "truncated PNG data");
  ExpectRefused(Put("cut.tif", Cut60(Encode(".tif", img))), "truncated");
  ExpectRefused(Put("cut.webp", Cut60(Encode(".webp", img))), "truncated WebP data");
  ExpectRefused(Put("cut.bmp", Cut60(Encode(".bmp", img))), "truncated BMP data");

  // Only the final EOI missing (the last 2 bytes), and the same followed by zero padding.
  Bytes jpg = Encode(".jpg", img);
  ASSERT_EQ(jpg[jpg.size() - 2], 0xFF);
  ASSERT_EQ(jpg[jpg.size() - 1], 0xD9);
  jpg.resize(jpg.size() - 2);
  ExpectRefused(Put("no_eoi.jpg", jpg), "truncated JPEG data (no end-of-image marker)");
  jpg.resize(jpg.size() + 4096, 0);
  ExpectRefused(Put("no_eoi_pad.jpg", jpg), "truncated JPEG data");
  // PNG with its IEND chunk (last 12 bytes) removed.
  const Bytes png = Encode(".png", img);
  ExpectRefused(Put("no_iend.png", Bytes(png.begin(), png.end() - 12)), "no IEND chunk");
}

// An uncompressed 8-bit grey little-endian TIFF, 64x64 px, value (x + 2y) % 256, IFD first and
// four strips of 16 rows whose offset and byte-count tables live outside the IFD.
Bytes StripTiff() {
  Bytes b = {'I', 'I', 42, 0, 8, 0, 0, 0, 9, 0};
  auto add = [&b](std::uint16_t tag, std::uint16_t type, std::uint32_t count, std::uint32_t v) {
    for (std::uint32_t x : {std::uint32_t{tag} | (std::uint32_t{type} << 16), count, v}) {
      for (int i = 0; i < 4; ++i) b.push_back(static_cast<unsigned char>(x >> (8 * i)));
    }
  };
  const std::uint32_t offsets_at = 8 + 2 + 9 * 12 + 4, counts_at = offsets_at + 16;
  const std::uint32_t data_at = counts_at + 16;
  add(256, 3, 1, 64);          // ImageWidth
  add(257, 3, 1, 64);          // ImageLength
  add(258, 3, 1, 8);           // BitsPerSample
  add(259, 3, 1, 1);           // no compression
  add(262, 3, 1, 1);           // BlackIsZero
  add(273, 4, 4, offsets_at);  // StripOffsets
  add(277, 3, 1, 1);           // SamplesPerPixel
  add(278, 3, 1, 16);          // RowsPerStrip
  add(279, 4, 4, counts_at);   // StripByteCounts
  b.insert(b.end(), {0, 0, 0, 0});
  for (std::uint32_t v :
       {data_at, data_at + 1024, data_at + 2048, data_at + 3072, 1024u, 1024u, 1024u, 1024u}) {
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<unsigned char>(v >> (8 * i)));
  }
  for (int y = 0; y < 64; ++y) {
    for (int x = 0; x < 64; ++x) b.push_back(static_cast<unsigned char>((x + 2 * y) % 256));
  }
  return b;
}

TEST_F(ImageHeaderTest, TiffStripsMustLieInTheFile) {
  const Bytes tif = StripTiff();
  const std::string path = Put("strips.tif", tif);
  ExpectHeader(Header(path), "tiff", 64, 64, 1, 8);
  LoadedImage li;
  const Status st = LoadImage(path, LoadOptions(), &li);
  ASSERT_TRUE(st.ok()) << st.ToString();
  const cv::Vec3f v = li.image.at<cv::Vec3f>(50, 40);  // y = 50, x = 40: 140
  EXPECT_NEAR(v[0], 140 / 255.f, 1e-6f);
  EXPECT_NEAR(v[2], 140 / 255.f, 1e-6f);
  // Cut inside the third strip: the header and the strip tables are intact.
  ExpectRefused(Put("strips_cut.tif", Bytes(tif.begin(), tif.end() - 1500)),
                "truncated TIFF data (strip 2 ends at byte");
}

TEST_F(ImageHeaderTest, TrailingBytesAfterEndAreAccepted) {
  for (const std::string ext : {".jpg", ".png"}) {
    Bytes b = Encode(ext, Noise(70, 70));
    b.resize(b.size() + 1000, 0);
    b.insert(b.end(), {0xFF, 0xD8, 0x12, 0x34});  // e.g. the start of an appended second image
    LoadedImage li;
    const Status st = LoadImage(Put("padded" + ext, b), LoadOptions(), &li);
    EXPECT_TRUE(st.ok()) << st.ToString();
  }
  // A progressive JPEG (several scans separated by tables) is walked to its EOI.
  LoadedImage li;
  const Bytes prog = Encode(".jpg", Noise(80, 80), {cv::IMWRITE_JPEG_PROGRESSIVE, 1});
  EXPECT_TRUE(LoadImage(Put("prog.jpg", prog), LoadOptions(), &li).ok());
  ExpectRefused(Put("prog_cut.jpg", Cut60(prog)), "truncated JPEG data");
}

TEST_F(ImageHeaderTest, HugeHeaderRefusedWithoutDecoding) {
  // PNG: patch IHDR to 20000x20000 and fix its CRC; the data stays that of a 70x70 image.
  Bytes png = Encode(".png", Noise(70, 70));
  PutBe32(&png, 16, 20000);
  PutBe32(&png, 20, 20000);
  PutBe32(&png, 29, internal::Crc32(png.data() + 12, 17));
  const std::string big_png = Put("big.png", png);
  ExpectHeader(Header(big_png), "png", 20000, 20000, 3, 8);
  ExpectRefused(big_png, "header claims 20000x20000 px (400.0 MP), over the limit of 120.0 MP");

  // JPEG: patch the SOF0 height and width.
  Bytes jpg = Encode(".jpg", Noise(70, 70));
  const std::size_t sof = FindJpegSegment(jpg, 0xC0);
  for (std::size_t at : {sof + 5, sof + 7}) {
    jpg[at] = 20000 >> 8;
    jpg[at + 1] = 20000 & 0xFF;
  }
  const std::string big_jpg = Put("big.jpg", jpg);
  ExpectHeader(Header(big_jpg), "jpeg", 20000, 20000, 3, 8);
  ExpectRefused(big_jpg, "header claims 20000x20000 px (400.0 MP), over the limit of 120.0 MP");

  // Without the CRC fix, the patched PNG header is corrupt.
  PutBe32(&png, 29, 0);
  ExpectRefused(Put("badcrc.png", png), "corrupt PNG header");
}

TEST_F(ImageHeaderTest, CustomMaxPixelsAgainstRealImage) {
  const std::string path = Put("small.png", Encode(".png", Noise(100, 80)));  // 8000 px
  LoadOptions opts;
  opts.max_pixels = 7999;
  ExpectRefused(path, "header claims 100x80 px (8000 px), over the limit of 7999 px", opts);
  opts.max_pixels = 8000;
  LoadedImage li;
  EXPECT_TRUE(LoadImage(path, opts, &li).ok());
  EXPECT_EQ(li.scale, 1.0);
  // A limit of 0.1 MP or more is said in megapixels.
  const std::string big = Put("big.png", Encode(".png", Noise(800, 500)));  // 400000 px
  opts.max_pixels = 200000;
  ExpectRefused(big, "header claims 800x500 px (0.4 MP), over the limit of 0.2 MP", opts);
  // File sizes: 1000000 bytes is "1.0 MB", one less is still counted in kB.
  EXPECT_EQ(internal::SizeForMessage(1000000), "1.0 MB");
  EXPECT_EQ(internal::SizeForMessage(999999), "1000.0 kB");
}

TEST_F(ImageHeaderTest, AReducedDecodeReportsItsScale) {
  const std::string path = Put("r.jpg", Encode(".jpg", Noise(200, 160)));
  LoadOptions opts;
  opts.reduction = 2;
  LoadedImage li;
  ASSERT_TRUE(LoadImage(path, opts, &li).ok());
  EXPECT_EQ(li.image.size(), cv::Size(100, 80));
  EXPECT_EQ(li.scale, 0.5);
  EXPECT_EQ(li.full_size, cv::Size(200, 160));
}

TEST_F(ImageHeaderTest, TooSmallImageRefused) {
  const std::string path = Put("small.png", Encode(".png", Noise(50, 40)));
  ExpectRefused(path, "image is 50x40 px, smaller than the minimum of 64 px on a side");
  LoadOptions opts;
  opts.min_side = 40;
  LoadedImage li;
  EXPECT_TRUE(LoadImage(path, opts, &li).ok());
  opts.min_side = 41;
  ExpectRefused(path, "smaller than the minimum of 41 px", opts);
}

TEST_F(ImageHeaderTest, CorruptDataFailsToDecode) {
  // Damage the compressed data inside IDAT (the chunk CRC no longer matches): libpng refuses.
  Bytes png = Encode(".png", Noise(70, 70));
  for (std::size_t i = png.size() / 2; i < png.size() / 2 + 64; ++i) png[i] ^= 0x5A;
  // libpng's own words (it would print them to stderr) are inside the one-line message.
  ExpectRefused(Put("bad.png", png), "cannot decode PNG data (corrupt: libpng error: ");
}

TEST_F(ImageHeaderTest, CorruptPhotosDecodedAtOnceEachGetTheirOwnLibpngWords) {
  // Two PNGs damaged differently, loaded on two threads at once (as a pair is): the capture of
  // the decoders' stderr is shared, and each error carries its own libpng message, never the
  // other's (a decode that spoke while another ran is run again alone).
  const Bytes good = Encode(".png", Noise(1000, 1000));
  Bytes crc = good;  // compressed data changed (OpenCV has libpng skip the chunk CRCs)
  for (std::size_t i = crc.size() / 2; i < crc.size() / 2 + 64; ++i) crc[i] ^= 0x5A;
  // The first IDAT's zlib header changed and its CRC made to match: the inflater refuses.
  Bytes zlib = good;
  std::size_t idat = 8;  // chunks: length (4), type (4), data, CRC (4)
  while (idat + 8 <= zlib.size() &&
         std::string(zlib.begin() + idat + 4, zlib.begin() + idat + 8) != "IDAT") {
    idat += 12 + internal::Be32(zlib.data() + idat);
  }
  ASSERT_LT(idat + 8, zlib.size());
  const std::size_t length = internal::Be32(zlib.data() + idat);
  zlib[idat + 8] = 0x00;  // CM 0: not deflate
  PutBe32(&zlib, idat + 8 + length, internal::Crc32(zlib.data() + idat + 4, length + 4));
  const std::string a = Put("bad_crc.png", crc), b = Put("bad_zlib.png", zlib);
  const std::string crc_words = "bad adaptive filter value", zlib_words = "IDAT: ";
  for (int round = 0; round < 12; ++round) {
    Status sa, sb;
    std::atomic<int> ready{0};  // both threads start decoding together
    auto load = [&](const std::string& path, Status* st) {
      ++ready;
      while (ready.load() < 2) std::this_thread::yield();
      LoadedImage li;
      *st = LoadImage(path, LoadOptions(), &li);
    };
    std::thread other(load, b, &sb);
    load(a, &sa);
    other.join();
    for (const Status* st : {&sa, &sb}) {
      EXPECT_EQ(st->code(), StatusCode::kInvalidInput) << st->ToString();
      EXPECT_NE(st->message().find("(corrupt: libpng error: "), std::string::npos) << st->message();
    }
    EXPECT_NE(sa.message().find(crc_words), std::string::npos) << sa.message();
    EXPECT_EQ(sa.message().find(zlib_words), std::string::npos) << sa.message();
    EXPECT_NE(sb.message().find(zlib_words), std::string::npos) << sb.message();
    EXPECT_EQ(sb.message().find(crc_words), std::string::npos) << sb.message();
  }
}

TEST_F(ImageHeaderTest, SegmentsThatLookLikeFrameHeadersAreSkipped) {
  // DHT (C4), JPG (C8) and DAC (CC) sit in the SOF marker range but are not frame headers: a
  // JPEG with a DAC segment (empty) right after SOI still reads its own 90x70 header.
  const Bytes plain = Encode(".jpg", Noise(90, 70));
  Bytes jpg(plain.begin(), plain.begin() + 2);  // SOI
  for (unsigned char b : {0xFF, 0xCC, 0x00, 0x02}) jpg.push_back(b);
  jpg.insert(jpg.end(), plain.begin() + 2, plain.end());
  ExpectHeader(Header(Put("dac.jpg", jpg)), "jpeg", 90, 70, 3, 8);
}

TEST_F(ImageHeaderTest, APngWithADamagedSideChunkIsDecodedWithAWarning) {
  // A text chunk (ancillary) with a wrong CRC after IHDR: libpng reports the CRC error and
  // goes on; the photo loads, and the load says what the decoder got past.
  const Bytes good = Encode(".png", Noise(80, 80));
  const std::size_t after_ihdr = 8 + 8 + 13 + 4;  // signature, IHDR (length, type, data, CRC)
  const std::string text = "Comment\0hello";
  Bytes chunk(4, 0);
  PutBe32(&chunk, 0, static_cast<std::uint32_t>(text.size()));
  for (char c : std::string("tEXt") + text) chunk.push_back(static_cast<unsigned char>(c));
  const std::uint32_t crc = internal::Crc32(chunk.data() + 4, text.size() + 4) ^ 0xFFu;  // wrong
  chunk.resize(chunk.size() + 4);
  PutBe32(&chunk, chunk.size() - 4, crc);
  Bytes png(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(after_ihdr));
  png.insert(png.end(), chunk.begin(), chunk.end());
  png.insert(png.end(), good.begin() + static_cast<std::ptrdiff_t>(after_ihdr), good.end());
  LoadedImage li;
  const Status st = LoadImage(Put("text.png", png), LoadOptions(), &li);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(li.image.size(), cv::Size(80, 80));
  EXPECT_NE(li.warning.find("data damaged, decoded anyway ("), std::string::npos) << li.warning;
  EXPECT_NE(li.warning.find("CRC error"), std::string::npos) << li.warning;
}

TEST_F(ImageHeaderTest, AJpegFarLargerThanItsPicturesIsRefusedUnread) {
  // A 70x70 JPEG stretched (sparsely) to 80 MB: more than 64 MB + 16 bytes a pixel.
  const std::string path = Put("long.jpg", Encode(".jpg", Noise(70, 70)));
  std::filesystem::resize_file(path, 80u << 20);
  ExpectRefused(path, "file is 83.9 MB, far more than a 70x70 px JPEG holds");
  // The limit itself: 64 MiB + 16 bytes x 4900 px is still read (and decodes: the padding
  // follows the image's end marker); one byte more is refused.
  const std::uint64_t limit = (std::uint64_t{64} << 20) + 16 * 4900;
  std::filesystem::resize_file(path, limit);
  LoadedImage li;
  EXPECT_TRUE(LoadImage(path, LoadOptions(), &li).ok());
  std::filesystem::resize_file(path, limit + 1);
  ExpectRefused(path, "far more than a 70x70 px JPEG holds");
}

TEST_F(ImageHeaderTest, BadOptionsAreInvalidArgument) {
  const std::string path = Put("ok.png", Encode(".png", Noise(70, 70)));
  LoadOptions opts;
  opts.min_side = 0;
  LoadedImage li;
  EXPECT_EQ(LoadImage(path, opts, &li).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace skintrack::io
