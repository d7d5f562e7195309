#include "skintrack/stats/repeatability.h"

#include <gtest/gtest.h>

#include <cmath>

namespace skintrack::stats {
namespace {

// Shrout & Fleiss (1979), Table 2: 6 targets rated by 4 judges. Published: BMS 11.24,
// JMS 32.49, EMS 1.02, ICC(2,1) = .29.
TEST(RepeatabilityTest, ShroutFleissTextbookExample) {
  const std::vector<std::vector<double>> x = {{9, 2, 5, 8}, {6, 1, 3, 2},  {8, 4, 6, 8},
                                              {7, 1, 2, 6}, {10, 5, 6, 9}, {6, 2, 4, 7}};
  RepeatabilityResult r;
  ASSERT_TRUE(ComputeRepeatability(x, &r).ok());
  EXPECT_EQ(r.subjects, 6);
  EXPECT_EQ(r.repeats, 4);
  EXPECT_NEAR(r.ms_rows, 11.2417, 1e-3);
  EXPECT_NEAR(r.ms_cols, 32.4861, 1e-3);
  EXPECT_NEAR(r.ms_error, 1.0194, 1e-3);
  ASSERT_TRUE(r.icc.has_value());
  EXPECT_NEAR(*r.icc, 0.2898, 1e-4);
  EXPECT_NEAR(r.mean, 5.2917, 1e-4);
  // SEM = SD_pooled sqrt(1 - ICC), SD_pooled = 2.71035 (hand-computed).
  EXPECT_NEAR(r.sd_pooled, 2.71035, 1e-4);
  EXPECT_NEAR(r.sem, 2.71035 * std::sqrt(1 - 0.289764), 1e-4);
  EXPECT_NEAR(r.mdc95, 1.96 * std::sqrt(2.0) * r.sem, 1e-3);
}

// Hand-computed: 3 subjects x 2 repeats.
TEST(RepeatabilityTest, SmallHandComputedCase) {
  RepeatabilityResult r;
  ASSERT_TRUE(ComputeRepeatability({{10, 12}, {20, 18}, {30, 33}}, &r).ok());
  // MSR = 213.5, MSC = 1.5, MSE = 3.5 -> ICC = 210 / (213.5 + 3.5 + 2 (1.5 - 3.5) / 3)
  ASSERT_TRUE(r.icc.has_value());
  EXPECT_NEAR(*r.icc, 210.0 / (217.0 - 4.0 / 3.0), 1e-9);
  EXPECT_NEAR(r.ms_rows, 213.5, 1e-9);
  EXPECT_NEAR(r.ms_error, 3.5, 1e-9);
  // within-subject SD = sqrt(MSW) = sqrt((1.5 + 7) / 3)
  EXPECT_NEAR(r.within_sd, std::sqrt(8.5 / 3.0), 1e-9);
  // RMS CV: subject SDs sqrt(2), sqrt(2), sqrt(4.5) over means 11, 19, 31.5.
  const double cv = 100 * std::sqrt((2.0 / 121 + 2.0 / 361 + 4.5 / 992.25) / 3);
  ASSERT_TRUE(r.cv_percent.has_value());
  EXPECT_NEAR(*r.cv_percent, cv, 1e-9);
  EXPECT_NEAR(r.sem, 1.51280, 1e-4);
  EXPECT_NEAR(r.mdc95, 4.19319, 1e-4);
}

TEST(RepeatabilityTest, IdenticalRepeatsGiveIccOneAndZeroSem) {
  RepeatabilityResult r;
  ASSERT_TRUE(ComputeRepeatability({{1, 1, 1}, {2, 2, 2}, {5, 5, 5}}, &r).ok());
  ASSERT_TRUE(r.icc.has_value());
  EXPECT_DOUBLE_EQ(*r.icc, 1.0);
  EXPECT_DOUBLE_EQ(r.sem, 0.0);
  EXPECT_DOUBLE_EQ(r.mdc95, 0.0);
  EXPECT_DOUBLE_EQ(*r.cv_percent, 0.0);
}

TEST(RepeatabilityTest, OneSubjectHasNoIccAndUsesWithinSd) {
  RepeatabilityResult r;
  ASSERT_TRUE(ComputeRepeatability({{9, 10, 11}}, &r).ok());
  EXPECT_FALSE(r.icc.has_value());
  EXPECT_NEAR(r.within_sd, 1.0, 1e-12);
  EXPECT_NEAR(r.sem, 1.0, 1e-12);
  EXPECT_NEAR(*r.cv_percent, 10.0, 1e-12);
}

TEST(RepeatabilityTest, RejectsBadInput) {
  RepeatabilityResult r;
  EXPECT_FALSE(ComputeRepeatability({}, &r).ok());
  EXPECT_FALSE(ComputeRepeatability({{1}}, &r).ok());
  EXPECT_FALSE(ComputeRepeatability({{1, 2}, {1}}, &r).ok());
  EXPECT_FALSE(ComputeRepeatability({{1, NAN}}, &r).ok());
}

TEST(RepeatabilityModelTest, JsonRoundTripAndRelativeMdc) {
  RepeatabilityResult fit;
  ASSERT_TRUE(ComputeRepeatability({{10, 12}, {20, 18}, {30, 33}}, &fit).ok());
  RepeatabilityModel model;
  model.provenance = "test";
  model.metrics["pores.count"] = ToModelEntry(fit, "hand");
  const double pct = 1.959963984540054 * std::sqrt(2.0) * *fit.cv_percent;
  EXPECT_NEAR(model.metrics["pores.count"].mdc95_percent, pct, 1e-12);
  RepeatabilityModel back;
  ASSERT_TRUE(RepeatabilityModelFromJson(RepeatabilityModelToJson(model), &back).ok());
  ASSERT_EQ(back.metrics.count("pores.count"), 1u);
  EXPECT_NEAR(back.metrics["pores.count"].sem, fit.sem, 1e-12);
  EXPECT_NEAR(*back.metrics["pores.count"].icc, *fit.icc, 1e-12);
  EXPECT_NEAR(*back.Mdc("pores.count", 40.0), pct / 100 * 40.0, 1e-12);
  EXPECT_NEAR(*back.Mdc("pores.count", 0.0), fit.mdc95, 1e-12);
  // A negative level (e.g. a contrast) gives the same positive MDC as its magnitude.
  EXPECT_NEAR(*back.Mdc("pores.count", -40.0), pct / 100 * 40.0, 1e-12);
  EXPECT_FALSE(back.Mdc("texture.roughness", 1.0).has_value());
  EXPECT_FALSE(
      RepeatabilityModelFromJson(nlohmann::json::parse(R"({"metrics": {"a": {}}})"), &back).ok());
  EXPECT_FALSE(RepeatabilityModelFromJson(
                   nlohmann::json::parse(R"({"metrics": {"a": {"sem": -1, "mdc95": 1}}})"), &back)
                   .ok());
}

}  // namespace
}  // namespace skintrack::stats
