// OpenCV's imgcodecs opened at run time (see jpeg_codec.h for why). The functions are looked up
// by their C++ symbol names; their types are checked against OpenCV's declarations at compile
// time (the header only declares them: nothing here links to imgcodecs).
#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <iostream>
#include <mutex>
#include <opencv2/imgcodecs.hpp>
#include <shared_mutex>

#include "io/jpeg_codec.h"

#ifndef SKINTRACK_IMGCODECS_SONAME
#error "SKINTRACK_IMGCODECS_SONAME (e.g. libopencv_imgcodecs.so.406) must be defined by CMake"
#endif

namespace skintrack::io::internal {
namespace {

using ImreadFn = cv::Mat (*)(const cv::String&, int);
using ImdecodeFn = cv::Mat (*)(cv::InputArray, int);
using ImencodeFn = bool (*)(const cv::String&, cv::InputArray, std::vector<uchar>&,
                            const std::vector<int>&);
// The check: static_cast of an overloaded function's address to a pointer type compiles only
// when one declaration has exactly that type (unevaluated: nothing is linked).
using ImreadCheck = decltype(static_cast<ImreadFn>(&cv::imread));
using ImdecodeCheck = decltype(static_cast<ImdecodeFn>(&cv::imdecode));
using ImencodeCheck = decltype(static_cast<ImencodeFn>(&cv::imencode));

struct Codecs {
  ImreadFn imread = nullptr;
  ImdecodeFn imdecode = nullptr;
  ImencodeFn imencode = nullptr;
  std::string error;  // why they are not available, else empty
};

// Itanium C++ ABI names of the three functions (std::string is the C++11 ABI's __cxx11).
constexpr const char* kImread =
    "_ZN2cv6imreadERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEEi";
constexpr const char* kImdecode = "_ZN2cv8imdecodeERKNS_11_InputArrayEi";
constexpr const char* kImencode =
    "_ZN2cv8imencodeERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEERKNS_11_InputArray"
    "ERSt6vectorIhSaIhEERKSB_IiSaIiEE";

const Codecs& Load() {
  static Codecs codecs;
  static std::once_flag once;
  std::call_once(once, [] {
    const char* soname = SKINTRACK_IMGCODECS_SONAME;
    void* lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);  // never closed: the process keeps it
    if (lib == nullptr) {
      const char* e = dlerror();
      codecs.error = std::string("cannot load OpenCV's image codecs (") + (e ? e : soname) + ")";
      return;
    }
    auto find = [&](const char* name) -> void* {
      void* f = dlsym(lib, name);
      if (f == nullptr && codecs.error.empty()) {
        codecs.error = std::string("OpenCV's image codecs (") + soname + ") lack " + name;
      }
      return f;
    };
    codecs.imread = reinterpret_cast<ImreadFn>(find(kImread));
    codecs.imdecode = reinterpret_cast<ImdecodeFn>(find(kImdecode));
    codecs.imencode = reinterpret_cast<ImencodeFn>(find(kImencode));
  });
  return codecs;
}

// Standard error (fd 2) redirected to a temporary file while any capture lives: the first
// capture to start redirects it, the last to finish restores it, so that decodes on several
// threads (a pair's two photos) still run at once. Finish() returns what was written to fd 2
// between this capture's start and its finish; Overlapped() then says whether another capture
// was live meanwhile (the text may hold its lines too). When no temporary file can be made,
// nothing is redirected and Finish() returns "".
class StderrCapture {
 public:
  StderrCapture() {
    std::lock_guard<std::mutex> hold(Shared().lock);
    State& s = Shared();
    if (s.users == 0) {
      std::cerr.flush();
      std::fflush(stderr);
      s.file = std::tmpfile();
      s.saved = -1;
      if (s.file != nullptr) {
        s.saved = ::dup(2);
        if (s.saved < 0 || ::dup2(::fileno(s.file), 2) < 0) {
          if (s.saved >= 0) ::close(s.saved);
          s.saved = -1;
        }
      }
    }
    overlapped_ = s.users > 0;
    generation_ = ++s.generation;
    ++s.users;
    active_ = true;
    // fd 2 and the file share one offset: only writes move it, so it is the end.
    if (s.saved >= 0) start_ = ::lseek(::fileno(s.file), 0, SEEK_CUR);
  }
  ~StderrCapture() { Finish(); }
  StderrCapture(const StderrCapture&) = delete;
  StderrCapture& operator=(const StderrCapture&) = delete;

  std::string Finish() {
    std::string text;
    if (!active_) return text;
    active_ = false;
    std::lock_guard<std::mutex> hold(Shared().lock);
    State& s = Shared();
    if (s.generation != generation_) overlapped_ = true;  // another started meanwhile
    std::cerr.flush();
    std::fflush(stderr);
    if (s.saved >= 0 && start_ >= 0) {
      const int fd = ::fileno(s.file);
      const off_t end = ::lseek(fd, 0, SEEK_CUR);
      const off_t n = std::min<off_t>(end - start_, 1 << 16);
      if (n > 0) {
        text.resize(static_cast<size_t>(n));
        const ssize_t got = ::pread(fd, text.data(), text.size(), start_);
        text.resize(got > 0 ? static_cast<size_t>(got) : 0);
      }
    }
    if (--s.users == 0 && s.file != nullptr) {
      if (s.saved >= 0) {
        ::dup2(s.saved, 2);
        ::close(s.saved);
      }
      std::fclose(s.file);
      s.file = nullptr;
      s.saved = -1;
    }
    return text;
  }

  // After Finish(): whether another capture was live at some moment of this one.
  bool Overlapped() const { return overlapped_; }

 private:
  struct State {
    std::mutex lock;
    int users = 0;
    unsigned long long generation = 0;  // captures started so far
    std::FILE* file = nullptr;
    int saved = -1;  // the real fd 2, while redirected
  };
  static State& Shared() {
    static State state;
    return state;
  }
  bool active_ = false;
  bool overlapped_ = false;
  unsigned long long generation_ = 0;
  off_t start_ = -1;
};

// Decodes run at once (a shared hold) unless one must run alone (an exclusive hold).
std::shared_mutex& DecodeTurns() {
  static std::shared_mutex turns;
  return turns;
}

// Calls decode() with stderr captured into *messages (when non-null). A decode that wrote to
// stderr while another decode ran may have captured the other's lines (two corrupt photos of a
// pair failing at once): it is run again alone, so that its messages are its own. Only decodes
// with something to say pay for the second run.
template <typename Decode>
void Captured(std::string* messages, const Decode& decode) {
  auto attempt = [&](std::string* text, bool* overlapped) {
    StderrCapture capture;
    std::exception_ptr error;
    try {
      decode();
    } catch (...) {
      error = std::current_exception();
    }
    *text = capture.Finish();
    *overlapped = capture.Overlapped();
    return error;
  };
  std::string text;
  bool overlapped = false;
  std::exception_ptr error;
  {
    std::shared_lock<std::shared_mutex> together(DecodeTurns());
    error = attempt(&text, &overlapped);
  }
  if (!text.empty() && overlapped) {
    std::unique_lock<std::shared_mutex> alone(DecodeTurns());
    error = attempt(&text, &overlapped);
  }
  if (messages != nullptr) *messages = text;
  if (error) std::rethrow_exception(error);
}

}  // namespace

Status OpenCvImread(const std::string& path, int flags, cv::Mat* image, std::string* messages) {
  const Codecs& c = Load();
  if (!c.error.empty()) return Status::Internal(path + ": " + c.error);
  Captured(messages, [&] { *image = c.imread(path, flags); });
  return Status::Ok();
}

Status OpenCvImdecode(const std::vector<unsigned char>& bytes, int flags, cv::Mat* image,
                      std::string* messages) {
  const Codecs& c = Load();
  if (!c.error.empty()) return Status::Internal(c.error);
  Captured(messages, [&] { *image = c.imdecode(bytes, flags); });
  return Status::Ok();
}

Status OpenCvImencode(const std::string& ext, const cv::Mat& image, const std::vector<int>& params,
                      std::vector<unsigned char>* bytes, bool* encoded) {
  const Codecs& c = Load();
  if (!c.error.empty()) return Status::Internal(c.error);
  *encoded = c.imencode(ext, image, *bytes, params);
  return Status::Ok();
}

}  // namespace skintrack::io::internal
