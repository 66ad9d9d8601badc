// The forward pass of a ModelSpec as a list of ops, each with its FLOPs, the bytes it moves and, for matrix
// multiplies, its GEMM shape, so that a roofline can charge each op max(FLOPs / achievable rate(shape),
// bytes / achievable bandwidth). Training FLOPs per token under the conventions the published figures use.
// docs/models.md derives every formula here, op by op, with its source.
//
// Conventions (one each, used everywhere):
// - A multiply-add is 2 FLOPs; a GEMM C[m x n] = A[m x k] B[k x n] costs 2 m n k FLOPs, `count` times.
// - Only matrix multiplies (projections, attention QK^T and PV, router, LM head) count FLOPs. Norms, rotary
//   embeddings, softmax, activations and residual adds are memory-bound; they appear as bytes only (norms as
//   their own ops; softmax inside the fused attention kernel; activations fused into the up-projection).
// - Attention bytes assume a fused (flash) kernel: the score matrix never reaches HBM.
// - Backward = 2 x forward for every matrix multiply (input gradient + weight gradient; attention QK^T and PV
//   have two input gradients each, also 2 x). Training = 3 x forward; full recomputation adds a forward (4 x);
//   selective recomputation (Korthikanti 2022 §5) adds the forward attention core (QK^T, softmax, PV) only.
#pragma once

#include <cstdint>
#include <vector>

#include "workloads/model.hpp"

namespace dcsim::wl {

enum class Phase {
  training,  // B sequences of S tokens, logits for every token, no KV cache
  prefill,   // B sequences of S new tokens after `context` cached ones; writes KV; logits for the last token only
  decode,    // B sequences, 1 new token each after `context` cached tokens; MLA in its weight-absorbed form
};

// How many (query, key) pairs attention counts for S tokens of a sequence.
// causal: each query attends to the keys before it and itself: S*P + S(S+1)/2 pairs (P = prior context). What a
//         causal flash-attention kernel executes (it skips fully masked blocks), and what the simulator times.
// full:   S*(P + S) pairs, the masked half included: the convention of Narayanan 2021 eq. (3), Korthikanti 2022,
//         Megatron-LM's num_floating_point_operations, PaLM appendix B (12 L H Q T), MegaScale.
enum class AttentionCount { causal, full };

struct Pass {
  Phase phase = Phase::training;
  std::int64_t batch = 1;       // sequences
  std::int64_t new_tokens = 1;  // per sequence: S for training and prefill, 1 for decode
  std::int64_t context = 0;     // tokens already in the KV cache of each sequence before this pass
  AttentionCount count = AttentionCount::causal;

  static Pass training(std::int64_t batch, std::int64_t seq, AttentionCount c = AttentionCount::causal);
  static Pass prefill(std::int64_t batch, std::int64_t seq, std::int64_t prior_context = 0);
  static Pass decode(std::int64_t batch, std::int64_t context);
  std::int64_t tokens() const { return batch * new_tokens; }
};

// Bytes per element of weights, activations and KV cache (bf16 = 2, fp8 = 1, fp4 = 0.5).
// Bytes one FP4 element takes in HBM with its block scale: NVFP4 stores 4-bit E2M1 values with one FP8 (E4M3)
// scale per 16 of them (NVIDIA, "Introducing NVFP4 for Efficient and Accurate Low-Precision Inference", 2025),
// 0.5 + 1/16 bytes. OCP MXFP4 (one E8M0 scale per 32, 0.53125 bytes) is within 6% and stored the same here. FP8 and
// wider formats carry per-tensor or per-channel scales only, which this ignores.
inline constexpr double kFp4StorageBytes = 0.5 + 1.0 / 16;

struct OpBytes {
  double weight = 2;
  double activation = 2;
  double kv = 2;
};

enum class OpKind {
  embedding, norm,
  qkv_proj,                                 // MHA/GQA/MQA: one fused Q, K, V projection
  q_down, q_up, kv_down, kv_up,             // MLA projections (kv_up only in the naive form)
  q_absorb, v_absorb,                       // MLA absorbed form (decode): W_UK into the query, W_UV after PV
  attn_scores, attn_context,                // QK^T and PV (the attention core)
  out_proj,
  ffn_up, ffn_down,                         // dense FFN (gated: gate and up in one GEMM of width 2f)
  router, expert_up, expert_down, shared_up, shared_down,
  lm_head,
};
const char* to_string(OpKind k);

// C[m x n] = A[m x k] B[k x n], `count` independent times (per head, per sequence or per expert). For routed
// experts m is the mean number of tokens per touched expert and count the expected number of touched experts, so
// both can be fractional.
struct GemmShape {
  double m = 0, n = 0, k = 0;
  double count = 0;  // 0: not a GEMM
  double flops() const { return 2 * m * n * k * count; }
};

struct Op {
  OpKind kind = OpKind::norm;
  std::int64_t layer = -1;       // -1: embedding and output head
  GemmShape gemm;
  double flops = 0;              // forward FLOPs (= gemm.flops() for GEMMs, 0 otherwise)
  double weight_bytes = 0;       // weights read (once per pass)
  double act_read_bytes = 0;     // activations read
  double act_write_bytes = 0;    // activations written
  double kv_read_bytes = 0;      // KV cache read (prefill after a context, decode)
  double kv_write_bytes = 0;     // KV cache written (prefill, decode)
  bool attention_core = false;   // QK^T or PV: grows with context; recomputed by selective recomputation
  bool is_gemm() const { return gemm.count > 0; }
};

// Ops of one transformer layer (norms, attention, FFN or MoE), in execution order.
std::vector<Op> layer_ops(const ModelSpec& m, std::int64_t layer, const Pass& pass, const OpBytes& bytes = {});
// The whole forward pass: embedding, every layer, final norm, LM head.
std::vector<Op> forward_ops(const ModelSpec& m, const Pass& pass, const OpBytes& bytes = {});

struct OpTotals {
  double flops = 0, attention_flops = 0;  // attention_flops: the attention-core part of flops
  double weight_bytes = 0, act_read_bytes = 0, act_write_bytes = 0, kv_read_bytes = 0, kv_write_bytes = 0;
  double bytes() const { return weight_bytes + act_read_bytes + act_write_bytes + kv_read_bytes + kv_write_bytes; }
};
OpTotals sum_ops(const std::vector<Op>& ops);

// Query-key pairs of one sequence: S new tokens after P cached ones, keys limited to the last `window` (0: none).
double attention_pairs(std::int64_t new_tokens, std::int64_t context, std::int64_t window, AttentionCount c);

// Expected number of distinct experts that T tokens touch when each picks top_k of E uniformly:
// E * (1 - (1 - k/E)^T) (each expert is missed by one token with probability 1 - k/E). Decode reads the weights
// of exactly these experts.
double expected_distinct_experts(std::int64_t experts, std::int64_t top_k, double tokens);

// Bytes the FFN's activation kernel moves for `outputs` activations (f a token, or a routed assignment, on one GPU's
// shard): it reads the up-projection's output (2 values an activation gated, 1 plain) at in_bytes and writes each
// activation at out_bytes (the op list folds it into the up-projection's epilogue; docs/pretraining.md and
// docs/serving.md, "Elementwise kernels").
double activation_kernel_bytes(double outputs, bool gated, double in_bytes, double out_bytes);
// The same for one GPU's share of an up-projection op (ffn_up, expert_up or shared_up, sharded), whose
// act_write_bytes count its f activations at in_bytes each; 0 for other ops.
double activation_kernel_bytes(const Op& sharded_up, bool gated, double in_bytes, double out_bytes);
bool is_up_projection(OpKind k);  // ffn_up, expert_up or shared_up
// The projections into attention: QKV, and MLA's down and up projections with their absorbed forms (not out_proj).
bool is_attention_input(OpKind k);

// Bytes a fused RoPE kernel moves in one layer's forward on one GPU (Transformer Engine's in training, the
// engines' rotary kernel in serving; the op list folds it into the projections): it reads and writes, in bf16, the
// rotated part of the queries and keys of `tokens` tokens, heads split over tp (GQA: every head dimension of the
// query and key heads; MLA: the decoupled rope dimensions of each query head and of the shared key). 0 for
// learned positions.
double rope_kernel_bytes(const ModelSpec& m, double tokens, int tp);

enum class Recompute { none, selective, full };

// What selective recomputation runs again in the backward: Megatron-core's recompute_modules
// (megatron/core/transformer/transformer_config.py; default ["core_attn"]). core_attn and mlp checkpoint their
// submodule (normal checkpointing); layernorm, moe_act and mla_up_proj discard their outputs after the forward and
// rebuild them before the backward reads them.
struct RecomputeModules {
  bool core_attn = true;     // the attention core (scores, softmax, context)
  bool layernorm = false;    // each layer's two norms: their outputs (the QKV and FFN inputs) are not kept
  bool mlp = false;          // a dense layer's whole MLP (no effect on MoE layers)
  bool moe_act = false;      // the routed experts' activation: its output (the experts' down input) is not kept
  bool mla_up_proj = false;  // MLA's up-projections (and RoPE): the decompressed Q, K and V are not kept
  // Whether `op` (of a layer's forward) is run again: the core with core_attn, the dense FFN's GEMMs with mlp, the
  // MLA up-projections with mla_up_proj, the norms with layernorm. The activation kernels are not ops (the caller
  // adds them for mlp and moe_act).
  bool reruns(const Op& op) const;
  friend bool operator==(const RecomputeModules&, const RecomputeModules&) = default;
};

// --- training FLOPs per token, for sequences of `seq` tokens -------------------------------------------------
// From the op list: forward F = sum of forward_ops FLOPs / tokens. Model FLOPs (MFU, DESIGN.md §6) = 3F, never
// with recomputation. Hardware FLOPs (HFU) = 3F + F_layers (full: the transformer layers' forward again; Megatron
// checkpoints the layers only, so the LM head is not recomputed) or 3F + the FLOPs of the ops `modules` reruns
// (selective; by default the attention core).
double model_flops_per_token(const ModelSpec& m, std::int64_t seq, AttentionCount c = AttentionCount::full);
double hardware_flops_per_token(const ModelSpec& m, std::int64_t seq, Recompute r,
                                AttentionCount c = AttentionCount::full, const RecomputeModules& modules = {});
// The closed form "6N + attention": 6 * flop_params() + 6 * sum over layers of (q_width + v_width) * pairs / S.
// With the full count and no sliding window that is 6N + 6 L S (q_width + v_width) = 6N + 12 L S h for MHA:
// PaLM's 6N + 12 L H Q T. Equal to model_flops_per_token by construction of both (tests check it).
double six_n_flops_per_token(const ModelSpec& m, std::int64_t seq, AttentionCount c = AttentionCount::full);
// Narayanan et al. 2021 eq. (3), FLOPs per iteration of B sequences of S tokens for a GPT (MHA, FFN 4h, plain):
// 72 B S L h^2 (1 + S/(6h) + V/(12 L h)); with full recomputation 96 B S L h^2 (1 + S/(6h) + V/(16 L h)): the
// layers run four passes, the logit layer three (6 B S h V).
double narayanan_flops_per_iteration(std::int64_t batch, std::int64_t seq, std::int64_t layers, std::int64_t hidden,
                                     std::int64_t vocab, bool full_recompute);
// Megatron-LM's num_floating_point_operations (training.py), the same formula extended to GQA, gated FFNs and
// top-k MoE: 12 B S L h^2 ((1 + g/n + S/h) q/h + (f/h) k (3/2 if gated) + V/(2 L h)); with full recomputation
// the layer terms x 4/3 (the logit layer is not recomputed, as in Narayanan eq. 3). Throws std::invalid_argument for MLA, sliding windows, shared experts or leading dense layers,
// which that formula does not describe (use model_flops_per_token).
double megatron_flops_per_iteration(const ModelSpec& m, std::int64_t batch, std::int64_t seq, bool full_recompute);

}  // namespace dcsim::wl
