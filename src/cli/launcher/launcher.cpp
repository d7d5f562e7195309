// `skintrack`: a launcher that starts the CLI (`skintrack-core`, beside it) with the malloc
// tunables in its environment (src/cli/malloc_tunables.h). The CLI could re-execute itself to
// get them (it still does when run directly), but each start of a process linked with OpenCV
// costs ~0.1 s of dynamic linking (Debian's OpenCV pulls in ~150 shared libraries); this
// launcher links none, so `analyze` and `compare` pay that once.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <string>

#include "cli/malloc_tunables.h"

namespace {

constexpr const char* kCoreName = "skintrack-core";

// The directory of this executable with a trailing slash: from /proc/self/exe, else from a
// path in argv[0]; empty when neither names it (never a guess at the current directory).
std::string OwnDirectory(const char* argv0) {
  std::string path(4096, '\0');
  const ssize_t n = readlink("/proc/self/exe", path.data(), path.size() - 1);
  if (n > 0) {
    path.resize(static_cast<size_t>(n));
  } else {
    path = argv0 != nullptr ? argv0 : "";
  }
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash + 1);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = OwnDirectory(argc > 0 ? argv[0] : nullptr);
  if (dir.empty()) {
    std::cerr << "skintrack: error: cannot find " << kCoreName
              << ": /proc/self/exe is unreadable and the command has no directory\n";
    return 5;
  }
  const std::string core = dir + kCoreName;
  std::string previous;
  bool had_previous = false;
  const bool tunables = argc > 1 && skintrack::cli::WantsMallocTunables(argv[1]) &&
                        skintrack::cli::SetMallocTunables(&previous, &had_previous);
  execv(core.c_str(), argv);
  const int error = errno;
  if (tunables) skintrack::cli::RestoreMallocTunables(previous, had_previous);
  std::cerr << "skintrack: error: cannot run " << core << ": " << std::strerror(error) << "\n";
  return 5;  // kExitInternal (src/cli/cli_common.h)
}
