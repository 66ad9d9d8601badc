// Pipeline-parallel serving instances (pp > 1): the stages a micro-batch crosses as a flow shop, by hand; whole runs
// where two prompts overlap in a two-stage pipeline; the GPU power of overlapping micro-batches; agents refuse pp.
#include <gtest/gtest.h>

#include <string>

#include "app/scenario.hpp"
#include "tests/app/test_config_support.hpp"
#include "tests/support/scenario_text.hpp"
#include "tests/workloads/cluster_fixtures.hpp"
#include "tests/workloads/model_fixtures.hpp"
#include "workloads/serving/pipeline_stages.hpp"
#include "workloads/serving/serving_workload.hpp"

namespace dcsim::wl::serving {
namespace {

TEST(PipelineStages, MicroBatchesFollowEachOtherStageByStage) {
  // Two stages, a latency of 2 (1 a stage): the first leaves at 2; the second, entering at 0 too, waits for stage 0
  // until 1 and leaves at 3; the first's next micro-batch enters at 2, when both stages are free again: 4.
  PipelineStages two(2);
  EXPECT_DOUBLE_EQ(two.enter(0, 2), 2);
  EXPECT_DOUBLE_EQ(two.enter(0, 2), 3);
  EXPECT_DOUBLE_EQ(two.enter(2, 2), 4);
  // Three stages: a long micro-batch (2 a stage) holds stages 0-2 until 2, 4 and 6; a short one behind it (1 a
  // stage) enters stage 0 at 2 and leaves it at 3, waits for stage 1 until 4 (out at 5), for stage 2 until 6: 7.
  PipelineStages three(3);
  EXPECT_DOUBLE_EQ(three.enter(0, 6), 6);
  EXPECT_DOUBLE_EQ(three.enter(0, 3), 7);
  // Idle stages: a micro-batch entering later than every stage frees passes straight through.
  EXPECT_DOUBLE_EQ(three.enter(10, 3), 13);
  EXPECT_THROW(PipelineStages(0), std::invalid_argument);
}

app::Scenario scenario(const std::string& yaml) {
  return dcsim::testing::scenario_from_text(yaml, {}, "dcsim_serving_pipeline_test");
}

TEST(ServingPipeline, TwoPromptsOverlapInTwoStages) {
  // One-token requests of 1,000-token prompts on flat compute-bound GPUs with no host cost: one prompt alone takes
  // L through both stages. Two at once go to the instance's two micro-batch slots; the second enters stage 0 when the
  // first leaves it, at L / 2, and finishes at 1.5 L: mean e2e 1.25 L (in one batch, as before pipelining, 2 L).
  const auto run = [](int requests) {
    app::Scenario s = scenario(R"(name: t
hardware: {system: h100-hgx, count: 1}
model: llama3-8b
workload:
  kind: serving
  arrivals: {process: offline, requests: )" + std::to_string(requests) + R"(}
  input: 1000
  output: 1
  instance: {count: 1, tp: 1, pp: 2, token_budget: 4096}
)");
    s.serving.cpu_iteration_s = s.serving.cpu_per_sequence_s = s.serving.cpu_per_kernel_s = 0;
    hw::ClusterSpec c = s.cluster;  // the HGX board's host and power parts, a flat GPU
    c.gpu = testing::flat_cluster(1e12, 1e30).gpu;
    return run_serving(s.serving, testing::llama_like(2, 256, 4, 2, 512, 1000, 4096), c, false, nullptr, 1).metrics;
  };
  const Metrics one = run(1), two = run(2);
  const double L = one.at("e2e_s.mean");
  EXPECT_GT(L, 1e-3);
  EXPECT_NEAR(two.at("e2e_s.mean"), 1.25 * L, 1e-9 * L);
  EXPECT_DOUBLE_EQ(two.at("instances"), 1);
  EXPECT_DOUBLE_EQ(two.at("gpus"), 2);
}

TEST(ServingPipeline, OverlappingMicroBatchesDrawNoMoreThanTheirGpus) {
  // Llama-3-8B on one TP1 x PP2 instance under load: both slots step at once over the same two H100s, each setting
  // the power of its half. The GPUs draw between their loaded idle and their 700 W limit, never four GPUs' worth.
  const app::Scenario s = scenario(R"(name: t
hardware: {system: h100-hgx, count: 1, gpus: 2}
model: llama3-8b
workload:
  kind: serving
  arrivals: {process: offline, requests: 400}
  input: 1000
  output: 100
  instance: {count: 1, tp: 1, pp: 2, max_batch: 64}
)");
  const Metrics m = run_serving(s.serving, *s.model, s.cluster, false, nullptr, s.seed).metrics;
  EXPECT_GT(m.at("busy_fraction"), 0.95);
  EXPECT_LE(m.at("power_w.gpu"), 2 * s.cluster.gpu.power.max);
  EXPECT_GT(m.at("power_w.gpu"), 2 * s.cluster.gpu.power.idle);
}

TEST(ServingPipeline, AgentsRefusePipelineStages) {
  const std::string yaml = R"(name: t
hardware: {system: h100-hgx, count: 1}
model: llama3-8b
workload:
  kind: agents
  tasks: 1
  instance: {tp: 1, pp: 2}
)";
  const std::string what = app::testing::error_of([&] { (void)scenario(yaml); });
  EXPECT_NE(what.find("workload.instance.pp"), std::string::npos) << what;
  EXPECT_NE(what.find("split the model with tp"), std::string::npos) << what;
}

}  // namespace
}  // namespace dcsim::wl::serving
