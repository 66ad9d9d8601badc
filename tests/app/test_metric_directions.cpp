// Metric directions: the declarations compare relies on, and a run of every workload kind whose every metric must
// have one (a new metric without a direction fails here instead of passing compare as neutral).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "app/catalog.hpp"
#include "app/metric_directions.hpp"
#include "app/runner.hpp"
#include "app/scenario.hpp"

namespace dcsim::app {
namespace {

TEST(MetricDirections, TheKeysACiUserGatesOn) {
  // A run that broke its SLO, rejected or preempted more, or spent more facility energy must regress.
  EXPECT_EQ(declared_direction("slo_p99_met"), Direction::higher_is_better);
  EXPECT_EQ(declared_direction("slo_attainment"), Direction::higher_is_better);
  EXPECT_EQ(declared_direction("requests_rejected"), Direction::lower_is_better);
  EXPECT_EQ(declared_direction("preemptions"), Direction::lower_is_better);
  EXPECT_EQ(declared_direction("energy_facility_j"), Direction::lower_is_better);
  EXPECT_EQ(declared_direction("prefix_hit_rate"), Direction::higher_is_better);
  // Window lengths are set by the scenario, not good or bad.
  EXPECT_EQ(declared_direction("window_s"), Direction::neutral);
  EXPECT_EQ(declared_direction("measured_s"), Direction::neutral);
  // Families: per size, per class, per quantile; specific entries before their wildcard.
  EXPECT_EQ(declared_direction("by_size.1048576.busbw_gbs"), Direction::higher_is_better);
  EXPECT_EQ(declared_direction("by_class.coding.ttft_s.p99"), Direction::lower_is_better);
  EXPECT_EQ(declared_direction("tokens_by_class.chat"), Direction::neutral);
  EXPECT_EQ(declared_direction("tpot_s.p90"), Direction::lower_is_better);
  EXPECT_EQ(declared_direction("decode_step.kv_s"), Direction::lower_is_better);
  EXPECT_EQ(declared_direction("decode_step.batch"), Direction::neutral);
  EXPECT_EQ(declared_direction("memory_per_gpu.kv_bytes"), Direction::higher_is_better);
  EXPECT_EQ(declared_direction("memory_per_gpu.weights_bytes"), Direction::neutral);
  // Not declared: no silent default.
  EXPECT_FALSE(declared_direction("no_such_metric").has_value());
  EXPECT_FALSE(declared_direction("ttft_s").has_value());  // only its quantiles are reported
}

TEST(MetricDirections, EveryMetricOfEveryWorkloadKindIsDeclared) {
  const Catalog catalog(std::filesystem::path(DCSIM_SOURCE_DIR) / "configs");
  const auto scen = std::filesystem::path(DCSIM_SOURCE_DIR) / "configs" / "scenarios";
  struct Run {
    const char* file;
    std::vector<std::string> sets;
  };
  const std::vector<Run> runs = {
      {"quickstart-allreduce-h100.yaml", {}},
      {"serve-mixed-chat-coding-h100.yaml", {"workload.duration=40 s", "workload.warmup=10 s"}},  // classes, values
      {"serve-deepseek-r1-disagg-gb200-nvl72.yaml", {"workload.duration=4 s", "workload.warmup=1 s"}},
      {"korthikanti-22b-pretrain-a100-full.yaml", {}},
      {"agents-swarm-vr-nvl72.yaml", {"workload.tasks=8", "workload.arrivals.concurrency=4"}},
      {"agents-economy-vr-nvl72.yaml",  // value of work per population
       {"workload.duration=20 s", "workload.populations.analyst.always_on.agents=50", "token_value={merchant: 3}"}},
      {"agents-swarm-vr-nvl72.yaml", {"workload.tasks=8", "workload.arrivals.concurrency=4", "token_value={agent: 2}"}},
  };
  for (const Run& r : runs) {
    const Scenario s = load_scenario({scen / r.file, r.sets, {}}, catalog);
    RunArtifacts artifacts;
    const wl::RunResult result = run_scenario(s, artifacts);
    ASSERT_GT(result.metrics.entries().size(), 10u) << r.file;
    for (const auto& m : result.metrics.entries()) {
      EXPECT_TRUE(declared_direction(m.key).has_value())
          << r.file << ": metric '" << m.key << "' has no direction in app/metric_directions.cpp";
    }
  }
}

}  // namespace
}  // namespace dcsim::app
