// compare: direction-aware regression detection; result JSON and CSV shapes.
#include <gtest/gtest.h>

#include <cmath>

#include "app/compare.hpp"
#include "app/csv.hpp"
#include "app/result_io.hpp"

namespace dcsim::app {
namespace {

nlohmann::ordered_json result_with(std::initializer_list<std::pair<const char*, double>> metrics) {
  wl::RunResult r;
  for (const auto& [k, v] : metrics) r.metrics.set(k, v);
  return result_to_json(RunIdentity{"s", 1, "collective", "h100-hgx", "0123456789abcdef"}, r);
}

TEST(MetricDirection, FollowsTheNameOfTheUnitSegment) {
  EXPECT_EQ(metric_direction("all_in_kw_per_gpu"), Direction::lower_is_better);  // a cost, despite `_per_`
  EXPECT_EQ(metric_direction("power_w.system_peak"), Direction::neutral);
  EXPECT_EQ(metric_direction("tokens_per_joule"), Direction::higher_is_better);
  EXPECT_EQ(metric_direction("tokens_per_s"), Direction::higher_is_better);  // a rate, despite ending in _s
  EXPECT_EQ(metric_direction("mfu"), Direction::higher_is_better);
  EXPECT_EQ(metric_direction("busbw_gbs"), Direction::higher_is_better);
  EXPECT_EQ(metric_direction("by_size.1024.busbw_gbs"), Direction::higher_is_better);
  EXPECT_EQ(metric_direction("slo_attainment"), Direction::higher_is_better);
  EXPECT_EQ(metric_direction("step_time_s"), Direction::lower_is_better);
  EXPECT_EQ(metric_direction("ttft_s.p99"), Direction::lower_is_better);
  EXPECT_EQ(metric_direction("by_size.1024.time_s"), Direction::lower_is_better);
  EXPECT_EQ(metric_direction("gpu_stall_fraction"), Direction::lower_is_better);
  EXPECT_EQ(metric_direction("energy_j"), Direction::lower_is_better);
  EXPECT_EQ(metric_direction("power_w.gpu"), Direction::neutral);
  EXPECT_EQ(metric_direction("tokens"), Direction::neutral);
}

TEST(Compare, LatencyUpBeyondToleranceRegresses) {
  const auto base = result_with({{"ttft_s.p99", 2.0}, {"tokens_per_joule", 10.0}});
  const auto next = result_with({{"ttft_s.p99", 2.1}, {"tokens_per_joule", 10.0}});
  const Comparison c = compare_results(base, next, 4.0);  // +5 % > 4 %
  ASSERT_EQ(c.changes.size(), 2u);
  EXPECT_TRUE(c.changes[0].regressed);
  EXPECT_NEAR(c.changes[0].change_pct, 5.0, 1e-9);
  EXPECT_FALSE(c.changes[1].regressed);
  EXPECT_EQ(c.regressions(), 1);
  EXPECT_EQ(compare_results(base, next, 6.0).regressions(), 0);  // within 6 %
}

TEST(Compare, ImprovementsNeverRegress) {
  const auto base = result_with({{"step_time_s", 10.0}, {"tokens_per_joule", 5.0}, {"mfu", 0.4}});
  const auto next = result_with({{"step_time_s", 5.0}, {"tokens_per_joule", 50.0}, {"mfu", 0.6}});
  EXPECT_EQ(compare_results(base, next, 0.0).regressions(), 0);
}

TEST(Compare, ThroughputDownRegresses) {
  const auto base = result_with({{"tokens_per_joule", 10.0}, {"power_w.gpu", 100}});
  const auto next = result_with({{"tokens_per_joule", 8.0}, {"power_w.gpu", 1000}});
  const Comparison c = compare_results(base, next, 10.0);
  EXPECT_TRUE(c.changes[0].regressed);   // -20 %
  EXPECT_FALSE(c.changes[1].regressed);  // neutral, however much it moves
}

TEST(Compare, MissingMetricIsARegressionAndNewOnesAreListed) {
  const auto base = result_with({{"mfu", 0.4}, {"step_time_s", 1.0}});
  const auto next = result_with({{"mfu", 0.4}, {"hfu", 0.5}});
  const Comparison c = compare_results(base, next, 1.0);
  EXPECT_TRUE(c.changes[1].missing);
  EXPECT_EQ(c.regressions(), 1);
  ASSERT_EQ(c.added.size(), 1u);
  EXPECT_EQ(c.added[0], "hfu");
}

TEST(Compare, FromZeroIsAnInfiniteChange) {
  const auto base = result_with({{"gpu_stall_fraction", 0.0}});
  const auto next = result_with({{"gpu_stall_fraction", 0.1}});
  const Comparison c = compare_results(base, next, 1000.0);
  EXPECT_TRUE(std::isinf(c.changes[0].change_pct));
  EXPECT_TRUE(c.changes[0].regressed);
}

TEST(Compare, RejectsDocumentsThatAreNotResults) {
  const auto good = result_with({{"mfu", 0.4}});
  EXPECT_THROW(compare_results(nlohmann::ordered_json::parse(R"({"a": 1})"), good, 1), std::invalid_argument);
  EXPECT_THROW(compare_results(good, nlohmann::ordered_json::parse("[1,2]"), 1), std::invalid_argument);
}

TEST(ResultJson, NestsDottedKeysAndKeepsTheContractFields) {
  wl::RunResult r;
  r.metrics.set("ttft_s.p50", 0.25);
  r.metrics.set("ttft_s.p99", 1.5);
  r.metrics.set("mfu", 0.1);
  r.info.emplace_back("algorithm", "ring");
  r.engine.events = 42;
  const auto j = result_to_json(RunIdentity{"name", 7, "serving", "gb200-nvl72", "0123456789abcdef"}, r);
  EXPECT_EQ(j["schema"], "dcsim.result/1");
  EXPECT_EQ(j["scenario"], "name");
  EXPECT_EQ(j["seed"], 7);
  EXPECT_DOUBLE_EQ(j["metrics"]["ttft_s"]["p99"].get<double>(), 1.5);
  EXPECT_EQ(j["info"]["algorithm"], "ring");
  EXPECT_EQ(j["engine"]["events"], 42);
  const auto flat = flatten_metrics(j);
  ASSERT_EQ(flat.size(), 3u);
  EXPECT_EQ(flat[1].first, "ttft_s.p99");
  // Provenance, and the fingerprint as 16 hex digits (a 64-bit value JSON readers would round as a double).
  EXPECT_EQ(j["provenance"]["scenario_hash"], "0123456789abcdef");
  EXPECT_EQ(j["provenance"]["dcsim_version"], std::string(kDcsimVersion));
  EXPECT_FALSE(j["provenance"]["commit"].get<std::string>().empty());
  r.engine.fingerprint = 0xfedcba9876543210ull;
  EXPECT_EQ(result_to_json(RunIdentity{"name", 7, "serving", "gb200-nvl72", "0123456789abcdef"}, r)["engine"]
                           ["fingerprint"],
            "fedcba9876543210");
}

TEST(Compare, SeveralSeedsASideJudgeTheMeanAgainstTheSeedSpread) {
  // BASE seeds 100, 104, 96 tok/s (mean 100, sample variance 16); NEW 97, 101, 93 (mean 97). Two standard errors
  // of the difference: 2 sqrt(16/3 + 16/3) = 6.53 % of 100: the -3 % is noise, not a regression at 1 %.
  const auto run = [](std::uint64_t seed, double tps) {
    wl::RunResult r;
    r.metrics.set("tokens_per_s", tps);
    return result_to_json(RunIdentity{"s", seed, "serving", "h100-hgx", "0123456789abcdef"}, r);
  };
  const Comparison sets =
      compare_result_sets({run(1, 100), run(2, 104), run(3, 96)}, {run(1, 97), run(2, 101), run(3, 93)}, 1);
  ASSERT_EQ(sets.changes.size(), 1u);
  EXPECT_DOUBLE_EQ(sets.changes[0].base, 100);
  EXPECT_DOUBLE_EQ(sets.changes[0].next, 97);
  EXPECT_NEAR(sets.changes[0].spread_pct, 2 * std::sqrt(16.0 / 3 + 16.0 / 3), 1e-9);
  EXPECT_FALSE(sets.changes[0].regressed);
  EXPECT_NE(format_comparison(sets, 1).find("seed spread"), std::string::npos);
  // One seed a side: the same -3 % regresses.
  EXPECT_TRUE(compare_results(run(1, 100), run(1, 97), 1).changes[0].regressed);
  // Beyond the spread it regresses with several seeds too.
  EXPECT_TRUE(compare_result_sets({run(1, 100), run(2, 104), run(3, 96)}, {run(1, 90), run(2, 94), run(3, 86)}, 1)
                  .changes[0]
                  .regressed);
  // Seeds may differ within the sets; the runs must not.
  EXPECT_TRUE(run_mismatches(run(1, 100), run(2, 100), true).empty());
  EXPECT_FALSE(run_mismatches(run(1, 100), run(2, 100), false).empty());
}

TEST(Compare, DifferentRunsAreNamedAndImprovementsLabelled) {
  wl::RunResult r;
  r.metrics.set("tokens_per_s", 100);
  r.metrics.set("ttft_s.p99", 1.0);
  const auto base = result_to_json(RunIdentity{"s", 1, "serving", "h100-hgx", "aaaaaaaaaaaaaaaa"}, r);
  EXPECT_TRUE(run_mismatches(base, base).empty());
  const auto other = result_to_json(RunIdentity{"s", 2, "serving", "h100-hgx", "bbbbbbbbbbbbbbbb"}, r);
  const auto diff = run_mismatches(base, other);
  ASSERT_EQ(diff.size(), 2u);
  EXPECT_EQ(diff[0], "seed: 1 vs 2");
  EXPECT_NE(diff[1].find("scenario_hash: aaaaaaaaaaaaaaaa vs bbbbbbbbbbbbbbbb"), std::string::npos);
  // Faster and higher throughput beyond 5 %: improvements, labelled, and only they and regressions in the summary.
  wl::RunResult better = r;
  better.metrics.set("tokens_per_s", 120);
  better.metrics.set("ttft_s.p99", 0.99);
  const Comparison c = compare_results(base, result_to_json(RunIdentity{"s", 1, "serving", "h100-hgx", "aaaaaaaaaaaaaaaa"}, better), 5);
  EXPECT_EQ(c.regressions(), 0);
  EXPECT_EQ(c.improvements(), 1);
  const std::string full = format_comparison(c, 5), summary = format_comparison(c, 5, true);
  EXPECT_NE(full.find("improved"), std::string::npos) << full;
  EXPECT_NE(full.find("ttft_s.p99"), std::string::npos) << full;
  EXPECT_EQ(summary.find("ttft_s.p99"), std::string::npos) << summary;  // within tolerance: left out
  EXPECT_NE(summary.find("tokens_per_s"), std::string::npos) << summary;
  EXPECT_NE(summary.find("0 regression(s), 1 improvement(s)"), std::string::npos) << summary;
}

TEST(ResultTable, ShowsUnitsFromTheKey) {
  EXPECT_EQ(format_metric("time_s", 0.00125), "1.25 ms");
  EXPECT_EQ(format_metric("busbw_gbs", 367.04), "367.0 GB/s");
  EXPECT_EQ(format_metric("by_size.1024.time_s", 2e-5), "20 us");
  EXPECT_EQ(format_metric("mfu", 0.4321), "43.21 %");
  EXPECT_EQ(format_metric("power_w.gpu", 5600), "5.6 kW");
  EXPECT_EQ(format_metric("tokens", 16777216), "16.78 M");
  EXPECT_EQ(format_metric("tokens_per_s", 1377753.35), "1.378 M tokens/s");
  // #16: long times in minutes and hours, units on rates, fractions as percent.
  EXPECT_EQ(format_metric("task_latency_s.p99", 22880), "6.356 h");
  EXPECT_EQ(format_metric("tool_wait_s.p99", 187.7), "3.128 min");
  EXPECT_EQ(format_metric("tokens_per_joule", 0.0787182), "0.07872 tokens/J");
  EXPECT_EQ(format_metric("tokens_per_s_per_gpu", 2186.4), "2186 tokens/s/GPU");
  EXPECT_EQ(format_metric("tokens_per_joule_facility", 0.5), "0.5 tokens/J at the facility");
  EXPECT_EQ(format_metric("tflops_per_gpu", 522.09), "522.1 TFLOP/s/GPU");
  EXPECT_EQ(format_metric("all_in_kw_per_gpu", 1.573), "1.573 kW/GPU");
  EXPECT_EQ(format_metric("throughput_rps", 12.5), "12.5 req/s");
  EXPECT_EQ(format_metric("kv_occupancy.mean", 0.910765), "91.08 %");
  EXPECT_EQ(format_metric("cpu_utilization", 0.1), "10.00 %");
  EXPECT_EQ(format_metric("prefix_hit_rate", 0.332419), "33.24 %");
  EXPECT_EQ(format_metric("cost.per_gpu_hour_usd", 1.206), "$1.206");
  EXPECT_EQ(format_metric("cost.per_year_usd", 91104.2), "$91104");
  EXPECT_EQ(format_metric("requests", 28004), "28004");
}

TEST(Csv, QuotesOnlyWhenNeededAndNumbersRoundTrip) {
  EXPECT_EQ(csv_line({"a", "b,c", "say \"hi\""}), "a,\"b,c\",\"say \"\"hi\"\"\"\n");
  EXPECT_EQ(csv_number(0.1), "0.1");
  EXPECT_EQ(std::stod(csv_number(1.0 / 3.0)), 1.0 / 3.0);
}

}  // namespace
}  // namespace dcsim::app
