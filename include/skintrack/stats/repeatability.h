// Repeatability (test-retest reliability) of a metric, and the repeatability model that turns
// it into a minimal detectable change (MDC) for `compare`.
//
// Input: a matrix subjects x repeats of one metric (each subject = one skin area photographed
// `repeats` times without change). Statistics (Shrout & Fleiss 1979; Weir 2005):
//   n subjects, k repeats, grand mean M, subject (row) means R_i, repeat (column) means C_j;
//   SSR = k sum (R_i - M)^2, SSC = n sum (C_j - M)^2, SST = sum (x_ij - M)^2,
//   SSE = SST - SSR - SSC; MSR = SSR / (n-1), MSC = SSC / (k-1), MSE = SSE / ((n-1)(k-1)),
//   MSW = (SSC + SSE) / (n (k-1))  (one-way within-subject mean square).
//   ICC(2,1) = (MSR - MSE) / (MSR + (k-1) MSE + k (MSC - MSE) / n)   (two-way random effects,
//              absolute agreement, single measurement).
//   SD_pooled = sample SD of all n k values = sqrt(SST / (n k - 1)).
//   SEM = SD_pooled sqrt(1 - ICC)  (Weir 2005, eq. 9: the choice that ties the SEM to the
//         ICC the clinic reports; with subjects spread much more than repeats it equals the
//         within-subject SD, sqrt(MSW) is also reported). With one subject ICC is undefined
//         and SEM = sqrt(MSW).
//   MDC95 = 1.96 sqrt(2) SEM  (the change two single measurements must exceed to be beyond
//         measurement error with 95 % confidence).
//   CV %  = 100 sqrt(mean over subjects of (s_i / R_i)^2)  (root-mean-square within-subject
//         CV, Glueer et al. 1995; s_i the SD of subject i's repeats; subjects with R_i = 0 are
//         skipped).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "skintrack/core/status.h"

namespace skintrack::stats {

struct RepeatabilityResult {
  int subjects = 0, repeats = 0;     // n, k
  double mean = 0.0;                 // grand mean M (metric units)
  double sd_pooled = 0.0;            // SD of all values (metric units)
  double within_sd = 0.0;            // sqrt(MSW): within-subject SD (metric units)
  std::optional<double> cv_percent;  // RMS within-subject CV (%); nullopt if all R_i = 0
  std::optional<double> icc;         // ICC(2,1); nullopt when n < 2 or the denominator is 0
  double sem = 0.0;                  // standard error of measurement (metric units)
  double mdc95 = 0.0;                // 1.96 sqrt(2) SEM (metric units)
  double ms_rows = 0.0, ms_cols = 0.0, ms_error = 0.0;  // MSR, MSC, MSE (0 when undefined)
};

// values[i][j]: subject i, repeat j; every row has the same k >= 2 entries, n >= 1, finite.
Status ComputeRepeatability(const std::vector<std::vector<double>>& values,
                            RepeatabilityResult* result);

// One metric's entry of the repeatability model (models/repeatability.json).
struct MetricRepeatability {
  double mean = 0.0;   // grand mean over the fitting set (metric units)
  double sem = 0.0;    // metric units
  double mdc95 = 0.0;  // metric units
  // Relative MDC95 (% of the before value): 1.96 sqrt(2) cv_percent, the relative form of
  // the MDC that transfers between skins of different levels (a test-retest difference of a
  // subject is ~ N(0, 2 (CV x level)^2)); 100 mdc95 / |mean| when cv_percent is unknown; 0
  // when neither is defined.
  double mdc95_percent = 0.0;
  std::optional<double> cv_percent;  // RMS within-subject CV (%)
  std::optional<double> icc;         // ICC(2,1) of the fitting set
  int n = 0;                         // subjects (test-retest sets) fitted
  int repeats = 0;                   // repeats per subject
  std::string provenance;            // how it was fitted (data, protocol)
};

// Builds an entry from a fit.
MetricRepeatability ToModelEntry(const RepeatabilityResult& fit, const std::string& provenance);

// Per-metric MDCs keyed "family.name" (as the compare JSON's change entries).
struct RepeatabilityModel {
  std::string schema = "skintrack.repeatability.v1";
  std::string provenance;  // the whole fit: tool, data, date-free description
  std::map<std::string, MetricRepeatability> metrics;
  // The MDC95 of `key` for a measurement whose before value is `before`, metric units:
  // mdc95_percent / 100 * |before| (the model is relative: repeatability errors of these
  // metrics scale with their level), or mdc95 when before or mdc95_percent is 0. nullopt when
  // the metric is not in the model.
  std::optional<double> Mdc(const std::string& key, double before) const;
};

// JSON form (docs/statistics.md): {"schema", "provenance", "metrics": {"family.name":
// {"mean", "sem", "mdc95", "mdc95_percent", "cv_percent", "icc", "n", "repeats",
// "provenance"}}}; optional values are null when absent.
nlohmann::json RepeatabilityModelToJson(const RepeatabilityModel& model);
// Parses the JSON form; errors name the offending key.
Status RepeatabilityModelFromJson(const nlohmann::json& j, RepeatabilityModel* model);

}  // namespace skintrack::stats
