// The glibc malloc tunables `analyze`, `compare` and `repeatability` run with (read only at
// process start, so set in the environment before an exec): shared by the `skintrack` launcher
// and the CLI itself (src/cli/launcher/launcher.cpp, src/cli/main.cpp). No OpenCV here: the
// launcher must not load it.
#pragma once

#include <sys/auxv.h>

#include <cstdlib>
#include <string>

namespace skintrack::cli {

// Large images are allocated and freed many times per run: mmap_max=0 with a trim threshold of
// 4 GiB keeps freed large blocks in the heap for the next image instead of returning them to
// the kernel, whose page faults and page clearing were ~10 % of compare's CPU (3.79 -> 3.71 s
// on a 4000x3000 pair, 5 alternating runs; docs/performance.md).
// arena_max=1: one heap for every thread. With glibc's default (8 per core) the worker threads'
// blocks went to per-thread arenas, whose mmap'd heaps are not kept by the two settings above:
// analyze on a 4000x3000 photo took 36k page faults, with one arena 1.8k; median of 8
// alternating runs 2.63 -> 2.43 s wall, CPU 4.39 -> 4.11 s, peak RSS 650 -> 556 MiB (compare:
// 99k -> 2.4k faults, CPU 13.7 -> 13.4 s, RSS 1290 -> 1190 MiB). Small blocks stay in each
// thread's cache (tcache), so the one heap's lock is rarely taken.
// Transparent huge pages (glibc.malloc.hugetlb=1, set here until 2026-11-23) are not asked
// for: on a virtual machine that hands its free memory back to the host (virtio-balloon free
// page reporting, as on the development machines), every huge page is fresh host memory.
// compare on a 4000x3000 pair, the core run directly, 6 alternating runs 5 s apart: wall 5.9 ->
// 4.2 s, system CPU 4.2 -> 0.5 s; analyze through the launcher, 5 + 5 runs: 3.24 -> 1.70 s
// (docs/performance.md). A user who wants them sets
// GLIBC_TUNABLES=glibc.malloc.hugetlb=1, which is added after these.
inline constexpr const char* kMallocTunables =
    "glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=4294967296:glibc.malloc.arena_max=1";

// Whether `command` runs with the tunables.
inline bool WantsMallocTunables(const std::string& command) {
  return command == "analyze" || command == "compare" || command == "repeatability";
}

// Puts kMallocTunables before the user's own GLIBC_TUNABLES (a setting the user gives comes
// later and wins) and sets SKINTRACK_REEXECED, for the exec that follows; false (environment
// unchanged) when there is nothing to do: SKINTRACK_NO_REEXEC is set (to anything), this is
// already the process started with them (SKINTRACK_REEXECED: glibc drops GLIBC_TUNABLES for
// secure-execution programs, so it cannot be the guard) or this is a secure-execution (setuid)
// run. The user's GLIBC_TUNABLES is kept after them: glibc applies a repeated name's last value.
// *previous: GLIBC_TUNABLES before (nullptr: unset), for RestoreMallocTunables when the exec fails.
inline bool SetMallocTunables(std::string* previous, bool* had_previous) {
  if (std::getenv("SKINTRACK_NO_REEXEC") != nullptr ||
      std::getenv("SKINTRACK_REEXECED") != nullptr || getauxval(AT_SECURE) != 0)
    return false;
  const char* current = std::getenv("GLIBC_TUNABLES");
  *had_previous = current != nullptr;
  *previous = current == nullptr ? "" : current;
  const std::string updated =
      previous->empty() ? kMallocTunables : std::string(kMallocTunables) + ":" + *previous;
  if (setenv("SKINTRACK_REEXECED", "1", 1) != 0) return false;
  if (setenv("GLIBC_TUNABLES", updated.c_str(), 1) != 0) {
    unsetenv("SKINTRACK_REEXECED");
    return false;
  }
  return true;
}

// Undoes SetMallocTunables (after a failed exec).
inline void RestoreMallocTunables(const std::string& previous, bool had_previous) {
  unsetenv("SKINTRACK_REEXECED");
  if (had_previous) {
    setenv("GLIBC_TUNABLES", previous.c_str(), 1);
  } else {
    unsetenv("GLIBC_TUNABLES");
  }
}

}  // namespace skintrack::cli
