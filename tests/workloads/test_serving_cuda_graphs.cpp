// CUDA graphs and eager steps in serving: the kernels an eager step launches, counted by hand for Llama-3-8B and
// DeepSeek-R1; which steps each engine mode replays as a graph; and an eager step's time, the longer of the GPU's
// work and the host's scheduling and launches (docs/serving.md, "CUDA graphs and eager steps").
#include <gtest/gtest.h>

#include <filesystem>

#include "app/catalog.hpp"
#include "app/model_catalog.hpp"
#include "tests/workloads/cluster_fixtures.hpp"
#include "tests/workloads/model_fixtures.hpp"
#include "workloads/serving/instance_model.hpp"
#include "workloads/serving/kernel_launches.hpp"
#include "workloads/serving/serving_workload.hpp"

namespace dcsim::wl::serving {
namespace {

const app::Catalog& catalog() {
  static const app::Catalog c(std::filesystem::path(DCSIM_SOURCE_DIR) / "configs");
  return c;
}

TEST(CudaGraphs, LlamaLayerLaunchesTenKernels) {
  // norm, QKV, RoPE, KV write, attention, out projection, norm, gate-up, SiLU-and-mul, down: SGLang's Llama layer.
  const ModelSpec m = app::load_model(catalog(), "llama3-8b");
  EXPECT_EQ(layer_kernel_launches(m, 0, false, false), 10);
  EXPECT_EQ(layer_kernel_launches(m, 0, true, false), 12) << "two TP all-reduces";
  EXPECT_EQ(layer_kernel_launches(m, 0, false, true), 10) << "no all-to-all without experts";
  // A learned-position GPT has no rotary kernel.
  EXPECT_EQ(layer_kernel_launches(testing::megatron_gpt(2, 256, 4, 1000), 0, false, false), 9);
}

TEST(CudaGraphs, DeepSeekLayersCountMlaAndMoeKernels) {
  const ModelSpec m = app::load_model(catalog(), "deepseek-r1");
  // Dense layer (0): norm, q_down, q norm, q_up, kv_down, kv norm, W_UK absorb, attention, W_UV absorb, out
  // projection, norm, gate-up, activation, down (14), RoPE and KV write (2).
  EXPECT_EQ(layer_kernel_launches(m, 0, false, false), 16);
  // MoE layer (3): the 10 attention-block kernels above with RoPE and KV write (12), norm, router, top-k, permute,
  // expert gate-up, activation, expert down, finalize, shared gate-up, activation, shared down (11): 23; with
  // attention data parallelism the dispatch and combine add 2, with TP the two all-reduces 2 more.
  EXPECT_EQ(layer_kernel_launches(m, 3, false, false), 23);
  EXPECT_EQ(layer_kernel_launches(m, 3, false, true), 25);
  EXPECT_EQ(layer_kernel_launches(m, 3, true, true), 27);
}

TEST(CudaGraphs, EngineModesPickTheirGraphSteps) {
  using G = PoolSpec::CudaGraphs;
  // decode_only: decode steps up to the largest captured batch; a prompt chunk or a larger batch runs eagerly.
  EXPECT_TRUE(runs_as_graph(G::decode_only, 128, 128, 128, false));
  EXPECT_FALSE(runs_as_graph(G::decode_only, 128, 129, 129, false));
  EXPECT_FALSE(runs_as_graph(G::decode_only, 128, 4, 100, true));
  // all: any step up to max_batch tokens, prompts included.
  EXPECT_TRUE(runs_as_graph(G::all, 512, 4, 512, true));
  EXPECT_FALSE(runs_as_graph(G::all, 512, 4, 513, true));
  // none: never.
  EXPECT_FALSE(runs_as_graph(G::none, 512, 1, 1, false));
}

// Flat curves and unbounded bandwidth (an op takes FLOPs / peak), a host at speed 2.
hw::ClusterSpec flat_gpu(int gpus = 1) { return testing::flat_cluster(1e15, 1e30, 100e9, gpus, 2); }

// The tiny Llama-like model: 2 layers of 10 kernels.
ModelSpec tiny_llama() { return testing::llama_like(2, 256, 4, 2, 512, 1000, 4096); }

TEST(CudaGraphs, EagerStepWaitsForTheHostsLaunches) {
  // The tiny Llama-like model: 2 layers of 10 kernels + 4 = 24 kernels, 24 x 20 us / speed 2 = 240 us of
  // launches; scheduling 100 us / 2 = 50 us.
  const ModelSpec m = tiny_llama();
  const hw::ClusterSpec c = flat_gpu();
  ServingWorkload w;
  w.cpu_iteration_s = 100e-6;
  w.cpu_per_kernel_s = 20e-6;
  PoolSpec pool;
  pool.cuda_graph_max_batch = 8;
  InstanceModel im(m, pool, c, nullptr, {0}, w);
  EXPECT_EQ(im.step_kernels(), 24);
  const double launches = 24 * 20e-6 / 2, sched = 100e-6 / 2;

  BatchShape decode;  // 8 sequences: captured, the GPU's work or the scheduling, whichever is longer
  decode.decode_seqs = 8;
  decode.decode_context = 800;
  const IterationCost graph = im.cost(decode);
  EXPECT_FALSE(graph.eager);
  EXPECT_EQ(graph.launch_s, 0);
  EXPECT_DOUBLE_EQ(graph.time_s, std::max(graph.gpu_s, sched));

  BatchShape big = decode;  // 9 sequences: above the largest graph
  big.decode_seqs = 9;
  const IterationCost eager = im.cost(big);
  EXPECT_TRUE(eager.eager);
  EXPECT_NEAR(eager.launch_s, launches, 1e-15);
  ASSERT_LT(eager.gpu_s, sched + launches) << "the host bounds this step";
  EXPECT_NEAR(eager.time_s, sched + launches, 1e-15);
  EXPECT_NEAR(eager.parts[StepPart::cpu], sched + launches - eager.gpu_s, 1e-15);

  BatchShape prompt;  // a prompt chunk makes a decode-only engine eager
  prompt.prefill_tokens = 4;
  prompt.prefill_pairs = 10;
  EXPECT_TRUE(im.cost(prompt).eager);

  // Without overlap the scheduling runs first, then the launches race the GPU.
  w.cpu_overlap = false;
  InstanceModel serial(m, pool, c, nullptr, {0}, w);
  EXPECT_NEAR(serial.cost(big).time_s, sched + std::max(serial.cost(big).gpu_s, launches), 1e-15);

  // A GPU step longer than the launches hides them: 1e5 tokens of prompt take ~0.1 s at 1 PFLOP/s.
  pool.cuda_graphs = PoolSpec::CudaGraphs::none;
  InstanceModel none(m, pool, c, nullptr, {0}, w);
  BatchShape huge;
  huge.prefill_tokens = 100000;
  huge.prefill_pairs = 1e5 * (1e5 + 1) / 2;
  const IterationCost hidden = none.cost(huge);
  EXPECT_TRUE(hidden.eager);
  EXPECT_GT(hidden.gpu_s, launches);
  EXPECT_DOUBLE_EQ(hidden.time_s, sched + hidden.gpu_s);
}

TEST(CudaGraphs, AttentionGroupsCompareTheirOwnBatchToTheGraphs) {
  // ep 2 on the tiny MoE: 10 decoding sequences split 5 / 5 are captured with graphs of 5; 6 on one group is not.
  ModelSpec m = tiny_llama();
  m.moe.experts = 8;
  m.moe.top_k = 2;
  m.moe.ffn_hidden = 512;
  const hw::ClusterSpec c = flat_gpu(2);
  ServingWorkload w;
  PoolSpec pool;
  pool.ep = 2;
  pool.cuda_graph_max_batch = 5;
  InstanceModel im(m, pool, c, nullptr, {0, 1}, w);
  BatchShape b;
  b.decode_seqs = 10;
  b.decode_context = 1000;
  EXPECT_FALSE(im.cost(b).eager) << "spread evenly: 5 a group";
  b.per_group = true;
  b.busiest = GroupShape{6, 600, 0, 0, 0, 0};
  EXPECT_TRUE(im.cost(b).eager) << "6 on the busiest group";
  // The slowest group (long contexts) holds 4 sequences; another holds 6 short ones, the most tokens: still eager.
  b.busiest = GroupShape{4, 900, 0, 0, 0, 0};
  b.largest_group_tokens = 6;
  EXPECT_TRUE(im.cost(b).eager) << "6 on the group with the most tokens";
  b.largest_group_tokens = 5;
  EXPECT_FALSE(im.cost(b).eager);
}

TEST(CudaGraphs, EagerDraftingLaunchesTheDraftKernels) {
  // Speculative decoding with 3 draft tokens of 1 layer each: an eager verify step launches the target's 24 kernels
  // and 3 x (1 x 10 + 4) = 42 more, at 20 us each and speed 2.
  const ModelSpec m = tiny_llama();
  const hw::ClusterSpec c = flat_gpu();
  ServingWorkload w;
  w.cpu_iteration_s = 0;
  w.cpu_per_kernel_s = 20e-6;
  w.speculative.draft_tokens = 3;
  w.speculative.acceptance = {1.5, 2, 2.5};
  w.speculative.draft_layers = 1;
  PoolSpec pool;
  pool.cuda_graphs = PoolSpec::CudaGraphs::none;
  InstanceModel im(m, pool, c, nullptr, {0}, w);
  BatchShape verify;
  verify.decode_seqs = 4;
  verify.decode_context = 400;
  verify.tokens_per_decode = 4;
  EXPECT_NEAR(im.cost(verify).launch_s, (24 + 3 * (10 + 4)) * 20e-6 / 2, 1e-15);
}

TEST(CudaGraphs, PaddedStepsReplayTheSmallestGraphThatHoldsThem) {
  // TensorRT-LLM v1.0's trtllm-bench sizes (perf-overview.md llm_options.yml, enable_padding): a decode batch of 213
  // replays the graph of 256, 257 the graph of 384; a listed size replays itself; past the largest, eagerly.
  const std::vector<int> sizes = {1, 2, 4, 8, 16, 32, 64, 128, 256, 384, 512, 1024};
  EXPECT_EQ(graph_size(sizes, 213), 256);
  EXPECT_EQ(graph_size(sizes, 257), 384);
  EXPECT_EQ(graph_size(sizes, 128), 128);
  EXPECT_EQ(graph_size(sizes, 3), 4);
  EXPECT_EQ(graph_size(sizes, 2000), 2000);
  EXPECT_EQ(graph_size({}, 213), 213) << "every size captured: nothing padded";

  // On the tiny Llama-like model: 5 decoding sequences of 100 cached tokens each, graphs of 1, 2, 4 and 8. The GPU
  // runs 8 rows through the dense ops and the LM head, as an unpadded step of 8 would; the 3 dummies hold no context,
  // so attention is the real 5's; the model's FLOPs, the host's per-sequence work and the reported batch stay the
  // real 5's.
  const ModelSpec m = tiny_llama();
  const hw::ClusterSpec c = flat_gpu();
  ServingWorkload w;
  w.cpu_iteration_s = 10e-6;
  w.cpu_per_sequence_s = 1e-6;
  PoolSpec plain;
  plain.cuda_graph_max_batch = 8;
  PoolSpec padded = plain;
  padded.cuda_graph_batch_sizes = {1, 2, 4, 8};
  InstanceModel unpadded_model(m, plain, c, nullptr, {0}, w), padded_model(m, padded, c, nullptr, {0}, w);
  BatchShape five;
  five.decode_seqs = 5;
  five.decode_context = 500;
  BatchShape eight = five;
  eight.decode_seqs = 8;
  const IterationCost p = padded_model.cost(five), as_eight = unpadded_model.cost(eight),
                      real = unpadded_model.cost(five);
  EXPECT_FALSE(p.eager);
  EXPECT_DOUBLE_EQ(p.parts[StepPart::weights] + p.parts[StepPart::gemm_math],
                   as_eight.parts[StepPart::weights] + as_eight.parts[StepPart::gemm_math]);
  EXPECT_DOUBLE_EQ(p.parts[StepPart::kv] + p.parts[StepPart::attention_math],
                   real.parts[StepPart::kv] + real.parts[StepPart::attention_math]);
  EXPECT_GT(p.gpu_s, real.gpu_s);
  EXPECT_DOUBLE_EQ(p.model_flops, real.model_flops);
  EXPECT_DOUBLE_EQ(p.cpu_s, real.cpu_s);
  EXPECT_EQ(p.decode_seqs, 5);
  // A batch of a captured size, and an eager step (a prompt chunk), are not padded.
  BatchShape four = five;
  four.decode_seqs = 4;
  EXPECT_DOUBLE_EQ(padded_model.cost(four).gpu_s, unpadded_model.cost(four).gpu_s);
  BatchShape chunk = five;
  chunk.prefill_tokens = 3;
  chunk.prefill_pairs = 6;
  EXPECT_DOUBLE_EQ(padded_model.cost(chunk).gpu_s, unpadded_model.cost(chunk).gpu_s);

  // Attention data parallelism (ep 2, per-group placement): the groups hold 5 and 3 sequences; both replay the graph
  // of 8, so the instance runs 16 rows (8 dummies) and the busiest group 8 (3 dummies), as TensorRT-LLM pads every
  // rank to one size.
  ModelSpec moe = m;
  moe.moe.experts = 8;
  moe.moe.top_k = 2;
  moe.moe.ffn_hidden = 512;
  PoolSpec adp = padded;
  adp.ep = 2;
  InstanceModel adp_model(moe, adp, flat_gpu(2), nullptr, {0, 1}, w);
  BatchShape groups;
  groups.decode_seqs = 8;
  groups.decode_context = 800;
  groups.per_group = true;
  groups.busiest = GroupShape{5, 500, 0, 0, 0, 0};
  groups.largest_group_tokens = 5;
  const BatchShape filled = adp_model.padded_to_graph(groups, 5);
  EXPECT_EQ(filled.pad_seqs, 8);
  EXPECT_EQ(filled.busiest_pad_seqs, 3);
  EXPECT_EQ(filled.largest_group_tokens, 8);
  EXPECT_EQ(filled.tokens(), 16);
}

}  // namespace
}  // namespace dcsim::wl::serving
