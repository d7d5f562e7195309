// A JPEG's rows converted to the internal form on a second thread while libjpeg decodes the
// next ones (private to the io module).
//
// Why: decoding is serial; converting a 12 MP photo to float afterwards (144 MB written, its
// pages faulted in) took 0.03-0.05 s more beside 0.10-0.12 s of decoding, with the second core
// idle during the decoding. Streamed, the conversion hides behind it.
#pragma once

#include <condition_variable>
#include <mutex>
#include <opencv2/core.hpp>
#include <thread>

#include "io/jpeg_codec.h"

namespace skintrack::io::internal {

// Converts CV_8UC3 rows to CV_32FC3 scaled by 1/255 (cv::Mat::convertTo, as the loader's
// conversion after decoding: the same values) as DecodeJpeg reports them. Declines a picture
// that will be turned afterwards (EXIF orientation 2..8 with apply_orientation), which is
// then converted after the turn as before.
class StreamingConversion final : public JpegRowSink {
 public:
  explicit StreamingConversion(bool apply_orientation) : apply_orientation_(apply_orientation) {}
  ~StreamingConversion() override { Finish(); }
  StreamingConversion(const StreamingConversion&) = delete;
  StreamingConversion& operator=(const StreamingConversion&) = delete;

  bool Begin(const cv::Mat& image, int orientation) noexcept override;
  void Decoded(int rows) noexcept override;
  // Waits until every row reported is converted; the converted image (CV_32FC3 of the
  // decoded size), or empty when nothing was streamed. Call it before using the result and
  // before the decoded image is released. After a failed decoding the image holds what was
  // converted so far: use it only when DecodeJpeg returned kDecoded.
  cv::Mat Finish();

 private:
  void Run();

  const bool apply_orientation_;
  cv::Mat raw_, out_;
  std::thread worker_;
  std::mutex mutex_;
  std::condition_variable wake_;
  int ready_ = 0;      // rows decoded (guarded by mutex_)
  bool stop_ = false;  // no more rows will come (guarded by mutex_)
};

}  // namespace skintrack::io::internal
