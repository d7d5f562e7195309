#include "skintrack/core/image.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <mutex>
#include <opencv2/core/utility.hpp>
#include <string>
#include <type_traits>

namespace skintrack {
namespace {

// |v| <= 1e6 and finite, tested on the bits: with the sign bit cleared, the IEEE-754 pattern
// of a float (double) orders like its magnitude, and +inf / NaN lie above every finite value.
// Integer compares of the masked bits vectorise (the float compares with NaN did not).
// The masked bits fit the signed type, whose compares SSE2 has.
inline std::int32_t MagnitudeBits(float v) {
  std::int32_t u;
  std::memcpy(&u, &v, sizeof u);
  return u & 0x7fffffff;
}
inline std::int64_t MagnitudeBits(double v) {
  std::int64_t u;
  std::memcpy(&u, &v, sizeof u);
  return u & 0x7fffffffffffffffll;
}

// First pixel (in row-major order) with a channel outside [-1e6, 1e6] or not finite, or
// (-1, -1). Rows in parallel; a branch-free inner loop.
template <typename T>
cv::Point FirstNonFinite(const cv::Mat& image) {
  const int cols = image.cols * image.channels();
  const auto limit = MagnitudeBits(static_cast<T>(1e6));
  using Bits = std::remove_const_t<decltype(limit)>;
  std::atomic<int> first_row{image.rows};
  cv::parallel_for_(cv::Range(0, image.rows), [&](const cv::Range& r) {
    for (int y = r.start; y < r.end && y < first_row.load(); ++y) {
      const T* p = image.ptr<T>(y);
      Bits bad = 0;
      for (int x = 0; x < cols; ++x) bad |= static_cast<Bits>(MagnitudeBits(p[x]) > limit);
      if (bad == 0) continue;
      int expected = first_row.load();
      while (y < expected && !first_row.compare_exchange_weak(expected, y)) {
      }
      return;
    }
  });
  const int y = first_row.load();
  if (y >= image.rows) return cv::Point(-1, -1);
  const T* p = image.ptr<T>(y);
  for (int x = 0; x < cols; ++x)
    if (MagnitudeBits(p[x]) > limit) return cv::Point(x / image.channels(), y);
  return cv::Point(-1, -1);
}

// The named images of every live FiniteImageScope (a handful at a time: a linear search).
struct KnownEntry {
  std::uint64_t id;
  cv::Mat image;  // holds the buffer: its cv::UMatData cannot be freed and reused meanwhile
};
struct KnownRegistry {
  std::mutex mutex;
  std::uint64_t next_id = 1;
  std::vector<KnownEntry> entries;
};
KnownRegistry& Known() {
  static KnownRegistry* registry = new KnownRegistry;  // never destroyed: scopes may end late
  return *registry;
}

bool SameBuffer(const cv::Mat& a, const cv::Mat& b) {
  return a.u != nullptr && a.u == b.u && a.depth() == b.depth();
}

// Removes the entries `drop` selects. Their references are released after the lock (releasing
// the last one frees the buffer).
template <typename Pred>
void DropKnown(const Pred& drop) {
  std::vector<KnownEntry> dropped;  // declared first: destroyed after the lock is released
  KnownRegistry& known = Known();
  std::lock_guard<std::mutex> lock(known.mutex);
  auto it = std::stable_partition(known.entries.begin(), known.entries.end(),
                                  [&](const KnownEntry& e) { return !drop(e); });
  std::move(it, known.entries.end(), std::back_inserter(dropped));
  known.entries.erase(it, known.entries.end());
}

}  // namespace

FiniteImageScope::FiniteImageScope(std::initializer_list<cv::Mat> images) {
  for (const cv::Mat& image : images) Add(image);
}

FiniteImageScope::~FiniteImageScope() {
  if (ids_.empty()) return;
  DropKnown(
      [&](const KnownEntry& e) { return std::find(ids_.begin(), ids_.end(), e.id) != ids_.end(); });
}

void FiniteImageScope::Add(const cv::Mat& image) {
  if (image.empty() || image.u == nullptr) return;
  KnownRegistry& known = Known();
  std::lock_guard<std::mutex> lock(known.mutex);
  const std::uint64_t id = known.next_id++;
  known.entries.push_back({id, image});
  ids_.push_back(id);
}

bool IsKnownFinite(const cv::Mat& image) {
  if (image.empty() || image.u == nullptr) return false;
  KnownRegistry& known = Known();
  std::lock_guard<std::mutex> lock(known.mutex);
  return std::any_of(known.entries.begin(), known.entries.end(),
                     [&](const KnownEntry& e) { return SameBuffer(e.image, image); });
}

void ForgetKnownFinite(const cv::Mat& image) {
  if (image.empty() || image.u == nullptr) return;
  DropKnown([&](const KnownEntry& e) { return e.image.u == image.u; });
}

Status CheckImage(const cv::Mat& image, int type, int min_side, const std::string& what) {
  if (image.empty()) return Status::InvalidInput(what + ": image is empty");
  if (image.type() != type) {
    return Status::InvalidArgument(what + ": image type " + cv::typeToString(image.type()) +
                                   ", expected " + cv::typeToString(type));
  }
  if ((image.depth() == CV_32F || image.depth() == CV_64F) && !IsKnownFinite(image)) {
    const cv::Point bad =
        image.depth() == CV_32F ? FirstNonFinite<float>(image) : FirstNonFinite<double>(image);
    if (bad.x >= 0) {
      return Status::InvalidInput(what + ": pixel (" + std::to_string(bad.x) + ", " +
                                  std::to_string(bad.y) + ") is not a finite value");
    }
  }
  if (image.cols < min_side || image.rows < min_side) {
    return Status::InvalidInput(what + ": image is " + std::to_string(image.cols) + "x" +
                                std::to_string(image.rows) + " px, smaller than " +
                                std::to_string(min_side) + " px on a side");
  }
  return Status::Ok();
}

cv::Mat ToBgr8(const cv::Mat& image) {
  cv::Mat out;
  image.convertTo(out, CV_8U, 255.0);  // convertTo rounds and saturates
  return out;
}

cv::Mat FromBgr8(const cv::Mat& bgr8) {
  cv::Mat out;
  bgr8.convertTo(out, CV_32F, 1.0 / 255.0);
  return out;
}

}  // namespace skintrack
