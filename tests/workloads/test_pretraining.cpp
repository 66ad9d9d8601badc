// pretraining: schedules against hand-drawn timelines, analytic bubbles, activation memory (Korthikanti), FLOP
// conventions, plan errors, determinism, and every validation row within its tolerance.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>

#include "app/catalog.hpp"
#include "app/model_catalog.hpp"
#include "app/runner.hpp"
#include "app/scenario.hpp"
#include "sim/trace.hpp"
#include "workloads/model_ops.hpp"
#include "workloads/pretraining/pretraining.hpp"

namespace dcsim::wl {
namespace {

using PT = PipelineTask;

TEST(PretrainingSchedule, OneFOneBOrderIsMegatrons) {
  // pp 4, 6 micro-batches, stage 0: 3 warm-up forwards, then 1F1B, then the cool-down backwards.
  const std::vector<PT> want = {{0, 0, true},  {0, 1, true},  {0, 2, true},  {0, 3, true},
                                {0, 0, false}, {0, 4, true},  {0, 1, false}, {0, 5, true},
                                {0, 2, false}, {0, 3, false}, {0, 4, false}, {0, 5, false}};
  EXPECT_EQ(stage_order(PipelineSchedule::one_f_one_b, 4, 1, 6, 0), want);
  // The last stage alternates from the start.
  const auto last = stage_order(PipelineSchedule::one_f_one_b, 4, 1, 6, 3);
  EXPECT_EQ(last[0], (PT{0, 0, true}));
  EXPECT_EQ(last[1], (PT{0, 0, false}));
}

TEST(PretrainingSchedule, OneFOneBTimelineMatchesHandDrawing) {
  // pp 2, 3 micro-batches, forward 1 s, backward 2 s, instant sends. Drawn by hand:
  //   stage 0: F0 [0,1] F1 [1,2] B0 [4,6] F2 [6,7] B1 [7,9] B2 [10,12]
  //   stage 1: F0 [1,2] B0 [2,4] F1 [4,5] B1 [5,7] F2 [7,8] B2 [8,10]
  // makespan 12 = m (tf + tb) + (p - 1)(tf + tb) = 9 + 3: bubble 3/12 = (p-1)/(m+p-1) = 1/4.
  PipelineDurations d;
  d.fwd = {{1}, {1}};
  d.bwd = {{2}, {2}};
  const PipelineTimeline t = simulate_pipeline(d, PipelineSchedule::one_f_one_b, 2, 1, 3);
  EXPECT_DOUBLE_EQ(t.makespan, 12);
  EXPECT_DOUBLE_EQ(t.compute_end[1], 10);
  EXPECT_DOUBLE_EQ(t.busy[0], 9);
  bool seen_b0 = false;
  for (const TaskSpan& s : t.spans) {
    if (s.stage == 0 && !s.task.forward && s.task.micro == 0) {
      EXPECT_DOUBLE_EQ(s.start, 4);
      EXPECT_DOUBLE_EQ(s.end, 6);
      seen_b0 = true;
    }
  }
  EXPECT_TRUE(seen_b0);
  EXPECT_DOUBLE_EQ((t.makespan - t.busy[0]) / t.makespan, analytic_bubble(PipelineSchedule::one_f_one_b, 2, 1, 3));
}

TEST(PretrainingSchedule, SendsDelayTheReceiverAndBlockingSendsTheSender) {
  // pp 2, 1 micro-batch, forward 1, backward 2, sends 0.5: F0 s0 [0,1], arrives 1.5, s1 F0 [1.5,2.5], B0 [2.5,4.5],
  // gradient arrives 5, s0 B0 [5,7]. A blocking send keeps stage 1 busy until 5.
  PipelineDurations d;
  d.fwd = {{1}, {1}};
  d.bwd = {{2}, {2}};
  d.p2p = 0.5;
  const PipelineTimeline a = simulate_pipeline(d, PipelineSchedule::one_f_one_b, 2, 1, 1);
  EXPECT_DOUBLE_EQ(a.makespan, 7);
  EXPECT_DOUBLE_EQ(a.compute_end[1], 4.5);
  d.blocking = true;
  const PipelineTimeline b = simulate_pipeline(d, PipelineSchedule::one_f_one_b, 2, 1, 1);
  EXPECT_DOUBLE_EQ(b.makespan, 7);
  EXPECT_DOUBLE_EQ(b.compute_end[1], 5);
}

TEST(PretrainingSchedule, InterleavedBubbleIsDividedByChunks) {
  // pp 2, 2 chunks per stage, 4 micro-batches, each chunk forward 1 s and backward 2 s: ideal 4 x 2 x 3 = 24 s,
  // bubble (p-1)(1+2) = 3 s: 27 s, fraction 3/27 = (p-1)/(v m + p-1) = 1/9. Stage 0 starts F0.0 F1.0 F0.1 F1.1 F2.0.
  PipelineDurations d;
  d.fwd = {{1, 1}, {1, 1}};
  d.bwd = {{2, 2}, {2, 2}};
  const PipelineTimeline t = simulate_pipeline(d, PipelineSchedule::interleaved, 2, 2, 4);
  EXPECT_DOUBLE_EQ(t.makespan, 27);
  EXPECT_NEAR((t.makespan - t.busy[0]) / t.makespan, analytic_bubble(PipelineSchedule::interleaved, 2, 2, 4), 1e-12);
  const auto order = stage_order(PipelineSchedule::interleaved, 2, 2, 4, 0);
  EXPECT_EQ(order[2], (PT{1, 0, true}));
  EXPECT_EQ(order[4], (PT{0, 2, true}));
  EXPECT_EQ(order[5], (PT{1, 0, false}));  // the first backward runs the last chunk
}

TEST(PretrainingSchedule, AnalyticBubbles) {
  EXPECT_DOUBLE_EQ(analytic_bubble(PipelineSchedule::one_f_one_b, 16, 1, 32), 15.0 / 47.0);
  EXPECT_DOUBLE_EQ(analytic_bubble(PipelineSchedule::interleaved, 8, 6, 192), 7.0 / (6 * 192 + 7));
  // ZB-H1 (Qi et al. 2024 §2.1): (p-1)(T_F + T_B - T_W) idle against m (T_F + T_B + T_W); equal passes: a third of
  // 1F1B's bubble time, (p-1)/(3m + p-1).
  EXPECT_DOUBLE_EQ(analytic_bubble(PipelineSchedule::zb_h1, 16, 1, 32), 15.0 / (3 * 32 + 15));
  EXPECT_DOUBLE_EQ(analytic_bubble(PipelineSchedule::zb_h1, 4, 1, 8, 1, 1.5, 0.5), 6.0 / 30.0);
  // The pass times do not change the other schedules' fractions.
  EXPECT_DOUBLE_EQ(analytic_bubble(PipelineSchedule::one_f_one_b, 16, 1, 32, 1, 1.5, 0.5), 15.0 / 47.0);
}

// ZB-H1, pp 4, 8 micro-batches, T_F = T_B = T_W = 1 s, instant sends: Qi et al. 2024, Figure 3 (top), as the
// authors' generator lays it out (get_hand_schedule(4, 8, 1, 1, 1, 0, warmup_c=1), sail-sg/zero-bubble-pipeline-
// parallelism, arxiv branch, megatron/core/pipeline_parallel/efficiency.py). Drawn by hand, start times:
//   stage 0: F0 0  F1 1  F2 2  F3 3  B0 7  W0 8  F4 9  B1 10 W1 11 F5 12 B2 13 W2 14 F6 15 B3 16 W3 17 F7 18
//            B4 19 W4 20 B5 21 W5 22 B6 23 W6 24 B7 25 W7 26
//   stage 1: F0 1  F1 2  F2 3  B0 6  F3 7  B1 8  W0 9  F4 10 B2 11 W1 12 F5 13 B3 14 W2 15 F6 16 B4 17 W3 18
//            F7 19 B5 20 W4 21 B6 22 W5 23 B7 24 W6 25 W7 26
//   stage 2: F0 2  F1 3  B0 5  F2 6  B1 7  F3 8  B2 9  W0 10 F4 11 B3 12 W1 13 F5 14 B4 15 W2 16 F6 17 B5 18
//            W3 19 F7 20 B6 21 W4 22 B7 23 W5 24 W6 25 W7 26
//   stage 3: F0 3  B0 4  F1 5  B1 6  F2 7  B2 8  F3 9  B3 10 W0 11 F4 12 B4 13 W1 14 F5 15 B5 16 W2 17 F6 18
//            B6 19 W3 20 F7 21 B7 22 W4 23 W5 24 W6 25 W7 26
// Stage s holds its first W back s iterations (p - s - 1 warm-up forwards + s deferred W = p in flight); every stage
// ends at 27 = m (T_F + T_B + T_W) + (p-1)(T_F + T_B - T_W) = 24 + 3, where 1F1B (backward 2 s) takes
// (m + p - 1)(T_F + T_B + T_W) = 33.
const char* const kZbH1Drawing[4] = {
    "F0 0 F1 1 F2 2 F3 3 B0 7 W0 8 F4 9 B1 10 W1 11 F5 12 B2 13 W2 14 F6 15 B3 16 W3 17 F7 18 B4 19 W4 20 B5 21 "
    "W5 22 B6 23 W6 24 B7 25 W7 26",
    "F0 1 F1 2 F2 3 B0 6 F3 7 B1 8 W0 9 F4 10 B2 11 W1 12 F5 13 B3 14 W2 15 F6 16 B4 17 W3 18 F7 19 B5 20 W4 21 "
    "B6 22 W5 23 B7 24 W6 25 W7 26",
    "F0 2 F1 3 B0 5 F2 6 B1 7 F3 8 B2 9 W0 10 F4 11 B3 12 W1 13 F5 14 B4 15 W2 16 F6 17 B5 18 W3 19 F7 20 B6 21 "
    "W4 22 B7 23 W5 24 W6 25 W7 26",
    "F0 3 B0 4 F1 5 B1 6 F2 7 B2 8 F3 9 B3 10 W0 11 F4 12 B4 13 W1 14 F5 15 B5 16 W2 17 F6 18 B6 19 W3 20 F7 21 "
    "B7 22 W4 23 W5 24 W6 25 W7 26",
};

std::string drawn(const PipelineTimeline& t, int stage) {
  std::string out;
  for (const TaskSpan& s : t.spans) {
    if (s.stage != stage) continue;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s%c%d %g", out.empty() ? "" : " ", s.task.forward ? 'F' : s.task.weight ? 'W' : 'B',
                  s.task.micro, s.start);
    out += buf;
  }
  return out;
}

TEST(PretrainingSchedule, ZbH1TimelineMatchesThePapersFigure) {
  PipelineDurations d;
  d.fwd = {{1}, {1}, {1}, {1}};
  d.bwd = {{2}, {2}, {2}, {2}};  // B + W
  d.wgt = {{1}, {1}, {1}, {1}};
  const PipelineTimeline t = simulate_pipeline(d, PipelineSchedule::zb_h1, 4, 1, 8);
  for (int s = 0; s < 4; ++s) {
    EXPECT_EQ(drawn(t, s), kZbH1Drawing[s]) << "stage " << s;
    EXPECT_DOUBLE_EQ(t.compute_end[static_cast<std::size_t>(s)], 27);
    EXPECT_DOUBLE_EQ(t.busy[static_cast<std::size_t>(s)], 24);
  }
  EXPECT_DOUBLE_EQ(t.makespan, 27);
  EXPECT_NEAR((t.makespan - t.busy[0]) / t.makespan, analytic_bubble(PipelineSchedule::zb_h1, 4, 1, 8), 1e-12);
  // The same passes under 1F1B (B and W as one 2 s backward): (m + p - 1) x 3 = 33, bubble 9 s against ZB-H1's 3.
  const PipelineTimeline f = simulate_pipeline(d, PipelineSchedule::one_f_one_b, 4, 1, 8);
  EXPECT_DOUBLE_EQ(f.makespan, 33);
  EXPECT_DOUBLE_EQ(f.makespan - f.busy[0], 3 * (t.makespan - t.busy[0]));
  // Every stage runs each micro-batch's F, B and W once, W after its B.
  for (int s = 0; s < 4; ++s) {
    const auto order = stage_order(PipelineSchedule::zb_h1, 4, 1, 8, s);
    EXPECT_EQ(order.size(), 24u);
    for (int i = 0; i < 8; ++i) {
      const auto b = std::find(order.begin(), order.end(), PT{0, i, false, false});
      const auto w = std::find(order.begin(), order.end(), PT{0, i, false, true});
      ASSERT_NE(b, order.end());
      ASSERT_NE(w, order.end());
      EXPECT_LT(b, w);
    }
  }
}

TEST(PretrainingSchedule, ZbH1BubbleFollowsThePapersFormulaForUnequalPasses) {
  // Qi et al. §2.1: idle per stage (p-1)(T_F + T_B - T_W). pp 4, m 8, T_F 1, T_B 1.5, T_W 0.5: 24 + 3 x 2 = 30;
  // stage 0 (the last to finish: its W passes are the shortest filler) idles 6 s, 6/30 = the analytic fraction.
  // pp 8, m 12 (m >= p, not a multiple of it): 12 x 3 + 7 x 2 = 50.
  PipelineDurations d;
  d.fwd.assign(4, {1.0});
  d.bwd.assign(4, {2.0});
  d.wgt.assign(4, {0.5});
  const PipelineTimeline t = simulate_pipeline(d, PipelineSchedule::zb_h1, 4, 1, 8);
  EXPECT_DOUBLE_EQ(t.makespan, 30);
  EXPECT_DOUBLE_EQ(t.compute_end[0], 30);
  EXPECT_NEAR((t.makespan - t.busy[0]) / t.makespan,
              analytic_bubble(PipelineSchedule::zb_h1, 4, 1, 8, 1, 1.5, 0.5), 1e-12);
  d.fwd.assign(8, {1.0});
  d.bwd.assign(8, {2.0});
  d.wgt.assign(8, {0.5});
  EXPECT_DOUBLE_EQ(simulate_pipeline(d, PipelineSchedule::zb_h1, 8, 1, 12).makespan, 50);
  // Missing or inconsistent W durations are a caller's error, not a silent zero.
  d.wgt.clear();
  EXPECT_THROW((void)simulate_pipeline(d, PipelineSchedule::zb_h1, 8, 1, 12), std::invalid_argument);
  d.wgt.assign(8, {3.0});
  EXPECT_THROW((void)simulate_pipeline(d, PipelineSchedule::zb_h1, 8, 1, 12), std::invalid_argument);
}

TEST(PretrainingSchedule, OneFOneBIgnoresTheWeightGradientSplit) {
  // 1F1B runs B and W as one backward task: filling wgt changes nothing (same spans, same event fingerprint).
  PipelineDurations d;
  d.fwd = {{1}, {1.25}, {1}};
  d.bwd = {{2}, {2.5}, {2}};
  d.p2p = 0.125;
  d.blocking = true;
  const PipelineTimeline a = simulate_pipeline(d, PipelineSchedule::one_f_one_b, 3, 1, 5);
  d.wgt = {{1}, {1}, {0.5}};
  const PipelineTimeline b = simulate_pipeline(d, PipelineSchedule::one_f_one_b, 3, 1, 5);
  EXPECT_EQ(a.makespan, b.makespan);
  EXPECT_EQ(a.fingerprint, b.fingerprint);
  ASSERT_EQ(a.spans.size(), b.spans.size());
  for (std::size_t i = 0; i < a.spans.size(); ++i) {
    EXPECT_EQ(a.spans[i].task, b.spans[i].task);
    EXPECT_FALSE(b.spans[i].task.weight);
    EXPECT_EQ(a.spans[i].end, b.spans[i].end);
  }
}

// --- with the catalog -----------------------------------------------------------------------------------------

const app::Catalog& catalog() {
  static const app::Catalog c(std::filesystem::path(DCSIM_SOURCE_DIR) / "configs");
  return c;
}

app::Scenario scenario(const std::string& name, std::vector<std::string> sets = {}) {
  return app::load_scenario({catalog().root() / "scenarios" / (name + ".yaml"), std::move(sets), {}}, catalog());
}

RunResult run(const app::Scenario& s) {
  app::RunArtifacts artifacts;
  return app::run_scenario(s, artifacts);
}

TEST(PretrainingMemory, KorthikantiActivationsForGpt22b) {
  // 22B, TP8 + SP, no recompute, unfused attention, pp 1 (one micro-batch in flight: forward then backward): per
  // layer s b h (34/t + 5 a s / (h t)) = 2048 * 6144 * (4.25 + 5*64*2048/(6144*8)) = 12,582,912 * 17.5833
  // = 221.25 MB; x 48 layers = 10.62 GB.
  app::Scenario s = scenario("korthikanti-22b-pretrain-a100-sp-selective");
  PretrainingWorkload w = s.pretraining;
  w.recompute = Recompute::none;
  const MemoryEstimate m = estimate_memory(w, *s.model, s.cluster);
  EXPECT_NEAR(m.activations, 12582912.0 * (4.25 + 5.0 * 64 * 2048 / (6144.0 * 8)) * 48, 1.0);
  EXPECT_DOUBLE_EQ(m.in_flight, 1);
  // GPipe keeps all 4 micro-batches.
  w.schedule = PipelineSchedule::gpipe;
  EXPECT_DOUBLE_EQ(estimate_memory(w, *s.model, s.cluster).in_flight, 4);
  w.schedule = PipelineSchedule::one_f_one_b;
  // Selective recomputation drops the score term: 34/t only.
  w.recompute = Recompute::selective;
  EXPECT_NEAR(estimate_memory(w, *s.model, s.cluster).activations, 12582912.0 * 4.25 * 48, 1.0);
  // Full recomputation keeps the layer inputs (2 s b h / t with SP) plus one layer being recomputed.
  w.recompute = Recompute::full;
  EXPECT_NEAR(estimate_memory(w, *s.model, s.cluster).activations, 2 * 12582912.0 / 8 * 48 + 12582912.0 * 4.25, 1.0);
  // Weights, gradients, optimizer: 16 bytes per parameter (ZeRO paper), nothing sharded at dp 1.
  EXPECT_NEAR(m.optimizer, 6 * m.weights, 1e-3);
}

TEST(PretrainingMemory, OneFOneBFirstStageHoldsPpMicroBatches) {
  const app::Scenario s = scenario("llama3-405b-pretrain-h100-8k");
  // Stage 1 (8 layers, 15 in flight = 120 layer-micro-batches) outweighs stage 0 (7 layers x 16 = 112).
  const MemoryEstimate m = estimate_memory(s.pretraining, *s.model, s.cluster);
  EXPECT_EQ(m.stage, 1);
  EXPECT_DOUBLE_EQ(m.in_flight, 15);
  EXPECT_LT(m.total(), s.cluster.gpu.hbm_capacity);
}

TEST(PretrainingMemory, ZbH1KeepsWeightGradientInputsOfItsDeferredPasses) {
  // Llama 3 405B, 1F1B: stage 1 holds 15 micro-batches of 8 layers. ZB-H1 defers stage 1's first W by one
  // iteration, so at its peak it holds 15 micro-batches' forward activations and one micro-batch's weight-gradient
  // inputs (linear inputs + output gradients). Per token in units of h bytes (TP 8 + SP, GQA, gated FFN, no
  // dropout): forward 8/8 + (2 (q + kv)/h + 2 v/h + 6 f/h)/8 = 1 + 23.75/8 = 3.96875; W inputs 8/8 + 23.75/8, the
  // same. With dropout the forward also keeps its two 1-byte masks: 10/8 + 23.75/8 = 4.21875.
  for (const bool dropout : {false, true}) {
    app::Scenario s = scenario("llama3-405b-pretrain-h100-8k");
    s.pretraining.dropout = dropout;
    const MemoryEstimate f = estimate_memory(s.pretraining, *s.model, s.cluster);
    s.pretraining.schedule = PipelineSchedule::zb_h1;
    const MemoryEstimate z = estimate_memory(s.pretraining, *s.model, s.cluster);
    EXPECT_EQ(z.stage, 1);
    EXPECT_DOUBLE_EQ(z.in_flight, 16);
    const double per_micro = f.activations / 15;
    EXPECT_NEAR((z.activations - f.activations) / per_micro, 3.96875 / (dropout ? 4.21875 : 3.96875), 1e-9) << dropout;
    EXPECT_DOUBLE_EQ(z.weights, f.weights);
  }
  // For a GPT layer (MHA, 4h FFN) W keeps 32 of the 34 s b h of the forward: Qi et al. 2024, Table 1. gpt-22b on
  // pp 2 (24 layers a stage), its vocabulary x4 so that the last stage's fp32 logits make it the fullest under
  // ZB-H1 (stage 0 holds 2 forwards in both schedules; stage 1 one forward and one deferred W).
  app::Scenario g = scenario("korthikanti-22b-pretrain-a100-sp-selective");
  g.pretraining.pp = 2;
  g.model->vocab *= 4;
  g.pretraining.schedule = PipelineSchedule::one_f_one_b;
  const MemoryEstimate g1 = estimate_memory(g.pretraining, *g.model, g.cluster);
  ASSERT_EQ(g1.stage, 0);
  g.pretraining.schedule = PipelineSchedule::zb_h1;
  const MemoryEstimate gz = estimate_memory(g.pretraining, *g.model, g.cluster);
  ASSERT_EQ(gz.stage, 1);
  EXPECT_DOUBLE_EQ(gz.in_flight, 2);
  EXPECT_NEAR(gz.activations / (g1.activations / 2), 1 + 32.0 / 34.0, 1e-9);
}

TEST(PretrainingMemory, Fp8KeepsTheLinearInputsItQuantized) {
  // Llama 3 405B, TP 8 + SP, per token in units of h bytes. BF16: 8/8 + 23.75/8 = 3.96875. FP8 (Transformer Engine
  // saves the quantized QKV, FFN-up and FFN-down inputs, 1 byte an element): replicated 4 (norm inputs) + 1 + 1 = 6,
  // split 2.25 (Q, K, V) + 2 (attention output) + (4 + 1) x 53248 / 16384 = 20.5: 6/8 + 20.5/8 = 3.3125.
  app::Scenario s = scenario("llama3-405b-pretrain-h100-8k");
  const MemoryEstimate bf16 = estimate_memory(s.pretraining, *s.model, s.cluster);
  s.pretraining.precision = hw::Precision::fp8;
  const MemoryEstimate fp8 = estimate_memory(s.pretraining, *s.model, s.cluster);
  EXPECT_NEAR(fp8.activations / bf16.activations, 3.3125 / 3.96875, 1e-12);
}

TEST(PretrainingMemory, NarrowWeightsReplaceTheSixteenBitCopy) {
  // Llama 3 405B, stage 1 (8 layers of 126, TP 8): FP8 keeps 2 quantized copies of each layer weight (row-wise and
  // column-wise, 1 byte each) beside the bf16 weights; narrow_weights drops the bf16 copy of the layers.
  app::Scenario s = scenario("llama3-405b-pretrain-h100-8k");
  s.pretraining.precision = hw::Precision::fp8;
  const ModelSpec& m = *s.model;
  const ParamCounts pc = m.param_counts();
  const double layer = (static_cast<double>(pc.total()) - static_cast<double>(pc.embedding + pc.lm_head) -
                        static_cast<double>(m.hidden)) / 126 / 8;  // one layer's parameters per GPU
  const MemoryEstimate a = estimate_memory(s.pretraining, m, s.cluster);
  ASSERT_EQ(a.stage, 1);
  EXPECT_NEAR(a.quantized_weight_copies, 8 * layer * 2, 8 * layer * 1e-9);
  EXPECT_NEAR(a.weights, 8 * layer * 2, 8 * layer * 1e-9);
  s.pretraining.narrow_weights = true;
  const MemoryEstimate b = estimate_memory(s.pretraining, m, s.cluster);
  EXPECT_NEAR(b.quantized_weight_copies, a.quantized_weight_copies, 1e-6);
  EXPECT_NEAR(b.weights, 0, 1e-6);
  // With bf16 narrow_weights changes nothing.
  s.pretraining.precision = hw::Precision::bf16;
  const MemoryEstimate c = estimate_memory(s.pretraining, m, s.cluster);
  s.pretraining.narrow_weights = false;
  EXPECT_DOUBLE_EQ(c.total(), estimate_memory(s.pretraining, m, s.cluster).total());
}

TEST(PretrainingMemory, GradientBufferHoldsTheReductionsPrecision) {
  // ZeRO-2 over dp 64: gradients per GPU params x 4 / 64 in fp32 (Llama 3's scenario), x 2 / 64 in bf16.
  app::Scenario s = scenario("llama3-405b-pretrain-h100-8k");
  ASSERT_TRUE(s.pretraining.grad_reduce_fp32);
  const MemoryEstimate fp32 = estimate_memory(s.pretraining, *s.model, s.cluster);
  s.pretraining.grad_reduce_fp32 = false;
  const MemoryEstimate bf16 = estimate_memory(s.pretraining, *s.model, s.cluster);
  EXPECT_NEAR(fp32.gradients / bf16.gradients, 2.0, 1e-12);
  EXPECT_NEAR(bf16.gradients, bf16.weights / 64, 1e-3);
}

TEST(PretrainingMemory, ExpertStatesShardOverTheExpertDataParallelGroup) {
  // Qwen3-30B-A3B on 16 H100, TP 1, EP 16, DP 16, ZeRO-1: the dense parameters' optimizer states shard over dp 16,
  // the routed experts' over dp x tp / ep = 1, i.e. not at all: optimizer = 12 (dense / 16 + experts / 16 x 1),
  // experts per GPU = routed / ep.
  app::Scenario s = scenario("val-training-mbridge-h100",
                             {"model=qwen3-30b-a3b", "hardware.count=2", "workload.parallelism.tp=1",
                              "workload.parallelism.pp=1", "workload.parallelism.cp=1", "workload.parallelism.dp=16",
                              "workload.parallelism.ep=16", "workload.seq_len=4096", "workload.global_batch=1024",
                              "workload.schedule=1f1b", "workload.interleave=1", "workload.pipeline_ends_fewer_layers=0",
                              "workload.precision=bf16"});
  const ParamCounts pc = s.model->param_counts();
  const double experts = static_cast<double>(pc.routed_experts) / 16;
  const double dense = static_cast<double>(pc.total() - pc.routed_experts - s.model->hidden);
  const MemoryEstimate e = estimate_memory(s.pretraining, *s.model, s.cluster);
  EXPECT_NEAR(e.optimizer, 12 * (dense / 16 + experts), 12 * 1e-3 * (dense + experts));
  EXPECT_NEAR(e.weights, 2 * (dense + experts), 2 * 1e-3 * (dense + experts));
}

// The activation walk covers 3 x pp micro-batches (the steady phase repeats every pp x interleave pairs): at 12,
// 36 and 400 micro-batches each stage's peak and chunks in flight are the same, under 1F1B, interleaving and ZB-H1,
// and under 1F1B and interleaving the chunks in flight at 400 are those of the whole order; GPipe holds every
// forward: 4 micro-batches hold 4 times one (to rounding). With equal chunks the periodic argument for unequal
// ones is not exercised here.
TEST(PretrainingMemory, ActivationPeakDoesNotGrowWithTheMicroBatchCount) {
  const auto by_stage = [](const std::string& schedule, int interleave, int micro) {
    const app::Scenario s = scenario(
        "val-memory-megatron-ci-h100",
        {"workload.parallelism.tp=1", "workload.parallelism.pp=4", "workload.schedule=" + schedule,
         "workload.interleave=" + std::to_string(interleave), "workload.micro_batch=1",
         "workload.global_batch=" + std::to_string(2 * micro)});
    EXPECT_EQ(s.pretraining.micro_batches(), micro);
    return estimate_memory_by_stage(s.pretraining, *s.model, s.cluster);
  };
  for (const auto& [schedule, interleave] : std::vector<std::pair<std::string, int>>{
           {"1f1b", 1}, {"interleaved", 8}, {"interleaved", 2}, {"zb-h1", 1}}) {
    const std::vector<MemoryEstimate> ref = by_stage(schedule, interleave, 12);
    for (const int micro : {36, 400}) {
      const std::vector<MemoryEstimate> got = by_stage(schedule, interleave, micro);
      ASSERT_EQ(got.size(), ref.size());
      for (std::size_t st = 0; st < ref.size(); ++st) {
        EXPECT_DOUBLE_EQ(got[st].activations, ref[st].activations) << schedule << interleave << " " << micro;
        EXPECT_DOUBLE_EQ(got[st].in_flight, ref[st].in_flight) << schedule << interleave << " " << micro;
      }
    }
    if (schedule == "zb-h1") {
      // Every stage holds pp micro-batches at its peak (Qi et al.: stage s delays its W passes by s iterations).
      for (const MemoryEstimate& e : by_stage(schedule, interleave, 400)) EXPECT_DOUBLE_EQ(e.in_flight, 4);
      continue;
    }
    // Against the whole order of 400 micro-batches walked here: with equal chunks the peak is the most forwards
    // in flight (a cut-off short of the warm-up, e.g. pp micro-batches under interleave 8, would miss it).
    const PipelineSchedule kind = schedule == "1f1b" ? PipelineSchedule::one_f_one_b : PipelineSchedule::interleaved;
    const std::vector<MemoryEstimate> got = by_stage(schedule, interleave, 400);
    for (int st = 0; st < 4; ++st) {
      int alive = 0, most = 0;
      for (const PipelineTask& t : stage_order(kind, 4, interleave, 400, st)) {
        alive += t.forward ? 1 : -1;
        most = std::max(most, alive);
      }
      EXPECT_DOUBLE_EQ(got[static_cast<std::size_t>(st)].in_flight, most) << schedule << interleave << " stage " << st;
    }
  }
  const std::vector<MemoryEstimate> gpipe = by_stage("gpipe", 1, 4);
  const std::vector<MemoryEstimate> gpipe_one = by_stage("gpipe", 1, 1);
  for (std::size_t st = 0; st < gpipe.size(); ++st) {
    EXPECT_DOUBLE_EQ(gpipe[st].in_flight, 4.0);
    EXPECT_NEAR(gpipe[st].activations, 4 * gpipe_one[st].activations, 1e-6 * gpipe[st].activations);
  }
}

TEST(PretrainingMemory, InterleavedPeakCountsTheChunksInFlightOneByOne) {
  // Megatron-LM's memory test (GPT 6.7B, TP1 PP4, one layer a chunk: interleave 8). One layer keeps s b h (10 + 21)
  // bytes: replicated 4 (norms) + 2 (dropout masks) + 2 + 2 (QKV and FFN inputs), split (tp 1)
  // 2 x (4096 + 2048) / 4096 + 2 + 4 x 16384 / 4096 = 21. With 4 micro-batches (= pp) Megatron runs every forward
  // first (get_pp_rank_microbatches: all_warmup_microbatches): 32 chunks on every stage. With 8, the last stage's
  // warm-up is (p - 1 - 3) x 2 + (v - 1) x p = 28 forwards, so 29 chunks at its peak; stage 0's 3 x 2 + 28 + 1 = 35.
  const double layer = 8192.0 * 4096 * 31;
  for (const int micro : {4, 8}) {
    const app::Scenario s = scenario(
        "val-memory-megatron-ci-h100", {"workload.parallelism.tp=1", "workload.parallelism.pp=4",
                                        "workload.schedule=interleaved", "workload.interleave=8", "workload.micro_batch=1",
                                        "workload.global_batch=" + std::to_string(2 * micro)});
    const std::vector<MemoryEstimate> by = estimate_memory_by_stage(s.pretraining, *s.model, s.cluster);
    ASSERT_EQ(by.size(), 4u);
    const double last = micro == 4 ? 32 : 29, first = micro == 4 ? 32 : 35;
    EXPECT_DOUBLE_EQ(by[3].in_flight, last) << micro;
    EXPECT_NEAR(by[3].activations, last * layer, 1.0) << micro;
    EXPECT_DOUBLE_EQ(by[0].in_flight, first) << micro;
    EXPECT_NEAR(by[0].activations, first * layer, 1.0) << micro;
    EXPECT_GT(by[3].logits, 0);
    EXPECT_EQ(by[0].logits, 0);
  }
  // Llama 3's split (126 layers + the embedding and the loss over 16 x 8 one-layer chunks): stage 0's first chunk
  // holds the embedding alone, so of its 143 forwards in flight at the end of its warm-up (2 x 15 + 7 x 16 + 1) the
  // 31 on chunk 0 keep nothing: 112 layers' activations (not 143 x 7/8), reached when the 128th forward runs.
  app::Scenario l = scenario("llama3-405b-pretrain-h100-8k");
  l.pretraining.schedule = PipelineSchedule::interleaved;
  l.pretraining.interleave = 8;
  const std::vector<MemoryEstimate> ll = estimate_memory_by_stage(l.pretraining, *l.model, l.cluster);
  const double llama_layer = 8192.0 * 16384 * 3.96875;
  EXPECT_DOUBLE_EQ(ll[0].in_flight, 128);
  EXPECT_NEAR(ll[0].activations, 112 * llama_layer, 1.0);
  EXPECT_DOUBLE_EQ(ll[1].in_flight, 141);
  EXPECT_NEAR(ll[1].activations, 141 * llama_layer, 1.0);
}

TEST(PretrainingMemory, RecomputeModulesDropWhatTheyRebuild) {
  // Llama 3 405B, TP 8 + SP, bf16, per token in units of h bytes: none 8/8 + 23.75/8 = 3.96875 (flash attention:
  // core_attn changes nothing). [layernorm] drops the QKV and FFN inputs (the norms' outputs): 4/8 + 23.75/8 =
  // 3.46875. [mlp] drops the FFN's up output and down input, 6 x 53248 / 16384 = 19.5: 8/8 + 4.25/8 = 1.53125.
  app::Scenario s = scenario("llama3-405b-pretrain-h100-8k");
  const double none = estimate_memory(s.pretraining, *s.model, s.cluster).activations;
  s.pretraining.recompute = Recompute::selective;
  const auto with = [&](RecomputeModules r) {
    s.pretraining.recompute_modules = r;
    return estimate_memory(s.pretraining, *s.model, s.cluster).activations;
  };
  EXPECT_NEAR(with({true, false, false, false, false}) / none, 1.0, 1e-12);
  EXPECT_NEAR(with({false, true, false, false, false}) / none, 3.46875 / 3.96875, 1e-12);
  EXPECT_NEAR(with({false, false, true, false, false}) / none, 1.53125 / 3.96875, 1e-12);
  EXPECT_NEAR(with({false, false, false, true, true}) / none, 1.0, 1e-12);  // no MoE, no MLA: nothing to drop

  // Qwen3-30B-A3B (TP 1, every layer MoE, 8 of 128 experts of 768, h 2048): [moe_act] drops the routed experts'
  // down input, 2 x 8 x 768 / 2048 = 6 units of the layer's 8 + 2 (4096 + 1024) / 2048 + 2 x 4096 / 2048 +
  // 6 x 6144 / 2048 + 2 x 8 = 51.
  app::Scenario q = scenario("val-training-mbridge-h100",
                             {"model=qwen3-30b-a3b", "hardware.count=2", "workload.parallelism.tp=1",
                              "workload.parallelism.pp=1", "workload.parallelism.cp=1", "workload.parallelism.dp=16",
                              "workload.parallelism.ep=16", "workload.seq_len=4096", "workload.global_batch=1024",
                              "workload.schedule=1f1b", "workload.interleave=1", "workload.pipeline_ends_fewer_layers=0",
                              "workload.precision=bf16"});
  const double q_none = estimate_memory(q.pretraining, *q.model, q.cluster).activations;
  EXPECT_NEAR(q_none, 48 * 4096.0 * 2048 * 51, 1.0);
  q.pretraining.recompute = Recompute::selective;
  q.pretraining.recompute_modules = {false, false, false, true, false};
  EXPECT_NEAR(estimate_memory(q.pretraining, *q.model, q.cluster).activations, 48 * 4096.0 * 2048 * 45, 1.0);

  // DeepSeek-V3 (MLA: 128 heads of 192 query and 192 + 128 key/value widths, h 7168): [mla_up_proj] keeps the
  // latents, 2 (1536 + 512 + 64) / 7168, instead of 2 (24576 + 40960) / 7168.
  app::Scenario v = scenario("val-training-deepseek-v3-h800");
  v.pretraining.schedule = PipelineSchedule::one_f_one_b;  // stage 1: 15 forwards in flight, nothing kept for W
  v.pretraining.recompute_modules = {false, false, false, false, false};
  const double v_plain = estimate_memory_by_stage(v.pretraining, *v.model, v.cluster)[1].activations;
  v.pretraining.recompute_modules = {false, false, false, false, true};
  const MemoryEstimate v_up = estimate_memory_by_stage(v.pretraining, *v.model, v.cluster)[1];
  const double per_unit = 4096.0 * 7168;  // s b h, tp 1
  const double chunk_layers = 4;          // stage 1 holds 4 of the 62 layers (64 - 2 over 16 stages)
  EXPECT_NEAR((v_plain - v_up.activations) / (v_up.in_flight * chunk_layers * per_unit),
              2 * (24576.0 + 40960 - 1536 - 512 - 64) / 7168, 1e-9);
}

TEST(PretrainingPlan, BadPlansSayWhatToChange) {
  auto fails = [](std::vector<std::string> sets, const std::string& needle) {
    try {
      (void)scenario("llama3-405b-pretrain-h100-8k", std::move(sets));
    } catch (const std::exception& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
      return;
    }
    ADD_FAILURE() << "no error for " << needle;
  };
  fails({"workload.parallelism.dp=32"}, "8192 GPUs");
  fails({"workload.parallelism.tp=16", "workload.parallelism.dp=32"}, "NVLink domain");
  fails({"workload.pipeline_ends_fewer_layers=0"}, "do not split evenly");
  fails({"workload.global_batch=2000"}, "not a multiple of micro_batch x dp");
  fails({"workload.parallelism.ep=2"}, "dense");
  fails({"workload.precision=fp4"}, "no fp4");
  fails({"workload.schedule=interleaved", "workload.interleave=2"}, "raise tp or pp, enable recompute");
  fails({"workload.interleave=2"}, "needs schedule: interleaved");
  // zb-h1: one chunk per stage, at least pp micro-batches, pp >= 2; each error names the key, the value and the fix.
  fails({"workload.schedule=zb-h1", "workload.interleave=2"},
        "interleave = 2 but schedule: zb-h1 runs one model chunk per stage");
  fails({"workload.schedule=zb-h1", "workload.interleave=2"}, "set interleave: 1");
  fails({"workload.schedule=zb-h1", "workload.global_batch=512"},
        "schedule: zb-h1 needs at least pp = 16 micro-batches per replica but global_batch / (micro_batch x dp) = 8");
  fails({"workload.schedule=zb-h2"}, "zb-h1");  // the list of accepted schedules names it
  try {
    (void)scenario("korthikanti-22b-pretrain-a100-full", {"workload.schedule=zb-h1"});
    ADD_FAILURE() << "zb-h1 at pp 1 accepted";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("zb-h1 needs pp >= 2 but parallelism.pp = 1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("workload.schedule"), std::string::npos) << e.what();
  }
}

TEST(PretrainingRun, ZbH1BeatsOneFOneBOnTheSamePlan) {
  // Llama 3 405B on 8,192 H100, the bundled plan with schedule 1f1b and zb-h1: same memory-fit verdict, a smaller
  // bubble and a shorter step; the passes split as B + W = 1F1B's backward, so the work is the same.
  const RunResult f = run(scenario("llama3-405b-pretrain-h100-8k"));
  const RunResult z = run(scenario("llama3-405b-pretrain-h100-8k", {"workload.schedule=zb-h1"}));
  auto info = [](const RunResult& r, const std::string& key) {
    for (const auto& [k, v] : r.info)
      if (k == key) return v;
    return std::string();
  };
  EXPECT_EQ(info(f, "memory_fit").substr(0, 5), "fits:");
  EXPECT_EQ(info(z, "memory_fit").substr(0, 5), "fits:");
  EXPECT_EQ(info(z, "schedule").substr(0, 6), "zb-h1,");
  EXPECT_LT(z.metrics.at("step_time_s"), 0.9 * f.metrics.at("step_time_s"));
  EXPECT_GT(z.metrics.at("mfu"), f.metrics.at("mfu"));
  EXPECT_LT(z.metrics.at("bubble_fraction"), f.metrics.at("bubble_fraction"));
  EXPECT_LT(z.metrics.at("bubble_fraction_analytic"), f.metrics.at("bubble_fraction_analytic"));
  EXPECT_GE(z.metrics.at("memory_gib"), f.metrics.at("memory_gib"));  // stage 1 holds one deferred W's inputs
  EXPECT_NEAR(z.metrics.at("hfu") / z.metrics.at("mfu"), f.metrics.at("hfu") / f.metrics.at("mfu"), 1e-12);
  EXPECT_GT(z.engine.events, f.engine.events);  // the W passes are tasks of their own
}

TEST(PretrainingRun, StepsScaleEnergyPastTheTimeHorizon) {
  // Every step is the same, so a run's energy is one step's times the steps: a million 15-second steps (174 days,
  // past the 106 days of simulated time) run and report exactly a million times one step's energy.
  const RunResult one = run(scenario("llama3-70b-pretrain-h100-hgx"));
  const RunResult many = run(scenario("llama3-70b-pretrain-h100-hgx", {"workload.steps=1000000"}));
  EXPECT_GT(many.metrics.at("step_time_s") * 1e6, 106 * 86400.0);
  EXPECT_DOUBLE_EQ(many.metrics.at("energy_j"), one.metrics.at("energy_j") * 1e6);
  EXPECT_DOUBLE_EQ(many.metrics.at("power_w.it"), one.metrics.at("power_w.it"));
  EXPECT_DOUBLE_EQ(many.metrics.at("tokens_per_joule"), one.metrics.at("tokens_per_joule"));
}

TEST(PretrainingFlops, SixNPlusAttentionByHand) {
  // gpt-22b (Megatron GPT, tied embeddings): N = 12 L h^2 + V h = 12*48*6144^2 + 51200*6144 = 22,058,434,560 (+
  // biases and norms are not FLOPs); attention (full count) 12 L S h = 12*48*2048*6144 = 7,247,757,312 per token.
  const app::Scenario s = scenario("korthikanti-22b-pretrain-a100-full");
  const double per_token = 6.0 * (12.0 * 48 * 6144 * 6144 + 51200.0 * 6144) + 12.0 * 48 * 2048 * 6144;
  EXPECT_NEAR(model_flops_per_token(*s.model, 2048, AttentionCount::full), per_token, per_token * 1e-12);
  const RunResult r = run(s);
  const double step = r.metrics.at("step_time_s");
  const double tokens = 4.0 * 2048;
  // MFU against 8 x 312 TFLOP/s; HFU adds the recomputed layers' forward, a third of the model FLOPs less the
  // logit layer's 6 V h (not recomputed): 1 + (per_token - 6 V h) / (3 per_token) = 1.3288.
  EXPECT_NEAR(r.metrics.at("mfu"), per_token * tokens / step / (8 * 312e12), 1e-9);
  const double logit = 6.0 * 51200 * 6144;
  EXPECT_NEAR(r.metrics.at("hw_tflops_per_gpu") / r.metrics.at("tflops_per_gpu"),
              1 + (per_token - logit) / (3 * per_token), 1e-9);
  // HFU is what the GPUs execute: the causal attention count (S(S+1)/2 query-key pairs: 6 L (S+1) h per token,
  // against the full count's 12 L S h) plus the recompute, over the same peak, so it is at most 1 where the
  // full-count MFU need not be.
  const double causal = per_token - 12.0 * 48 * 2048 * 6144 + 6.0 * 48 * 2049 * 6144;
  EXPECT_NEAR(r.metrics.at("hfu"), (causal + (causal - logit) / 3) * tokens / step / (8 * 312e12), 1e-9);
  EXPECT_NEAR(r.metrics.at("tflops_per_gpu"), per_token * tokens / step / 8 / 1e12, 1e-6);
  EXPECT_NEAR(r.metrics.at("tokens"), tokens, 0);
}

// Duration (us) of the trace span `name` on stage `pid` ("F0", "B0", "W0"); -1 when absent.
double span_us(const std::string& json, const std::string& name, int pid) {
  const std::string key = "\"name\":\"" + name + "\",";
  for (std::size_t at = json.find(key); at != std::string::npos; at = json.find(key, at + 1)) {
    const std::size_t end = json.find('}', at);
    const std::string rec = json.substr(at, end - at);
    if (rec.find("\"pid\":" + std::to_string(pid) + ",") == std::string::npos) continue;
    return std::stod(rec.substr(rec.find("\"dur\":") + 6));
  }
  return -1;
}

TEST(PretrainingTrace, ZbH1SplitsEachBackwardIntoBAndWSpans) {
  // The --trace timeline names ZB-H1's passes F3 / B3 / W3 (categories fwd, bwd, wgrad). B + W is 1F1B's backward
  // (the split moves work, it adds none); W is the linear layers' weight-gradient GEMMs, each the forward GEMM's
  // FLOPs, so it is shorter than the forward (which also runs attention, norms and TP collectives).
  const app::Scenario s = scenario("llama3-405b-pretrain-h100-8k");
  PretrainingWorkload w = s.pretraining;
  sim::TraceRecorder t1;
  (void)run_pretraining(w, *s.model, s.cluster, 1, &t1);
  w.schedule = PipelineSchedule::zb_h1;
  sim::TraceRecorder tz;
  (void)run_pretraining(w, *s.model, s.cluster, 1, &tz);
  const std::string a = t1.to_json(), z = tz.to_json();
  EXPECT_EQ(span_us(a, "W0", 1), -1);
  EXPECT_NE(z.find("\"cat\":\"wgrad\""), std::string::npos);
  for (const int stage : {0, 1, 15}) {
    const double f = span_us(z, "F0", stage), b = span_us(z, "B0", stage), wg = span_us(z, "W0", stage);
    ASSERT_GT(b, 0);
    ASSERT_GT(wg, 0);
    EXPECT_NEAR(b + wg, span_us(a, "B0", stage), 1e-3) << "stage " << stage;
    EXPECT_DOUBLE_EQ(f, span_us(a, "F0", stage));
    EXPECT_GT(wg, 0.5 * f);
    EXPECT_LT(wg, f);
  }
}

TEST(PretrainingRun, DeterministicAndTokensPerJouleConsistent) {
  const app::Scenario s = scenario("llama3-405b-pretrain-h100-8k", {"workload.straggler_cv=0.02"});
  const RunResult a = run(s), b = run(s);
  EXPECT_EQ(a.metrics.at("step_time_s"), b.metrics.at("step_time_s"));
  EXPECT_EQ(a.engine.fingerprint, b.engine.fingerprint);
  EXPECT_NEAR(a.metrics.at("tokens_per_joule"), a.metrics.at("tokens") / a.metrics.at("energy_j"), 1e-12);
  // Stragglers only slow a step down (512 GPUs a stage: the slowest is far above the mean).
  EXPECT_GT(a.metrics.at("step_time_s"),
            run(scenario("llama3-405b-pretrain-h100-8k", {"workload.straggler_cv=0"})).metrics.at("step_time_s"));
}

TEST(PretrainingOverlap, HiddenCommunicationSlowsComputeByTheNcclSmShare) {
  // 1.7B on 32 GPUs, one micro-batch, PyTorch DDP: the gradient all-reduce runs under the backward. NCCL holds
  // comm_sm_share of the SMs while it runs, so the step grows by share x the hidden reduction time: linear in the
  // share, nothing at share 0 or when the reduction is not overlapped.
  auto with = [](const std::string& share, bool overlap) {
    return run(scenario("narayanan-1.7b-pretrain-a100-32",
                        {"workload.micro_batch=16", "workload.comm_sm_share=" + share,
                         std::string("workload.overlap_grad_reduce=") + (overlap ? "true" : "false")}));
  };
  const RunResult r0 = with("0", true);
  const RunResult r1 = with("0.15", true);
  const RunResult r2 = with("0.3", true);
  EXPECT_EQ(r0.metrics.at("comm_contention_s"), 0.0);
  const double c1 = r1.metrics.at("comm_contention_s");
  EXPECT_GT(c1, 1e-4);
  EXPECT_NEAR(r2.metrics.at("comm_contention_s"), 2 * c1, 1e-12);
  EXPECT_NEAR(r1.metrics.at("step_time_s") - r0.metrics.at("step_time_s"), c1, 1e-9);
  // Not overlapped: all of it is exposed, none of it contends.
  const RunResult serial = with("0.3", false);
  EXPECT_EQ(serial.metrics.at("comm_contention_s"), 0.0);
  EXPECT_GT(serial.metrics.at("exposed_comm_s.dp"), r2.metrics.at("exposed_comm_s.dp"));
}

TEST(PretrainingCompute, UnfusedGradientAccumulationReadsAndWritesMainGradEveryMicroBatch) {
  // gpt-22b, TP8, 4 micro-batches: without gradient-accumulation fusion every micro-batch adds each 16-bit gradient
  // into the fp32 main_grad (read 2 + read 4 + write 4 bytes per parameter): 4 x P/8 x 10 bytes at ~0.9 of the
  // A100's 2.039 TB/s (memory curve at a layer's ~0.6 GB).
  const app::Scenario s = scenario("korthikanti-22b-pretrain-a100-full");
  const double fused = run(s).metrics.at("step_time_s");
  const double unfused =
      run(scenario("korthikanti-22b-pretrain-a100-full", {"workload.grad_accumulation_fusion=false"})).metrics.at("step_time_s");
  const double params_per_gpu = static_cast<double>(s.model->param_counts().total()) / 8;
  const double at_peak = 4 * params_per_gpu * 10 / 2.039e12;
  EXPECT_GT((unfused - fused) / at_peak, 1 / 0.91);
  EXPECT_LT((unfused - fused) / at_peak, 1 / 0.85);
}

TEST(PretrainingCompute, Fp8QuantizeKernelsMoveTheBytesTransformerEngineMovesByHand) {
  // Llama 2 7B's QKV projection on one GPU, 4096 tokens, 16 micro-batches a step: the input arrives narrow from the
  // fused LayerNorm (transpose only, 2 bytes an element), the weights are cast-transposed once a step (4 bytes,
  // spread over 16 micro-batches), the output gradient cast-transposed in the backward (4 bytes).
  Op qkv;
  qkv.kind = OpKind::qkv_proj;
  qkv.gemm = {4096, 12288, 4096, 1};
  const QuantizeBytes q = quantize_bytes(qkv, 16);
  EXPECT_DOUBLE_EQ(q.forward, 4096.0 * 4096 * 2 + 4096.0 * 12288 * 4 / 16);
  EXPECT_DOUBLE_EQ(q.backward, 4096.0 * 12288 * 4);
  // The attention output projection's input comes from the attention kernel in 16 bits: cast-transposed, 4 bytes.
  Op out = qkv;
  out.kind = OpKind::out_proj;
  out.gemm = {4096, 4096, 4096, 1};
  EXPECT_DOUBLE_EQ(quantize_bytes(out, 1).forward, 4096.0 * 4096 * 4 + 4096.0 * 4096 * 4);
  // Experts: every local expert's weights, its tokens' inputs and gradients.
  Op expert;
  expert.kind = OpKind::expert_down;
  expert.gemm = {100, 7168, 2048, 8};
  EXPECT_DOUBLE_EQ(quantize_bytes(expert, 4).backward, 100.0 * 7168 * 8 * 4);
  // The attention core and the router stay in 16 bits.
  Op core = qkv;
  core.kind = OpKind::attn_scores;
  core.attention_core = true;
  EXPECT_EQ(quantize_bytes(core, 1).forward, 0);
  Op router = qkv;
  router.kind = OpKind::router;
  EXPECT_EQ(quantize_bytes(router, 1).backward, 0);
}

TEST(PretrainingCompute, FusedAttentionRunsAtTheKernelsMeasuredRateByHand) {
  // Llama 3 8B, TP8 on one HGX H100 node, seq 2048, one micro-batch, no recompute. Per layer and GPU the attention
  // core executes F = QK^T + PV = 2 x 2 x pairs x head_dim x heads/tp FLOPs, pairs = s (s + 1) / 2 (causal):
  // 4 x 2,098,176 x 128 x 4 = 4.297e9. The fused kernel takes F / (peak f) forward and 2.5 F / (peak f) backward,
  // so halving a flat efficiency f from 0.5 to 0.25 adds 32 layers x 3.5 F x (1/0.25 - 1/0.5) / 989.4 TFLOP/s, at
  // the sustained clock (0.88 of the burst at which the kernels were measured: the H100's sustained_clock_fraction).
  app::Scenario s = scenario("llama3-70b-pretrain-h100-hgx",
                             {"model=llama3-8b", "hardware.count=1", "workload.parallelism={tp: 8, pp: 1, dp: 1}",
                              "workload.seq_len=2048", "workload.global_batch=1", "workload.schedule=1f1b",
                              "workload.interleave=1", "workload.recompute=none", "workload.zero=0",
                              "workload.straggler_cv=0"});
  const auto at = [&](double f) {
    app::Scenario t = s;
    t.cluster.gpu.training_attention_forward = {{1, f}};
    t.cluster.gpu.training_attention_backward = {{1, f}};
    return run(t).metrics.at("step_time_s");
  };
  const double pairs = 2048.0 * 2049.0 / 2;
  const double F = 4 * pairs * 128 * (32 / 8);
  const double expected = 32 * 3.5 * F * (1 / 0.25 - 1 / 0.5) / (989.4e12 * 0.88);
  EXPECT_NEAR(at(0.25) - at(0.5), expected, 1e-9 * expected + 1e-12);
  // The catalog's H100 curve is read at the sequence length: cuDNN 9.19 at 2k, 484 and 370 TFLOP/s.
  app::Scenario flat = s;
  flat.cluster.gpu.training_attention_forward = {{1, 484 / 989.4}};
  flat.cluster.gpu.training_attention_backward = {{1, 370 / 989.4}};
  EXPECT_NEAR(run(s).metrics.at("step_time_s"), run(flat).metrics.at("step_time_s"), 1e-3 * 1e-3);  // 3-digit fractions
  // An unfused kernel is not a FlashAttention kernel: the curves do not apply.
  app::Scenario unfused = s;
  unfused.pretraining.attention_kernel = AttentionKernel::unfused;
  app::Scenario unfused_flat = unfused;
  unfused_flat.cluster.gpu.training_attention_forward = {{1, 0.01}};
  unfused_flat.cluster.gpu.training_attention_backward = {{1, 0.01}};
  EXPECT_EQ(run(unfused).metrics.at("step_time_s"), run(unfused_flat).metrics.at("step_time_s"));
}

TEST(PretrainingCompute, ElementwiseKernelsMoveTheBytesMegatronsKernelsMoveByHand) {
  // Llama 3 8B (h 4096, f 14336, 32 query and 8 KV heads of 128), 2,048 tokens on a GPU of a TP8 group.
  // SwiGLU: the up-projection's shard is 2048 x 14336/8 activations (the op list counts them at 2 bytes); the kernel
  // reads the 2f gate and up outputs and writes f: 2048 x 1792 x (2 x 2 + 2) = 22,020,096 bytes; in FP8 it writes
  // the down-projection's input narrow: x (2 x 2 + 1) = 18,350,080. A plain GeLU reads and writes f: x (2 + 2).
  Op up;
  up.kind = OpKind::ffn_up;
  up.act_write_bytes = 2048.0 * 1792 * 2;
  EXPECT_DOUBLE_EQ(activation_kernel_bytes(up, true, 2, 2), 22'020'096.0);
  EXPECT_DOUBLE_EQ(activation_kernel_bytes(up, true, 2, 1), 18'350'080.0);
  EXPECT_DOUBLE_EQ(activation_kernel_bytes(up, false, 2, 2), 2048.0 * 1792 * 4);
  up.kind = OpKind::ffn_down;  // not an up-projection
  EXPECT_EQ(activation_kernel_bytes(up, true, 2, 2), 0.0);
  // RoPE rotates every head dimension of the 32 query and 8 key heads, split over 8 GPUs (4 and 1 each), read and
  // written in bf16: 2 x 2 x 2048 x 5 x 128 = 5,242,880 bytes.
  const ModelSpec llama = app::load_model(catalog(), "llama3-8b");
  EXPECT_DOUBLE_EQ(rope_kernel_bytes(llama, 2048, 8), 5'242'880.0);
  // DeepSeek-V3's MLA rotates only its decoupled rope dimensions: 128/8 query heads x 64 on each GPU and the shared
  // 64-wide key every GPU holds: 2 x 2 x 2048 x (16 x 64 + 64) = 8,912,896 bytes.
  const ModelSpec dsv3 = app::load_model(catalog(), "deepseek-v3");
  EXPECT_DOUBLE_EQ(rope_kernel_bytes(dsv3, 2048, 8), 8'912'896.0);
  // Fewer KV heads than GPUs (Llama 3 8B at TP16): each GPU still rotates a whole key head.
  EXPECT_DOUBLE_EQ(rope_kernel_bytes(llama, 2048, 16), 2 * 2 * 2048.0 * (2 + 1) * 128);
  // Learned positions (GPT-3): no rotary kernel.
  EXPECT_EQ(rope_kernel_bytes(app::load_model(catalog(), "gpt3-175b"), 2048, 8), 0.0);
}

TEST(PretrainingCompute, TrainingRunsAtTheSustainedClockAndMfuStaysOnThePeak) {
  // The same plan with the H100's sustained clock at 1 (the burst) and at 0.5: compute-bound kernels take twice as
  // long, memory-bound kernels and the exposed TP communication do not, so the step grows by less than 2x and, the
  // GEMMs being most of it, by more than 1.5x (the exact kernel scaling is GpuPower's hand test); MFU keeps the
  // dense peak as its denominator, so it falls in proportion to the step's time.
  app::Scenario s = scenario("llama3-70b-pretrain-h100-hgx",
                             {"model=llama3-8b", "hardware.count=1", "workload.parallelism={tp: 8, pp: 1, dp: 1}",
                              "workload.seq_len=8192", "workload.global_batch=1", "workload.schedule=1f1b",
                              "workload.interleave=1", "workload.recompute=none", "workload.zero=0",
                              "workload.straggler_cv=0"});
  app::Scenario burst = s, half = s;
  burst.cluster.gpu.sustained_clock_fraction = 1.0;
  half.cluster.gpu.sustained_clock_fraction = 0.5;
  const auto b = run(burst), h = run(half);
  const double ratio = h.metrics.at("step_time_s") / b.metrics.at("step_time_s");
  EXPECT_GT(ratio, 1.5);
  EXPECT_LT(ratio, 2.0);
  EXPECT_NEAR(h.metrics.at("mfu") * h.metrics.at("step_time_s"), b.metrics.at("mfu") * b.metrics.at("step_time_s"),
              1e-12);
  // The catalog's H100 holds 0.88 of its burst clock under training load (H200 MSMF with all 8 GPUs busy, 698.6 /
  // the catalog's 794.5 burst plateau).
  EXPECT_DOUBLE_EQ(s.cluster.gpu.sustained_clock_fraction, 0.88);
}

TEST(PretrainingStragglers, TheStepWaitsForTheSlowestOfEveryGpuAndThatGrowsWithTheirNumber) {
  // By default each GPU's speed spreads as its model's sustained clocks do between chips (H100: 1.6%, from H200's
  // 4.5% range over 8 busy GPUs / 2.847, the expected range of 8 normal draws). A stage runs at its slowest GPU:
  // with 512 GPUs per stage (Llama 3 405B on 8,192 H100, TP8 x DP64, 16 stages) each stage's slowest is 3.04 sigma
  // above the mean on average and the slowest stage's (which paces 1F1B's steady state) 3.8 sigma (the largest of
  // 8,192 draws), so compute stretches by 1 + 0.016 x 3.0-3.8; communication does not stretch, so the step by less,
  // and by more than 1 + 0.016 x 2. On one node's 8 GPUs: up to about 1 + 0.016 x 1.42 = 1.023.
  const app::Scenario big = scenario("llama3-405b-pretrain-h100-8k");
  EXPECT_DOUBLE_EQ(big.pretraining.straggler_cv, 0.016);
  EXPECT_DOUBLE_EQ(scenario("llama3-405b-pretrain-h100-8k", {"workload.straggler_cv=0"}).pretraining.straggler_cv, 0.0);
  const double at_scale = run(big).metrics.at("step_time_s") /
                          run(scenario("llama3-405b-pretrain-h100-8k", {"workload.straggler_cv=0"})).metrics.at("step_time_s");
  EXPECT_GT(at_scale, 1 + 0.016 * 2.0);
  EXPECT_LT(at_scale, 1 + 0.016 * 3.8);
  const std::vector<std::string> node = {"model=llama3-8b", "hardware.count=1", "workload.parallelism={tp: 8, pp: 1, dp: 1}",
                                         "workload.seq_len=8192", "workload.global_batch=1", "workload.schedule=1f1b",
                                         "workload.interleave=1", "workload.recompute=none", "workload.zero=0"};
  std::vector<std::string> off = node;
  off.push_back("workload.straggler_cv=0");
  const double one_node = run(scenario("llama3-70b-pretrain-h100-hgx", node)).metrics.at("step_time_s") /
                          run(scenario("llama3-70b-pretrain-h100-hgx", off)).metrics.at("step_time_s");
  EXPECT_GT(one_node, 1.0);
  EXPECT_LT(one_node, 1 + 0.016 * 1.42 * 1.5);  // a draw of 8 can exceed its mean; not by half again
  EXPECT_LT(one_node, at_scale);
  // Where no spread is measured (A100) there are no stragglers unless the scenario sets them.
  EXPECT_EQ(scenario("korthikanti-22b-pretrain-a100-full").pretraining.straggler_cv, 0.0);
}

// --- validation (docs/validation.md, "Pretraining") ------------------------------------------------------------
struct Row {
  const char* scenario;
  const char* metric;
  double published;
  double tolerance;  // relative; 0.10 for rows that meet the goal, the current band (a regression guard) otherwise
};

TEST(PretrainingValidation, EveryRowWithinItsTolerance) {
  const Row rows[] = {
      {"llama3-405b-pretrain-h100-8k", "mfu", 0.43, 0.15},  // known miss: -10.1% (1F1B; docs/validation.md)
      // Known miss (docs/validation.md: unfused attention and GEMM rates of Megatron-LM 2021 at h = 2304), held at its
      // current error as a regression guard.
      {"narayanan-1.7b-pretrain-a100-32", "hw_tflops_per_gpu", 137, 0.21},     // known miss: +19.9%
      {"narayanan-145b-pretrain-a100-1536", "hw_tflops_per_gpu", 148, 0.10},
      {"korthikanti-22b-pretrain-a100-full", "step_time_s", 1.42, 0.10},
      {"korthikanti-22b-pretrain-a100-sp-selective", "step_time_s", 1.10, 0.10},
      {"korthikanti-530b-pretrain-a100-full", "step_time_s", 49.05, 0.10},
      {"korthikanti-530b-pretrain-a100-sp-selective", "step_time_s", 37.83, 0.10},
      {"megascale-175b-pretrain-a100-256", "step_time_s", 40.0, 0.16},          // known miss: -15.3%
  };
  for (const Row& row : rows) {
    const double sim = run(scenario(row.scenario)).metrics.at(row.metric);
    EXPECT_NEAR(sim / row.published - 1, 0, row.tolerance) << row.scenario << " " << row.metric << " " << sim;
  }
}

TEST(PretrainingValidation, GenerationsOrder) {
  // Same Llama 3 70B plan on 576 GPUs: each generation is faster per step and NVL72 systems train more tokens per
  // joule than HGX H100; H100 has the highest MFU (its measured GEMM fraction 0.803 beats Blackwell's 0.729, and
  // faster compute leaves TP and pipeline communication a larger share of the step).
  const RunResult h = run(scenario("llama3-70b-pretrain-h100-hgx"));
  const RunResult g = run(scenario("llama3-70b-pretrain-gb200-nvl72"));
  const RunResult v = run(scenario("llama3-70b-pretrain-vr-nvl72"));
  EXPECT_GT(h.metrics.at("step_time_s"), g.metrics.at("step_time_s"));
  EXPECT_GT(g.metrics.at("step_time_s"), v.metrics.at("step_time_s"));
  EXPECT_GT(h.metrics.at("mfu"), g.metrics.at("mfu"));
  EXPECT_GT(h.metrics.at("mfu"), v.metrics.at("mfu"));
  EXPECT_GT(g.metrics.at("tokens_per_joule"), h.metrics.at("tokens_per_joule"));
  EXPECT_GT(v.metrics.at("tokens_per_joule"), h.metrics.at("tokens_per_joule"));
}

}  // namespace
}  // namespace dcsim::wl
