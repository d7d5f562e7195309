// OpenCV's imgcodecs opened at run time (see jpeg_codec.h for why). The functions are looked up
// by their C++ symbol names; their types are checked against OpenCV's declarations at compile
// time (the header only declares them: nothing here links to imgcodecs).
#include <dlfcn.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <mutex>
#include <opencv2/imgcodecs.hpp>

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

// Standard error (fd 2) redirected to a temporary file while it lives; Finish() restores it and
// returns what was written. One at a time (fd 2 is the process's). When no temporary file can
// be made, nothing is redirected and Finish() returns "".
class StderrCapture {
 public:
  StderrCapture() : hold_(Mutex()) {
    std::cerr.flush();
    std::fflush(stderr);
    file_ = std::tmpfile();
    if (file_ == nullptr) return;
    saved_ = ::dup(2);
    if (saved_ < 0 || ::dup2(::fileno(file_), 2) < 0) {
      if (saved_ >= 0) ::close(saved_);
      saved_ = -1;
    }
  }
  ~StderrCapture() { Finish(); }
  StderrCapture(const StderrCapture&) = delete;
  StderrCapture& operator=(const StderrCapture&) = delete;

  std::string Finish() {
    std::string text;
    if (file_ == nullptr) return text;
    std::cerr.flush();
    std::fflush(stderr);
    if (saved_ >= 0) {
      ::dup2(saved_, 2);
      ::close(saved_);
      saved_ = -1;
      std::rewind(file_);
      char buf[4096];
      size_t n;
      while ((n = std::fread(buf, 1, sizeof(buf), file_)) > 0 && text.size() < (1u << 16))
        text.append(buf, n);
    }
    std::fclose(file_);
    file_ = nullptr;
    return text;
  }

 private:
  static std::mutex& Mutex() {
    static std::mutex m;
    return m;
  }
  std::lock_guard<std::mutex> hold_;
  std::FILE* file_ = nullptr;
  int saved_ = -1;
};

// Calls decode() with stderr captured into *messages (when non-null).
template <typename Decode>
void Captured(std::string* messages, const Decode& decode) {
  StderrCapture capture;
  try {
    decode();
  } catch (...) {
    const std::string text = capture.Finish();
    if (messages != nullptr) *messages = text;
    throw;
  }
  const std::string text = capture.Finish();
  if (messages != nullptr) *messages = text;
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
