// skintrack-core: one binary, a table of subcommands (started by the `skintrack` launcher,
// src/cli/launcher/launcher.cpp). Each subcommand is a thin adapter over the
// library: parse options, load inputs, call the library, write outputs, map status to exit code.
#include <unistd.h>

#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "cli/cli_common.h"
#include "cli/malloc_tunables.h"
#include "cli/repeatability_cli.h"
#include "skintrack/core/version.h"

namespace {

struct Command {
  const char* name;
  const char* summary;
  int (*run)(const std::vector<std::string>& args);
};

const Command kCommands[] = {
    {"analyze", "measure skin metrics of one photo (texture, pores, scars, wrinkles, ...)",
     skintrack::cli::RunAnalyze},
    {"compare", "align an after photo onto a before photo and measure the change",
     skintrack::cli::RunCompare},
    {"marker", "write a printable ArUco scale marker (PNG/TIFF with its DPI)",
     skintrack::cli::RunMarker},
    {"phantom", "render a synthetic before/after skin pair with exact ground truth",
     skintrack::cli::RunPhantom},
    {"repeatability", "per-metric CV %, ICC, SEM and MDC95 from photos of unchanged skin",
     skintrack::cli::RunRepeatability},
};

void PrintUsage(std::ostream& out) {
  out << "Usage: skintrack <command> [options]   (skintrack <command> --help for details)\n\n"
      << "Commands:\n";
  for (const Command& c : kCommands) {
    out << "  " << c.name << std::string(15 - std::string(c.name).size(), ' ') << c.summary << "\n";
  }
  out << "\nOptions:\n  --help      show this help\n  --version   show the version\n"
      << "\nExit codes: 0 success, 1 bad usage, 2 unreadable or invalid input,\n"
      << "            3 the pair could not be aligned, 4 an output could not be written,\n"
      << "            5 internal error.\n";
}

// The malloc tunables (cli/malloc_tunables.h): the `skintrack` launcher starts this binary
// with them; run directly, it re-executes itself once to get them (a failed exec just
// continues in this process).
void ReexecWithMallocTunables(char** argv) {
  std::string previous;
  bool had_previous = false;
  if (!skintrack::cli::SetMallocTunables(&previous, &had_previous)) return;
  execv("/proc/self/exe", argv);
  skintrack::cli::RestoreMallocTunables(previous, had_previous);
}

}  // namespace

int main(int argc, char** argv) {
  using skintrack::cli::kExitInternal;
  using skintrack::cli::kExitOk;
  using skintrack::cli::kExitUsage;
  if (argc < 2) {
    PrintUsage(std::cerr);
    return kExitUsage;
  }
  const std::string first = argv[1];
  if (skintrack::cli::WantsMallocTunables(first)) ReexecWithMallocTunables(argv);
  if (first == "--help" || first == "-h" || first == "help") {
    PrintUsage(std::cout);
    return kExitOk;
  }
  if (first == "--version") {
    std::cout << "skintrack " << skintrack::kVersion << "\n";
    return kExitOk;
  }
  for (const Command& c : kCommands) {
    if (first != c.name) continue;
    try {
      return c.run(std::vector<std::string>(argv + 2, argv + argc));
    } catch (const std::bad_alloc&) {
      std::cerr << "skintrack " << c.name
                << ": error: out of memory (the photos may be too large for this machine: "
                   "see --max-megapixels)\n";
      return kExitInternal;
    } catch (const std::exception& e) {
      std::cerr << "skintrack " << c.name << ": internal error: " << e.what() << "\n";
      return kExitInternal;
    }
  }
  // One line: the commands, and where the full usage is.
  std::string names;
  for (const Command& c : kCommands) names += (names.empty() ? "" : ", ") + std::string(c.name);
  std::cerr << "skintrack: error: unknown command '" << first << "' (commands: " << names
            << "; skintrack --help for usage)\n";
  return kExitUsage;
}
