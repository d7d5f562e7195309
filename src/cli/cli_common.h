// Shared pieces of the CLI: exit codes, error printing, option parsing.
#pragma once

#include <boost/program_options.hpp>
#include <optional>
#include <string>
#include <vector>

#include "skintrack/core/status.h"
#include "skintrack/io/image_io.h"

namespace skintrack::cli {

// Documented exit codes (README.md, docs/cli.md).
enum ExitCode : int {
  kExitOk = 0,            // success (alignment ok or poor)
  kExitUsage = 1,         // bad usage: unknown command/option, bad value
  kExitInvalidInput = 2,  // an input file is unreadable or invalid
  kExitAlignFailed = 3,   // the pair could not be aligned
  kExitOutputError = 4,   // an output file could not be written
  kExitInternal = 5,      // unexpected internal error (a bug: please report)
};

int ExitCodeFor(const Status& status);

// A number for a message: up to 6 significant digits (1e+300, nan, inf stay short).
std::string FormatNumber(double v);

// Prints "skintrack <command>: error: <message>" to stderr; returns the exit code.
int Fail(const std::string& command, const Status& status);

// Prints "skintrack <command>: warning: <path>: <warning>" to stderr when the photo was decoded
// despite corrupt data (io::LoadedImage::warning); nothing otherwise.
void WarnIfDamaged(const std::string& command, const io::LoadedImage& image);

namespace po = boost::program_options;

// Parses args (without the command name) into vm. Returns kExitOk, or prints the problem and
// returns kExitUsage. When --help is given, prints `usage` and the options and sets *help.
int ParseCommandLine(const std::string& command, const std::string& usage,
                     const po::options_description& options,
                     const po::positional_options_description& positional,
                     const std::vector<std::string>& args, po::variables_map* vm, bool* help);

// Resolves where the JSON goes (--json, else out_dir/default_name with --out-dir, else "-")
// and creates out_dir when given. Errors are kIoError naming the directory.
Status PrepareOutputs(const po::variables_map& vm, const std::string& default_name,
                      std::string* out_dir, std::string* json_path);

// The mask named by option `name` (e.g. "roi"), when given: io::LoadMask at `size`, and
// kInvalidInput naming the file when it has no non-zero pixel (an empty region measures
// nothing). *mask stays empty when the option is absent.
Status LoadRegionMask(const po::variables_map& vm, const std::string& name,
                      const io::LoadOptions& load, cv::Size size, cv::Mat* mask);

// --max-megapixels into load->max_pixels: finite, in (0, 10000] MP (else kInvalidArgument
// naming the option).
Status ReadMaxMegapixels(const po::variables_map& vm, io::LoadOptions* load);

// --mm-per-px when given: finite, in [1e-5, 100) mm per px (a plausible photo or microscope
// scale; else kInvalidArgument naming the option and the value). Leaves *mm_per_px alone when
// the option is absent.
Status ReadMmPerPx(const po::variables_map& vm, std::optional<double>* mm_per_px);

int RunAnalyze(const std::vector<std::string>& args);
int RunCompare(const std::vector<std::string>& args);
int RunMarker(const std::vector<std::string>& args);
int RunPhantom(const std::vector<std::string>& args);

}  // namespace skintrack::cli
