#include "skintrack/report/change_stats_report.h"

#include <cmath>
#include <cstdint>
#include <string>

#include "skintrack/io/file_io.h"

namespace skintrack::report {

using nlohmann::json;

json ChangeStatsToJson(const compare::ChangeStats& stats) {
  json out = json::object();
  for (const auto& [key, m] : stats.metrics) {
    out[key] = {{"ci95", m.ci_valid ? json::array({m.ci_lo, m.ci_hi}) : json(nullptr)},
                {"mdc", m.mdc ? json(*m.mdc) : json(nullptr)},
                {"significant", m.significant},
                {"tiles", m.tiles},
                {"tile_mm", m.tile_mm}};
  }
  return out;
}

void MergeChangeStats(const compare::ChangeStats& stats, json* change) {
  if (change == nullptr || !change->is_object()) return;
  const json s = ChangeStatsToJson(stats);
  for (auto it = change->begin(); it != change->end(); ++it) {
    if (!it->is_object()) continue;
    const auto found = s.find(it.key());
    if (found == s.end()) {
      (*it)["ci95"] = nullptr;
      (*it)["mdc"] = nullptr;
      (*it)["significant"] = false;
      continue;
    }
    for (auto f = found->begin(); f != found->end(); ++f) (*it)[f.key()] = *f;
  }
}

json ChangeGridsToJson(const compare::ChangeStats& stats) {
  json out = json::object();
  for (const compare::ChangeGrid& g : stats.grids) {
    json rows = json::array();
    for (int r = 0; r < g.change.rows; ++r) {
      json row = json::array();
      for (int c = 0; c < g.change.cols; ++c) {
        const double v = g.change.at<double>(r, c);
        row.push_back(std::isfinite(v) ? json(v) : json(nullptr));
      }
      rows.push_back(row);
    }
    out[g.key] = {{"unit", g.unit},        {"tile_mm", g.tile_mm},  {"tile_px", g.tile_px},
                  {"rows", g.change.rows}, {"cols", g.change.cols}, {"change", rows}};
  }
  return out;
}

namespace {
constexpr std::uint64_t kMaxModelBytes = 64ull << 20;  // 64 MiB (the bundled ones are ~7 kB)
}  // namespace

Status LoadRepeatabilityModel(const std::string& path, stats::RepeatabilityModel* model) {
  // A model is a JSON file of a few kB: a directory, FIFO, device or huge file is refused
  // before reading.
  std::string text;
  SKINTRACK_RETURN_IF_ERROR(
      io::ReadSmallFile(path, kMaxModelBytes, "a repeatability model", &text));
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidInput(path + ": not valid JSON");
  const Status st = stats::RepeatabilityModelFromJson(j, model);
  if (!st.ok()) return Status::InvalidInput(path + ": " + st.message());
  return Status::Ok();
}

}  // namespace skintrack::report
