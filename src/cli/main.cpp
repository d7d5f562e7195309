// skintrack: one binary, a table of subcommands. Each subcommand is a thin adapter over the
// library: parse options, load inputs, call the library, write outputs, map status to exit code.
#include <sys/auxv.h>
#include <unistd.h>

#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "cli/cli_common.h"
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

// Large images are allocated and freed many times per run; with 4 KiB pages the kernel's page
// faults and page clearing were ~10 % of compare's CPU. glibc's tunables: hugetlb=1 asks for
// transparent huge pages on malloc's blocks, and mmap_max=0 with a trim threshold of 4 GiB
// keeps freed large blocks in the heap for the next image instead of returning them to the
// kernel (compare on a 4000x3000 pair: 4.44 -> 4.04 s wall with the first, -> 3.67 s with
// both on a later tree where the first alone read 3.76 s; peak RSS +0.1 GB, 1.37 GB;
// docs/performance.md). Tunables are read only at process start, so the binary re-executes
// itself once with them put before the user's own GLIBC_TUNABLES (a setting the user gives
// comes later and wins). Skipped when GLIBC_TUNABLES already names hugetlb, when
// SKINTRACK_NO_REEXEC is set (to anything), in the re-executed child (SKINTRACK_REEXECED, set
// before the exec: glibc drops GLIBC_TUNABLES for secure-execution programs, so it cannot be
// the guard) and for secure-execution (setuid) runs; a failed exec just continues in this
// process.
constexpr const char* kMallocTunables =
    "glibc.malloc.hugetlb=1:glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=4294967296";

void ReexecWithHugePageMalloc(char** argv) {
  if (std::getenv("SKINTRACK_NO_REEXEC") != nullptr ||
      std::getenv("SKINTRACK_REEXECED") != nullptr || getauxval(AT_SECURE) != 0)
    return;
  const char* current = std::getenv("GLIBC_TUNABLES");
  const std::string tunables = current == nullptr ? "" : current;
  if (tunables.find("glibc.malloc.hugetlb") != std::string::npos) return;
  const std::string updated =
      tunables.empty() ? kMallocTunables : std::string(kMallocTunables) + ":" + tunables;
  if (setenv("SKINTRACK_REEXECED", "1", 1) != 0) return;
  if (setenv("GLIBC_TUNABLES", updated.c_str(), 1) == 0) execv("/proc/self/exe", argv);
  // exec failed (no /proc, ...): restore the environment and run here.
  unsetenv("SKINTRACK_REEXECED");
  if (current == nullptr) {
    unsetenv("GLIBC_TUNABLES");
  } else {
    setenv("GLIBC_TUNABLES", tunables.c_str(), 1);
  }
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
  if (first == "analyze" || first == "compare" || first == "repeatability") {
    ReexecWithHugePageMalloc(argv);
  }
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
      std::cerr << "skintrack " << c.name << ": error: out of memory\n";
      return kExitInternal;
    } catch (const std::exception& e) {
      std::cerr << "skintrack " << c.name << ": internal error: " << e.what() << "\n";
      return kExitInternal;
    }
  }
  std::cerr << "skintrack: error: unknown command '" << first << "'\n";
  PrintUsage(std::cerr);
  return kExitUsage;
}
