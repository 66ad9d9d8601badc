#include "workloads/model.hpp"

#include <algorithm>

namespace dcsim::wl {
namespace {

using i64 = std::int64_t;

i64 norm_params(NormKind k, i64 dim) { return k == NormKind::layernorm ? 2 * dim : dim; }

// Weights of one FFN of intermediate size f: gated FFNs have gate, up and down matrices; plain ones up and down.
i64 ffn_weights(const ModelSpec& m, i64 f) { return (m.gated_ffn() ? 3 : 2) * m.hidden * f; }
i64 ffn_biases(const ModelSpec& m, i64 f) {
  if (!m.ffn_bias) return 0;
  return (m.gated_ffn() ? 2 * f : f) + m.hidden;
}

// Projection weights of one attention layer (no biases, no norms): what its matrix multiplies read.
i64 attention_weights(const ModelSpec& m) {
  const i64 h = m.hidden;
  if (m.attention == AttentionKind::mla) {
    const MlaSpec& a = m.mla;
    const i64 q = a.q_lora_rank > 0 ? h * a.q_lora_rank + a.q_lora_rank * m.heads * a.qk_head_dim()
                                    : h * m.heads * a.qk_head_dim();
    const i64 kv = h * (a.kv_lora_rank + a.qk_rope_head_dim) +
                   a.kv_lora_rank * m.heads * (a.qk_nope_head_dim + a.v_head_dim);
    return q + kv + m.heads * a.v_head_dim * h;
  }
  return h * m.q_width() + 2 * h * m.kv_heads * m.head_dim + m.v_width() * h;
}

i64 attention_extras(const ModelSpec& m) {  // biases and MLA's latent norms
  i64 extra = 0;
  if (m.attention == AttentionKind::mla) {
    extra += norm_params(m.norm, m.mla.kv_lora_rank);
    if (m.mla.q_lora_rank > 0) extra += norm_params(m.norm, m.mla.q_lora_rank);
  }
  if (m.attention_bias) {
    const i64 kv_out = m.attention == AttentionKind::mla ? 0 : 2 * m.kv_heads * m.head_dim;
    extra += m.q_width() + kv_out + m.hidden;
  }
  return extra;
}

i64 router_params(const ModelSpec& m) { return m.moe.experts * m.hidden + (m.ffn_bias ? m.moe.experts : 0); }
i64 expert_params(const ModelSpec& m) { return ffn_weights(m, m.moe.ffn_hidden) + ffn_biases(m, m.moe.ffn_hidden); }
i64 shared_params(const ModelSpec& m) {
  return m.moe.shared_experts * (ffn_weights(m, m.moe.shared_ffn_hidden) + ffn_biases(m, m.moe.shared_ffn_hidden));
}

}  // namespace

const char* to_string(AttentionKind k) {
  switch (k) {
    case AttentionKind::mha: return "mha";
    case AttentionKind::gqa: return "gqa";
    case AttentionKind::mqa: return "mqa";
    case AttentionKind::mla: return "mla";
  }
  return "?";
}

const char* to_string(FfnKind k) {
  switch (k) {
    case FfnKind::swiglu: return "swiglu";
    case FfnKind::geglu: return "geglu";
    case FfnKind::gelu: return "gelu";
    case FfnKind::relu: return "relu";
  }
  return "?";
}

const char* to_string(NormKind k) { return k == NormKind::layernorm ? "layernorm" : "rmsnorm"; }
const char* to_string(PositionKind k) { return k == PositionKind::learned ? "learned" : "rope"; }

std::int64_t ParamCounts::total() const {
  return embedding + position + lm_head + attention + norms + dense_ffn + router + shared_experts + routed_experts;
}

std::int64_t ParamCounts::active() const { return total() - routed_experts + routed_experts_active; }

bool ModelSpec::layer_is_sliding(std::int64_t layer) const {
  return sliding.window > 0 && (layer + 1) % sliding.full_attention_every != 0;
}

std::int64_t ModelSpec::sliding_layers() const {
  if (sliding.window <= 0) return 0;
  return layers - layers / sliding.full_attention_every;
}

std::int64_t ModelSpec::q_width() const {
  return attention == AttentionKind::mla ? heads * mla.qk_head_dim() : heads * head_dim;
}

std::int64_t ModelSpec::v_width() const {
  return attention == AttentionKind::mla ? heads * mla.v_head_dim : heads * head_dim;
}

ParamCounts ModelSpec::param_counts() const {
  ParamCounts p;
  const i64 h = hidden;
  const i64 dense_layers = layers - moe_layers();
  p.embedding = vocab * h;
  p.position = position == PositionKind::learned ? max_context * h : 0;
  p.lm_head = tied_embeddings ? 0 : vocab * h;
  p.attention = layers * (attention_weights(*this) + attention_extras(*this));
  p.norms = (2 * layers + 1) * norm_params(norm, h);
  p.dense_ffn = dense_layers * (ffn_weights(*this, ffn_hidden) + ffn_biases(*this, ffn_hidden));
  if (is_moe()) {
    const i64 n = moe_layers();
    p.router = n * router_params(*this);
    p.shared_experts = n * shared_params(*this);
    p.routed_experts = n * moe.experts * expert_params(*this);
    p.routed_experts_active = n * moe.top_k * expert_params(*this);
  }
  if (mtp_modules > 0) {
    // DeepSeek-V3 §2.2: each module has its own projection M (2h -> h), two input norms, one transformer block
    // (the MoE kind) and a final norm; it shares the embedding and the output head with the main model.
    const i64 block = attention_weights(*this) + attention_extras(*this) + 2 * norm_params(norm, h) +
                      (is_moe() ? router_params(*this) + shared_params(*this) + moe.experts * expert_params(*this)
                                : ffn_weights(*this, ffn_hidden) + ffn_biases(*this, ffn_hidden));
    p.mtp = mtp_modules * (2 * h * h + 3 * norm_params(norm, h) + block);
  }
  return p;
}

std::int64_t ModelSpec::flop_params() const {
  const i64 dense_layers = layers - moe_layers();
  i64 n = layers * attention_weights(*this) + dense_layers * ffn_weights(*this, ffn_hidden) + vocab * hidden;
  if (is_moe()) {
    n += moe_layers() * (moe.experts * hidden + moe.shared_experts * ffn_weights(*this, moe.shared_ffn_hidden) +
                         moe.top_k * ffn_weights(*this, moe.ffn_hidden));
  }
  return n;
}

double ModelSpec::kv_bytes_per_token(double bytes_per_element) const {
  const double per_layer = attention == AttentionKind::mla
                               ? static_cast<double>(mla.kv_lora_rank + mla.qk_rope_head_dim)
                               : 2.0 * static_cast<double>(kv_heads * head_dim);
  return static_cast<double>(layers) * per_layer * bytes_per_element;
}

double ModelSpec::kv_bytes(std::int64_t context, double bytes_per_element) const {
  const double per_layer_token = kv_bytes_per_token(bytes_per_element) / static_cast<double>(layers);
  const i64 slid = sliding_layers();
  const i64 held = slid * std::min(context, sliding.window) + (layers - slid) * context;
  return per_layer_token * static_cast<double>(held);
}

std::string ModelSpec::check() const {
  auto s = [](i64 v) { return std::to_string(v); };
  if (layers < 1) return "layers (" + s(layers) + ") must be at least 1";
  if (hidden < 1) return "hidden (" + s(hidden) + ") must be at least 1";
  if (heads < 1) return "heads (" + s(heads) + ") must be at least 1";
  if (vocab < 1) return "vocab (" + s(vocab) + ") must be at least 1";
  if (max_context < 1) return "max_context (" + s(max_context) + ") must be at least 1";
  if (attention == AttentionKind::mla) {
    if (mla.kv_lora_rank < 1 || mla.qk_nope_head_dim < 1 || mla.qk_rope_head_dim < 1 || mla.v_head_dim < 1) {
      return "mla needs kv_lora_rank, qk_nope_head_dim, qk_rope_head_dim and v_head_dim of at least 1";
    }
    if (mla.q_lora_rank < 0) return "mla.q_lora_rank must be 0 (no query compression) or more";
  } else {
    if (head_dim < 1) return "head_dim (" + s(head_dim) + ") must be at least 1";
    if (kv_heads < 1 || kv_heads > heads) return "kv_heads (" + s(kv_heads) + ") must be in [1, heads = " + s(heads) + "]";
    if (heads % kv_heads != 0) return "heads (" + s(heads) + ") is not a multiple of kv_heads (" + s(kv_heads) + ")";
    if (attention == AttentionKind::mha && kv_heads != heads) return "mha needs kv_heads == heads; use gqa";
    if (attention == AttentionKind::mqa && kv_heads != 1) return "mqa needs kv_heads == 1; use gqa";
  }
  const bool all_moe = is_moe() && moe.first_dense_layers == 0;
  if (!all_moe && ffn_hidden < 1) return "ffn_hidden (" + s(ffn_hidden) + ") must be at least 1";
  if (is_moe()) {
    if (moe.top_k < 1 || moe.top_k > moe.experts) {
      return "moe.top_k (" + s(moe.top_k) + ") must be in [1, experts = " + s(moe.experts) + "]";
    }
    if (moe.ffn_hidden < 1) return "moe.ffn_hidden must be at least 1";
    if (moe.shared_experts < 0) return "moe.shared_experts must be 0 or more";
    if (moe.shared_experts > 0 && moe.shared_ffn_hidden < 1) return "moe.shared_ffn_hidden must be at least 1";
    if (moe.first_dense_layers < 0 || moe.first_dense_layers >= layers) {
      return "moe.first_dense_layers (" + s(moe.first_dense_layers) + ") must be in [0, layers - 1 = " +
             s(layers - 1) + "]";
    }
  } else if (moe.experts < 0 || moe.top_k != 0 || moe.shared_experts != 0) {
    return "a dense model (moe.experts 0) has no top_k or shared experts";
  }
  if (sliding.window < 0) return "sliding_window.window must be 0 (none) or more";
  if (sliding.full_attention_every < 1) return "sliding_window.full_attention_every must be at least 1";
  if (mtp_modules < 0) return "mtp_modules must be 0 or more";
  return {};
}

}  // namespace dcsim::wl
