// The iteration model of one model instance (a replica on tp x pp x ep GPUs): how long one engine step takes
// for a batch of prefill chunks and decoding sequences, what it computes, and how much KV cache the instance
// holds. docs/serving.md ("Iteration model") states every term; tests/workloads/test_serving_instance.cpp checks
// them against a hand roofline.
//
// Per GPU and per layer, every op is timed by the roofline (workloads/roofline.hpp); the step is their sum plus
// collectives plus the CPU's scheduling work:
//   dense ops (projections, norms, router, shared experts, FFN) for the tokens of the GPU's attention group,
//     sharded over tp: cached per token count (exact: the integer token count is the key);
//   decode attention over the context of every decoding sequence: one kernel, FLOPs and KV bytes linear in the
//     summed context (exact for full-attention layers);
//   prefill attention of the chunks: FLOPs linear in their (query, key) pairs, KV reads in their cached tokens;
//   routed experts on the busiest expert-parallel rank (its load skewed by the model's measured expert_load_cv
//     unless the pool balances experts, hottest_rank_load), reading the weights of the experts touched there,
//     each split expert_tp ways;
//   TP all-reduce (2 per layer) and EP all-to-all (dispatch and combine per MoE layer) by hw::Collectives;
//   LM head for the rows that need logits.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "hw/collectives.hpp"
#include "hw/power.hpp"
#include "hw/spec.hpp"
#include "workloads/model.hpp"
#include "workloads/model_ops.hpp"
#include "workloads/serving/engine_memory.hpp"
#include "workloads/serving/serving_workload.hpp"
#include "workloads/serving/step_breakdown.hpp"

namespace dcsim::wl::serving {

// One attention data-parallel group's share of an iteration (ep > 1: every request lives on one group).
struct GroupShape {
  std::int64_t decode_seqs = 0;
  double decode_context = 0;
  std::int64_t prefill_tokens = 0;
  double prefill_pairs = 0;
  double prefill_cached = 0;
  int prefill_logits = 0;
};

// What one iteration runs, summed over the instance.
struct BatchShape {
  std::int64_t decode_seqs = 0;   // sequences producing tokens this step
  double decode_context = 0;      // sum of their cached tokens
  int tokens_per_decode = 1;      // 1, or 1 + draft tokens when verifying speculation
  std::int64_t prefill_tokens = 0;
  double prefill_pairs = 0;       // sum over chunks of attention_pairs(S, P)
  double prefill_cached = 0;      // sum over chunks of P (cached tokens the chunk attends to)
  int prefill_logits = 0;         // chunks that finish their prompt (one logits row each)
  // Attention data parallelism (ep > 1): the busiest group's share when the scheduler placed requests on groups
  // (per_group); otherwise the work is spread evenly over the ep groups. The groups meet at every MoE layer's
  // dispatch and combine, so the busiest one sets the attention and dense times (TensorRT-LLM blog10).
  bool per_group = false;
  GroupShape busiest;
  // Of the groups, the most tokens one holds (per_group; 0: the busiest group's): its GPUs send the most in the MoE
  // all-to-all, whichever group sets the compute.
  std::int64_t largest_group_tokens = 0;
  // CUDA-graph padding (PoolSpec::cuda_graph_batch_sizes): dummy sequences the replayed graph adds, in the instance
  // and on the busiest group. They hold no context: they add rows to the dense ops, experts, collectives and LM head,
  // not to attention.
  std::int64_t pad_seqs = 0, busiest_pad_seqs = 0;
  // Decoding rows the GPU runs (dummies included), in the instance and on the busiest group.
  std::int64_t decode_rows() const { return (decode_seqs + pad_seqs) * tokens_per_decode; }
  std::int64_t busiest_decode_rows() const { return (busiest.decode_seqs + busiest_pad_seqs) * tokens_per_decode; }
  std::int64_t tokens() const { return prefill_tokens + decode_rows(); }
};

// A group of weights: bytes per parameter, the GEMM's tensor-core precision, and whether the weights are narrower
// than the math and so dequantized on the fly (W4A16, W4A8: roofline.hpp op_time's dequantization limit).
struct WeightFormat {
  double bytes = 2;
  hw::Precision math = hw::Precision::bf16;
  bool dequantized = false;
  // Stored at `weights`, multiplied at `weights` or `compute`, whichever is wider.
  static WeightFormat of(hw::Precision weights, hw::Precision compute);
  // Weights a GEMM reading `params` of them dequantizes: all or none.
  double dequantized_weights(double params) const { return dequantized ? params : 0.0; }
};

struct IterationCost {
  double time_s = 0;        // the step: GPU and CPU combined
  double gpu_s = 0;         // kernels and collectives on the busiest GPU
  double comm_s = 0;        // of gpu_s: collectives
  double cpu_s = 0;         // scheduling work on the host
  double launch_s = 0;      // eager steps: the host's kernel launches (0 when the step replays a CUDA graph)
  bool eager = false;       // run without a CUDA graph (kernel_launches.hpp)
  double model_flops = 0;   // the instance's FLOPs (all GPUs), target model, no imbalance
  hw::GpuActivity activity; // per GPU of the instance over time_s (pipelined: of a stage's GPU while it works)
  StepBreakdown parts;      // time_s by term (step_breakdown.hpp); sums to time_s
  bool pure_decode = false; // decoding sequences only, no prefill chunk
  std::int64_t decode_seqs = 0;
};

// Routed-token assignments the busiest of R expert-parallel ranks receives, out of `assignments` (tokens x top_k)
// spread over ranks of `experts_per_rank` experts each. The rank loads have mean mu = assignments / R and variance
// mu (1 - 1/R) (uniform multinomial routing) + (s mu)^2 with s = cv / sqrt(experts_per_rank) (each expert's load
// varies with coefficient of variation `cv`, independently) or, with a load balancer (`balanced`: EPLB's
// redundant, re-placed experts), the residual s = kBalancedRankCv; the busiest is mu + sd sqrt(2 ln R) (normal
// extreme-value approximation), at most all assignments. R <= 1: all of them. docs/serving.md, "Expert load".
double hottest_rank_load(double assignments, double ranks, double experts_per_rank, double cv, bool balanced);
// What EPLB leaves: TensorRT-LLM blog4 Table 1 (DeepSeek-R1, EP32/EP36 with 288 expert slots) measured a per-rank
// std / mean of 52.0 / 1024 and 53.9 / 1024 (0.051-0.053), of which uniform routing's sampling noise is
// sqrt(1024) / 1024 = 0.031: sqrt(0.052^2 - 0.031^2) = 0.042 remains.
inline constexpr double kBalancedRankCv = 0.042;

// What MoE dispatch and combine kernels add to the all-to-all they perform (routing metadata, token permutation,
// the combine's top-k reduction): TensorRT-LLM blog18 ("Optimizing MoE Communication with One-Sided AlltoAll over
// NVLink", GB200 NVL72, EP8, DeepSeek-V3 shapes, BF16 payload) measured dispatch / combine 18.2 / 32.7, 31.7 /
// 38.1, 50.8 / 53.0 and 166.3 / 175.6 us at 32, 128, 256 and 1024 tokens per rank, where dcsim's NVLink all-to-all
// of the same bytes takes 11.1, 25.8, 45.3 and 156.6 us: the means of the differences, 7.1 us and 15.2 us.
inline constexpr double kMoeDispatchOverhead = 7.1e-6;
inline constexpr double kMoeCombineOverhead = 15.2e-6;

class InstanceModel {
 public:
  // `gpus`: the instance's global GPU indices (tp fastest, then ep groups, then pp stages); `coll` may be null
  // (single GPU, or collectives costed as free). Throws std::invalid_argument when the weights do not fit.
  InstanceModel(const ModelSpec& model, const PoolSpec& pool, const hw::ClusterSpec& cluster,
                const hw::Collectives* coll, std::vector<int> gpus, const ServingWorkload& w);

  IterationCost cost(const BatchShape& b);
  // The batch a graph step replays (PoolSpec::cuda_graph_batch_sizes): every attention group padded with dummy
  // sequences (BatchShape::pad_seqs) up to the captured size that holds `graph_units` (the largest group's
  // sequences, or tokens with cuda_graphs: all); `b` itself when nothing is padded.
  BatchShape padded_to_graph(const BatchShape& b, std::int64_t graph_units) const;
  // Seconds of the work that differs between attention groups (dense ops, attention, LM head) for `b`'s busiest
  // group (per_group): what the scheduler compares to find the group that sets the step.
  double group_time(const BatchShape& b);

  const std::vector<int>& gpus() const { return gpus_; }
  // The dense ops and LM head cost the same on every instance of a pool (they depend on the model, the pool's
  // layout and the GPU, not on which GPUs): this instance reads and fills `same_pool`'s table instead of its own,
  // so a fleet of identical instances computes each token count once and keeps one table in cache, not one each.
  void share_dense_costs(const InstanceModel& same_pool) { dense_costs_ = same_pool.dense_costs_; }
  double weight_bytes_per_gpu() const { return weight_bytes_per_gpu_; }
  // KV bytes one token occupies over the whole instance (all layers, all replicas of a sharded head).
  double kv_bytes_per_token() const { return kv_bytes_per_token_; }
  std::int64_t kv_capacity_tokens() const { return kv_capacity_tokens_; }
  // How one GPU's memory is divided (engine_memory.hpp).
  const GpuMemoryPlan& memory() const { return memory_; }
  double peak_flops() const;  // the instance's dense peak at its precision (all GPUs)
  int step_kernels() const { return step_kernels_; }  // kernels an eager step launches
  const hw::ClusterSpec& cluster() const { return cluster_; }

 private:
  struct LayerKind {
    std::int64_t index = 0;  // a representative layer
    double count = 0;        // layers of this kind in the model: a micro-batch crosses every stage (pipeline_stages.hpp)
    bool moe = false;
    bool sliding = false;
  };
  struct Coeffs {  // attention core per layer per sequence, unsharded
    double decode_flops_per_ctx = 0, decode_kv_per_ctx = 0, decode_act = 0;
    double prefill_flops_per_pair = 0, prefill_kv_per_cached = 0, prefill_act_per_token = 0;
    double prefill_extra_flops_per_cached = 0, prefill_extra_bytes_per_cached = 0;  // MLA: kv_up of the context
  };

  struct Acc {
    double time = 0;       // seconds on the busiest GPU
    double flops = 0;      // instance FLOPs
    // The busiest GPU's FLOPs as seconds of its tensor cores at full-power rate, each op at its own precision
    // (a bf16 LM head in an fp4 instance counts at bf16's rate): the compute activity's numerator.
    double tensor_s = 0;
    double gpu_bytes = 0;  // HBM bytes on the busiest GPU
    double comm = 0;
    StepBreakdown parts;   // time by term
    void add_op(StepPart part, double t, double instance_flops, double tensor_seconds, double bytes_gpu) {
      time += t;
      parts[part] += t;
      flops += instance_flops;
      tensor_s += tensor_seconds;
      gpu_bytes += bytes_gpu;
    }
  };
  struct DenseEntry {
    double time = -1, flops = 0, tensor_s = 0, gpu_bytes = 0;
    double math_time = 0;  // of time: the ops the tensor cores bound (the rest is HBM-bound)
  };

  // One attention group's attention work in a step (sequences, contexts and prefill chunks it holds).
  struct AttentionLoad {
    double decode_seqs = 0, decode_context = 0;
    double mean_context = 0;  // per decoding sequence (sliding windows cap it)
    double prefill_tokens = 0, prefill_pairs = 0, prefill_cached = 0;
    int q = 1;  // query tokens per decoding sequence
  };

  // The dense ops of one layer kind for `group_tokens` tokens, from the cache (filled by dense_miss): inline,
  // since every step of every instance asks.
  const DenseEntry& dense(std::size_t kind, std::int64_t group_tokens, bool prefill_form) {
    const auto& cache = dense_costs_->by_kind[prefill_form ? 1 : 0][kind];
    const auto i = static_cast<std::size_t>(group_tokens);
    if (i < cache.size() && cache[i].time >= 0) return cache[i];
    return dense_miss(kind, group_tokens, prefill_form);
  }
  // A load of `decode_seqs` sequences, their context and the prompt chunks, divided over `share` groups.
  static AttentionLoad attention_load(double decode_seqs, double decode_context, double prefill_tokens,
                                      double prefill_pairs, double prefill_cached, int q, double share);
  const DenseEntry& dense_miss(std::size_t kind, std::int64_t group_tokens, bool prefill_form);
  // The most tokens an attention group holds in `b` (per_group), or an even share of the ep groups (rounded up).
  std::int64_t largest_group_tokens(const BatchShape& b) const;
  void experts(Acc& a, std::int64_t tokens) const;
  // TP all-reduces and MoE dispatch/combine of one layer: `tokens` in the instance, `group_tokens` on the busiest
  // attention group.
  double comm(std::size_t kind, std::int64_t tokens, std::int64_t group_tokens);
  // The group's attention on its busiest GPU; `whole` (per-group placement) gives the instance's load for the
  // FLOP count, else the instance runs ep copies of `g`.
  void attention(Acc& a, std::size_t kind, const AttentionLoad& g, const AttentionLoad* whole) const;
  // Unsharded attention FLOPs of a load (decode, prefill).
  std::pair<double, double> attention_flops(std::size_t kind, const AttentionLoad& g) const;
  // LM head for `group_rows` rows on one attention group; the instance computes `instance_rows`' worth (< 0: ep
  // groups of group_rows).
  void head(Acc& a, std::int64_t group_rows, double instance_rows);
  // Parameters of attention's input projections, all layers (the naive MLA form: each weight once).
  double attention_input_params() const;
  // Dense ops of one layer kind for the group's tokens (MLA: prefill and decode forms).
  void add_dense(Acc& layer, std::size_t kind, const BatchShape& b);
  // The step on the busiest GPU; `group_only`: only the terms that differ between attention groups (dense ops,
  // attention, LM head), not the experts and collectives every group shares.
  Acc gpu_time(const BatchShape& b, bool group_only = false);

  const ModelSpec& model_;
  PoolSpec pool_;
  const hw::ClusterSpec& cluster_;
  const hw::Collectives* coll_;
  std::vector<int> gpus_;
  // The attention core's math (QK^T, PV) runs at the KV cache's precision, never below fp8: no serving engine has
  // fp4 attention kernels (fp4 weights with an fp8 KV run FP8 attention: TensorRT-LLM's FP8 context FMHA); a bf16
  // KV, or a GPU without fp8, runs bf16 (docs/serving.md, "Iteration model").
  hw::Precision attention_math_ = hw::Precision::bf16;
  double cpu_iteration_s_ = 0, cpu_per_sequence_s_ = 0, cpu_per_kernel_s_ = 0;
  bool cpu_overlap_ = true;
  int step_kernels_ = 0;  // kernels an eager step launches (all layers, kernel_launches.hpp)
  SpeculativeSpec spec_;
  OpBytes bytes_;
  // How each group of weights is stored and multiplied (docs/serving.md, "Precision per operation"): the body (every
  // projection and expert), attention's input projections (PoolSpec::attention_precision) and the LM head, which no
  // quantized checkpoint or engine narrows below 16 bits.
  WeightFormat body_, attention_in_, head_;
  std::vector<LayerKind> kinds_;
  std::vector<Coeffs> coeffs_;  // per kind
  double kv_shard_ = 1;         // how many ways one sequence's KV is split across a TP group
  double weight_bytes_per_gpu_ = 0;
  double kv_bytes_per_token_ = 0;
  std::int64_t kv_capacity_tokens_ = 0;
  GpuMemoryPlan memory_;
  std::vector<int> tp_group_, ep_group_;
  // Caches by token count: per GPU attention group and layer kind (dense ops; [1]: MLA's naive prefill form) and
  // the LM head by logits rows, shared by every instance of a pool (share_dense_costs); per instance and layer kind
  // (collectives, which depend on where its GPUs sit). Exact: the integer token count is the key.
  struct DenseCosts {
    std::vector<std::vector<DenseEntry>> by_kind[2];
    std::vector<DenseEntry> head;
  };
  std::shared_ptr<DenseCosts> dense_costs_ = std::make_shared<DenseCosts>();
  struct CommCache {
    std::vector<double> all_reduce;  // by the group's tokens
    std::vector<double> a2a;         // by the instance's tokens (receivers bound it)
    std::vector<double> a2a_sender;  // by the busiest group's tokens (its sends bound it)
  };
  std::vector<CommCache> comm_cache_;
};

}  // namespace dcsim::wl::serving
