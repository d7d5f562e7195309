#include "test_util.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <memory>

namespace fs = std::filesystem;

namespace skintrack::test {

std::string RealDataDir() {
  const fs::path dir = fs::path(SKINTRACK_SHARED_DIR) / "data" / "real";
  return fs::is_directory(dir) ? dir.string() : std::string();
}

std::string SourceDir() { return SKINTRACK_SOURCE_DIR; }

std::string CliPath() { return SKINTRACK_CLI_PATH; }

std::string MakeTempDir(const std::string& tag) {
  static int counter = 0;
  const fs::path dir = fs::temp_directory_path() /
                       ("skintrack_test_" + tag + "_" + std::to_string(::getpid()) + "_" +
                        std::to_string(counter++));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

int RunCommand(const std::string& command, std::string* output) {
  const std::string full = command + " 2>&1";
  FILE* pipe = ::popen(full.c_str(), "r");
  if (!pipe) return -1;
  std::array<char, 4096> buf{};
  std::string out;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  const int status = ::pclose(pipe);
  if (output) *output = out;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace skintrack::test
