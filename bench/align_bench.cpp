// Speed benchmarks of registration (Google Benchmark), over a size grid, on phantom pairs.
//
// Every benchmark runs on synthetic pairs from skintrack::phantom::RenderPair (random capture
// like `skintrack phantom --seed 1`, JPEG round trip q92), rendered ONCE per size and cached
// outside the timed loops. Times are wall clock (UseRealTime) in ms; the CPU column is the
// whole process's CPU time (MeasureProcessCPUTime), so CPU / wall shows how many cores a stage
// keeps busy. Public API only.
//
//   BM_Align              align::Align, default options (features + ECC + DIS residual)
//   BM_AlignGlobalOnly    align::Align with nonrigid = false (no DIS residual)
//   BM_AlignWorkingSize   align::Align at 4000x3000, working_long_side swept (768, 1024, 1536)
//   BM_LoadImage          io::LoadImage of the q92 JPEG of the before photo (written once to a
//                         temp dir), full size and (4000x3000) with LoadOptions::reduction 2, 4
//   BM_LoadPair           compare::LoadPair of the JPEG pair; full_resolution 0 = reduced
//                         decode for registration only (compare --json), 1 = full size
//   BM_CompareFiles       in-process `compare --json`: LoadPair (reduced) + ComparePair +
//                         CompareToJson (no process start-up, no file write)
//   BM_CompareFilesImages in-process `compare --out-dir`: LoadPair (full size) + ComparePair +
//                         CompareToJson + report::WriteCompareImages
//   BM_CompareMetrics     compare::CompareMetrics (skin metrics of both sessions over the common
//                         region, default MetricsOptions) on an aligned pair; what `compare`
//                         adds to registration unless --no-metrics
//   BM_WarpAfterToBefore  align::WarpAfterToBefore at full resolution (the --out-dir warp)
//   BM_WriteCompareImages report::WriteCompareImages (warp + PNG/JPEG writes of --out-dir)
//   BM_RenderPair         phantom::RenderPair itself (phantom generation cost)
//
// Run through scripts/bench.sh (docs/performance.md has results); e.g.
//   build-bench/bench/align_bench --benchmark_filter='BM_Align/' --benchmark_min_time=0.1
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <memory>
#include <opencv2/core.hpp>
#include <optional>
#include <random>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "skintrack/align/align.h"
#include "skintrack/compare/compare.h"
#include "skintrack/io/image_io.h"
#include "skintrack/metrics/metrics.h"
#include "skintrack/phantom/phantom.h"
#include "skintrack/report/compare_report.h"

namespace {

namespace fs = std::filesystem;
using skintrack::Status;
namespace align = skintrack::align;
namespace io = skintrack::io;
namespace phantom = skintrack::phantom;

constexpr std::uint64_t kSeed = 1;
constexpr int kJpegQuality = 92;

// Phantom options as `skintrack phantom --seed N --width W --height H` builds them: the before
// capture changes only the light, the after capture is a default random capture (rotation,
// scale, translation, keystone, exposure, white balance, side light, noise); both go through
// a q92 JPEG round trip, like the files the CLI writes.
phantom::PhantomOptions MakePhantomOptions(int width, int height, std::uint64_t seed) {
  phantom::PhantomOptions o;
  o.width = width;
  o.height = height;
  o.seed = seed;
  const cv::Size size(width, height);
  phantom::RandomCaptureOptions rc;
  rc.jpeg_quality = kJpegQuality;
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + 7);
  phantom::RandomCaptureOptions still = rc;
  still.max_rotation_deg = still.max_scale_change = still.max_translation_fraction =
      still.max_perspective = 0.0;
  o.before_capture = phantom::RandomCapture(still, size, rng);
  o.after_capture = phantom::RandomCapture(rc, size, rng);
  return o;
}

// One rendered pair per size, kept for the whole run (untimed).
const phantom::PhantomPair* CachedPair(int width, int height, std::string* error) {
  static std::map<std::pair<int, int>, std::unique_ptr<phantom::PhantomPair>> cache;
  auto& slot = cache[{width, height}];
  if (!slot) {
    auto pair = std::make_unique<phantom::PhantomPair>();
    const Status st = phantom::RenderPair(MakePhantomOptions(width, height, kSeed), pair.get());
    if (!st.ok()) {
      *error = "RenderPair failed: " + st.ToString();
      return nullptr;
    }
    slot = std::move(pair);
  }
  return slot.get();
}

// A private temporary directory, removed at exit.
class TempDir {
 public:
  TempDir() {
    std::error_code ec;
    path_ = fs::temp_directory_path(ec) /
            ("skintrack_align_bench_" + std::to_string(static_cast<long>(::getpid())));
    fs::create_directories(path_, ec);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

const fs::path& BenchDir() {
  static TempDir dir;
  return dir.path();
}

void SetPixelCounters(benchmark::State& state, int width, int height) {
  state.counters["MP"] = benchmark::Counter(width * static_cast<double>(height) / 1e6);
  // Megapixels of one image processed per wall-clock second.
  state.counters["MP/s"] = benchmark::Counter(width * static_cast<double>(height) / 1e6,
                                              benchmark::Counter::kIsIterationInvariantRate);
}

void RunAlign(benchmark::State& state, const align::AlignOptions& options, int width, int height) {
  std::string error;
  const phantom::PhantomPair* pair = CachedPair(width, height, &error);
  if (pair == nullptr) {
    state.SkipWithError(error.c_str());
    return;
  }
  align::AlignmentResult result;
  for (auto _ : state) {
    const Status st = align::Align(pair->before, pair->after, options, &result);
    if (!st.ok()) {
      state.SkipWithError(st.ToString().c_str());
      return;
    }
    benchmark::DoNotOptimize(result.after_to_before);
  }
  // The path taken matters: a pair that falls back to SIFT or Fourier-Mellin costs more.
  state.SetLabel(std::string(align::AlignmentStatusName(result.status)) + " " + result.method);
  SetPixelCounters(state, width, height);
}

void BM_Align(benchmark::State& state) {
  RunAlign(state, align::AlignOptions(), static_cast<int>(state.range(0)),
           static_cast<int>(state.range(1)));
}

void BM_AlignGlobalOnly(benchmark::State& state) {
  align::AlignOptions options;
  options.nonrigid = false;
  RunAlign(state, options, static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
}

void BM_AlignWorkingSize(benchmark::State& state) {
  align::AlignOptions options;
  options.working_long_side = static_cast<int>(state.range(0));
  RunAlign(state, options, 4000, 3000);
}

// The pair at this size as q92 JPEG files in the temp dir (written once, untimed), like the
// files `skintrack phantom --jpeg-quality 92` writes.
struct PairFiles {
  std::string before, after;
};
const PairFiles* CachedFiles(int width, int height, std::string* error) {
  static std::map<std::pair<int, int>, std::unique_ptr<PairFiles>> cache;
  auto& slot = cache[{width, height}];
  if (!slot) {
    const phantom::PhantomPair* pair = CachedPair(width, height, error);
    if (pair == nullptr) return nullptr;
    const std::string stem = std::to_string(width) + "x" + std::to_string(height);
    auto files = std::make_unique<PairFiles>();
    files->before = (BenchDir() / ("before_" + stem + ".jpg")).string();
    files->after = (BenchDir() / ("after_" + stem + ".jpg")).string();
    for (const auto& [path, image] :
         {std::pair{files->before, &pair->before}, std::pair{files->after, &pair->after}}) {
      if (const Status st = io::WriteImage(path, *image, kJpegQuality); !st.ok()) {
        *error = st.ToString();
        return nullptr;
      }
    }
    slot = std::move(files);
  }
  return slot.get();
}

void BM_LoadImage(benchmark::State& state) {
  const int width = static_cast<int>(state.range(0)), height = static_cast<int>(state.range(1));
  std::string error;
  const PairFiles* files = CachedFiles(width, height, &error);
  if (files == nullptr) {
    state.SkipWithError(error.c_str());
    return;
  }
  io::LoadOptions options;
  options.reduction = static_cast<int>(state.range(2));
  for (auto _ : state) {
    io::LoadedImage loaded;
    const Status st = io::LoadImage(files->before, options, &loaded);
    if (!st.ok()) {
      state.SkipWithError(st.ToString().c_str());
      return;
    }
    benchmark::DoNotOptimize(loaded.image.data);
  }
  std::error_code ec;
  state.counters["file_MB"] =
      benchmark::Counter(static_cast<double>(fs::file_size(files->before, ec)) / 1e6);
  SetPixelCounters(state, width, height);
}

void BM_LoadPair(benchmark::State& state) {
  const int width = static_cast<int>(state.range(0)), height = static_cast<int>(state.range(1));
  const bool full_resolution = state.range(2) != 0;
  std::string error;
  const PairFiles* files = CachedFiles(width, height, &error);
  if (files == nullptr) {
    state.SkipWithError(error.c_str());
    return;
  }
  const io::LoadOptions load;
  const skintrack::compare::CompareOptions options;
  for (auto _ : state) {
    skintrack::compare::LoadedPair loaded;
    const Status st = skintrack::compare::LoadPair(files->before, files->after, load, options,
                                                   full_resolution, &loaded);
    if (!st.ok()) {
      state.SkipWithError(st.ToString().c_str());
      return;
    }
    benchmark::DoNotOptimize(loaded.after.image.data);
  }
  SetPixelCounters(state, width, height);
}

// LoadPair + ComparePair + JSON (+ the --out-dir images): what `skintrack compare` does,
// minus process start-up and the JSON file write.
void RunCompareFiles(benchmark::State& state, bool with_images) {
  const int width = static_cast<int>(state.range(0)), height = static_cast<int>(state.range(1));
  std::string error;
  const PairFiles* files = CachedFiles(width, height, &error);
  if (files == nullptr) {
    state.SkipWithError(error.c_str());
    return;
  }
  const io::LoadOptions load;
  const skintrack::compare::CompareOptions options;
  const std::string out_dir = (BenchDir() / ("compare_out_" + std::to_string(width))).string();
  skintrack::compare::CompareResult result;
  for (auto _ : state) {
    skintrack::compare::LoadedPair loaded;
    Status st = skintrack::compare::LoadPair(files->before, files->after, load, options,
                                             with_images, &loaded);
    if (st.ok()) st = skintrack::compare::ComparePair(loaded, options, &result);
    if (!st.ok()) {
      state.SkipWithError(st.ToString().c_str());
      return;
    }
    const std::string json = skintrack::report::CompareToJson(result).dump(2);
    benchmark::DoNotOptimize(json.data());
    if (with_images && result.alignment.status != align::AlignmentStatus::kFailed) {
      st = skintrack::report::WriteCompareImages(out_dir, loaded.before.image, loaded.after.image,
                                                 result);
      if (!st.ok()) {
        state.SkipWithError(st.ToString().c_str());
        return;
      }
    }
  }
  state.SetLabel(std::string(align::AlignmentStatusName(result.alignment.status)) + " " +
                 result.alignment.method);
  SetPixelCounters(state, width, height);
}

void BM_CompareFiles(benchmark::State& state) { RunCompareFiles(state, false); }
void BM_CompareFilesImages(benchmark::State& state) { RunCompareFiles(state, true); }

// The aligned result of a pair at this size (computed once, untimed).
const align::AlignmentResult* CachedResult(const phantom::PhantomPair& pair, int width, int height,
                                           std::string* error) {
  static std::map<std::pair<int, int>, std::unique_ptr<align::AlignmentResult>> cache;
  auto& slot = cache[{width, height}];
  if (!slot) {
    auto result = std::make_unique<align::AlignmentResult>();
    const Status st = align::Align(pair.before, pair.after, align::AlignOptions(), result.get());
    if (!st.ok()) {
      *error = st.ToString();
      return nullptr;
    }
    if (result->status == align::AlignmentStatus::kFailed) {
      *error = "alignment failed: " + result->reason;
      return nullptr;
    }
    slot = std::move(result);
  }
  return slot.get();
}

void BM_CompareMetrics(benchmark::State& state) {
  const int width = static_cast<int>(state.range(0)), height = static_cast<int>(state.range(1));
  std::string error;
  const phantom::PhantomPair* pair = CachedPair(width, height, &error);
  const align::AlignmentResult* result =
      pair == nullptr ? nullptr : CachedResult(*pair, width, height, &error);
  if (result == nullptr) {
    state.SkipWithError(error.c_str());
    return;
  }
  const skintrack::metrics::MetricsOptions options;
  for (auto _ : state) {
    skintrack::compare::SessionMetrics metrics;
    const Status st = skintrack::compare::CompareMetrics(
        pair->before, pair->after, *result, cv::Mat(), std::nullopt, options, &metrics);
    if (!st.ok()) {
      state.SkipWithError(st.ToString().c_str());
      return;
    }
    benchmark::DoNotOptimize(metrics.region.data);
  }
  SetPixelCounters(state, width, height);
}

void BM_WarpAfterToBefore(benchmark::State& state) {
  const int width = static_cast<int>(state.range(0)), height = static_cast<int>(state.range(1));
  std::string error;
  const phantom::PhantomPair* pair = CachedPair(width, height, &error);
  const align::AlignmentResult* result =
      pair == nullptr ? nullptr : CachedResult(*pair, width, height, &error);
  if (result == nullptr) {
    state.SkipWithError(error.c_str());
    return;
  }
  for (auto _ : state) {
    cv::Mat aligned, mask;
    const Status st =
        align::WarpAfterToBefore(pair->after, *result, pair->before.size(), &aligned, &mask);
    if (!st.ok()) {
      state.SkipWithError(st.ToString().c_str());
      return;
    }
    benchmark::DoNotOptimize(aligned.data);
  }
  SetPixelCounters(state, width, height);
}

void BM_WriteCompareImages(benchmark::State& state) {
  const int width = static_cast<int>(state.range(0)), height = static_cast<int>(state.range(1));
  std::string error;
  const phantom::PhantomPair* pair = CachedPair(width, height, &error);
  const align::AlignmentResult* result =
      pair == nullptr ? nullptr : CachedResult(*pair, width, height, &error);
  if (result == nullptr) {
    state.SkipWithError(error.c_str());
    return;
  }
  skintrack::compare::CompareResult compare_result;
  compare_result.alignment = *result;
  const std::string dir =
      (BenchDir() / ("out_" + std::to_string(width) + "x" + std::to_string(height))).string();
  for (auto _ : state) {
    const Status st =
        skintrack::report::WriteCompareImages(dir, pair->before, pair->after, compare_result);
    if (!st.ok()) {
      state.SkipWithError(st.ToString().c_str());
      return;
    }
  }
  SetPixelCounters(state, width, height);
}

void BM_RenderPair(benchmark::State& state) {
  const int width = static_cast<int>(state.range(0)), height = static_cast<int>(state.range(1));
  const phantom::PhantomOptions options = MakePhantomOptions(width, height, kSeed);
  for (auto _ : state) {
    phantom::PhantomPair pair;
    const Status st = phantom::RenderPair(options, &pair);
    if (!st.ok()) {
      state.SkipWithError(st.ToString().c_str());
      return;
    }
    benchmark::DoNotOptimize(pair.after.data);
  }
  SetPixelCounters(state, width, height);
}

// The size grid: 0.5, 1.9 and 12 MP (a 12 MP phone/DSLR photo).
void SizeGrid(benchmark::internal::Benchmark* b) {
  b->ArgNames({"w", "h"});
  b->Args({800, 600});
  b->Args({1600, 1200});
  b->Args({4000, 3000});
  b->UseRealTime();
  b->MeasureProcessCPUTime();
  b->Unit(benchmark::kMillisecond);
}

// Registration takes about a second and runs once per repetition: three repetitions, reported
// as mean / median / stddev / min, so one run disturbed by another job on the machine does
// not decide the figure.
double MinOf(const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }
void Repeated(benchmark::internal::Benchmark* b) {
  b->Repetitions(3);
  b->ReportAggregatesOnly(true);
  b->ComputeStatistics("min", MinOf);
}

BENCHMARK(BM_Align)->Apply(SizeGrid)->Apply(Repeated);
BENCHMARK(BM_AlignGlobalOnly)->Apply(SizeGrid)->Apply(Repeated);
BENCHMARK(BM_AlignWorkingSize)
    ->ArgName("working_long_side")
    ->Arg(768)
    ->Arg(1024)
    ->Arg(1536)
    ->UseRealTime()
    ->MeasureProcessCPUTime()
    ->Unit(benchmark::kMillisecond)
    ->Apply(Repeated);
// Grid x one extra argument (arg_name: values), e.g. the JPEG reduction.
void SizeGridTimes(benchmark::internal::Benchmark* b, const char* arg_name,
                   std::initializer_list<int64_t> values) {
  b->ArgNames({"w", "h", arg_name});
  for (const auto& [w, h] : {std::pair<int64_t, int64_t>{800, 600}, {1600, 1200}, {4000, 3000}})
    for (int64_t v : values) b->Args({w, h, v});
  b->UseRealTime();
  b->MeasureProcessCPUTime();
  b->Unit(benchmark::kMillisecond);
}

BENCHMARK(BM_LoadImage)
    ->Apply([](benchmark::internal::Benchmark* b) { SizeGridTimes(b, "reduction", {1}); })
    ->Args({4000, 3000, 2})
    ->Args({4000, 3000, 4});
BENCHMARK(BM_LoadPair)->Apply([](benchmark::internal::Benchmark* b) {
  SizeGridTimes(b, "full_resolution", {0, 1});
});
BENCHMARK(BM_CompareFiles)->Apply(SizeGrid)->Apply(Repeated);
BENCHMARK(BM_CompareFilesImages)->Apply(SizeGrid);
BENCHMARK(BM_CompareMetrics)->Apply(SizeGrid);
BENCHMARK(BM_WarpAfterToBefore)->Apply(SizeGrid);
BENCHMARK(BM_WriteCompareImages)->Apply(SizeGrid);
BENCHMARK(BM_RenderPair)->Apply(SizeGrid);

}  // namespace

BENCHMARK_MAIN();
