// Cost metrics against hand arithmetic: an all-in rate (InferenceX's $/M-token convention) and capital amortised
// plus facility energy.
#include <gtest/gtest.h>

#include "workloads/cost.hpp"

namespace dcsim::wl {
namespace {

Metrics run_of(double gpus, double tokens_per_s, double facility_w) {
  Metrics m;
  m.set("gpus", gpus);
  m.set("tokens_per_s", tokens_per_s);
  m.set("power_w.facility", facility_w);
  return m;
}

TEST(Cost, AllInRateFollowsInferenceXsConvention) {
  // 8 H200 at InferenceX's $1.41 per GPU-hour making 33,204 tok/s: $11.28 an hour; 119.53 M tokens an hour, so
  // $11.28 / 119.53 = $0.09437 per million (InferenceX: costPerHour / (tok/s x 3600 / 1e6)).
  Metrics m = run_of(8, 33204, 9000);
  add_cost_metrics(m, CostSpec{1.41, 0, 0, 0});
  EXPECT_DOUBLE_EQ(m.at("cost.per_gpu_hour_usd"), 1.41);
  EXPECT_DOUBLE_EQ(m.at("cost.per_hour_usd"), 11.28);
  EXPECT_DOUBLE_EQ(m.at("cost.per_year_usd"), 11.28 * 8760);
  EXPECT_NEAR(m.at("cost.per_m_tokens_usd"), 11.28 / (33204 * 3600 / 1e6), 1e-12);
  EXPECT_NEAR(m.at("cost.per_m_tokens_usd"), 0.09437, 1e-5);
}

TEST(Cost, CapitalOverItsLifePlusFacilityEnergy) {
  // $30,000 a GPU over 4 years: 30000 / 35,040 h = $0.8562 an hour; 10.4 kW at the meter over 8 GPUs is 1.3 kW
  // each, at $0.08 per kWh $0.104 an hour: $0.9602 per GPU-hour.
  Metrics m = run_of(8, 1000, 10400);
  add_cost_metrics(m, CostSpec{0, 30000, 4, 0.08});
  EXPECT_NEAR(m.at("cost.per_gpu_hour_usd"), 30000.0 / (4 * 8760) + 1.3 * 0.08, 1e-12);
  EXPECT_NEAR(m.at("cost.per_m_tokens_usd"), m.at("cost.per_hour_usd") / 3.6, 1e-12);
  // No tokens (a collective run): the hourly figures only.
  Metrics c = run_of(8, 0, 10400);
  add_cost_metrics(c, CostSpec{2, 0, 0, 0});
  EXPECT_DOUBLE_EQ(c.at("cost.per_hour_usd"), 16);
  EXPECT_FALSE(c.get("cost.per_m_tokens_usd").has_value());
}

}  // namespace
}  // namespace dcsim::wl
