// Every DP group's traffic as flows (workloads/pretraining/dp_fabric, network.model: flow): the groups tile each
// stage, an uncontended fabric gives the analytical channel, and groups that share an oversubscribed leaf uplink
// share its bandwidth, which the analytical price (one group on an idle fabric) cannot see.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "app/catalog.hpp"
#include "app/runner.hpp"
#include "app/scenario.hpp"
#include "hw/collectives.hpp"
#include "hw/topology.hpp"
#include "sim/simulator.hpp"
#include "workloads/pretraining/data_parallel.hpp"
#include "workloads/pretraining/dp_fabric.hpp"
#include "workloads/pretraining/layer_cost.hpp"
#include "workloads/pretraining/stage_costs.hpp"

namespace dcsim::wl {
namespace {

const app::Catalog& catalog() {
  static const app::Catalog c(std::filesystem::path(DCSIM_SOURCE_DIR) / "configs");
  return c;
}

app::Scenario scenario(const std::string& file, std::vector<std::string> sets = {}) {
  return app::load_scenario({catalog().root() / "scenarios" / file, std::move(sets), {}}, catalog());
}

struct Phases {
  app::Scenario s;
  hw::Topology topo;
  hw::Collectives coll;
  LayerCostModel model;
  explicit Phases(app::Scenario sc)
      : s(std::move(sc)), topo(hw::build_topology(s.cluster)), coll(topo, s.cluster),
        model(s.pretraining, *s.model, s.cluster, coll) {}
};

// Every GPU of a stage in exactly one group; each group the representative's size.
void expect_tiles_stage(const Phases& p, const std::vector<std::vector<int>>& groups, std::size_t group_size,
                        int stage) {
  const PretrainingWorkload& w = p.s.pretraining;
  std::set<int> seen;
  for (const auto& g : groups) {
    EXPECT_EQ(g.size(), group_size);
    for (int gpu : g) {
      EXPECT_TRUE(seen.insert(gpu).second) << "GPU " << gpu << " in two groups";
      EXPECT_EQ(gpu / (w.tp * w.cp * w.dp), stage);
    }
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(w.tp * w.cp * w.dp));
}

TEST(DpFabric, DenseGroupsAreOnePerTpRankAndTileTheStage) {
  // Llama 3 70B: tp 8, pp 4, dp 18. Stage 2's groups: 8 of 18 GPUs, rank t + 8 k + 144 x 2; stage 0's first is the
  // representative group the analytical channel prices.
  const Phases p(scenario("llama3-70b-pretrain-h100-hgx.yaml"));
  const auto g0 = p.model.dp_groups(0);
  ASSERT_EQ(g0.size(), 8u);
  EXPECT_EQ(g0[0], p.model.dp_group);
  const auto g2 = p.model.dp_groups(2);
  expect_tiles_stage(p, g2, 18, 2);
  EXPECT_EQ(g2[3][5], 3 + 8 * 5 + 144 * 2);
  EXPECT_TRUE(p.model.edp_groups(2).empty());  // a dense model
}

TEST(DpFabric, ExpertGroupsTileTheStageAndStartFromTheRepresentative) {
  // DeepSeek-V3 on H800 (tp 2, ep 64, dp 128... as the scenario plans): ep groups of dp x tp / ep x cp GPUs.
  const Phases p(scenario("val-training-deepseek-v3-h800.yaml"));
  const PretrainingWorkload& w = p.s.pretraining;
  ASSERT_GT(w.ep, 1);
  const auto e1 = p.model.edp_groups(1);
  ASSERT_EQ(e1.size(), static_cast<std::size_t>(w.ep));
  expect_tiles_stage(p, e1, static_cast<std::size_t>(w.dp * w.tp / w.ep * w.cp), 1);
  EXPECT_EQ(p.model.edp_groups(0)[0], p.model.edp_group);
}

// Llama 3 70B on 14 HGX nodes as one stage (tp 8, dp 14, pp 1) and one 1 GiB bucket at time 0.
StageTraffic one_bucket(double bytes) {
  StageTraffic t;
  t.buckets.push_back({0.0, bytes, 0.0});
  return t;
}

TEST(DpFabric, UncontendedGroupsRunAtTheAnalyticalPrice) {
  // Rail-optimized, 1:1: the 8 groups are on 8 rails, each rail's 14 NICs on one leaf. Every group's ring has its
  // rail to itself, so the flows finish when one group alone would (within the flow model's 1 % of the estimate).
  const Phases p(scenario("llama3-70b-pretrain-h100-hgx.yaml",
                          {"hardware.count=14", "workload.parallelism={tp: 8, pp: 1, dp: 14}", "workload.global_batch=112",
                           "workload.interleave=1", "workload.schedule=1f1b"}));
  const double bytes = 1024.0 * 1024 * 1024;
  const auto r = run_dp_fabric(p.model, p.topo, {one_bucket(bytes)});
  const double alone = p.coll.estimate(hw::CollectiveOp::reduce_scatter, p.model.dp_group, bytes).time;
  ASSERT_EQ(r.size(), 1u);
  ASSERT_EQ(r[0].end.size(), 1u);
  EXPECT_EQ(r[0].start[0], 0.0);
  EXPECT_NEAR(r[0].end[0], alone, 0.01 * alone);
  EXPECT_NEAR(r[0].reduce_total, r[0].end[0], 1e-12);
}

TEST(DpFabric, GroupsSharingAnOversubscribedUplinkShareItsBandwidth) {
  // Plain fat-tree, radix 64, 15:1: a leaf has 60 NIC ports down and 4 up (4 x 50 GB/s = 200 GB/s to the spine).
  // 14 nodes = 112 NICs: leaf 0 holds NICs 0-59, leaf 1 the rest. Each of the 8 DP rings (one per local GPU) crosses
  // from leaf 0 to leaf 1 once and back once, so 8 flows share 200 GB/s each way: 25 GB/s, half a NIC's 50 GB/s.
  // The bandwidth part of every group's reduce-scatter doubles; its latency does not.
  const Phases p(scenario("llama3-70b-pretrain-h100-hgx.yaml",
                          {"hardware.count=14", "hardware.scale_out={topology: fat-tree, oversubscription: 15}",
                           "workload.parallelism={tp: 8, pp: 1, dp: 14}", "workload.global_batch=112",
                           "workload.interleave=1", "workload.schedule=1f1b"}));
  const double bytes = 1024.0 * 1024 * 1024;
  const auto r = run_dp_fabric(p.model, p.topo, {one_bucket(bytes)});
  const hw::CollectiveCost alone = p.coll.estimate(hw::CollectiveOp::reduce_scatter, p.model.dp_group, bytes);
  const double shared = alone.latency + 2 * (alone.time - alone.latency);
  EXPECT_NEAR(r[0].end[0], shared, 0.02 * shared);
  EXPECT_GT(r[0].end[0], 1.8 * alone.time);
}

TEST(DpFabric, TheChannelRunsBucketsInOrderAndTheGatherAfterTheOptimizer) {
  // Two buckets ready at 1 ms and 2 ms, the second queued behind the first; the all-gather starts at the end of the
  // reduction (no compute after it, nothing hidden) plus the optimizer's 5 ms, and lasts one uncontended gather.
  const Phases p(scenario("llama3-70b-pretrain-h100-hgx.yaml",
                          {"hardware.count=14", "workload.parallelism={tp: 8, pp: 1, dp: 14}", "workload.global_batch=112",
                           "workload.interleave=1", "workload.schedule=1f1b"}));
  StageTraffic t;
  const double b = 256.0 * 1024 * 1024;
  t.buckets = {{1e-3, b, 0.0}, {2e-3, b, 0.0}};
  t.optimizer_s = 5e-3;
  t.gather_dense_bytes = 2 * b;
  const auto r = run_dp_fabric(p.model, p.topo, {t});
  const double rs = p.coll.estimate(hw::CollectiveOp::reduce_scatter, p.model.dp_group, b).time;
  const double ag = p.coll.estimate(hw::CollectiveOp::all_gather, p.model.dp_group, 2 * b).time;
  const StageChannel& ch = r[0];
  EXPECT_NEAR(ch.start[0], 1e-3, 1e-12);
  EXPECT_NEAR(ch.end[0], 1e-3 + rs, 0.01 * rs);
  EXPECT_NEAR(ch.start[1], std::max(2e-3, ch.end[0]), 1e-12);
  EXPECT_NEAR(ch.end[1] - ch.start[1], rs, 0.01 * rs);
  EXPECT_NEAR(ch.gather_s, ag, 0.01 * ag);
}

TEST(DpFabric, PipelineSendsOfEveryReplicaShareTheUplinkTheyCross) {
  // tp 8, pp 2, dp 7 on the 15:1 fat-tree above: stage 0 on nodes 0-6 (NICs 0-55, leaf 0), stage 1 on nodes 7-13
  // (NICs 56-111; node 7's first four on leaf 0). A send moves 16 MiB (s h x 2 / tp = 8192 x 8192 x 2 / 8) from
  // GPU t of node k to GPU t of node k + 7: 4 of the 56 pairs stay in leaf 0 at the NIC's 50 GB/s, 52 cross the
  // 200 GB/s uplink at 200/52 = 3.85 GB/s, so the send ends 13x the bandwidth time of one pair after its latency.
  const Phases p(scenario("llama3-70b-pretrain-h100-hgx.yaml",
                          {"hardware.count=14", "hardware.scale_out={topology: fat-tree, oversubscription: 15}",
                           "workload.parallelism={tp: 8, pp: 2, dp: 7}", "workload.global_batch=112",
                           "workload.interleave=1", "workload.schedule=1f1b"}));
  EXPECT_DOUBLE_EQ(pipeline_send_bytes(p.model), 16.0 * 1024 * 1024);
  sim::Simulator sim;
  StepFabric fabric(p.model, p.topo, {StageTraffic{}, StageTraffic{}}, nullptr);
  fabric.attach(sim);
  double arrived = -1;
  fabric.send(0, 1, [&] { arrived = sim::to_seconds(sim.now()); });
  sim.run();
  const hw::CollectiveCost alone = p.coll.estimate(hw::CollectiveOp::send_recv, std::vector<int>{0, 56}, 16.0 * 1024 * 1024);
  const double shared = alone.latency + 13 * (alone.time - alone.latency);
  EXPECT_NEAR(arrived, shared, 0.02 * shared);
}

TEST(DpFabric, FlowStepMatchesTheAnalyticalOneOnAnUncontendedFabricAndCountsItsEvents) {
  // The whole step with network.model flow on 14 nodes, rails to themselves: the step time within 0.5 % of the
  // analytical step, more events (the flows), the same result on a second run.
  const std::vector<std::string> plan = {"hardware.count=14", "workload.parallelism={tp: 8, pp: 1, dp: 14}",
                                         "workload.global_batch=112", "workload.interleave=1",
                                         "workload.schedule=1f1b"};
  auto flow_sets = plan;
  flow_sets.push_back("network={model: flow}");
  const auto run = [](const app::Scenario& s) {
    app::RunArtifacts artifacts;
    return app::run_scenario(s, artifacts);
  };
  const RunResult analytical = run(scenario("llama3-70b-pretrain-h100-hgx.yaml", plan));
  const RunResult flows = run(scenario("llama3-70b-pretrain-h100-hgx.yaml", flow_sets));
  const RunResult again = run(scenario("llama3-70b-pretrain-h100-hgx.yaml", flow_sets));
  const double a = *analytical.metrics.get("step_time_s"), f = *flows.metrics.get("step_time_s");
  EXPECT_NEAR(f, a, 0.005 * a);
  EXPECT_GT(flows.engine.events, analytical.engine.events);
  EXPECT_EQ(flows.engine.fingerprint, again.engine.fingerprint);
  EXPECT_EQ(flows.metrics.get("step_time_s"), again.metrics.get("step_time_s"));
}

RunResult run_with(const std::string& file, std::vector<std::string> sets, bool flows) {
  if (flows) sets.push_back("network={model: flow}");
  app::RunArtifacts artifacts;
  return app::run_scenario(scenario(file, std::move(sets)), artifacts);
}

TEST(DpFabric, TwoStagesOnTheirOwnRailsSendAsTheAnalyticalPipelineDoes) {
  // pp 2 on rail-optimized 1:1, the gradients reduced after the compute (no overlap with the sends, the buckets
  // held until the stage's compute ends): every send is rail-aligned and alone on its NICs, so the pipeline's
  // exposed sends and the DP reduction match the analytical ones within 1%, under 1F1B and under ZB-H1 (whose
  // buckets come from its W passes).
  for (const std::string schedule : {"1f1b", "zb-h1"}) {
    const std::vector<std::string> plan = {"hardware.count=14", "workload.parallelism={tp: 8, pp: 2, dp: 7}",
                                           "workload.global_batch=112", "workload.interleave=1",
                                           "workload.schedule=" + schedule, "workload.overlap_grad_reduce=false"};
    const RunResult analytical = run_with("llama3-70b-pretrain-h100-hgx.yaml", plan, false);
    const RunResult flows = run_with("llama3-70b-pretrain-h100-hgx.yaml", plan, true);
    for (const char* key : {"exposed_comm_s.pp", "exposed_comm_s.dp"}) {
      const double a = *analytical.metrics.get(key), f = *flows.metrics.get(key);
      ASSERT_GT(a, 0) << schedule << " " << key;
      EXPECT_NEAR(f, a, 0.01 * a) << schedule << " " << key;
    }
    const double sa = *analytical.metrics.get("step_time_s"), sf = *flows.metrics.get("step_time_s");
    EXPECT_NEAR(sf, sa, 1e-3 * sa) << schedule;
  }
}

TEST(DpFabric, ExpertGradientsRunOnTheirOwnGroupsAsFlows) {
  // DeepSeek-V3 on 1,024 H100 (NeMo AutoModel: pp 4, dp 256, ep 64): the dense and the expert-DP waves of every bucket as flows
  // reduce as the analytical channel prices them (the expert groups' rings stay on their rails).
  const RunResult analytical = run_with("val-training-automodel-dsv3-h100.yaml", {}, false);
  const RunResult flows = run_with("val-training-automodel-dsv3-h100.yaml", {}, true);
  const double a = *analytical.metrics.get("exposed_comm_s.dp"), f = *flows.metrics.get("exposed_comm_s.dp");
  ASSERT_GT(a, 0);
  EXPECT_NEAR(f, a, 0.01 * a);
}

}  // namespace
}  // namespace dcsim::wl
