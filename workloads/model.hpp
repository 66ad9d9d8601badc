// A decoder-only transformer, dense or mixture-of-experts, as plain data: the catalog's shape (configs/models/*.yaml
// use the same field names; app/model_catalog.cpp reads and checks them). Parameter counts and KV-cache sizes are
// exact integer sums over the weight matrices; docs/models.md derives each one and names its source.
//
// What the spec covers: multi-head / grouped-query / multi-query attention (kv_heads <= heads), DeepSeek's
// multi-head latent attention (MLA), gated (SwiGLU/GeGLU: 3 matrices) and plain (GELU/ReLU: 2 matrices) FFNs,
// routed experts with top-k routing, shared experts and leading dense layers (DeepSeek-V3), tied or untied
// embeddings, learned or rotary positions, optional linear biases, sliding-window layers (gpt-oss), and
// multi-token-prediction modules (counted apart: published totals leave them out).
#pragma once

#include <cstdint>
#include <string>

namespace dcsim::wl {

enum class AttentionKind { mha, gqa, mqa, mla };  // mha/gqa/mqa differ only in kv_heads (= heads, divides heads, 1)
enum class FfnKind { swiglu, geglu, gelu, relu };  // the first two are gated: 3 matrices instead of 2
enum class NormKind { layernorm, rmsnorm };        // layernorm has a bias vector, rmsnorm only a scale
enum class PositionKind { rope, learned };         // learned adds a max_context x hidden table

const char* to_string(AttentionKind k);
const char* to_string(FfnKind k);
const char* to_string(NormKind k);
const char* to_string(PositionKind k);

// DeepSeek-V2/V3 multi-head latent attention. Queries: h -> q_lora_rank -> heads x (nope + rope) (q_lora_rank 0:
// one h -> heads x (nope + rope) matrix). Keys and values share a compressed latent: h -> kv_lora_rank (cached)
// plus one decoupled rope key of qk_rope_head_dim shared by all heads (cached); the latent expands to
// heads x (qk_nope_head_dim + v_head_dim). Output: heads x v_head_dim -> h.
struct MlaSpec {
  std::int64_t q_lora_rank = 0;
  std::int64_t kv_lora_rank = 0;
  std::int64_t qk_nope_head_dim = 0;
  std::int64_t qk_rope_head_dim = 0;
  std::int64_t v_head_dim = 0;
  std::int64_t qk_head_dim() const { return qk_nope_head_dim + qk_rope_head_dim; }
};

// Mixture of experts in the FFN of every layer from first_dense_layers on. experts == 0 means a dense model.
struct MoeSpec {
  std::int64_t experts = 0;             // routed experts per MoE layer
  std::int64_t top_k = 0;               // routed experts each token uses
  std::int64_t shared_experts = 0;      // always-on experts (DeepSeek)
  std::int64_t ffn_hidden = 0;          // intermediate size of one routed expert
  std::int64_t shared_ffn_hidden = 0;   // intermediate size of one shared expert
  std::int64_t first_dense_layers = 0;  // leading layers with a dense FFN of ModelSpec::ffn_hidden (DeepSeek-V3: 3)
  // Coefficient of variation of the routed tokens one expert receives in an iteration (std / mean over the experts
  // of a layer), measured on real traffic: it skews the load of expert-parallel ranks (docs/serving.md, "Expert
  // load"). A routing statistic of the trained model and its data, not of the architecture.
  double expert_load_cv = 0;
};

// Layers i with (i + 1) % full_attention_every != 0 attend over the last `window` tokens only (gpt-oss: window
// 128, every other layer; Gemma 3 style 5:1 is full_attention_every 6). window == 0: every layer is full.
struct SlidingWindowSpec {
  std::int64_t window = 0;
  std::int64_t full_attention_every = 1;
};

// Parameters by part, each an exact count. "routed_experts" holds all experts of all MoE layers;
// "routed_experts_active" the top_k of them a token uses.
struct ParamCounts {
  std::int64_t embedding = 0;       // vocab x hidden token table (shared with the LM head when tied)
  std::int64_t position = 0;        // learned position table
  std::int64_t lm_head = 0;         // 0 when tied (the embedding table is the LM head)
  std::int64_t attention = 0;       // projections (+ biases, + MLA latent norms), all layers
  std::int64_t norms = 0;           // per-layer pre-attention and pre-FFN norms and the final norm
  std::int64_t dense_ffn = 0;       // FFNs of dense layers (+ biases)
  std::int64_t router = 0;          // expert-choice gates
  std::int64_t shared_experts = 0;  // shared experts of MoE layers
  std::int64_t routed_experts = 0;
  std::int64_t routed_experts_active = 0;
  std::int64_t mtp = 0;             // multi-token-prediction modules, apart from the total (DeepSeek-V3: 671B excludes them)

  std::int64_t total() const;   // all of the above but mtp
  std::int64_t active() const;  // total with routed experts replaced by the active ones
};

struct ModelSpec {
  std::string name;
  std::string description;
  std::int64_t layers = 0;
  std::int64_t hidden = 0;     // d_model
  std::int64_t heads = 0;      // query heads
  std::int64_t kv_heads = 0;   // key/value heads (GQA groups); ignored for MLA
  std::int64_t head_dim = 0;   // per head; usually hidden / heads (gpt-oss: 64 with hidden 2880 and 64 heads)
  std::int64_t ffn_hidden = 0; // intermediate size of a dense FFN (0 when every layer is MoE)
  FfnKind ffn = FfnKind::swiglu;
  std::int64_t vocab = 0;
  bool tied_embeddings = false;
  std::int64_t max_context = 0;
  AttentionKind attention = AttentionKind::gqa;
  MlaSpec mla;
  MoeSpec moe;
  SlidingWindowSpec sliding;
  NormKind norm = NormKind::rmsnorm;
  PositionKind position = PositionKind::rope;
  bool attention_bias = false;  // biases on Q, K, V and output projections (GPT-3: yes; gpt-oss: yes)
  bool ffn_bias = false;        // biases on FFN / expert matrices and on the router
  std::int64_t mtp_modules = 0;
  bool assumed = false;         // architecture not published (gpt-moe-1.8t): figures are assumptions
  // Generated tokens per task for equal quality, relative to a reference model (agents scale generated lengths by
  // it). A property of the model's training, not of its architecture: 1 unless a scenario says otherwise.
  double token_efficiency = 1;
  // Its spread from task to task: agents draw each task's factor from a lognormal of median token_efficiency and
  // this sigma (0: every task the same factor).
  double token_efficiency_sigma = 0;
  // Published parameter counts, for reference and tests (0: none given). Not used by any computation.
  double published_total_params = 0;
  double published_active_params = 0;

  bool gated_ffn() const { return ffn == FfnKind::swiglu || ffn == FfnKind::geglu; }
  bool is_moe() const { return moe.experts > 0; }
  bool layer_is_moe(std::int64_t layer) const { return is_moe() && layer >= moe.first_dense_layers; }
  std::int64_t moe_layers() const { return is_moe() ? layers - moe.first_dense_layers : 0; }
  bool layer_is_sliding(std::int64_t layer) const;
  std::int64_t sliding_layers() const;

  // Query width heads x head_dim (MLA: heads x qk_head_dim) and value/attention-output width.
  std::int64_t q_width() const;
  std::int64_t v_width() const;

  ParamCounts param_counts() const;
  // Every stored parameter of the main model (MTP modules excluded), as model cards publish it.
  std::int64_t total_params() const { return param_counts().total(); }
  // Parameters a token touches: total minus the routed experts it does not use (Mixtral's 12.9B, DeepSeek's 37B).
  // Includes the input embedding table; OpenAI's gpt-oss "active" figure excludes it (see flop_params).
  std::int64_t active_params() const { return param_counts().active(); }
  // N of "6N": weights that enter a matrix multiply for each token (all active projections, the router and the LM
  // head); excludes the input embedding and position tables (a row lookup), norms and biases. For a GPT this is
  // exactly 12*L*h^2 + V*h, the parameter term of Narayanan et al. 2021 eq. (3).
  std::int64_t flop_params() const;

  // KV-cache bytes one token adds over all layers at `bytes_per_element`: GQA 2 * layers * kv_heads * head_dim * b;
  // MLA layers * (kv_lora_rank + qk_rope_head_dim) * b. Sliding-window layers count too: this is the cost per
  // token of a long context only for models without them; use kv_bytes() for a given length.
  double kv_bytes_per_token(double bytes_per_element) const;
  // KV-cache bytes of one sequence of `context` tokens: sliding layers hold at most `window` tokens.
  double kv_bytes(std::int64_t context, double bytes_per_element) const;

  // The first inconsistency found ("heads (30) is not a multiple of kv_heads (8)"), or "" when the spec is usable.
  // app/ reports these against YAML keys; code that builds specs by hand calls this.
  std::string check() const;
};

}  // namespace dcsim::wl
