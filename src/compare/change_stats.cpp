// Change statistics (include/skintrack/compare/change_stats.h, docs/statistics.md).
//
// Per-tile sums, per metric family, over the common region (SessionMetrics::region, which is
// each session's measured ROI: CompareMetrics passes it as the roi of both sessions):
//  * pores (detections, centre -> tile): count, sum of pi d^2 / 4, sum of d; region px.
//  * scars: each scar's area_px spread over the tiles in proportion to its filled contour's
//    region pixels in each tile; contrast x area.
//  * wrinkles: each polyline segment's length goes to the tile of its midpoint, scaled so that
//    the line's segments add up to its length_px; width x length, depth x length.
//  * texture: the texture metric's octave bands (metrics/texture_bands.h, the same filters and
//    erosion as MeasureTexture): per tile sum of B_b^2 / gain_b^2 and the pixel count; the
//    noise floor (Immerkaer over the whole measured mask) is a per-session offset.
//  * colour: per tile sums of EI = 100 log10(R_lin / G_lin) (channels floored at 1e-4), a*
//    and L* (CIELAB of the sRGB-encoded image, photometric::SrgbToLab), and the region pixel
//    count.
// The texture and colour sums are those the metrics gathered in their own passes
// (metrics::MetricsTileSums, asked for by CompareMetrics' TileRequest = ChangeStatsTiles)
// when their grid, bands and pixel counts match; else they are computed here.
#include "skintrack/compare/change_stats.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "compare/tile_sums.h"
#include "metrics/texture_bands.h"

namespace skintrack::compare {
namespace {

namespace mi = metrics::internal;
using stats::RatioForm;
using stats::RatioMetric;

using internal::CellCounts;
using internal::CellSums;
using internal::ColourFromMetrics;
using internal::Grid;
using internal::LineSums;
using internal::MakeGrid;
using internal::MeasureTileSums;
using internal::PoreSums;
using internal::ScarSums;
using internal::TextureFromMetrics;
using internal::TextureSession;

const double kNaN = std::numeric_limits<double>::quiet_NaN();

// A metric from per-cell sums: keeps cells with region pixels or any non-zero sum.
MetricTiles Collect(const std::string& key, const std::string& unit, const RatioMetric& metric,
                    const Grid& g, const std::vector<double>& inside,
                    const std::vector<double>& total, const std::vector<double>& nb,
                    const std::vector<double>& db, const std::vector<double>& na,
                    const std::vector<double>& da) {
  MetricTiles t;
  t.key = key;
  t.unit = unit;
  t.metric = metric;
  t.tile_mm = g.tile_mm;
  t.tile_px = g.tile_px;
  t.grid = cv::Size(g.cols, g.rows);
  for (int i = 0; i < g.Cells(); ++i) {
    const size_t c = static_cast<size_t>(i);
    if (inside[c] <= 0.0 && nb[c] == 0.0 && db[c] == 0.0 && na[c] == 0.0 && da[c] == 0.0) continue;
    t.tiles.push_back({nb[c], db[c], na[c], da[c]});
    t.cells.emplace_back(i % g.cols, i / g.cols);
    t.coverage.push_back(total[c] > 0 ? inside[c] / total[c] : 0.0);
  }
  return t;
}

std::vector<double> Scaled(const std::vector<double>& v, double k) {
  std::vector<double> out(v);
  for (double& x : out) x *= k;
  return out;
}

// Tile grid of the change of `t` with per-tile metric `per_tile`.
ChangeGrid MakeChangeGrid(const MetricTiles& t, const RatioMetric& per_tile, const std::string& key,
                          const std::string& unit, double min_coverage, bool nan_without_support) {
  ChangeGrid grid;
  grid.key = key;
  grid.unit = unit;
  grid.tile_mm = t.tile_mm;
  grid.tile_px = t.tile_px;
  grid.change = cv::Mat(t.grid.height, t.grid.width, CV_64FC1, cv::Scalar(kNaN));
  for (size_t i = 0; i < t.tiles.size(); ++i) {
    const stats::TileSums& s = t.tiles[i];
    if (t.coverage[i] < min_coverage) continue;
    if (nan_without_support && s.denominator_before <= 0.0 && s.denominator_after <= 0.0) continue;
    grid.change.at<double>(t.cells[i]) =
        stats::RatioValue(per_tile, s.numerator_after, s.denominator_after, true) -
        stats::RatioValue(per_tile, s.numerator_before, s.denominator_before, false);
  }
  return grid;
}

const MetricTiles* Find(const std::vector<MetricTiles>& all, const std::string& key) {
  for (const MetricTiles& t : all)
    if (t.key == key) return &t;
  return nullptr;
}

}  // namespace

Status ChangeStatsOptions::Check() const {
  for (double t :
       {texture_tile_mm, pores_tile_mm, redness_tile_mm, scars_tile_mm, wrinkles_tile_mm}) {
    if (!(t > 0.0 && t <= 100.0))
      return Status::InvalidArgument("change stats: tile sizes must be in (0, 100] mm");
  }
  if (!(map_min_coverage >= 0.0 && map_min_coverage <= 1.0))
    return Status::InvalidArgument("change stats: map_min_coverage must be in [0, 1]");
  return bootstrap.Check();
}

metrics::TileRequest ChangeStatsTiles(cv::Size before_size, std::optional<double> mm_per_px,
                                      const metrics::MetricsOptions& metric_options,
                                      const ChangeStatsOptions& options) {
  const double ppmm = metric_options.PxPerMm(mm_per_px, before_size);
  metrics::TileRequest r;
  r.texture_tile_px = MakeGrid(before_size, options.texture_tile_mm, ppmm).tile_px;
  r.colour_tile_px = MakeGrid(before_size, options.redness_tile_mm, ppmm).tile_px;
  return r;
}

Status ComputeTileSums(const cv::Mat& before, const SessionMetrics& session,
                       std::optional<double> mm_per_px,
                       const metrics::MetricsOptions& metric_options,
                       const ChangeStatsOptions& options, std::vector<MetricTiles>* out) {
  SKINTRACK_RETURN_IF_ERROR(options.Check());
  SKINTRACK_RETURN_IF_ERROR(metric_options.Check());
  if (out == nullptr) return Status::InvalidArgument("change stats: output is null");
  out->clear();
  if (before.type() != CV_32FC3 || session.aligned_after.type() != CV_32FC3 ||
      session.aligned_after.size() != before.size() || session.region.type() != CV_8UC1 ||
      session.region.size() != before.size())
    return Status::InvalidArgument(
        "change stats: before, aligned after (CV_32FC3) and region (CV_8UC1) must share a size");
  if (mm_per_px && !(*mm_per_px > 0.0))
    return Status::InvalidArgument("change stats: mm_per_px must be > 0");
  const double ppmm = metric_options.PxPerMm(mm_per_px, before.size());
  const double cm2_per_px = 1.0 / (ppmm * ppmm) / 100.0;
  const cv::Mat& region = session.region;
  const metrics::Detections& db = session.before.detections;
  const metrics::Detections& da = session.after.detections;
  std::vector<double> inside, total;
  // Region pixels (every family's cells sum to this).
  const double region_px = cv::countNonZero(region);

  // Texture.
  {
    const Grid g = MakeGrid(before.size(), options.texture_tile_mm, ppmm);
    CellCounts(region, g, &inside, &total);
    const std::vector<mi::TextureBand> bands =
        mi::TextureBands(metric_options.texture_band_edges_mm, ppmm);
    if (!bands.empty() && region_px > 0) {
      const cv::Mat& texture_roi = session.texture_region.empty() ? region : session.texture_region;
      // as CompareMetrics' texture
      const double measured_px = cv::countNonZero(mi::TextureMeasureMask(texture_roi, bands));
      // The sums the metrics gathered in their own pass (CompareMetrics with the TileRequest
      // of ChangeStatsTiles: the after photo's on its Lanczos warp), else that pass run here.
      auto texture_of = [&](const metrics::MetricsResult& m, const cv::Mat& image,
                            const cv::Mat& linear_y, TextureSession* t) {
        if (TextureFromMetrics(m.tiles, bands, g, measured_px, t)) return Status::Ok();
        metrics::MetricsTileSums sums;
        metrics::TileRequest request;
        request.texture_tile_px = g.tile_px;
        SKINTRACK_RETURN_IF_ERROR(MeasureTileSums(image, texture_roi, mm_per_px, metric_options,
                                                  request, &sums, linear_y));
        TextureFromMetrics(sums, bands, g, measured_px, t);  // stays zero when none measured
        return Status::Ok();
      };
      TextureSession tb(bands.size(), g.Cells()), ta(bands.size(), g.Cells());
      SKINTRACK_RETURN_IF_ERROR(texture_of(session.before, before, cv::Mat(), &tb));
      SKINTRACK_RETURN_IF_ERROR(
          texture_of(session.after, session.aligned_after, session.texture_after, &ta));
      const size_t nb = bands.size();
      std::vector<double> sum_b(static_cast<size_t>(g.Cells()), 0.0), sum_a = sum_b;
      for (size_t b = 0; b < nb; ++b)
        for (size_t c = 0; c < sum_b.size(); ++c) {
          sum_b[c] += tb.sums.v[b][c];
          sum_a[c] += ta.sums.v[b][c];
        }
      RatioMetric m;
      m.form = RatioForm::kSqrtRatio;
      m.offset_before = tb.noise_variance;
      m.offset_after = ta.noise_variance;
      out->push_back(Collect("texture.roughness", "ln units", m, g, inside, total, sum_b,
                             tb.sums.v[nb], sum_a, ta.sums.v[nb]));
      for (size_t b = 0; b < nb; ++b) {
        RatioMetric mb = m;
        mb.offset_before = tb.band_noise[b];
        mb.offset_after = ta.band_noise[b];
        out->push_back(Collect("texture.roughness_bands." + bands[b].key, "ln units", mb, g, inside,
                               total, tb.sums.v[b], tb.sums.v[nb], ta.sums.v[b], ta.sums.v[nb]));
      }
    }
  }
  // Pores.
  {
    const Grid g = MakeGrid(before.size(), options.pores_tile_mm, ppmm);
    CellCounts(region, g, &inside, &total);
    const CellSums pb = PoreSums(db.pores, g), pa = PoreSums(da.pores, g);
    RatioMetric count;
    count.scale = region_px;
    out->push_back(
        Collect("pores.count", "", count, g, inside, total, pb.v[0], inside, pa.v[0], inside));
    if (mm_per_px) {
      const std::vector<double> cm2 = Scaled(inside, cm2_per_px);
      out->push_back(Collect("pores.density_per_cm2", "per cm^2", RatioMetric(), g, inside, total,
                             pb.v[0], cm2, pa.v[0], cm2));
    }
    out->push_back(Collect("pores.area_fraction", "", RatioMetric(), g, inside, total, pb.v[1],
                           inside, pa.v[1], inside));
    out->push_back(Collect("pores.mean_diameter_px", "px", RatioMetric(), g, inside, total, pb.v[2],
                           pb.v[0], pa.v[2], pa.v[0]));
    if (mm_per_px) {
      RatioMetric mm;
      mm.scale = *mm_per_px;
      out->push_back(Collect("pores.mean_diameter_mm", "mm", mm, g, inside, total, pb.v[2], pb.v[0],
                             pa.v[2], pa.v[0]));
    }
  }
  // Scars.
  {
    const Grid g = MakeGrid(before.size(), options.scars_tile_mm, ppmm);
    CellCounts(region, g, &inside, &total);
    const CellSums sb = ScarSums(db.scars, region, g), sa = ScarSums(da.scars, region, g);
    out->push_back(Collect("scars.area_fraction", "", RatioMetric(), g, inside, total, sb.v[0],
                           inside, sa.v[0], inside));
    if (mm_per_px) {
      RatioMetric mm2;
      mm2.scale = region_px * (*mm_per_px) * (*mm_per_px);
      out->push_back(Collect("scars.total_area_mm2", "mm^2", mm2, g, inside, total, sb.v[0], inside,
                             sa.v[0], inside));
    }
    out->push_back(Collect("scars.mean_contrast", "Weber", RatioMetric(), g, inside, total, sb.v[1],
                           sb.v[0], sa.v[1], sa.v[0]));
  }
  // Wrinkles.
  {
    const Grid g = MakeGrid(before.size(), options.wrinkles_tile_mm, ppmm);
    CellCounts(region, g, &inside, &total);
    const CellSums wb = LineSums(db.wrinkles, g), wa = LineSums(da.wrinkles, g);
    RatioMetric length;
    length.scale = region_px;
    out->push_back(Collect("wrinkles.length_px", "px", length, g, inside, total, wb.v[0], inside,
                           wa.v[0], inside));
    if (mm_per_px) {
      RatioMetric density;
      density.scale = *mm_per_px;
      const std::vector<double> cm2 = Scaled(inside, cm2_per_px);
      out->push_back(Collect("wrinkles.length_density_mm_per_cm2", "mm per cm^2", density, g,
                             inside, total, wb.v[0], cm2, wa.v[0], cm2));
    }
    out->push_back(Collect("wrinkles.area_fraction", "", RatioMetric(), g, inside, total, wb.v[1],
                           inside, wa.v[1], inside));
    out->push_back(Collect("wrinkles.mean_depth", "Weber", RatioMetric(), g, inside, total, wb.v[2],
                           wb.v[0], wa.v[2], wa.v[0]));
  }
  // Colour.
  {
    const Grid g = MakeGrid(before.size(), options.redness_tile_mm, ppmm);
    CellCounts(region, g, &inside, &total);
    auto colour_of = [&](const metrics::MetricsResult& m, const cv::Mat& image, CellSums* c) {
      if (ColourFromMetrics(m.tiles, g, region_px, c)) return Status::Ok();
      metrics::MetricsTileSums sums;  // the colour metrics' pass run here
      metrics::TileRequest request;
      request.colour_tile_px = g.tile_px;
      SKINTRACK_RETURN_IF_ERROR(
          MeasureTileSums(image, region, mm_per_px, metric_options, request, &sums));
      ColourFromMetrics(sums, g, region_px, c);  // stays zero when none measured
      return Status::Ok();
    };
    CellSums cb(4, g.Cells()), ca(4, g.Cells());
    SKINTRACK_RETURN_IF_ERROR(colour_of(session.before, before, &cb));
    SKINTRACK_RETURN_IF_ERROR(colour_of(session.after, session.aligned_after, &ca));
    out->push_back(Collect("redness.erythema_index_mean", "EI units", RatioMetric(), g, inside,
                           total, cb.v[0], cb.v[3], ca.v[0], ca.v[3]));
    out->push_back(Collect("redness.a_star_mean", "a*", RatioMetric(), g, inside, total, cb.v[1],
                           cb.v[3], ca.v[1], ca.v[3]));
    out->push_back(Collect("tone.l_star_mean", "L*", RatioMetric(), g, inside, total, cb.v[2],
                           cb.v[3], ca.v[2], ca.v[3]));
  }
  return Status::Ok();
}

Status ComputeChangeStats(const cv::Mat& before, const SessionMetrics& session,
                          std::optional<double> mm_per_px,
                          const metrics::MetricsOptions& metric_options,
                          const stats::RepeatabilityModel& model, const ChangeStatsOptions& options,
                          ChangeStats* out) {
  if (out == nullptr) return Status::InvalidArgument("change stats: output is null");
  *out = ChangeStats();
  std::vector<MetricTiles> all;
  SKINTRACK_RETURN_IF_ERROR(
      ComputeTileSums(before, session, mm_per_px, metric_options, options, &all));
  out->scale_known = mm_per_px.has_value();
  out->px_per_mm = metric_options.PxPerMm(mm_per_px, before.size());
  // The metrics' bootstraps at once (each as seeded by options.bootstrap.seed: the metrics of
  // one grid share their draws, groups run in parallel).
  std::vector<const std::vector<stats::TileSums>*> tile_lists;
  std::vector<stats::RatioMetric> ratio_metrics;
  std::vector<size_t> measured;  // index into `all` of each bootstrapped metric
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i].tiles.empty()) continue;
    tile_lists.push_back(&all[i].tiles);
    ratio_metrics.push_back(all[i].metric);
    measured.push_back(i);
  }
  std::vector<stats::BootstrapResult> drawn;
  SKINTRACK_RETURN_IF_ERROR(
      stats::PairedTileBootstrapMany(tile_lists, ratio_metrics, options.bootstrap, &drawn));
  std::vector<stats::BootstrapResult> boot(all.size());
  for (size_t k = 0; k < measured.size(); ++k) boot[measured[k]] = drawn[k];
  for (size_t i = 0; i < all.size(); ++i) {
    const MetricTiles& t = all[i];
    if (t.tiles.empty()) continue;
    const stats::BootstrapResult& b = boot[i];
    MetricChangeStats m;
    m.before = b.before;
    m.after = b.after;
    m.delta = b.delta;
    m.ci_valid = b.ci_valid;
    m.ci_lo = b.ci_lo;
    m.ci_hi = b.ci_hi;
    m.mdc = model.Mdc(t.key, b.before);
    m.significant = b.ExcludesZero() && m.mdc && std::abs(b.delta) > *m.mdc;
    m.tiles = b.tiles;
    m.tile_mm = t.tile_mm;
    out->metrics[t.key] = m;
  }
  // Change maps.
  const double min_cov = options.map_min_coverage;
  if (const MetricTiles* t = Find(all, "texture.roughness"))
    out->grids.push_back(
        MakeChangeGrid(*t, t->metric, t->key, t->unit, min_cov, /*nan_without_support=*/false));
  if (const MetricTiles* t = Find(all, "pores.count")) {
    RatioMetric density;  // count / region px -> per cm^2
    density.scale = 100.0 * out->px_per_mm * out->px_per_mm;
    out->grids.push_back(
        MakeChangeGrid(*t, density, "pores.density_per_cm2", "per cm^2", min_cov, false));
  }
  if (const MetricTiles* t = Find(all, "redness.erythema_index_mean"))
    out->grids.push_back(MakeChangeGrid(*t, t->metric, t->key, t->unit, min_cov, false));
  if (const MetricTiles* t = Find(all, "scars.mean_contrast"))
    out->grids.push_back(MakeChangeGrid(*t, t->metric, t->key, t->unit, min_cov, true));
  return Status::Ok();
}

}  // namespace skintrack::compare
