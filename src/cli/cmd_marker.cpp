// skintrack marker --out marker.png [--mm 10] [--dpi 600] [--id 0] [--dictionary DICT_4X4_50]
//                  [--margin-cells 1] [--charuco WxH --charuco-square-mm 5 --charuco-marker-mm 3.5]
// Writes a printable ArUco scale marker (calib::RenderMarker) with its print resolution in
// the file: a pHYs chunk for PNG, resolution tags for TIFF.
#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <opencv2/imgcodecs.hpp>
#include <sstream>
#include <vector>

#include "cli/cli_common.h"
#include "cli/marker_cli.h"
#include "io/image_file.h"
#include "skintrack/calib/marker.h"
#include "skintrack/io/file_io.h"
#include "skintrack/io/image_io.h"

namespace skintrack::cli {
namespace fs = std::filesystem;

namespace {

void PutBigEndian(std::uint32_t v, unsigned char* out) {
  out[0] = static_cast<unsigned char>(v >> 24);
  out[1] = static_cast<unsigned char>(v >> 16);
  out[2] = static_cast<unsigned char>(v >> 8);
  out[3] = static_cast<unsigned char>(v);
}

// Inserts a pHYs chunk (pixels per metre, both axes) right after IHDR of an encoded PNG.
bool AddPngResolution(double dpi, std::vector<uchar>* png) {
  constexpr size_t kAfterIhdr = 8 + 4 + 4 + 13 + 4;  // signature + IHDR chunk
  if (png->size() < kAfterIhdr || std::string(png->begin() + 12, png->begin() + 16) != "IHDR")
    return false;
  const auto ppm = static_cast<std::uint32_t>(std::lround(dpi / 0.0254));
  std::array<unsigned char, 4 + 4 + 9 + 4> chunk{};
  PutBigEndian(9, chunk.data());
  chunk[4] = 'p', chunk[5] = 'H', chunk[6] = 'Y', chunk[7] = 's';
  PutBigEndian(ppm, chunk.data() + 8);
  PutBigEndian(ppm, chunk.data() + 12);
  chunk[16] = 1;  // unit: metre
  PutBigEndian(io::internal::Crc32(chunk.data() + 4, 4 + 9), chunk.data() + 17);
  png->insert(png->begin() + kAfterIhdr, chunk.begin(), chunk.end());
  return true;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

int RunMarker(const std::vector<std::string>& args) {
  const std::string cmd = "marker";
  const calib::MarkerOptions d;
  po::options_description desc("Options");
  desc.add_options()("out", po::value<std::string>()->required(),
                     "output image: .png (DPI in a pHYs chunk) or .tif/.tiff (DPI tags)")(
      "mm", po::value<double>()->default_value(d.side_mm),
      "side of the black square when printed, mm")("dpi", po::value<double>()->default_value(600.0),
                                                   "print resolution, dots per inch")(
      "id", po::value<int>()->default_value(0), "marker id in the dictionary")(
      "dictionary", po::value<std::string>()->default_value(d.dictionary), "ArUco dictionary")(
      "margin-cells", po::value<double>()->default_value(d.quiet_zone_cells),
      "white margin around the black square, in marker cells");
  AddScaleTargetOptions(&desc, false);  // --charuco WxH: a board instead of one marker
  po::positional_options_description pos;
  po::variables_map vm;
  bool help = false;
  if (int rc = ParseCommandLine(cmd, "--out FILE.png [options]", desc, pos, args, &vm, &help);
      rc != kExitOk || help) {
    return rc;
  }
  const std::string out = vm["out"].as<std::string>();
  const double mm = vm["mm"].as<double>(), dpi = vm["dpi"].as<double>();
  calib::MarkerOptions options;
  options.dictionary = vm["dictionary"].as<std::string>();
  options.quiet_zone_cells = vm["margin-cells"].as<double>();
  if (Status st = ReadScaleTargetOptions(vm, &options); !st.ok()) return Fail(cmd, st);
  const bool board = options.UsesBoard();
  const std::string ext = Lower(fs::path(out).extension().string());
  const bool png = ext == ".png", tiff = ext == ".tif" || ext == ".tiff";
  if (!png && !tiff) {
    return Fail(cmd, Status::InvalidArgument(
                         out + ": --out must end in .png, .tif or .tiff (lossless, with DPI)"));
  }
  cv::Mat image;
  if (Status st = board ? calib::RenderCharucoBoard(options, dpi, &image)
                        : calib::RenderMarker(vm["id"].as<int>(), mm, dpi, options, &image);
      !st.ok())
    return Fail(cmd, st);

  std::vector<uchar> bytes;
  std::vector<int> params;
  if (tiff) {
    const int idpi = static_cast<int>(std::lround(dpi));
    params = {cv::IMWRITE_TIFF_RESUNIT, 2,   cv::IMWRITE_TIFF_XDPI, idpi,
              cv::IMWRITE_TIFF_YDPI,    idpi};
  }
  if (Status st = io::EncodeImage(ext, image, params, &bytes); !st.ok()) {
    return Fail(cmd, Status::IoError(out + ": cannot encode the image (" + st.message() + ")"));
  }
  if (png && !AddPngResolution(dpi, &bytes))
    return Fail(cmd, Status::Internal(out + ": unexpected PNG layout, cannot add pHYs"));
  if (Status st = io::WriteFile(out, bytes.data(), bytes.size()); !st.ok()) return Fail(cmd, st);
  std::ostringstream msg;
  msg.precision(4);
  if (board) {
    const int square = calib::MarkerSidePx(options.charuco_square_mm, dpi);
    msg << "wrote " << out << ": " << calib::DescribeTarget(options) << ", squares of " << square
        << " px = " << square / dpi * 25.4 << " mm at " << dpi << " dpi (image " << image.cols
        << " x " << image.rows << " px with a one-square white margin). Print at 100 % (no "
        << "fit-to-page), measure a square and pass --charuco " << options.charuco_squares_x << "x"
        << options.charuco_squares_y << " --charuco-square-mm (and --charuco-marker-mm) to "
        << "compare/analyze.\n";
  } else {
    const int side = calib::MarkerSidePx(mm, dpi);
    msg << "wrote " << out << ": " << options.dictionary << " id " << vm["id"].as<int>()
        << ", black square " << side << " px = " << side / dpi * 25.4 << " mm at " << dpi
        << " dpi (image " << image.cols << " px with the white margin). Print at 100 % (no "
        << "fit-to-page), measure the black square and pass its side to compare/analyze with "
        << "--marker-mm.\n";
  }
  std::cerr << msg.str();
  return kExitOk;
}

}  // namespace skintrack::cli
