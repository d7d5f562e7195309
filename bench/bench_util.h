// Small helpers shared by the evaluation programs (bench/*_eval.cpp).
#pragma once

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

namespace skintrack::bench {

// The .jpg files directly in `dir`, sorted by path; empty when `dir` is not a directory (the
// real photos of ../shared/data/real may be absent).
inline std::vector<std::string> JpegFiles(const std::string& dir) {
  std::vector<std::string> files;
  if (dir.empty() || !std::filesystem::is_directory(dir)) return files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".jpg") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace skintrack::bench
