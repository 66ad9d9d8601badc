// Attention data parallelism in serving (ep > 1): TensorRT-LLM's placement score and ADP balance rule one
// iteration at a time, the busiest group's share setting the step against a hand roofline, uneven groups in the
// MoE all-to-all, and whole runs where requests land on the least-loaded group and ADP balance delays a prompt by
// the iterations its rule says.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "app/scenario.hpp"
#include "hw/collectives.hpp"
#include "hw/topology.hpp"
#include "tests/support/scenario_text.hpp"
#include "tests/support/temp_path.hpp"
#include "tests/workloads/cluster_fixtures.hpp"
#include "tests/workloads/model_fixtures.hpp"
#include "workloads/model_ops.hpp"
#include "workloads/serving/attention_dp.hpp"
#include "workloads/serving/instance_model.hpp"
#include "workloads/serving/serving_workload.hpp"

namespace dcsim::wl::serving {
namespace {

// A 2-layer MoE on the tiny Llama-like body: 8 experts, top 2.
ModelSpec tiny_moe() {
  ModelSpec m = testing::llama_like(2, 256, 4, 2, 512, 1000, 4096);
  m.moe.experts = 8;
  m.moe.top_k = 2;
  m.moe.ffn_hidden = 512;
  m.moe.expert_load_cv = 1;
  return m;
}

TEST(AttentionDp, AssignmentScoreIsTensorRtLlms) {
  // 100 x 50 / 100 tokens + 2 x 1 prompt + 3 decoding.
  EXPECT_DOUBLE_EQ(group_assignment_score(50, 100, 1, 3), 55.0);
  EXPECT_DOUBLE_EQ(group_assignment_score(0, 100, 0, 0), 0.0);
}

TEST(AttentionDp, BalanceRuleWaitsAtMostTimeoutAndBatchesWhenAllHavePrompts) {
  PoolSpec::AdpBalance b;
  AdpCounters c;
  EXPECT_FALSE(adp_hold_prompts(b, false, true, c)) << "off: never waits";
  b.enabled = true;
  b.timeout_iters = 3;
  b.batching_wait_iters = 2;
  // Some group gets no prompt while every group decodes: wait, wait, then go at the third iteration.
  EXPECT_TRUE(adp_hold_prompts(b, false, true, c));
  EXPECT_TRUE(adp_hold_prompts(b, false, true, c));
  EXPECT_FALSE(adp_hold_prompts(b, false, true, c));
  EXPECT_EQ(c.wait, 0);
  // A group with nothing to decode would idle: go at once.
  EXPECT_FALSE(adp_hold_prompts(b, false, false, c));
  // Every group gets a prompt and decodes: wait batching_wait_iters (2) more, then go; the counter restarts.
  EXPECT_TRUE(adp_hold_prompts(b, true, true, c));
  EXPECT_TRUE(adp_hold_prompts(b, true, true, c));
  EXPECT_FALSE(adp_hold_prompts(b, true, true, c));
  EXPECT_EQ(c.batch_wait, 0);
  // Every group gets a prompt but one is not decoding: go.
  EXPECT_FALSE(adp_hold_prompts(b, true, false, c));
}

// Sum of the FLOPs of the dense (non-attention-core, non-expert) ops of layer `l` for `tokens` decode tokens.
double dense_flops(const ModelSpec& m, std::int64_t l, std::int64_t tokens) {
  double f = 0;
  for (const Op& op : layer_ops(m, l, Pass::decode(tokens, 0), OpBytes{2, 2, 2})) {
    if (!op.attention_core && op.kind != OpKind::expert_up && op.kind != OpKind::expert_down) f += op.flops;
  }
  return f;
}

TEST(AttentionDp, BusiestGroupSetsDenseAttentionAndHeadTimes) {
  // Two attention groups of one GPU each (ep 2), flat curves and unbounded bandwidth: every op takes FLOPs / peak.
  // Group 0 holds 2 decoding sequences (200 tokens of context) and a 100-token prompt that finishes; group 1 the
  // other 2 sequences. The step runs group 0's dense ops (102 tokens), attention and LM head (3 rows), and the
  // experts of all 104 tokens on the hottest rank.
  const ModelSpec m = tiny_moe();
  const hw::ClusterSpec c = testing::flat_cluster(1e15, 1e30, 100e9, 2);
  ServingWorkload w;
  w.cpu_iteration_s = 0;
  PoolSpec pool;
  pool.ep = 2;
  InstanceModel im(m, pool, c, nullptr, {0, 1}, w);
  BatchShape b;
  b.decode_seqs = 4;
  b.decode_context = 400;
  b.prefill_tokens = 100;
  b.prefill_pairs = 100.0 * 101 / 2;
  b.prefill_logits = 1;
  b.per_group = true;
  b.busiest = GroupShape{2, 200, 100, 100.0 * 101 / 2, 0, 1};
  const double h = 256, H = 4, dh = 64, f = 512, V = 1000, peak = 1e15;
  const double attn_per_ctx = 2 * 2 * H * dh;  // QK^T and PV per context token of one query
  const double load = hottest_rank_load(104 * 2, 2, 4, 1, false);
  const double experts = load * 2 * h * (2 * f) + load * 2 * f * h;
  double gpu = 0, instance = 0;
  for (std::int64_t l = 0; l < 2; ++l) {
    gpu += dense_flops(m, l, 102) + attn_per_ctx * (200 + 5050) + experts;
    instance += dense_flops(m, l, 1) * 104 + attn_per_ctx * (400 + 5050) + 104 * 2 * 2 * h * (3 * f);
  }
  gpu += 2 * 3 * h * V;
  instance += 2 * 5 * h * V;
  const IterationCost cost = im.cost(b);
  EXPECT_NEAR(cost.gpu_s, gpu / peak, 1e-9 * gpu / peak);
  EXPECT_NEAR(cost.model_flops, instance, 1e-9 * instance);
  // What differs between groups (the scheduler's comparison): all of it but the experts.
  EXPECT_NEAR(im.group_time(b), (gpu - 2 * experts) / peak, 1e-9 * gpu / peak);
  // A busiest group with a prompt chunk only (it does not finish): the instance still counts the other group's
  // 4 decoding sequences, their 400 tokens of context and their 4 logits rows.
  BatchShape chunk_only = b;
  chunk_only.prefill_logits = 0;
  chunk_only.busiest = GroupShape{0, 0, 100, 5050, 0, 0};
  double chunk_instance = 2 * 4 * h * V;
  for (std::int64_t l = 0; l < 2; ++l) {
    chunk_instance += dense_flops(m, l, 1) * 104 + attn_per_ctx * (400 + 5050) + 104 * 2 * 2 * h * (3 * f);
  }
  EXPECT_NEAR(im.cost(chunk_only).model_flops, chunk_instance, 1e-9 * chunk_instance);
  // Spread evenly instead, each group holds 52 tokens, 200 tokens of context and half the prompt's pairs.
  BatchShape spread = b;
  spread.per_group = false;
  double even = 2 * 3 * h * V;
  for (std::int64_t l = 0; l < 2; ++l) even += dense_flops(m, l, 52) + attn_per_ctx * (200 + 2525) + experts;
  EXPECT_NEAR(im.cost(spread).gpu_s, even / peak, 1e-9 * even / peak);
}

app::Scenario scenario(const std::string& yaml) {
  return dcsim::testing::scenario_from_text(yaml, {}, "dcsim_adp_test");
}

TEST(AttentionDp, UnevenGroupsSendTheirTokensInTheAllToAll) {
  // ep 2 on one HGX H100 node: group 0 decodes 3 sequences, group 1 one. Each GPU of the busiest group sends the
  // top-2 vectors of its 3 tokens (3 x 2 x 256 x 2 bytes), more than a GPU receives on average (4 x 2 x 256 x 2 / 2).
  const app::Scenario s = scenario(R"(name: t
hardware: {system: h100-hgx, count: 1}
model: llama3-8b
workload: {kind: serving, arrivals: {process: offline, requests: 1}, input: 8, output: 2, instance: {tp: 1}}
)");
  const hw::Topology topo = hw::build_topology(s.cluster);
  const hw::Collectives coll(topo, s.cluster);
  ServingWorkload w;
  w.cpu_iteration_s = 0;
  PoolSpec dp;
  dp.ep = 2;
  const ModelSpec m = tiny_moe();  // the instance keeps a reference
  InstanceModel im(m, dp, s.cluster, &coll, {0, 1}, w);
  BatchShape b;
  b.decode_seqs = 4;
  b.decode_context = 400;
  b.per_group = true;
  b.busiest = GroupShape{3, 300, 0, 0, 0, 0};
  const std::array<int, 2> pair{0, 1};
  const double a2a = coll.estimate(hw::CollectiveOp::all_to_all, pair, 3.0 * 2 * 256 * 2).time;
  EXPECT_NEAR(im.cost(b).comm_s, 2 * (2 * a2a + kMoeDispatchOverhead + kMoeCombineOverhead), 1e-12);
}

// A run of qwen3-30b-a3b on two H100s as two attention groups (ep 2), no host time, the requests of `rows`
// ("seconds,input,output" each) from a trace; `instance` adds to the instance's keys.
struct TraceRun {
  app::Scenario scenario;
  RunResult result;
};
TraceRun run_trace(const std::vector<std::string>& rows, const std::string& instance) {
  const auto trace = dcsim::testing::unique_temp_path("dcsim_adp_trace", ".csv");
  {
    std::ofstream out(trace);
    out << "TIMESTAMP,ContextTokens,GeneratedTokens\n";
    for (const std::string& r : rows) out << "2024-01-01 00:00:" << r << "\n";
  }
  TraceRun t{scenario("name: t\nhardware: {system: h100-hgx, count: 1, gpus: 2}\nmodel: qwen3-30b-a3b\n"
                      "workload:\n  kind: serving\n  arrivals: {process: trace, file: " +
                      trace.string() + "}\n  cpu: {iteration: 0 s, per_kernel: 0 s}\n  instance: {count: 1, tp: 1, ep: 2" + instance +
                      "}\n"),
             {}};
  t.result = run_serving(t.scenario.serving, *t.scenario.model, t.scenario.cluster, false, nullptr, t.scenario.seed);
  std::filesystem::remove(trace);
  return t;
}

// The step times the run's instance model gives `shapes` (on the scenario's first two GPUs, its collectives).
std::vector<double> step_times(const app::Scenario& s, const std::vector<BatchShape>& shapes) {
  const hw::Topology topo = hw::build_topology(s.cluster);
  const hw::Collectives coll(topo, s.cluster);
  InstanceModel im(*s.model, s.serving.colocated, s.cluster, &coll, {0, 1}, s.serving);
  std::vector<double> out;
  for (const BatchShape& b : shapes) out.push_back(im.cost(b).time_s);
  return out;
}

TEST(AttentionDp, NewRequestsGoToTheLeastLoadedGroup) {
  // A 10-token prompt at t = 0 runs alone on group 0 (step 1). Two 100-token prompts arrive 1 ms later and start
  // at step 2, 200 tokens of budget per group: the first goes to group 1 (score 0, against group 0's 100 x 1 / 200
  // + 1 decoding = 1.5), the second to group 0 (1.5 against 100 x 100 / 200 + 2 = 52). Group 0, decoding one
  // sequence of 10 tokens and prefilling 100, is the busiest.
  const TraceRun t = run_trace({"00.000,10,50", "00.001,100,2", "00.001,100,2"}, ", max_batch: 8, token_budget: 400");
  BatchShape first;
  first.prefill_tokens = 10;
  first.prefill_pairs = 55;
  first.prefill_logits = 1;
  first.per_group = true;
  first.busiest = GroupShape{0, 0, 10, 55, 0, 1};
  BatchShape second;
  second.decode_seqs = 1;
  second.decode_context = 10;
  second.prefill_tokens = 200;
  second.prefill_pairs = 2 * 5050.0;
  second.prefill_logits = 2;
  second.per_group = true;
  second.busiest = GroupShape{1, 10, 100, 5050, 0, 1};
  BatchShape one_group = second;
  one_group.busiest = GroupShape{0, 0, 200, 2 * 5050.0, 0, 2};
  const std::vector<double> times = step_times(t.scenario, {first, second, one_group});
  const double t1 = times[0], t2 = times[1];
  EXPECT_NEAR(t.result.metrics.at("ttft_s.mean"), (t1 + 2 * (t1 + t2 - 0.001)) / 3, 1e-9);
  EXPECT_GT(times[2], 1.03 * t2) << "the placement the test tells apart";
}

TEST(AttentionDp, BalanceHoldsAPromptForItsTimeout) {
  // Four requests fill both groups (two each: max_batch / ep = 2); the first ends after 3 tokens, the others
  // after 40; a fifth arrives 1 ms in and waits for a free slot. Step 1 runs the first alone (it starts as the
  // first arrives), step 2 places the other three (group 1 decodes nothing yet: no wait) and the first's slot frees
  // after step 3. ADP balance counts the steps from 3 on, where every group decodes and the fifth cannot get onto
  // every group: with timeout_iters 6 it starts at step 8; without balance at step 4. It waits four decode steps
  // longer; the others' first tokens are unchanged.
  const std::vector<std::string> rows = {"00.000,10,3", "00.000,10,40", "00.000,10,40", "00.000,10,40",
                                         "00.001,10,40"};
  const std::string limits = ", max_batch: 4, token_budget: 4000";
  const RunResult off = run_trace(rows, limits).result;
  const TraceRun balanced =
      run_trace(rows, limits + ", attention_dp_balance: {timeout_iters: 6, batching_wait_iters: 0}");
  const RunResult& held = balanced.result;
  // A held step: three sequences decoding, two of them on group 1, ~15 tokens of context each (the context
  // moves the step by far less than the tolerance).
  BatchShape decode;
  decode.decode_seqs = 3;
  decode.decode_context = 45;
  decode.per_group = true;
  decode.busiest = GroupShape{2, 30, 0, 0, 0, 0};
  const double step = step_times(balanced.scenario, {decode})[0];
  const double delay = 5 * (held.metrics.at("ttft_s.mean") - off.metrics.at("ttft_s.mean"));
  EXPECT_NEAR(delay, 4 * step, 0.02 * 4 * step);
  EXPECT_EQ(held.metrics.at("tokens"), off.metrics.at("tokens"));
  // A timeout of one iteration never holds (batching_wait_iters 0): the run without balance, bit for bit.
  const RunResult one =
      run_trace(rows, limits + ", attention_dp_balance: {timeout_iters: 1, batching_wait_iters: 0}").result;
  EXPECT_EQ(one.engine.fingerprint, off.engine.fingerprint);
}

}  // namespace
}  // namespace dcsim::wl::serving
