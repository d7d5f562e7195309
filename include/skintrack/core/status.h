// Status: the outcome of a library call, with a code and a one-line message.
#pragma once

#include <string>
#include <utility>

namespace skintrack {

// What went wrong. The CLI maps each code to a documented exit code
// (see ExitCodeFor in src/cli).
enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // bad options or arguments (a caller error)
  kInvalidInput,     // unreadable, corrupt, truncated, too large or too small input data
  kIoError,          // a file could not be written
  kAlignmentFailed,  // a pair of photos could not be aligned with confidence
  kInternal,         // a bug or an unexpected library failure
};

// Name of a code, e.g. "invalid_input".
const char* StatusCodeName(StatusCode code);

class Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) {
    return {StatusCode::kInvalidArgument, std::move(m)};
  }
  static Status InvalidInput(std::string m) { return {StatusCode::kInvalidInput, std::move(m)}; }
  static Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
  static Status AlignmentFailed(std::string m) {
    return {StatusCode::kAlignmentFailed, std::move(m)};
  }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  // One line, naming the file or option concerned; empty when ok().
  const std::string& message() const { return message_; }
  // "invalid_input: <message>"
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

}  // namespace skintrack

// Returns early from a function returning Status when `expr` is not ok.
#define SKINTRACK_RETURN_IF_ERROR(expr) \
  do {                                  \
    ::skintrack::Status _st = (expr);   \
    if (!_st.ok()) return _st;          \
  } while (false)
