// Serving workload: iteration times against a hand roofline, KV capacity accounting, the decode set's block
// bookkeeping, request sources and traces, Little's law, every request finishing exactly once, speculative
// decoding, colocated vs disaggregated on a case with a known answer, and determinism.
#include <gtest/gtest.h>

#include "tests/support/scenario_text.hpp"

#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>

#include "app/catalog.hpp"
#include "app/scenario.hpp"
#include "hw/collectives.hpp"
#include "hw/topology.hpp"
#include "tests/workloads/cluster_fixtures.hpp"
#include "tests/workloads/model_fixtures.hpp"
#include "workloads/model_ops.hpp"
#include "workloads/serving/decode_set.hpp"
#include "workloads/serving/instance_model.hpp"
#include "workloads/serving/request_source.hpp"
#include "workloads/serving/serving_workload.hpp"
#include "workloads/serving/trace_source.hpp"

namespace dcsim::wl::serving {
namespace {

const std::filesystem::path kTraces = std::filesystem::path(DCSIM_TEST_DATA_DIR) / "traces";

// A small dense GQA model.
ModelSpec tiny_model() { return testing::llama_like(2, 256, 4, 2, 512, 1000, 4096); }

using testing::flat_cluster;

ServingWorkload no_cpu() {
  ServingWorkload w;
  w.cpu_iteration_s = 0;
  w.cpu_per_sequence_s = 0;
  w.cpu_per_kernel_s = 0;  // eager steps' launches: test_serving_cuda_graphs.cpp
  return w;
}

TEST(ServingInstance, PrefillIsComputeBoundAtHandFlops) {
  const ModelSpec m = tiny_model();
  const hw::ClusterSpec c = flat_cluster(1e15, 1e30);
  const ServingWorkload w = no_cpu();
  PoolSpec pool;
  InstanceModel im(m, pool, c, nullptr, {0}, w);
  BatchShape b;
  b.prefill_tokens = 100;
  b.prefill_pairs = 100.0 * 101 / 2;
  b.prefill_logits = 1;
  const double T = 100, h = 256, kv = 2, dh = 64, H = 4, f = 512, V = 1000;
  const double per_layer = 2 * T * h * (h + 2 * kv * dh)  // fused QKV
                           + 2 * T * h * h                // output projection
                           + 2 * T * h * 2 * f            // gate + up
                           + 2 * T * f * h                // down
                           + 2 * 2 * b.prefill_pairs * dh * H;  // QK^T and PV
  const double flops = 2 * per_layer + 2 * 1 * h * V;       // + LM head for the last token
  const IterationCost cost = im.cost(b);
  EXPECT_NEAR(cost.gpu_s, flops / 1e15, 1e-12 * flops / 1e15);
  EXPECT_NEAR(cost.model_flops, flops, 1e-9 * flops);
}

TEST(ServingInstance, DecodeReadsWeightsOnceAndKvByContext) {
  const ModelSpec m = tiny_model();
  const double bw = 1e12;
  const hw::ClusterSpec c = flat_cluster(1e30, bw);
  const ServingWorkload w = no_cpu();
  PoolSpec pool;
  InstanceModel im(m, pool, c, nullptr, {0}, w);
  BatchShape b;
  b.decode_seqs = 1;
  b.decode_context = 1000;
  const double t1000 = im.cost(b).gpu_s;
  b.decode_context = 3000;
  const double t3000 = im.cost(b).gpu_s;
  // KV bytes per token: 2 (K and V) x layers x kv_heads x head_dim x 2 bytes = 1024 B.
  EXPECT_DOUBLE_EQ(m.kv_bytes_per_token(2), 1024.0);
  EXPECT_NEAR(t3000 - t1000, 2000 * 1024.0 / bw, 1e-15);
  // At context 0 the step reads every weight once (embedding table excepted), plus a few KB of activations.
  b.decode_context = 0;
  const double h = 256, f = 512, V = 1000;
  const double weights = 2.0 * (2 * (h * (h + 2 * 2 * 64) + h * h + 3 * h * f + 2 * h) + h * V);
  const double t0 = im.cost(b).gpu_s;
  EXPECT_GT(t0, weights / bw);
  EXPECT_LT(t0, 1.02 * weights / bw);
}

TEST(ServingInstance, AttentionInputsAndTheLmHeadKeepTheirOwnWidths) {
  // An fp8 instance on flat GPUs with unbounded FLOP/s: a decode step is its bytes / bandwidth. Keeping attention's
  // input projections in bf16 (NVIDIA's NVFP4 DeepSeek-R1 does) adds one byte per QKV weight: 2 layers x
  // h (h + 2 kv_heads head_dim) = 2 x 256 x 512 = 262,144 bytes. The LM head and the embedding stay 16-bit in any
  // quantized instance: V x h x 2 bytes read a step, and one byte more per table entry in memory.
  const ModelSpec m = tiny_model();
  const double bw = 1e12, h = 256, V = 1000;
  hw::ClusterSpec c = flat_cluster(1e30, bw);
  c.gpu.flops.fp8 = 1e30;
  const ServingWorkload w = no_cpu();
  PoolSpec fp8;
  fp8.precision = fp8.compute = hw::Precision::fp8;
  fp8.kv_bytes_per_element = 1;
  PoolSpec bf16_attention = fp8;
  bf16_attention.attention_precision = hw::Precision::bf16;
  InstanceModel a(m, fp8, c, nullptr, {0}, w), b(m, bf16_attention, c, nullptr, {0}, w);
  BatchShape one;
  one.decode_seqs = 1;
  const double qkv = 2 * h * (h + 2 * 2 * 64);
  EXPECT_NEAR(b.cost(one).gpu_s - a.cost(one).gpu_s, qkv / bw, 1e-15);
  EXPECT_NEAR(b.weight_bytes_per_gpu() - a.weight_bytes_per_gpu(), qkv, 1e-6);
  // Every parameter at one byte, the two V x h tables at two.
  const ParamCounts pc = m.param_counts();
  EXPECT_DOUBLE_EQ(static_cast<double>(pc.embedding + pc.lm_head), 2 * V * h);
  EXPECT_NEAR(a.weight_bytes_per_gpu(), static_cast<double>(pc.total()) + 2 * V * h, 1e-6);
  // In the step, each vocabulary entry costs the fp8 instance its 2 h bytes of bf16 head weights, plus its fp32
  // logit written and read by the sampler: 1,000 more entries add 1,000 (2 h + 8) bytes.
  const ModelSpec wide = testing::llama_like(2, 256, 4, 2, 512, 2000, 4096);
  InstanceModel a_wide(wide, fp8, c, nullptr, {0}, w);
  EXPECT_NEAR(a_wide.cost(one).gpu_s - a.cost(one).gpu_s, 1000 * (2 * h + 8) / bw, 1e-15);
}

TEST(ServingInstance, AttentionMathRunsAtTheKvPrecisionNotFp4) {
  // The prefill of the hand-computed test above with fp4 weights and an fp8 KV cache on a GPU with bf16 1, fp8 2
  // and fp4 4 PFLOP/s: the GEMMs run at the fp4 rate, QK^T and PV at fp8's (no engine has fp4 attention), the LM
  // head at bf16's (quantized checkpoints keep it 16-bit).
  const ModelSpec m = tiny_model();
  hw::ClusterSpec c = flat_cluster(1e15, 1e30);
  c.gpu.flops.fp8 = 2e15;
  c.gpu.flops.fp4 = 4e15;
  const ServingWorkload w = no_cpu();
  PoolSpec pool;
  pool.precision = hw::Precision::fp4;
  pool.compute = hw::Precision::fp4;
  pool.kv_bytes_per_element = 1;
  InstanceModel im(m, pool, c, nullptr, {0}, w);
  BatchShape b;
  b.prefill_tokens = 100;
  b.prefill_pairs = 100.0 * 101 / 2;
  b.prefill_logits = 1;
  const double T = 100, h = 256, kv = 2, dh = 64, H = 4, f = 512, V = 1000;
  const double gemms = 2 * (2 * T * h * (h + 2 * kv * dh) + 2 * T * h * h + 2 * T * h * 2 * f + 2 * T * f * h);
  const double head = 2 * 1 * h * V;
  const double attention = 2 * 2 * 2 * b.prefill_pairs * dh * H;  // 2 layers of QK^T and PV
  const double expected = gemms / 4e15 + head / 1e15 + attention / 2e15;
  EXPECT_NEAR(im.cost(b).gpu_s, expected, 1e-12 * expected);
  // A bf16 KV runs bf16 attention.
  pool.kv_bytes_per_element = 2;
  InstanceModel wide(m, pool, c, nullptr, {0}, w);
  EXPECT_NEAR(wide.cost(b).gpu_s, gemms / 4e15 + head / 1e15 + attention / 1e15, 1e-12 * expected);
}

TEST(ServingInstance, StepBreakdownChargesEachOpToItsBound) {
  // Prefill of the hand-computed case above on a GPU with unbounded bandwidth: every FLOP is tensor-core time,
  // attention's to attention_math, the rest to gemm_math, and the terms sum to the step.
  const ModelSpec m = tiny_model();
  const ServingWorkload w = no_cpu();
  PoolSpec pool;
  const hw::ClusterSpec fast_memory = flat_cluster(1e15, 1e30);  // InstanceModel keeps a reference: a named cluster
  InstanceModel compute(m, pool, fast_memory, nullptr, {0}, w);
  BatchShape p;
  p.prefill_tokens = 100;
  p.prefill_pairs = 100.0 * 101 / 2;
  p.prefill_logits = 1;
  const IterationCost pc = compute.cost(p);
  const double dh = 64, H = 4;
  EXPECT_NEAR(pc.parts[StepPart::attention_math], 2 * 2 * 2 * p.prefill_pairs * dh * H / 1e15, 1e-21);
  EXPECT_NEAR(pc.parts.total(), pc.time_s, 1e-12 * pc.time_s);
  EXPECT_NEAR(pc.parts[StepPart::gemm_math] + pc.parts[StepPart::attention_math], pc.time_s, 1e-12 * pc.time_s);
  EXPECT_FALSE(pc.pure_decode);
  // Decode of one sequence at context 2000 on a GPU with unbounded FLOP/s: the KV term is exactly the KV bytes
  // over the bandwidth (2000 tokens x 1024 B), the weights term the rest of the HBM traffic.
  const double bw = 1e12;
  const hw::ClusterSpec fast_math = flat_cluster(1e30, bw);
  InstanceModel memory(m, pool, fast_math, nullptr, {0}, w);
  BatchShape d;
  d.decode_seqs = 1;
  d.decode_context = 2000;
  const IterationCost dc = memory.cost(d);
  EXPECT_TRUE(dc.pure_decode);
  EXPECT_EQ(dc.decode_seqs, 1);
  // KV bytes plus the query and output rows (a few hundred bytes) of each layer's attention call.
  EXPECT_NEAR(dc.parts[StepPart::kv], 2000 * 1024.0 / bw, 0.01 * 2000 * 1024.0 / bw);
  EXPECT_NEAR(dc.parts[StepPart::kv] + dc.parts[StepPart::weights], dc.time_s, 1e-12 * dc.time_s);
  // Host time that the GPU step does not hide is charged to cpu: 1 ms of scheduling against a ~1.5 us GPU step.
  ServingWorkload slow_host = no_cpu();
  slow_host.cpu_iteration_s = 1e-3;
  InstanceModel hosted(m, pool, fast_math, nullptr, {0}, slow_host);
  const IterationCost hc = hosted.cost(d);
  EXPECT_DOUBLE_EQ(hc.time_s, 1e-3);
  EXPECT_NEAR(hc.parts[StepPart::cpu], 1e-3 - dc.time_s, 1e-15);
  EXPECT_NEAR(hc.parts.total(), 1e-3, 1e-15);
}

TEST(ServingInstance, ElementwiseKernelsMoveTheirBytes) {
  // The tiny GQA model (h 256, 4 query and 2 KV heads of 64, gated f 512, V 1000), bf16, on a GPU with unbounded
  // FLOP/s and flat 1e12 B/s: the weights term grows with the decoding tokens by, per token and layer,
  //   the op list's activations: norms 2 x 1024, QKV 512 in + 1024 out + 512 cache, out projection 512 + 512,
  //   up projection 512 in + 2048 out (its whole 2f in bf16), down 1024 + 512 = 9216;
  //   the kernels it folds: SiLU-and-mul 2048 in + 1024 out, RoPE 2 x 2 x (4 + 2) x 64 = 1536, the KV write's
  //   read of the new K and V 512 = 5120;
  // and the LM head by 256 x 2 bytes in and 1000 fp32 logits out a row, which the sampling kernel reads again:
  // 8512 bytes a row. 10 more tokens: (2 x 14336 x 10 + 85120) / 1e12 s.
  const ModelSpec m = tiny_model();
  const hw::ClusterSpec c = flat_cluster(1e30, 1e12);
  InstanceModel im(m, PoolSpec{}, c, nullptr, {0}, no_cpu());
  BatchShape ten, twenty;
  ten.decode_seqs = 10;
  twenty.decode_seqs = 20;
  const double grown = im.cost(twenty).parts[StepPart::weights] - im.cost(ten).parts[StepPart::weights];
  EXPECT_NEAR(grown, (2 * 14336.0 * 10 + 85120) / 1e12, 1e-9 * grown);
}

TEST(ServingInstance, HottestExpertRankFollowsTheMeasuredSkew) {
  // TensorRT-LLM blog4 Table 1 (DeepSeek-R1, EP32, no EPLB): 1024 routed tokens per rank on average, per-expert
  // std / mean 164.1 / 128 = 1.28. Rank sd = sqrt(1024 x 31/32 + (1.28 x 1024)^2 / 8) = 465.1; hottest = 1024 +
  // 465.1 x sqrt(2 ln 32) = 2248 (max / mean 2.20; the blog measured 2.56 as the mean over layers and iterations).
  const double A = 1024.0 * 32, cv = 164.1 / 128;
  const double sd = std::sqrt(1024 * 31.0 / 32 + cv * cv * 1024 * 1024 / 8);
  const double hottest = 1024 + sd * std::sqrt(2 * std::log(32.0));
  EXPECT_NEAR(hottest_rank_load(A, 32, 8, cv, false), hottest, 1e-9);
  EXPECT_NEAR(hottest / 1024, 2.196, 0.001);
  // cv 0: only the multinomial noise, 1024 + sqrt(992) x 2.633 = 1106.9.
  EXPECT_NEAR(hottest_rank_load(A, 32, 8, 0, false) / 1024,
              1 + std::sqrt(992.0) * std::sqrt(2 * std::log(32.0)) / 1024, 1e-12);
  // With EPLB the residual rank cv 0.042 joins it: sd = sqrt(992 + (0.042 x 1024)^2) = 53.5, hottest 1.138 x the
  // mean (the blog's EPLB runs: 1.109 and 1.115, averaged over layers and iterations).
  EXPECT_NEAR(hottest_rank_load(A, 32, 8, cv, true) / 1024,
              1 + std::sqrt(992.0 + 0.042 * 0.042 * 1024 * 1024) * std::sqrt(2 * std::log(32.0)) / 1024, 1e-12);
  EXPECT_NEAR(hottest_rank_load(A, 32, 8, cv, true) / 1024, 1.138, 0.001);
  // One rank holds everything; never more than all the assignments.
  EXPECT_DOUBLE_EQ(hottest_rank_load(A, 1, 256, cv, false), A);
  EXPECT_DOUBLE_EQ(hottest_rank_load(8, 8, 1, 5, false), 8);
}

TEST(ServingInstance, ExpertsSplitInsideTheTensorGroupOrSpreadOverRanks) {
  // A 4-expert top-1 model on 2 GPUs, memory-only roofline: experts split 2 ways (expert_tp = tp = 2, one rank)
  // read half of every touched expert on each GPU for every token; as 2 expert-parallel ranks (expert_tp = 1)
  // each GPU reads its own touched experts whole, and the busiest rank gets the skewed share of the tokens.
  ModelSpec m = tiny_model();
  m.moe.experts = 4;
  m.moe.top_k = 1;
  m.moe.ffn_hidden = 512;
  m.moe.expert_load_cv = 1.0;
  hw::ClusterSpec c = flat_cluster(1e30, 1e12);
  c.gpus_per_system = 2;
  const ServingWorkload w = no_cpu();
  PoolSpec split;
  split.tp = 2;
  split.expert_tp = 2;
  PoolSpec ranks = split;
  ranks.expert_tp = 1;
  BatchShape b;
  b.decode_seqs = 64;
  InstanceModel im_split(m, split, c, nullptr, {0, 1}, w);
  InstanceModel im_ranks(m, ranks, c, nullptr, {0, 1}, w);
  // 64 tokens touch all 4 experts (1 - (3/4)^64 = 1 - 1e-8): weights per GPU are two experts' worth either way;
  // the activations differ by the skew.
  const double t_split = im_split.cost(b).parts[StepPart::moe];
  const double t_ranks = im_ranks.cost(b).parts[StepPart::moe];
  const double h = 256, f = 512, layers = 2;
  const double weights = 4.0 / 2 * 3 * h * f * 2;  // two experts' gate, up and down, bf16, per GPU
  // Split: 64 tokens on each GPU, activations h + up_n / 2 in, f / 2 + h out (bf16).
  // Between the GEMMs the activation kernel reads the up-projection's 2f / 2 outputs and writes f / 2 (bf16).
  const double split_bytes = weights + 64 * (h + 2 * f / 2) * 2 + 64 * (2 * f / 2 + f / 2) * 2 + 64 * (f / 2 + h) * 2;
  EXPECT_NEAR(t_split, layers * split_bytes / 1e12, 1e-6 * t_split);
  const double load = hottest_rank_load(64, 2, 2, 1.0, false);
  const double ranks_bytes = weights + load * (h + 2 * f) * 2 + load * (2 * f + f) * 2 + load * (f + h) * 2;
  EXPECT_NEAR(t_ranks, layers * ranks_bytes / 1e12, 1e-6 * t_ranks);
  EXPECT_GT(t_ranks, t_split);
}

TEST(ServingInstance, KvCapacityIsWhatTheEngineLeavesOverBytesPerToken) {
  const ModelSpec m = tiny_model();
  const hw::ClusterSpec c = flat_cluster(1e15, 1e12, 100e6);
  const ServingWorkload w = no_cpu();
  PoolSpec pool;
  pool.max_batch = 8;
  pool.token_budget = 64;
  hw::ClusterSpec big = flat_cluster(1e15, 1e12, 1e9);
  InstanceModel im(m, pool, big, nullptr, {0}, w);
  const double weights = 2.0 * static_cast<double>(m.total_params());
  EXPECT_DOUBLE_EQ(im.weight_bytes_per_gpu(), weights);
  // vLLM's policy at 0.9: 90 MB less the weights, the activation peak (8 x 1000 logits x 12 B + 64 tokens x 52 kB)
  // and the single-GPU runtime's 0.25 GiB... which does not fit 100 MB: the error says what to change.
  EXPECT_THROW(InstanceModel(m, pool, c, nullptr, {0}, w), std::invalid_argument) << "runtime > HBM";
  const InstanceModel& fits = im;
  const double act = 8 * 1000 * 12.0 + 64 * 52e3, runtime = 0.25 * (1ull << 30);
  const double kv = 0.9 * 1e9 - weights - act - runtime;
  EXPECT_DOUBLE_EQ(fits.memory().activations, act);
  EXPECT_DOUBLE_EQ(fits.memory().runtime, runtime);
  EXPECT_DOUBLE_EQ(fits.memory().kv, kv);
  // Whole blocks of 16 tokens x 1024 B.
  EXPECT_EQ(fits.kv_capacity_tokens(), static_cast<std::int64_t>(std::floor(kv / (16 * 1024.0))) * 16);
  // TensorRT-LLM's policy: 0.9 of what is left after weights, activations and runtime.
  PoolSpec trt = pool;
  trt.kv_free_memory_fraction = 0.9;
  InstanceModel t(m, trt, big, nullptr, {0}, w);
  EXPECT_DOUBLE_EQ(t.memory().kv, 0.9 * (1e9 - weights - act - runtime));
  // hbm_usable, when given, is what the engine budgets.
  hw::ClusterSpec usable = big;
  usable.gpu.hbm_usable = 0.5e9;
  EXPECT_DOUBLE_EQ(InstanceModel(m, pool, usable, nullptr, {0}, w).memory().kv, 0.9 * 0.5e9 - weights - act - runtime);
  // FP4 weights take 0.5625 bytes each: the 4-bit value and 1/16 of NVFP4's one FP8 scale per 16 elements; the
  // embedding and LM head tables (V x h each) stay at 2.
  hw::ClusterSpec c4 = big;
  c4.gpu.flops.fp4 = 1e15;
  PoolSpec p4 = pool;
  p4.precision = hw::Precision::fp4;
  p4.compute = hw::Precision::fp4;
  const InstanceModel im4(m, p4, c4, nullptr, {0}, w);
  const double tables = 2 * 1000.0 * 256;
  EXPECT_DOUBLE_EQ(im4.weight_bytes_per_gpu(), 0.5625 * (static_cast<double>(m.total_params()) - tables) + 2 * tables);
}

TEST(ServingDecodeSet, BlockCountsMatchBruteForce) {
  const int bs = 16;
  RequestPool pool;
  DecodeSet set(bs);
  std::vector<ReqId> ids;
  const std::array<std::int64_t, 5> contexts{1, 15, 16, 17, 40};
  for (std::int64_t c : contexts) {
    const ReqId id = pool.alloc();
    pool[id].output = 1000;
    pool[id].generated = 1;
    set.join(id, pool[id], c);
    ids.push_back(id);
  }
  for (int step = 0; step < 50; ++step) {
    std::int64_t brute = 0;
    for (ReqId id : ids) {
      const std::int64_t ctx = set.context_of(pool[id]);
      brute += (ctx + 1 + bs - 1) / bs - (ctx + bs - 1) / bs;  // blocks after writing one more token
    }
    ASSERT_EQ(set.blocks_needed(1), brute) << "step " << step;
    std::vector<ReqId> done;
    std::vector<std::int64_t> by_class;
    EXPECT_EQ(set.advance(1, pool, done, by_class), 5);
    EXPECT_EQ(by_class, std::vector<std::int64_t>{5});  // every request is class 0
  }
  EXPECT_DOUBLE_EQ(set.total_context(), 1 + 15 + 16 + 17 + 40 + 5 * 50);
}

TEST(ServingSources, PoissonAndGammaRates) {
  ServingWorkload w;
  w.arrivals.kind = ArrivalSpec::Kind::poisson;
  w.arrivals.rate = 50;
  w.duration_s = 1000;
  RequestSource s(w, 7);
  std::int64_t n = 0;
  while (s.next()) ++n;
  EXPECT_NEAR(static_cast<double>(n), 50000, 3 * std::sqrt(50000.0));

  w.arrivals.kind = ArrivalSpec::Kind::gamma;
  w.arrivals.cv = 3;
  RequestSource g(w, 7);
  std::vector<double> gaps;
  double last = 0;
  while (auto r = g.next()) {
    gaps.push_back(r->arrival_s - last);
    last = r->arrival_s;
  }
  const double mean = std::accumulate(gaps.begin(), gaps.end(), 0.0) / static_cast<double>(gaps.size());
  double var = 0;
  for (double x : gaps) var += (x - mean) * (x - mean);
  var /= static_cast<double>(gaps.size() - 1);
  EXPECT_NEAR(mean, 1.0 / 50, 0.05 / 50);
  EXPECT_NEAR(std::sqrt(var) / mean, 3.0, 0.3);
}

TEST(ServingSources, AzureCsvAndJsonlTraces) {
  TraceReader csv((kTraces / "azure_conv_small.csv").string());
  auto a = csv.next();
  ASSERT_TRUE(a);
  EXPECT_DOUBLE_EQ(a->arrival_s, 0);
  EXPECT_EQ(a->input, 374);
  EXPECT_EQ(a->output, 44);
  auto b = csv.next();
  EXPECT_NEAR(b->arrival_s, 50.9951690 - 46.6805900, 1e-6);
  EXPECT_EQ(b->input, 396);
  ASSERT_TRUE(csv.next());
  EXPECT_FALSE(csv.next());

  // The Azure 2024 code trace's format as a spreadsheet saves it: a byte-order mark, every field quoted, CRLF line
  // ends, and a day boundary between two requests 24.6914 ms apart.
  TraceReader excel((kTraces / "azure_code_2024_excel.csv").string());
  const auto e1 = excel.next(), e2 = excel.next();
  ASSERT_TRUE(e1 && e2);
  EXPECT_EQ(e1->input, 4808);
  EXPECT_EQ(e2->output, 8);
  EXPECT_NEAR(e2->arrival_s, 0.0246914, 1e-7);
  EXPECT_FALSE(excel.next());

  TraceReader js((kTraces / "small.jsonl").string());
  auto j = js.next();
  EXPECT_DOUBLE_EQ(j->arrival_s, 0);
  EXPECT_EQ(j->output, 10);
  EXPECT_DOUBLE_EQ(js.next()->arrival_s, 1.0);
}

TEST(ServingSources, BadTracesNameFileAndLine) {
  auto message = [](const std::string& file) {
    try {
      TraceReader r((kTraces / file).string());
      while (r.next()) {
      }
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(message("bad_field.csv").find("bad_field.csv:3: input tokens 'abc'"), std::string::npos)
      << message("bad_field.csv");
  EXPECT_NE(message("backwards.csv").find("backwards.csv:3: arrival time goes backwards"), std::string::npos);
  EXPECT_NE(message("missing.csv").find("cannot open"), std::string::npos);
  // Token counts are whole numbers from 1 to 1e9 (a fraction was rounded, 1e30 overflowed the integer); a JSONL
  // line is one complete JSON object without repeated keys (the hand-written reader guessed at both).
  EXPECT_NE(message("fractional.jsonl").find("fractional.jsonl:2: \"input_tokens\" '100.5' is not a whole number"),
            std::string::npos)
      << message("fractional.jsonl");
  EXPECT_NE(message("huge.csv").find("huge.csv:3: input tokens '1e30' is out of range"), std::string::npos)
      << message("huge.csv");
  EXPECT_NE(message("duplicate_key.jsonl").find("duplicate_key.jsonl:1: duplicate key \"input_tokens\""),
            std::string::npos)
      << message("duplicate_key.jsonl");
  EXPECT_NE(message("truncated.jsonl").find("truncated.jsonl:2: not a JSON object"), std::string::npos)
      << message("truncated.jsonl");
}

// --- whole runs on the catalog ----------------------------------------------------------------------------

app::Scenario scenario(const std::string& yaml) {
  return dcsim::testing::scenario_from_text(yaml, {}, "dcsim_serving_test");
}

RunResult run(const app::Scenario& s) {
  return run_serving(s.serving, *s.model, s.cluster, s.network == app::NetworkModelKind::flow, nullptr, s.seed);
}

const char* kSmall = R"(name: t
hardware: {system: h100-hgx, count: 1}
model: llama3-8b
workload:
  kind: serving
  arrivals: {process: poisson, rate: 20}
  input: {dist: lognormal, median: 400, sigma: 0.8, max: 4096}
  output: {dist: uniform, low: 20, high: 200}
  instance: {count: 2, tp: 1, max_batch: 64, token_budget: 2048}
  duration: 60 s
)";

TEST(ServingRun, LittlesLawHoldsOverTheRun) {
  const RunResult r = run(scenario(kSmall));
  const Metrics& m = r.metrics;
  // The run starts and ends empty, so the time-average in the system is exactly sum(e2e) / run time.
  const double requests = m.at("requests");
  EXPECT_NEAR(m.at("requests_in_system_mean"), requests * m.at("e2e_s.mean") / m.at("run_s"),
              1e-9 * m.at("requests_in_system_mean"));
  EXPECT_GT(requests, 1000);
  // The decode-step breakdown: its terms sum to the mean pure decode step, and a Llama-3-8B decode at tens of
  // sequences is HBM-bound: its 16.06 GB of bf16 weights at H100's 3.35 TB/s x 0.89 plateau take 5.4 ms, above the
  // 4.1 ms host floor, which is then hidden.
  const double step = m.at("decode_step.time_s");
  double sum = 0;
  for (const char* part : {"weights", "gemm_math", "kv", "attention_math", "moe", "comm", "draft", "cpu", "kv_io"}) {
    sum += m.at(std::string("decode_step.") + part + "_s");
  }
  EXPECT_NEAR(sum, step, 1e-12);
  EXPECT_GT(m.at("decode_step.count"), 100);
  EXPECT_GT(m.at("decode_step.weights_s"), m.at("decode_step.gemm_math_s"));
  EXPECT_NEAR(m.at("decode_step.weights_s"), 16.06e9 / (3.35e12 * 0.89), 0.05 * 5.4e-3);
  EXPECT_EQ(m.at("decode_step.cpu_s"), 0.0);
}

TEST(ServingRun, EveryRequestFinishesExactlyOnceUnderPreemption) {
  // KV for ~11 sequences of 4000 tokens: heavy preemption (recompute), still every request completes once and
  // every output token is emitted once.
  std::string yaml = R"(name: t
hardware: {system: h100-hgx, count: 1, gpus: 1}
model: llama3-8b
workload:
  kind: serving
  arrivals: {process: offline, requests: 300}
  input: 2000
  output: 2000
  instance: {count: 1, tp: 1, max_batch: 64, token_budget: 4096, memory_utilization: 0.3}
)";
  const RunResult r = run(scenario(yaml));
  EXPECT_EQ(r.metrics.at("requests"), 300);
  EXPECT_EQ(r.metrics.at("tokens"), 300.0 * 2000);
  EXPECT_GT(r.metrics.at("preemptions"), 0);
  // The same with swapping to host memory.
  yaml.replace(yaml.find("  instance"), 0, "  preemption: swap\n");
  const RunResult s = run(scenario(yaml));
  EXPECT_EQ(s.metrics.at("requests"), 300);
  EXPECT_EQ(s.metrics.at("tokens"), 300.0 * 2000);
}

TEST(ServingRun, GuaranteedNoEvictHoldsWholeLengthsAndNeverPreempts) {
  // TensorRT-LLM's GUARANTEED_NO_EVICT: a request is admitted only when the blocks of its prompt and whole output
  // fit beside those every admitted request holds. 40 identical requests of 1000 + 100 tokens (69 blocks of 16)
  // then run in waves of M = floor(capacity blocks / 69), each wave one prefill iteration and 99 decode ones.
  std::string yaml = R"(name: t
hardware: {system: h100-hgx, count: 1, gpus: 1}
model: llama3-8b
workload:
  kind: serving
  kv_admission: guaranteed-no-evict
  arrivals: {process: offline, requests: 40}
  input: 1000
  output: 100
  instance: {count: 1, tp: 1, max_batch: 64, token_budget: 16384, memory_utilization: 0.221}
)";
  const RunResult g = run(scenario(yaml));
  const auto blocks = static_cast<std::int64_t>(g.metrics.at("kv_capacity_tokens")) / 16;
  const std::int64_t wave = blocks / 69;
  ASSERT_GT(wave, 1);
  ASSERT_LT(wave, 40);  // the KV, not max_batch, limits the wave
  EXPECT_EQ(g.metrics.at("preemptions"), 0);
  EXPECT_EQ(g.metrics.at("requests"), 40);
  // The first request reaches the idle instance alone and starts one iteration ahead of the other M - 1 of its
  // wave; from then on one slot runs a step ahead of the rest, so the run ends one iteration after the last full
  // wave unless that wave is the early slot alone (hand-traced for M = 10: 1-100, 2-101, 101-200, 102-201, ...).
  const std::int64_t waves = (40 + wave - 1) / wave;
  EXPECT_EQ(g.metrics.at("iterations"), static_cast<double>(waves * 100 + (40 % wave == 1 ? 0 : 1)));
  // On demand the same KV admits on prompt blocks alone (63 each) and preempts when decode outgrows it.
  yaml.replace(yaml.find("guaranteed-no-evict"), std::string("guaranteed-no-evict").size(), "on-demand");
  const RunResult d = run(scenario(yaml));
  EXPECT_GT(d.metrics.at("preemptions"), 0);
  EXPECT_EQ(d.metrics.at("tokens"), 40.0 * 100);
}

TEST(ServingRun, SpeculativeDecodingEmitsTheAcceptedLength) {
  std::string yaml = R"(name: t
hardware: {system: h100-hgx, count: 1, gpus: 1}
model: llama3-8b
workload:
  kind: serving
  arrivals: {process: offline, requests: 1}
  input: 100
  output: 101
  instance: {count: 1}
)";
  const RunResult plain = run(scenario(yaml));
  EXPECT_EQ(plain.metrics.at("iterations"), 1 + 100);  // one prefill, then one token per step
  yaml += "  speculative: {draft_tokens: 3, acceptance: [1.8, 2.3, 2.5]}\n";
  const RunResult spec = run(scenario(yaml));
  EXPECT_EQ(spec.metrics.at("iterations"), 1 + 40);  // 100 tokens at 2.5 per verification step
  EXPECT_EQ(spec.metrics.at("tokens"), 101);
  EXPECT_LT(spec.metrics.at("e2e_s.mean"), plain.metrics.at("e2e_s.mean"));
}

TEST(ServingRun, DisaggregationAddsExactlyTheExposedKvTransfer) {
  // One request, no contention: TTFT is the same prefill step; the decode starts when the last layer group's
  // KV has landed, one point-to-point transfer after the prefill ends.
  const char* colo = R"(name: t
hardware: {system: h100-hgx, count: 1}
model: llama3-70b
workload:
  kind: serving
  arrivals: {process: offline, requests: 1}
  input: 1000
  output: 50
  instance: {count: 1, tp: 4}
)";
  const char* disagg = R"(name: t
hardware: {system: h100-hgx, count: 1}
model: llama3-70b
workload:
  kind: serving
  mode: disaggregated
  arrivals: {process: offline, requests: 1}
  input: 1000
  output: 50
  prefill: {count: 1, tp: 4}
  decode: {count: 1, tp: 4}
  kv_transfer_groups: 4
)";
  const app::Scenario sc = scenario(colo), sd = scenario(disagg);
  const RunResult c = run(sc), d = run(sd);
  EXPECT_NEAR(d.metrics.at("ttft_s.mean"), c.metrics.at("ttft_s.mean"), 1e-9);
  const hw::Topology topo = hw::build_topology(sd.cluster);
  const hw::Collectives coll(topo, sd.cluster);
  const double bytes = 1000 * sd.model->kv_bytes_per_token(2) / 4 / 4;  // per layer group, per GPU pair
  const std::array<int, 2> pair{0, 4};
  const double tau = coll.estimate(hw::CollectiveOp::send_recv, pair, bytes).time;
  EXPECT_NEAR(d.metrics.at("e2e_s.mean") - c.metrics.at("e2e_s.mean"), tau, 2e-9);
  EXPECT_DOUBLE_EQ(d.metrics.at("kv_transfer_bytes"), 1000 * sd.model->kv_bytes_per_token(2));
}

TEST(ServingRun, DisaggregatedRunSaysWhichPoolSaturates) {
  // 400 requests of 2000 + 500 tokens at t = 0 on Llama-3-8B: two prefill instances against one decode instance
  // whose KV holds few of them (memory_utilization 0.25) hold the prefills back: decode saturates. Poisson 40
  // requests/s of 2000-token prompts against one prefill instance (~18 prefills/s on an H100) and eight decode
  // instances: the prefill pool steps all the time: prefill saturates.
  const std::string base = R"(name: t
hardware: {system: h100-hgx, count: 2}
model: llama3-8b
workload:
  kind: serving
  mode: disaggregated
  arrivals: {process: offline, requests: 400}
  input: 2000
  output: 500
)";
  const auto info_of = [](const RunResult& r, const std::string& key) {
    for (const auto& [k, v] : r.info) {
      if (k == key) return v;
    }
    return std::string("(none)");
  };
  const RunResult d = run(scenario(base + "  prefill: {count: 2, tp: 1}\n  decode: {count: 1, tp: 1, memory_utilization: 0.25}\n"));
  EXPECT_GT(d.metrics.at("decode_backpressure_fraction"), 0.05);
  EXPECT_EQ(info_of(d, "saturated_pool").rfind("decode", 0), 0u) << info_of(d, "saturated_pool");
  std::string open = base;
  open.replace(open.find("{process: offline, requests: 400}"), 33, "{process: poisson, rate: 40}\n  duration: 20 s");
  const RunResult p = run(scenario(open + "  prefill: {count: 1, tp: 1}\n  decode: {count: 8, tp: 1}\n"));
  EXPECT_LT(p.metrics.at("decode_backpressure_fraction"), 0.05);
  EXPECT_GE(p.metrics.at("busy_fraction_prefill_pool"), 0.95);
  EXPECT_EQ(info_of(p, "saturated_pool").rfind("prefill", 0), 0u) << info_of(p, "saturated_pool");
}

TEST(ServingInstance, MoeAllToAllOnlyAcrossAttentionGroupsWithItsKernelOverheads) {
  // A 2-layer MoE on one HGX H100 node. Attention data-parallel over 2 groups (ep 2): each MoE layer dispatches
  // and combines, each the all-to-all plus its kernel's measured overhead (7.1 us and 15.2 us, TensorRT-LLM
  // blog18). Attention TP over both GPUs (tp 2, ep 1): every GPU holds every token, no all-to-all, only the two TP
  // all-reduces per layer.
  const app::Scenario s = scenario(R"(name: t
hardware: {system: h100-hgx, count: 1}
model: llama3-8b
workload: {kind: serving, arrivals: {process: offline, requests: 1}, input: 8, output: 2, instance: {tp: 1}}
)");
  const hw::Topology topo = hw::build_topology(s.cluster);
  const hw::Collectives coll(topo, s.cluster);
  ModelSpec m = tiny_model();
  m.moe.experts = 8;
  m.moe.top_k = 2;
  m.moe.ffn_hidden = 512;
  m.moe.expert_load_cv = 1;
  const ServingWorkload w = no_cpu();
  BatchShape b;
  b.decode_seqs = 4;
  b.decode_context = 400;
  PoolSpec dp;
  dp.ep = 2;
  InstanceModel im_dp(m, dp, s.cluster, &coll, {0, 1}, w);
  const std::array<int, 2> pair{0, 1};
  const double per_rank = 4.0 * 2 * 256 * 2 / 2;  // tokens x top_k x hidden x bf16 / expert ranks
  const double a2a = coll.estimate(hw::CollectiveOp::all_to_all, pair, per_rank).time;
  EXPECT_NEAR(im_dp.cost(b).comm_s, 2 * (2 * a2a + 7.1e-6 + 15.2e-6), 1e-12);
  // One expert rank across both attention groups (expert_tp 2): every GPU needs every token, an all-gather of the
  // 4 tokens before the experts and a reduce-scatter after.
  PoolSpec one_rank = dp;
  one_rank.expert_tp = 2;
  InstanceModel im_one(m, one_rank, s.cluster, &coll, {0, 1}, w);
  const double all = 4.0 * 256 * 2;
  EXPECT_NEAR(im_one.cost(b).comm_s,
              2 * (coll.estimate(hw::CollectiveOp::all_gather, pair, all).time +
                   coll.estimate(hw::CollectiveOp::reduce_scatter, pair, all).time),
              1e-12);
  PoolSpec tp;
  tp.tp = 2;
  tp.expert_tp = 1;  // experts spread over the two GPUs, attention TP over both
  InstanceModel im_tp(m, tp, s.cluster, &coll, {0, 1}, w);
  const double ar = coll.estimate(hw::CollectiveOp::all_reduce, pair, 4.0 * 256 * 2).time;
  EXPECT_NEAR(im_tp.cost(b).comm_s, 2 * 2 * ar, 1e-12);
}

TEST(ServingRun, SameSeedSameResultOtherSeedOtherResult) {
  const app::Scenario s = scenario(kSmall);
  const RunResult a = run(s), b = run(s);
  EXPECT_EQ(a.engine.fingerprint, b.engine.fingerprint);
  ASSERT_EQ(a.metrics.entries().size(), b.metrics.entries().size());
  for (std::size_t i = 0; i < a.metrics.entries().size(); ++i) {
    EXPECT_EQ(a.metrics.entries()[i].value, b.metrics.entries()[i].value) << a.metrics.entries()[i].key;
  }
  app::Scenario other = s;
  other.seed = 2;
  EXPECT_NE(run(other).engine.fingerprint, a.engine.fingerprint);
}

TEST(ServingRun, ClosedLoopAndTraceSources) {
  const RunResult closed = run(scenario(R"(name: t
hardware: {system: h100-hgx, count: 1, gpus: 1}
model: llama3-8b
workload:
  kind: serving
  arrivals: {process: closed-loop, users: 8, think_time: 1 s}
  input: 200
  output: 50
  instance: {count: 1}
  duration: 30 s
)"));
  EXPECT_GT(closed.metrics.at("requests"), 8 * 10);
  const std::string trace = "name: t\nhardware: {system: h100-hgx, count: 1, gpus: 1}\nmodel: llama3-8b\n"
                            "workload:\n  kind: serving\n  arrivals: {process: trace, file: " +
                            (kTraces / "azure_conv_small.csv").string() +
                            "}\n  instance: {count: 1}\n  duration: 100 s\n";
  const RunResult t = run(scenario(trace));
  EXPECT_EQ(t.metrics.at("requests"), 3);
  // The window of an open-loop source ends at its last arrival.
  EXPECT_NEAR(t.metrics.at("window_s"), 51.2 - 46.68059, 1e-6);
}

}  // namespace
}  // namespace dcsim::wl::serving
