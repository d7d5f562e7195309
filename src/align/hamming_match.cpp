// Brute-force Hamming 2-NN (see hamming_match.h).
#include "align/hamming_match.h"

#include <climits>
#include <cstdint>
#include <cstring>

namespace skintrack::align::internal {
namespace {

// Bits set in the XOR of two descriptors of `bytes` bytes. (Inlined into each caller below, so
// that its popcounts compile for that caller's target.)
__attribute__((always_inline)) inline int Distance(const uchar* a, const uchar* b, int bytes) {
  if (bytes == 32) {  // ORB's descriptors: four words, unrolled
    std::uint64_t x[4], y[4];
    std::memcpy(x, a, 32);
    std::memcpy(y, b, 32);
    return __builtin_popcountll(x[0] ^ y[0]) + __builtin_popcountll(x[1] ^ y[1]) +
           __builtin_popcountll(x[2] ^ y[2]) + __builtin_popcountll(x[3] ^ y[3]);
  }
  int d = 0, i = 0;
  for (; i + 8 <= bytes; i += 8) {
    std::uint64_t x, y;
    std::memcpy(&x, a + i, 8);
    std::memcpy(&y, b + i, 8);
    d += __builtin_popcountll(x ^ y);
  }
  for (; i < bytes; ++i) d += __builtin_popcount(static_cast<unsigned>(a[i] ^ b[i]));
  return d;
}

// The two nearest train rows of query rows [begin, end), kept as OpenCV's batchDistance keeps
// its K best: a distance enters only below the current second, and goes before the first
// only when strictly below it (so equal distances keep the lower row first).
__attribute__((always_inline)) inline void MatchRows(const cv::Mat& query, const cv::Mat& train,
                                                     int begin, int end,
                                                     std::vector<std::vector<cv::DMatch>>* out) {
  const int bytes = query.cols;
  for (int q = begin; q < end; ++q) {
    const uchar* a = query.ptr<uchar>(q);
    int d0 = INT_MAX, d1 = INT_MAX, i0 = -1, i1 = -1;
    for (int t = 0; t < train.rows; ++t) {
      const int d = Distance(a, train.ptr<uchar>(t), bytes);
      if (d < d1) {
        if (d0 > d) {
          d1 = d0, i1 = i0;
          d0 = d, i0 = t;
        } else {
          d1 = d, i1 = t;
        }
      }
    }
    std::vector<cv::DMatch>& m = (*out)[static_cast<size_t>(q)];
    m.clear();
    if (i0 >= 0) m.emplace_back(q, i0, 0, static_cast<float>(d0));
    if (i1 >= 0) m.emplace_back(q, i1, 0, static_cast<float>(d1));
  }
}

void MatchRowsPlain(const cv::Mat& query, const cv::Mat& train, int begin, int end,
                    std::vector<std::vector<cv::DMatch>>* out) {
  MatchRows(query, train, begin, end, out);
}

// The same with the POPCNT instruction (x86-64's baseline lacks it; results are identical).
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("popcnt"))) void MatchRowsPopcnt(const cv::Mat& query, const cv::Mat& train,
                                                       int begin, int end,
                                                       std::vector<std::vector<cv::DMatch>>* out) {
  MatchRows(query, train, begin, end, out);
}
#endif

}  // namespace

std::vector<std::vector<cv::DMatch>> HammingKnn2(const cv::Mat& query, const cv::Mat& train) {
  CV_Assert(query.type() == CV_8UC1 && train.type() == CV_8UC1 &&
            (train.empty() || query.empty() || query.cols == train.cols));
  std::vector<std::vector<cv::DMatch>> out(static_cast<size_t>(query.rows));
#if defined(__x86_64__) && defined(__GNUC__)
  const bool popcnt = __builtin_cpu_supports("popcnt");
#else
  const bool popcnt = false;
#endif
  cv::parallel_for_(cv::Range(0, query.rows), [&](const cv::Range& r) {
#if defined(__x86_64__) && defined(__GNUC__)
    if (popcnt) {
      MatchRowsPopcnt(query, train, r.start, r.end, &out);
      return;
    }
#endif
    MatchRowsPlain(query, train, r.start, r.end, &out);
  });
  return out;
}

}  // namespace skintrack::align::internal
