// Where the time of the metrics goes: wall and process CPU per stage of Analyze and of
// CompareMetrics on one JPEG pair (default: a 4000x3000 phantom pair written by
// `skintrack phantom --seed 1 --width 4000 --height 3000`).
//   metrics_stages_eval BEFORE.jpg AFTER.jpg [--runs N]
// Prints one line per stage: median wall and median process CPU over N runs (default 3).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <functional>
#include <map>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "../src/metrics/families.h"
#include "skintrack/align/align.h"
#include "skintrack/calib/marker.h"
#include "skintrack/compare/change_stats.h"
#include "skintrack/compare/compare.h"
#include "skintrack/io/image_io.h"
#include "skintrack/photometric/color.h"
#include "skintrack/quality/quality.h"
#include "skintrack/report/change_stats_report.h"
#include "skintrack/roi/roi.h"

using namespace skintrack;

namespace {

double ProcessCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

struct Timing {
  std::vector<double> wall, cpu;
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

bool Check(const Status& st, const char* what) {
  if (st.ok()) return true;
  std::fprintf(stderr, "metrics_stages_eval: %s: %s\n", what, st.ToString().c_str());
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: metrics_stages_eval BEFORE AFTER [--runs N]\n");
    return 1;
  }
  int runs = 3;
  if (argc >= 5 && std::string(argv[3]) == "--runs") runs = std::max(1, std::atoi(argv[4]));
  io::LoadedImage before, after;
  if (!Check(io::LoadImage(argv[1], io::LoadOptions(), &before), argv[1]) ||
      !Check(io::LoadImage(argv[2], io::LoadOptions(), &after), argv[2]))
    return 2;
  align::AlignmentResult alignment;
  if (!Check(align::Align(before.image, after.image, align::AlignOptions(), &alignment), "align"))
    return 3;
  const metrics::MetricsOptions options;
  stats::RepeatabilityModel model;
  if (!Check(
          report::LoadRepeatabilityModel(SKINTRACK_SOURCE_DIR "/models/repeatability.json", &model),
          "repeatability model"))
    return 2;
  std::vector<std::string> order;
  std::map<std::string, Timing> t;
  auto time = [&](const std::string& name, const std::function<Status()>& f) {
    const auto w0 = std::chrono::steady_clock::now();
    const double c0 = ProcessCpuSeconds();
    const Status st = f();
    const double c1 = ProcessCpuSeconds();
    const auto w1 = std::chrono::steady_clock::now();
    if (!st.ok()) std::fprintf(stderr, "%s: %s\n", name.c_str(), st.ToString().c_str());
    if (t.find(name) == t.end()) order.push_back(name);
    t[name].wall.push_back(std::chrono::duration<double>(w1 - w0).count());
    t[name].cpu.push_back(c1 - c0);
  };
  for (int r = 0; r < runs; ++r) {
    {  // the parts of BuildContext and of CompareMetrics' own work
      cv::Mat linear, y, lab, skin, hair, warped, overlap;
      time("  SrgbToLinear", [&] {
        linear = photometric::SrgbToLinear(before.image);
        return Status::Ok();
      });
      time("  LinearLuminance", [&] {
        y = photometric::LinearLuminance(linear);
        return Status::Ok();
      });
      time("  SrgbToLab", [&] {
        lab = photometric::SrgbToLab(before.image);
        return Status::Ok();
      });
      time("  SkinMask",
           [&] { return roi::SkinMask(before.image, roi::SkinMaskOptions(), &skin); });
      time("  HairMask", [&] { return roi::HairMask(before.image, 20.0, options.hair, &hair); });
      time("  Warp Lanczos", [&] {
        return align::WarpAfterToBefore(after.image, alignment, before.image.size(), &warped,
                                        &overlap, cv::INTER_LANCZOS4);
      });
      time("  Warp cubic", [&] {
        return align::WarpAfterToBefore(after.image, alignment, before.image.size(), &warped,
                                        &overlap, cv::INTER_CUBIC);
      });
    }
    time("AssessPhoto (quality)", [&] {
      quality::PhotoQuality q;
      return quality::AssessPhoto(before.image, cv::Mat(), std::nullopt,
                                  quality::PhotoQualityOptions(), &q);
    });
    time("DetectMarkerScale", [&] {
      calib::MarkerScale m;
      return calib::DetectMarkerScale(before.image, calib::MarkerOptions(), &m);
    });
    metrics::internal::Context ctx;
    time("BuildContext", [&] {
      return metrics::internal::BuildContext(before.image, cv::Mat(), std::nullopt, options, &ctx);
    });
    metrics::MetricsResult m;
    auto& d = m.detections;
    using namespace metrics::internal;
    time("MeasureTexture", [&] { return MeasureTexture(ctx, options, &m.texture); });
    time("MeasurePores", [&] { return MeasurePores(ctx, options, &m.pores, &d.pores); });
    time("MeasureScars", [&] { return MeasureScars(ctx, options, &m.scars, &d.scars); });
    time("MeasureWrinkles",
         [&] { return MeasureWrinkles(ctx, options, &m.wrinkles, &d.wrinkles); });
    time("MeasureStriae", [&] { return MeasureStriae(ctx, options, &m.striae, &d.striae); });
    time("MeasureColour (redness, tone)",
         [&] { return MeasureColour(ctx, options, &m.redness, &m.tone); });
    time("Analyze (total)", [&] {
      metrics::MetricsResult full;
      return metrics::Analyze(before.image, cv::Mat(), std::nullopt, options, &full);
    });
    // As `compare` does: the metrics gather the change statistics' texture and colour sums.
    const metrics::TileRequest tiles = compare::ChangeStatsTiles(
        before.image.size(), std::nullopt, options, compare::ChangeStatsOptions());
    compare::SessionMetrics sm;
    time("CompareMetrics (total)", [&] {
      return compare::CompareMetrics(before.image, after.image, alignment, cv::Mat(), std::nullopt,
                                     options, &sm, tiles);
    });
    // The rest of `compare`: decoding, registration (with the marker search), the lighting
    // difference and the change statistics.
    time("LoadPair (decode both)", [&] {
      compare::LoadedPair pair;
      return compare::LoadPair(argv[1], argv[2], io::LoadOptions(), compare::CompareOptions(), true,
                               &pair);
    });
    time("ComparePair (markers, align)", [&] {
      compare::CompareResult result;
      return compare::ComparePair(before.image, after.image, compare::CompareOptions(), &result);
    });
    time("MeasureLightingDifference", [&] {
      quality::LightingDifference lighting;
      return quality::MeasureLightingDifference(before.image, sm.aligned_after, sm.region,
                                                quality::LightingOptions(), &lighting);
    });
    time("  ComputeTileSums", [&] {
      std::vector<compare::MetricTiles> metric_tiles;
      return compare::ComputeTileSums(before.image, sm, std::nullopt, options,
                                      compare::ChangeStatsOptions(), &metric_tiles);
    });
    time("ComputeChangeStats", [&] {
      compare::ChangeStats cs;
      return compare::ComputeChangeStats(before.image, sm, std::nullopt, options, model,
                                         compare::ChangeStatsOptions(), &cs);
    });
  }
  std::printf("%dx%d, median of %d runs\n", before.image.cols, before.image.rows, runs);
  std::printf("%-30s %10s %10s\n", "stage", "wall s", "cpu s");
  for (const auto& name : order)
    std::printf("%-30s %10.3f %10.3f\n", name.c_str(), Median(t[name].wall), Median(t[name].cpu));
  return 0;
}
