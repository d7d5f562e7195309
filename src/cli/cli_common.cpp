#include "cli/cli_common.h"

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

}  // namespace skintrack::cli
