#include "cli/cli_common.h"

#include <filesystem>
#include <iostream>

namespace skintrack::cli {

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

Status PrepareOutputs(const po::variables_map& vm, const std::string& default_name,
                      std::string* out_dir, std::string* json_path) {
  *out_dir = vm.count("out-dir") ? vm["out-dir"].as<std::string>() : "";
  *json_path = vm.count("json") ? vm["json"].as<std::string>() : "";
  if (json_path->empty()) {
    *json_path = out_dir->empty() ? "-" : (std::filesystem::path(*out_dir) / default_name).string();
  }
  if (!out_dir->empty()) {
    std::error_code ec;
    std::filesystem::create_directories(*out_dir, ec);
    if (ec) return Status::IoError(*out_dir + ": cannot create directory (" + ec.message() + ")");
  }
  return Status::Ok();
}

}  // namespace skintrack::cli
