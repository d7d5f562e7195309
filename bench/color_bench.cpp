// Speed of the sRGB transfer curves (Google Benchmark) on a 4000x3000 CV_32FC3 image.
//
// The input is uniform random in [0, 1] (seeded), made once outside the timed loops. Every case
// calls the public function as the program does (output allocation included). Times are wall
// clock (UseRealTime); the CPU column is the whole process's CPU time (MeasureProcessCPUTime).
// The counter ns_per_elem is wall ns per input float (36 M floats; one pixel is 3 floats).
// The threads argument is cv::setNumThreads (1 = calling thread only; -1 = OpenCV's default,
// every core; 0 would disable OpenCV's threading and repeat the 1-thread case).
//
//   BM_SrgbToLinear           photometric::SrgbToLinear (decode, 3 channels)
//   BM_LinearToSrgb           photometric::LinearToSrgb (encode, 3 channels)
//   BM_SrgbToLinearLuminance  photometric::SrgbToLinearLuminance (BGR sRGB -> linear Y)
//   BM_LinearLuminance        photometric::LinearLuminance (linear BGR -> Y)
//   BM_SrgbToLab              photometric::SrgbToLab (BGR sRGB -> CIELAB)
//   BM_CvtColorLab            cv::cvtColor(COLOR_BGR2Lab) of the same image, for comparison
//
//   build/bench/color_bench --benchmark_min_time=0.5 --benchmark_repetitions=5
#include <benchmark/benchmark.h>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "skintrack/photometric/color.h"

namespace {

namespace photometric = skintrack::photometric;

const cv::Mat& Image() {
  static const cv::Mat image = [] {
    cv::Mat m(3000, 4000, CV_32FC3);
    cv::RNG rng(1);
    rng.fill(m, cv::RNG::UNIFORM, 0.0, 1.0);
    return m;
  }();
  return image;
}

template <cv::Mat (*F)(const cv::Mat&)>
void BM_Curve(benchmark::State& state) {
  const cv::Mat& in = Image();
  const int threads_before = cv::getNumThreads();
  cv::setNumThreads(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    cv::Mat out = F(in);
    benchmark::DoNotOptimize(out.data);
    benchmark::ClobberMemory();
  }
  cv::setNumThreads(threads_before);
  const double elements = static_cast<double>(in.total()) * in.channels();
  state.counters["ns_per_elem"] = benchmark::Counter(
      elements * 1e-9, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void Args(benchmark::internal::Benchmark* b) {
  b->ArgName("threads")->Arg(1)->Arg(-1);
  b->Unit(benchmark::kMillisecond);
  b->UseRealTime();
  b->MeasureProcessCPUTime();
}

BENCHMARK_TEMPLATE(BM_Curve, photometric::SrgbToLinear)->Name("BM_SrgbToLinear")->Apply(Args);
BENCHMARK_TEMPLATE(BM_Curve, photometric::LinearToSrgb)->Name("BM_LinearToSrgb")->Apply(Args);
BENCHMARK_TEMPLATE(BM_Curve, photometric::SrgbToLinearLuminance)
    ->Name("BM_SrgbToLinearLuminance")
    ->Apply(Args);
BENCHMARK_TEMPLATE(BM_Curve, photometric::LinearLuminance)->Name("BM_LinearLuminance")->Apply(Args);

cv::Mat CvtColorLab(const cv::Mat& bgr) {
  cv::Mat lab;
  cv::cvtColor(bgr, lab, cv::COLOR_BGR2Lab);
  return lab;
}
BENCHMARK_TEMPLATE(BM_Curve, photometric::SrgbToLab)->Name("BM_SrgbToLab")->Apply(Args);
BENCHMARK_TEMPLATE(BM_Curve, CvtColorLab)->Name("BM_CvtColorLab")->Apply(Args);

}  // namespace

BENCHMARK_MAIN();
