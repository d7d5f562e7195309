#include "cli/cli_common.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <utility>
#include <vector>

#include "skintrack/io/file_io.h"

namespace skintrack::cli {

std::string FormatNumber(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}

int ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return kExitOk;
    case StatusCode::kInvalidArgument:
      return kExitUsage;
    case StatusCode::kInvalidInput:
      return kExitInvalidInput;
    case StatusCode::kAlignmentFailed:
      return kExitAlignFailed;
    case StatusCode::kIoError:
      return kExitOutputError;
    case StatusCode::kInternal:
      return kExitInternal;
  }
  return kExitInternal;
}

int Fail(const std::string& command, const Status& status) {
  std::cerr << "skintrack " << command << ": error: " << status.message() << "\n";
  return ExitCodeFor(status);
}

void WarnIfDamaged(const std::string& command, const io::LoadedImage& image) {
  if (!image.warning.empty())
    std::cerr << "skintrack " << command << ": warning: " << image.path << ": " << image.warning
              << "\n";
}

int ParseCommandLine(const std::string& command, const std::string& usage,
                     const po::options_description& options,
                     const po::positional_options_description& positional,
                     const std::vector<std::string>& args, po::variables_map* vm, bool* help) {
  *help = false;
  for (const auto& a : args) {
    if (a == "--help" || a == "-h") {
      std::cout << "Usage: skintrack " << command << " " << usage << "\n\n" << options << "\n";
      *help = true;
      return kExitOk;
    }
  }
  try {
    po::store(po::command_line_parser(args).options(options).positional(positional).run(), *vm);
    po::notify(*vm);
  } catch (const po::error& e) {
    std::cerr << "skintrack " << command << ": error: " << e.what() << " (see 'skintrack "
              << command << " --help')\n";
    return kExitUsage;
  }
  return kExitOk;
}

namespace {

// The same existing file (hard links and symbolic links included), or the same path.
bool SameFile(const std::string& a, const std::string& b) {
  namespace fs = std::filesystem;
  std::error_code ec1, ec2;
  if (fs::exists(a, ec1) && fs::exists(b, ec2)) {
    std::error_code ec;
    return fs::equivalent(a, b, ec) && !ec;
  }
  std::error_code ec;
  const fs::path pa = fs::weakly_canonical(fs::absolute(a), ec);
  const fs::path pb = fs::weakly_canonical(fs::absolute(b), ec);
  return pa == pb;
}

using OutputFiles = std::vector<std::pair<std::string, std::string>>;  // (option, path)

bool IsOutputOption(const std::string& name) {
  return name == "json" || name == "detections" || name == "model-out" || name == "out-dir";
}

// The files a command writes besides --out-dir's images ("-", standard output, is none).
OutputFiles ListOutputFiles(const po::variables_map& vm, const std::string& json_path) {
  OutputFiles outputs;
  if (json_path != "-") outputs.emplace_back("json", json_path);
  for (const char* o : {"detections", "model-out"}) {
    if (vm.count(o) && vm[o].as<std::string>() != "-")
      outputs.emplace_back(o, vm[o].as<std::string>());
  }
  return outputs;
}

// Refuses an output file that is one of the inputs (it would replace a photo, mask or model),
// or that another output also names (one result would be lost).
Status CheckOutputClashes(const po::variables_map& vm, const OutputFiles& outputs) {
  std::vector<std::string> inputs;
  for (const auto& [name, value] : vm) {
    if (IsOutputOption(name)) continue;
    if (const auto* s = boost::any_cast<std::string>(&value.value())) {
      inputs.push_back(*s);
    } else if (const auto* v = boost::any_cast<std::vector<std::string>>(&value.value())) {
      inputs.insert(inputs.end(), v->begin(), v->end());
    }
  }
  for (size_t i = 0; i < outputs.size(); ++i) {
    const auto& [option, path] = outputs[i];
    for (const std::string& in : inputs) {
      std::error_code ec;
      if (std::filesystem::is_regular_file(in, ec) && SameFile(path, in))
        return Status::InvalidArgument("--" + option + " " + path +
                                       " is an input file: writing it would replace it");
    }
    std::error_code ec;
    const auto type = std::filesystem::status(path, ec).type();
    const bool device = type != std::filesystem::file_type::regular &&
                        type != std::filesystem::file_type::not_found;  // e.g. /dev/null
    for (size_t k = 0; k < i && !device; ++k) {
      if (SameFile(path, outputs[k].second))
        return Status::InvalidArgument("--" + outputs[k].first + " and --" + option +
                                       " both write " + path + ": one result would be lost");
    }
  }
  return Status::Ok();
}

}  // namespace

Status LoadRegionMask(const po::variables_map& vm, const std::string& name,
                      const io::LoadOptions& load, cv::Size size, cv::Mat* mask) {
  if (!vm.count(name)) return Status::Ok();
  const std::string path = vm[name].as<std::string>();
  SKINTRACK_RETURN_IF_ERROR(io::LoadMask(path, load, size, mask));
  if (cv::countNonZero(*mask) == 0)
    return Status::InvalidInput(path + ": the --" + name +
                                " mask is empty (no non-zero pixel): nothing to measure");
  return Status::Ok();
}

Status ReadMaxMegapixels(const po::variables_map& vm, io::LoadOptions* load) {
  const double mp = vm["max-megapixels"].as<double>();
  if (!(std::isfinite(mp) && mp > 0.0 && mp <= 10000.0)) {
    return Status::InvalidArgument("--max-megapixels must be in (0, 10000], got " +
                                   FormatNumber(mp));
  }
  load->max_pixels = static_cast<std::int64_t>(mp * 1e6);
  return load->Check();
}

Status ReadMmPerPx(const po::variables_map& vm, std::optional<double>* mm_per_px) {
  if (!vm.count("mm-per-px")) return Status::Ok();
  const double v = vm["mm-per-px"].as<double>();
  if (!(std::isfinite(v) && v >= 1e-5 && v < 100.0)) {
    return Status::InvalidArgument("--mm-per-px must be in [0.00001, 100) mm per px, got " +
                                   FormatNumber(v));
  }
  *mm_per_px = v;
  return Status::Ok();
}

Status PrepareOutputs(const po::variables_map& vm, const std::string& default_name,
                      std::string* out_dir, std::string* json_path) {
  *out_dir = vm.count("out-dir") ? vm["out-dir"].as<std::string>() : "";
  *json_path = vm.count("json") ? vm["json"].as<std::string>() : "";
  if (json_path->empty()) {
    *json_path = out_dir->empty() ? "-" : (std::filesystem::path(*out_dir) / default_name).string();
  }
  const OutputFiles outputs = ListOutputFiles(vm, *json_path);
  SKINTRACK_RETURN_IF_ERROR(CheckOutputClashes(vm, outputs));
  if (!out_dir->empty()) {
    std::error_code ec;
    std::filesystem::create_directories(*out_dir, ec);
    if (ec) return Status::IoError(*out_dir + ": cannot create directory (" + ec.message() + ")");
  }
  // A directory, or a missing parent, fails now rather than after the measurement.
  for (const auto& [option, path] : outputs) SKINTRACK_RETURN_IF_ERROR(io::CheckWritable(path));
  return Status::Ok();
}

}  // namespace skintrack::cli
