// The loader's conversion to float beside the JPEG decoding (see streaming_conversion.h).
#include "io/streaming_conversion.h"

#include <algorithm>

namespace skintrack::io::internal {

bool StreamingConversion::Begin(const cv::Mat& image, int orientation) noexcept {
  if (image.type() != CV_8UC3) return false;
  if (apply_orientation_ && orientation >= 2 && orientation <= 8) return false;  // turned later
  try {
    raw_ = image;  // shares the pixels libjpeg writes
    out_.create(image.size(), CV_32FC3);
    worker_ = std::thread([this] { Run(); });
  } catch (...) {  // out of memory or no thread: converted after the decoding instead
    raw_.release();
    out_.release();
    return false;
  }
  return true;
}

void StreamingConversion::Decoded(int rows) noexcept {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ready_ = rows;
  }
  wake_.notify_one();
}

void StreamingConversion::Run() {
  int done = 0;
  for (;;) {
    int ready;
    bool stop;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return ready_ > done || stop_; });
      ready = ready_;
      stop = stop_;
    }
    if (ready > done) {  // rows [done, ready) are final
      const int end = std::min(ready, raw_.rows);
      cv::Mat dst = out_.rowRange(done, end);
      raw_.rowRange(done, end).convertTo(dst, CV_32F, 1.0 / 255.0);
      done = end;
      continue;
    }
    if (stop) return;
  }
}

cv::Mat StreamingConversion::Finish() {
  if (worker_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_one();
    worker_.join();
    raw_.release();
  }
  return out_;
}

}  // namespace skintrack::io::internal
