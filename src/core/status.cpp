#include "skintrack/core/status.h"

namespace skintrack {

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "ok";
    case StatusCode::kInvalidArgument:
      return "invalid_argument";
    case StatusCode::kInvalidInput:
      return "invalid_input";
    case StatusCode::kIoError:
      return "io_error";
    case StatusCode::kAlignmentFailed:
      return "alignment_failed";
    case StatusCode::kInternal:
      return "internal";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  return std::string(StatusCodeName(code_)) + ": " + message_;
}

}  // namespace skintrack
