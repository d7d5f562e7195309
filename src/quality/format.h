// Message formatting shared by the quality checks (private to the quality module).
#pragma once

#include <cstdio>
#include <string>

namespace skintrack::quality::internal {

// printf-style formatting of up to three numbers into a message fragment.
inline std::string Format(const char* fmt, double a, double b = 0.0, double c = 0.0) {
  char buf[256];
  std::snprintf(buf, sizeof(buf), fmt, a, b, c);
  return buf;
}

}  // namespace skintrack::quality::internal
