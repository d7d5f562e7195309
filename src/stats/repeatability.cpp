#include "skintrack/stats/repeatability.h"

#include <cmath>

namespace skintrack::stats {
namespace {

constexpr double kMdcFactor = 1.959963984540054 * 1.4142135623730951;  // z_0.975 sqrt(2)

nlohmann::json Opt(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace

Status ComputeRepeatability(const std::vector<std::vector<double>>& values,
                            RepeatabilityResult* result) {
  if (result == nullptr) return Status::InvalidArgument("repeatability: result is null");
  *result = RepeatabilityResult();
  if (values.empty()) return Status::InvalidArgument("repeatability: no subjects");
  const std::size_t n = values.size(), k = values[0].size();
  if (k < 2) return Status::InvalidArgument("repeatability: need >= 2 repeats per subject");
  for (std::size_t i = 0; i < n; ++i) {
    if (values[i].size() != k)
      return Status::InvalidArgument("repeatability: subject " + std::to_string(i) + " has " +
                                     std::to_string(values[i].size()) + " repeats, expected " +
                                     std::to_string(k));
    for (double v : values[i])
      if (!std::isfinite(v))
        return Status::InvalidArgument("repeatability: subject " + std::to_string(i) +
                                       " has a non-finite value");
  }
  const double dn = static_cast<double>(n), dk = static_cast<double>(k);
  double grand = 0.0;
  std::vector<double> row(n, 0.0), col(k, 0.0);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < k; ++j) {
      row[i] += values[i][j] / dk;
      col[j] += values[i][j] / dn;
      grand += values[i][j];
    }
  grand /= dn * dk;
  double sst = 0.0, ssr = 0.0, ssc = 0.0, cv2 = 0.0;
  int cv_subjects = 0;
  for (std::size_t i = 0; i < n; ++i) {
    double si2 = 0.0;
    for (std::size_t j = 0; j < k; ++j) {
      sst += (values[i][j] - grand) * (values[i][j] - grand);
      si2 += (values[i][j] - row[i]) * (values[i][j] - row[i]);
    }
    ssr += dk * (row[i] - grand) * (row[i] - grand);
    si2 /= dk - 1.0;
    if (std::abs(row[i]) > 0.0) {
      cv2 += si2 / (row[i] * row[i]);
      ++cv_subjects;
    }
  }
  // SSC = (n / k) sum over pairs j < l of (C_j - C_l)^2: exactly 0 for identical repeats.
  for (std::size_t j = 0; j < k; ++j)
    for (std::size_t l = j + 1; l < k; ++l) ssc += dn / dk * (col[j] - col[l]) * (col[j] - col[l]);
  // Residual sum of squares computed directly (not SST - SSR - SSC, whose rounding leaves a
  // residual where there is none, e.g. identical repeats).
  double sse = 0.0;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < k; ++j) {
      const double e = values[i][j] - row[i] - col[j] + grand;
      sse += e * e;
    }

  RepeatabilityResult& r = *result;
  r.subjects = static_cast<int>(n);
  r.repeats = static_cast<int>(k);
  r.mean = grand;
  r.sd_pooled = std::sqrt(sst / (dn * dk - 1.0));
  r.within_sd = std::sqrt((ssc + sse) / (dn * (dk - 1.0)));
  if (cv_subjects > 0) r.cv_percent = 100.0 * std::sqrt(cv2 / cv_subjects);
  r.ms_cols = ssc / (dk - 1.0);
  if (n >= 2) {
    r.ms_rows = ssr / (dn - 1.0);
    r.ms_error = sse / ((dn - 1.0) * (dk - 1.0));
    const double den = r.ms_rows + (dk - 1.0) * r.ms_error + dk * (r.ms_cols - r.ms_error) / dn;
    if (den > 0.0) r.icc = std::min(1.0, (r.ms_rows - r.ms_error) / den);
  }
  if (r.icc) {
    r.sem = r.sd_pooled * std::sqrt(1.0 - *r.icc);
  } else {
    r.sem = r.within_sd;
  }
  r.mdc95 = kMdcFactor * r.sem;
  return Status::Ok();
}

MetricRepeatability ToModelEntry(const RepeatabilityResult& fit, const std::string& provenance) {
  MetricRepeatability m;
  m.mean = fit.mean;
  m.sem = fit.sem;
  m.mdc95 = fit.mdc95;
  if (fit.cv_percent) {
    m.mdc95_percent = kMdcFactor * *fit.cv_percent;
  } else if (fit.mean != 0.0) {
    m.mdc95_percent = 100.0 * fit.mdc95 / std::abs(fit.mean);
  }
  m.cv_percent = fit.cv_percent;
  m.icc = fit.icc;
  m.n = fit.subjects;
  m.repeats = fit.repeats;
  m.provenance = provenance;
  return m;
}

std::optional<double> RepeatabilityModel::Mdc(const std::string& key, double before) const {
  const auto it = metrics.find(key);
  if (it == metrics.end()) return std::nullopt;
  const MetricRepeatability& m = it->second;
  if (before != 0.0 && m.mdc95_percent > 0.0) return m.mdc95_percent / 100.0 * std::abs(before);
  return m.mdc95;
}

nlohmann::json RepeatabilityModelToJson(const RepeatabilityModel& model) {
  nlohmann::json metrics = nlohmann::json::object();
  for (const auto& [key, m] : model.metrics) {
    metrics[key] = {{"mean", m.mean},
                    {"sem", m.sem},
                    {"mdc95", m.mdc95},
                    {"mdc95_percent", m.mdc95_percent},
                    {"cv_percent", Opt(m.cv_percent)},
                    {"icc", Opt(m.icc)},
                    {"n", m.n},
                    {"repeats", m.repeats},
                    {"provenance", m.provenance}};
  }
  return {{"schema", model.schema}, {"provenance", model.provenance}, {"metrics", metrics}};
}

Status RepeatabilityModelFromJson(const nlohmann::json& j, RepeatabilityModel* model) {
  if (model == nullptr) return Status::InvalidArgument("repeatability model: output is null");
  *model = RepeatabilityModel();
  if (!j.is_object() || !j.contains("metrics") || !j["metrics"].is_object())
    return Status::InvalidInput("repeatability model: expected an object with \"metrics\"");
  if (j.contains("schema") && j["schema"] != model->schema)
    return Status::InvalidInput("repeatability model: unknown schema " + j["schema"].dump());
  if (j.contains("provenance") && j["provenance"].is_string())
    model->provenance = j["provenance"].get<std::string>();
  for (auto it = j["metrics"].begin(); it != j["metrics"].end(); ++it) {
    const nlohmann::json& e = *it;
    auto number = [&](const char* name, bool required, double* out) -> Status {
      if (!e.contains(name) || e[name].is_null()) {
        if (required)
          return Status::InvalidInput("repeatability model: " + it.key() + " lacks \"" + name +
                                      "\"");
        return Status::Ok();
      }
      const bool signed_ok = std::string(name) == "mean" || std::string(name) == "icc";
      if (!e[name].is_number() || !std::isfinite(e[name].get<double>()) ||
          (!signed_ok && e[name].get<double>() < 0.0))
        return Status::InvalidInput("repeatability model: " + it.key() + "." + name +
                                    " is not a valid number");
      *out = e[name].get<double>();
      return Status::Ok();
    };
    if (!e.is_object())
      return Status::InvalidInput("repeatability model: " + it.key() + " is not an object");
    MetricRepeatability m;
    double v = 0.0;
    SKINTRACK_RETURN_IF_ERROR(number("mean", false, &m.mean));
    SKINTRACK_RETURN_IF_ERROR(number("sem", true, &m.sem));
    SKINTRACK_RETURN_IF_ERROR(number("mdc95", true, &m.mdc95));
    SKINTRACK_RETURN_IF_ERROR(number("mdc95_percent", false, &m.mdc95_percent));
    if (e.contains("cv_percent") && !e["cv_percent"].is_null()) {
      SKINTRACK_RETURN_IF_ERROR(number("cv_percent", true, &v));
      m.cv_percent = v;
    }
    if (e.contains("icc") && !e["icc"].is_null()) {
      SKINTRACK_RETURN_IF_ERROR(number("icc", true, &v));
      m.icc = v;
    }
    double n = 0, k = 0;
    SKINTRACK_RETURN_IF_ERROR(number("n", false, &n));
    SKINTRACK_RETURN_IF_ERROR(number("repeats", false, &k));
    m.n = static_cast<int>(n);
    m.repeats = static_cast<int>(k);
    if (e.contains("provenance") && e["provenance"].is_string())
      m.provenance = e["provenance"].get<std::string>();
    model->metrics[it.key()] = m;
  }
  return Status::Ok();
}

}  // namespace skintrack::stats
