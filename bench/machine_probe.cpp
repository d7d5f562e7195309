// Machine-speed probe for scripts/bench.sh: fixed work whose time depends only on the machine
// (clock, memory bandwidth, contention from other guests), not on SkinTrack's code. The CLI
// timings of one tree vary by up to 1.8x from hour to hour on a shared machine
// (docs/performance.md); the probe, run beside them, tells a slow hour from a slow change.
//
// Prints one line of `key value` pairs:
//   compute_s       one core: 2e8 dependent double multiply-adds (latency-bound), s
//   copy_gb_s       one core: copy of a 256 MiB buffer, 8 times; bytes copied / s, GB/s
//   blur_ms         cv::GaussianBlur (sigma 2 px) of a 4000x3000 CV_32FC1 image on OpenCV's
//                   threads, median of 5, ms
//   fresh_gb_s      one core, first: 512 MiB of new anonymous memory touched once per 4 KiB
//                   page (each page a fault: the kernel clears it and, on a virtual machine
//                   that hands free memory back to its host, the host backs it again);
//                   bytes touched / s, GB/s. A CLI run pays this for its peak memory
//                   (docs/performance.md, sixteenth session).
// Usage: machine_probe [--quick]   (--quick: a quarter of each workload, for a smoke test)
// Exit code 0, or 1 on a wrong argument or a failed self-check (a mapping failed, or the copy
// or the writes did not happen).
#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

namespace {

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double ComputeSeconds(long iterations) {
  const auto t0 = std::chrono::steady_clock::now();
  volatile double seed = 1.0;
  double y = seed;
  for (long i = 0; i < iterations; ++i) y = y * 1.0000001 + 1e-9;
  seed = y;
  return Seconds(t0);
}

double CopyGbPerSecond(size_t bytes, int repeats) {
  std::vector<char> src(bytes, 1), dst(bytes, 2);
  const auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < repeats; ++r) {
    src[static_cast<size_t>(r)] = static_cast<char>(r);
    std::memcpy(dst.data(), src.data(), bytes);
    // The copies must happen: their result is read below.
    asm volatile("" : : "r"(dst.data()) : "memory");
  }
  const double s = Seconds(t0);
  if (dst[bytes / 3] != 1) return -1.0;  // the copy did not happen
  return static_cast<double>(bytes) * repeats / s / 1e9;
}

// Maps `bytes` of anonymous memory, writes one byte per 4 KiB page, unmaps it; `repeats` times.
// GB touched / s, or -1 when a mapping failed or the writes did not happen.
double FreshMemoryGbPerSecond(size_t bytes, int repeats) {
  const auto t0 = std::chrono::steady_clock::now();
  long sum = 0;
  for (int r = 0; r < repeats; ++r) {
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return -1.0;
    volatile char* c = static_cast<char*>(p);
    for (size_t i = 0; i < bytes; i += 4096) c[i] = 1;
    sum += c[bytes / 2];
    munmap(p, bytes);
  }
  const double s = Seconds(t0);
  if (sum != repeats) return -1.0;
  return static_cast<double>(bytes) * repeats / s / 1e9;
}

double BlurMilliseconds(cv::Size size, int runs) {
  cv::Mat image(size, CV_32FC1), out;
  cv::randu(image, 0.0f, 1.0f);
  cv::GaussianBlur(image, out, cv::Size(), 2.0);  // warm-up: allocation, thread start
  std::vector<double> ms;
  for (int r = 0; r < runs; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    cv::GaussianBlur(image, out, cv::Size(), 2.0);
    ms.push_back(1e3 * Seconds(t0));
  }
  std::nth_element(ms.begin(), ms.begin() + runs / 2, ms.end());
  return ms[static_cast<size_t>(runs / 2)];
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--quick") {
      quick = true;
    } else {
      std::fprintf(stderr,
                   "machine_probe: unknown argument '%s' (usage: machine_probe [--quick])\n",
                   argv[i]);
      return 1;
    }
  }
  const int q = quick ? 4 : 1;
  // First, as a CLI run's first touch of its memory comes first.
  const double fresh = FreshMemoryGbPerSecond((size_t{512} << 20) / q, 1);
  if (!(fresh > 0.0)) {
    std::fprintf(stderr, "machine_probe: fresh-memory self-check failed\n");
    return 1;
  }
  const double compute = ComputeSeconds(200000000L / q);
  const double copy = CopyGbPerSecond((size_t{256} << 20) / q, 8);
  if (!(copy > 0.0)) {
    std::fprintf(stderr, "machine_probe: memory copy self-check failed\n");
    return 1;
  }
  const double blur = BlurMilliseconds(quick ? cv::Size(2000, 1500) : cv::Size(4000, 3000), 5);
  std::printf("compute_s %.3f copy_gb_s %.2f blur_ms %.1f fresh_gb_s %.2f\n", compute, copy, blur,
              fresh);
  return 0;
}
