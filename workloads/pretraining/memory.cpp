// Per-GPU memory of a training plan: the states ZeRO shards and the activations each pipeline stage holds at its
// peak under its schedule (docs/pretraining.md, "Memory fit").
#include <algorithm>
#include <vector>

#include "workloads/pretraining/chunking.hpp"
#include "workloads/pretraining/counts.hpp"
#include "workloads/pretraining/pretraining.hpp"
#include "workloads/pretraining/state_bytes.hpp"

namespace dcsim::wl {
namespace {

using i64 = std::int64_t;
using counts::d;


// The TP-split part of a layer's kept tensors, per token in units of h bytes: Q, K, V and the attention output
// (bf16: flash attention's own saves, which the output projection shares), the FFN's up-projection output (bf16,
// 2f gated: the activation's backward reads it) and the down projection's input (f elements of `narrow` bytes);
// MoE: of its top_k experts and shared experts, plus `per_top_k` x top_k for the dispatched tokens. `rerun`: what
// selective recompute rebuilds instead of keeping (null: nothing): MLA's decompressed Q, K, V (the latents stay), a
// dense layer's MLP intermediates, the routed experts' activation output.
double split_units(const ModelSpec& m, i64 layer, double narrow, double per_top_k, const RecomputeModules* rerun) {
  const double h = d(m.hidden);
  double qkv = 2 * (d(m.q_width()) + kv_width(m)) / h;
  if (rerun != nullptr && rerun->mla_up_proj && m.attention == AttentionKind::mla) {
    const double q_in = m.mla.q_lora_rank > 0 ? d(m.mla.q_lora_rank) : d(m.q_width());
    qkv = 2 * (q_in + d(m.mla.kv_lora_rank) + d(m.mla.qk_rope_head_dim)) / h;
  }
  const double split = qkv + 2 * d(m.v_width()) / h;
  const double up_out = m.gated_ffn() ? 4 : 2;
  if (m.layer_is_moe(layer)) {
    const double routed = d(m.moe.top_k * m.moe.ffn_hidden);
    const double shared = d(m.moe.shared_experts * m.moe.shared_ffn_hidden);
    const double routed_down_in = rerun != nullptr && rerun->moe_act ? 0 : narrow;
    return split + (up_out * (routed + shared) + routed_down_in * routed + narrow * shared) / h +
           per_top_k * d(m.moe.top_k);
  }
  if (rerun != nullptr && rerun->mlp) return split;
  return split + (up_out + narrow) * d(m.ffn_hidden) / h;
}

// Activation bytes one layer keeps per micro-batch (Korthikanti et al. 2022 §4, generalised to GQA, gated and MoE
// FFNs and narrow GEMM inputs: docs/pretraining.md). Per token, in units of h bytes: replicated by TP unless SP: 4
// (two norm inputs, bf16) + 2 (dropout masks, only with dropout) + the QKV and FFN inputs (2 + 2 in bf16, 1 + 1 in
// FP8; none when selective recompute reruns the norms); split by TP: split_units; the score matrix only with an
// unfused attention kernel that is not recomputed (5 a s / h with dropout, 2 a s / h without).
double layer_activation_bytes(const PretrainingWorkload& w, const ModelSpec& m, i64 layer) {
  const double s = d(w.seq_len) / w.cp, b = d(w.micro_batch), h = d(m.hidden), t = w.tp;
  // A saved linear-layer input at the GEMM precision's width: Transformer Engine's FP8 and NVFP4 recipes keep the
  // quantized copy the GEMM read (te.Linear and te.LayerNormLinear save `inputmat` / `ln_out` after quantizing; with
  // SP the row-wise local shard, re-gathered in the backward), not the 16-bit input.
  const double narrow = element_bytes(w.precision);
  const bool selective = w.recompute == Recompute::selective;
  const RecomputeModules* rerun = selective ? &w.recompute_modules : nullptr;
  const bool norms_rerun = selective && w.recompute_modules.layernorm;
  // The two dropout masks (1 byte per element each) only with dropout: Llama-class recipes run none.
  const double repl = 4 + (w.dropout ? 2 : 0) + (norms_rerun ? 0 : 2 * narrow);
  // Unfused scores: the softmax output (2 bytes per element) and, with dropout, its mask and output (1 + 2).
  const bool with_scores = w.attention_kernel == AttentionKernel::unfused && w.recompute != Recompute::full &&
                           !(selective && w.recompute_modules.core_attn);
  const double scores = with_scores ? (w.dropout ? 5 : 2) * d(m.heads) * s / h : 0;
  return s * b * h * (repl / sequence_shards(w) + split_units(m, layer, narrow, narrow, rerun) / t + scores / t);
}

// Bytes one layer keeps per micro-batch between its B and its deferred W pass (zb-h1): every linear layer's input
// and output gradient, what its weight-gradient GEMM reads. Per token, in units of h bytes: replicated unless SP
// (sail-sg/zero-bubble-pipeline-parallelism keeps both sequence-sharded and re-gathers them in W): the QKV and
// FFN inputs 2 + 2 and the output gradients of the attention output and FFN down projections 2 + 2 = 8; split by
// tp: the Q, K, V output gradients, the attention output (out_proj input), the FFN down input and the up (gate)
// output gradients (together the forward's 6f/h gated, 4f/h plain), MoE: + the dispatched inputs 2 top_k and the
// expert-down output gradients 2 top_k. For a GPT layer this is Qi et al. 2024's Table 1: 32 s b h of the 34 the
// forward keeps (the norm inputs and dropout masks go with B, the scores never reach W). 16-bit throughout (Qi et
// al.'s implementation predates narrow recipes).
double layer_wgrad_bytes(const PretrainingWorkload& w, const ModelSpec& m, i64 layer) {
  const double s = d(w.seq_len) / w.cp, b = d(w.micro_batch), h = d(m.hidden), t = w.tp;
  const double repl = 8;
  return s * b * h * (repl / sequence_shards(w) + split_units(m, layer, 2, 4, nullptr) / t);
}

// The peak of a stage's activations as it runs its schedule's order (stage_order): a forward keeps its chunk's
// activations until its backward; under zb-h1 the backward (B) then keeps what the deferred W reads until W runs.
struct ActivationPeak {
  double bytes = 0, in_flight = 0;
};
// GPipe holds every forward at once. In the other schedules the steady phase pairs a forward with a backward, and
// every pp x interleave of those pairs runs each chunk's forward and backward pp times: the running sum repeats
// with that period, so its peak lies within the warm-up and one period, which 3 x pp micro-batches always cover.
// Walking those instead of all of them gives the same peak at any count (a huge global batch is then rejected by
// the work budget, not after a walk as long as the run it prices).
ActivationPeak walk_activations(const PretrainingWorkload& w, int stage, const std::vector<double>& chunk_act,
                                const std::vector<double>& chunk_wgrad) {
  const i64 micro_batches = std::max<i64>(1, w.micro_batches());
  ActivationPeak peak;
  if (w.schedule == PipelineSchedule::gpipe) {
    for (const double a : chunk_act) peak.bytes += a * d(micro_batches);
    peak.in_flight = d(micro_batches) * d(w.interleave);
    return peak;
  }
  const int mb = static_cast<int>(std::min<i64>(micro_batches, 3 * i64{w.pp}));
  double bytes = 0, alive = 0;
  for (const PipelineTask& t : stage_order(w.schedule, w.pp, w.interleave, mb, stage)) {
    const auto c = static_cast<std::size_t>(t.chunk);
    if (t.forward) {
      bytes += chunk_act[c];
      alive += 1;
    } else if (t.weight) {
      bytes -= chunk_wgrad[c];
      alive -= 1;
    } else if (w.schedule == PipelineSchedule::zb_h1) {
      bytes += chunk_wgrad[c] - chunk_act[c];
    } else {
      bytes -= chunk_act[c];
      alive -= 1;
    }
    if (bytes > peak.bytes) peak = {bytes, alive};
  }
  return peak;
}

}  // namespace

std::vector<MemoryEstimate> estimate_memory_by_stage(const PretrainingWorkload& w, const ModelSpec& m,
                                                     const hw::ClusterSpec& /*c*/) {
  std::vector<MemoryEstimate> out;
  const int C = w.pp * w.interleave;
  // ZeRO shards a parameter over the ranks that hold a replica of it: dense (TP-split) ones over dp x cp
  // (Megatron's data-parallel group), routed experts over the expert-data-parallel group, the tp x cp x dp ranks
  // of a stage over the ep that split the experts (Megatron's expert_data_parallel_size, expert TP 1).
  const double dense_shard = d(w.dp) * w.cp;
  const double expert_shard = expert_data_parallel_size(w);
  const auto zero_div = [&](int level, double shard) { return w.zero >= level ? shard : 1.0; };
  const double grad_bytes = gradient_bytes(w);
  // Transformer Engine keeps each linear layer's quantized weight for the step (the cast runs on a step's first
  // micro-batch), row-wise for the forward and column-wise (transposed) for the input gradient: 2 narrow copies.
  // With narrow_weights they are the layer's only weights (no 16-bit copy); under FSDP only the narrow shard stays.
  const bool quantized = w.precision == hw::Precision::fp8 || w.precision == hw::Precision::fp4;
  const double copy_bytes = quantized && w.zero < 3 ? 2 * element_bytes(w.precision) : 0;
  const double layer_weight_bytes =
      w.narrow_weights && quantized ? (w.zero < 3 ? 0.0 : element_bytes(w.precision)) : kWeightBytes;
  const ParamCounts pc = m.param_counts();
  for (int s = 0; s < w.pp; ++s) {
    double dense = 0, experts = 0, ends = 0, act_layer_max = 0;
    std::vector<double> chunk_act, chunk_wgrad;
    for (int c = 0; c < w.interleave; ++c) {
      const int j = c * w.pp + s;
      const ChunkLayers cl = chunk_layers(w, m, j);
      double act = 0, wgrad = 0;
      for (i64 l = cl.first; l < cl.first + cl.count; ++l) {
        const LayerParams lp = layer_params(m, l);
        dense += lp.dense / w.tp;
        experts += lp.experts / w.ep;
        const double full = layer_activation_bytes(w, m, l);
        act_layer_max = std::max(act_layer_max, full);
        if (w.schedule == PipelineSchedule::zb_h1) wgrad += layer_wgrad_bytes(w, m, l);
        if (w.recompute == Recompute::full) {
          act += 2 * (d(w.seq_len) / w.cp) * d(w.micro_batch) * d(m.hidden) / sequence_shards(w);
        } else {
          act += full;
        }
      }
      if (j == 0) ends += d(pc.embedding + pc.position) / w.tp;
      if (j == C - 1) ends += (m.tied_embeddings && C > 1 ? d(pc.embedding) : d(pc.lm_head)) / w.tp;
      chunk_act.push_back(act);
      chunk_wgrad.push_back(wgrad);
    }
    const ActivationPeak peak = walk_activations(w, s, chunk_act, chunk_wgrad);
    MemoryEstimate e;
    e.stage = s;
    e.in_flight = peak.in_flight;
    // Per GPU, each kind over the group that shards it at the plan's ZeRO level.
    const auto sharded = [&](int level) {
      return (dense + ends) / zero_div(level, dense_shard) + experts / zero_div(level, expert_shard);
    };
    const double layers_z3 = dense / zero_div(3, dense_shard) + experts / zero_div(3, expert_shard);
    e.weights = ends / zero_div(3, dense_shard) * kWeightBytes + layers_z3 * layer_weight_bytes;
    e.gradients = sharded(2) * grad_bytes;
    e.optimizer = sharded(1) * kOptimizerBytes;
    e.quantized_weight_copies = (dense + experts) * copy_bytes;
    e.activations = peak.bytes;
    if (w.recompute == Recompute::full) e.activations += act_layer_max;  // the layer being recomputed
    if (s == w.pp - 1) {
      // fp32 logits of one micro-batch (Korthikanti 2022 §4.1: 4 s b v / t)
      e.logits = 4 * (d(w.seq_len) / w.cp) * d(w.micro_batch) * d(m.vocab) / w.tp;
    }
    out.push_back(e);
  }
  return out;
}

MemoryEstimate fullest_stage(const std::vector<MemoryEstimate>& stages) {
  MemoryEstimate best = stages.front();
  for (const MemoryEstimate& e : stages) {
    if (e.total() > best.total()) best = e;
  }
  return best;
}

MemoryEstimate estimate_memory(const PretrainingWorkload& w, const ModelSpec& m, const hw::ClusterSpec& c) {
  return fullest_stage(estimate_memory_by_stage(w, m, c));
}

}  // namespace dcsim::wl
