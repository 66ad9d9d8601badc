#include "workloads/model_ops.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace dcsim::wl {
namespace {

using i64 = std::int64_t;

double d(i64 v) { return static_cast<double>(v); }

// A GEMM op: x[m x k] W[k x n] with weights read once (`weight_elems`), x read and the product written.
Op gemm_op(OpKind kind, i64 layer, double m, double n, double k, double count, double weight_elems,
           const OpBytes& b) {
  Op op;
  op.kind = kind;
  op.layer = layer;
  op.gemm = {m, n, k, count};
  op.flops = op.gemm.flops();
  op.weight_bytes = weight_elems * b.weight;
  op.act_read_bytes = m * k * count * b.activation;
  op.act_write_bytes = m * n * count * b.activation;
  return op;
}

Op norm_op(i64 layer, double tokens, double width, const OpBytes& b) {
  Op op;
  op.kind = OpKind::norm;
  op.layer = layer;
  op.weight_bytes = width * b.weight;
  op.act_read_bytes = tokens * width * b.activation;
  op.act_write_bytes = tokens * width * b.activation;
  return op;
}

// Cached tokens a layer reads per sequence: all of the context, or the last window of it.
double cached_keys(const ModelSpec& m, i64 layer, const Pass& p) {
  return m.layer_is_sliding(layer) ? d(std::min(p.context, m.sliding.window)) : d(p.context);
}

double layer_pairs(const ModelSpec& m, i64 layer, const Pass& p) {
  const i64 window = m.layer_is_sliding(layer) ? m.sliding.window : 0;
  return attention_pairs(p.new_tokens, p.context, window, p.count);
}

// The attention core of one layer: QK^T over `qk_dim` per head and PV producing `v_dim` per head, for each of
// B sequences and `heads` heads, over the layer's (query, key) pairs. The score matrix stays on chip. Keys and
// values (`key_elems`, `value_elems` per token) of the new tokens are activations; those of cached tokens come
// from the KV cache when `cached_in_kv_cache`, else from activations (MLA's naive form decompresses them first).
// value_elems 0: PV reads the tensor QK^T read (MLA's absorbed form: one latent serves as key and value).
void attention_core(std::vector<Op>& out, const ModelSpec& m, i64 layer, const Pass& p, double qk_dim,
                    double v_dim, double key_elems, double value_elems, bool cached_in_kv_cache,
                    const OpBytes& b) {
  const double S = d(p.new_tokens), B = d(p.batch), H = d(m.heads);
  const double pairs = layer_pairs(m, layer, p);
  const double keys = pairs / S;  // mean keys per query
  const double cached = p.phase == Phase::training ? 0 : cached_keys(m, layer, p);
  auto read = [&](Op& op, double elems) {
    op.act_read_bytes += B * S * elems * b.activation;
    if (cached_in_kv_cache) {
      op.kv_read_bytes += B * cached * elems * b.kv;
    } else {
      op.act_read_bytes += B * cached * elems * b.activation;
    }
  };

  Op scores;
  scores.kind = OpKind::attn_scores;
  scores.layer = layer;
  scores.gemm = {S, keys, qk_dim, B * H};
  scores.flops = scores.gemm.flops();
  scores.attention_core = true;
  scores.act_read_bytes = B * S * H * qk_dim * b.activation;  // queries
  read(scores, key_elems);
  out.push_back(scores);

  Op context;
  context.kind = OpKind::attn_context;
  context.layer = layer;
  context.gemm = {S, v_dim, keys, B * H};
  context.flops = context.gemm.flops();
  context.attention_core = true;
  read(context, value_elems);
  context.act_write_bytes = B * S * H * v_dim * b.activation;
  out.push_back(context);
}

void gqa_attention(std::vector<Op>& out, const ModelSpec& m, i64 layer, const Pass& p, const OpBytes& b) {
  const double T = d(p.tokens()), h = d(m.hidden), dh = d(m.head_dim);
  const double kv_width = 2 * d(m.kv_heads) * dh;  // K and V per token
  const double n = d(m.q_width()) + kv_width;
  Op qkv = gemm_op(OpKind::qkv_proj, layer, T, n, h, 1, h * n, b);
  if (p.phase != Phase::training) qkv.kv_write_bytes = T * kv_width * b.kv;
  out.push_back(qkv);
  attention_core(out, m, layer, p, dh, dh, kv_width / 2, kv_width / 2, true, b);
  out.push_back(gemm_op(OpKind::out_proj, layer, T, h, d(m.v_width()), 1, d(m.v_width()) * h, b));
}

void mla_attention(std::vector<Op>& out, const ModelSpec& m, i64 layer, const Pass& p, const OpBytes& b) {
  const MlaSpec& a = m.mla;
  const double T = d(p.tokens()), h = d(m.hidden), H = d(m.heads);
  const double lora = d(a.kv_lora_rank), rope = d(a.qk_rope_head_dim), nope = d(a.qk_nope_head_dim);
  const double vd = d(a.v_head_dim), qk = d(a.qk_head_dim());
  const double latent = lora + rope;  // cached per token per layer
  const bool cache = p.phase != Phase::training;

  if (a.q_lora_rank > 0) {
    const double ql = d(a.q_lora_rank);
    out.push_back(gemm_op(OpKind::q_down, layer, T, ql, h, 1, h * ql, b));
    out.push_back(norm_op(layer, T, ql, b));
    out.push_back(gemm_op(OpKind::q_up, layer, T, H * qk, ql, 1, ql * H * qk, b));
  } else {
    out.push_back(gemm_op(OpKind::q_up, layer, T, H * qk, h, 1, h * H * qk, b));
  }
  Op kv_down = gemm_op(OpKind::kv_down, layer, T, latent, h, 1, h * latent, b);
  if (cache) kv_down.kv_write_bytes = T * latent * b.kv;
  out.push_back(kv_down);
  out.push_back(norm_op(layer, T, lora, b));

  if (p.phase != Phase::decode) {
    // Naive form (DeepSeek-V2 §2.1.2): expand the latent of every key token, cached ones included, into per-head
    // keys (nope part) and values, then attend as MHA with qk = nope + rope and v = v_head_dim.
    const double cached = cache ? cached_keys(m, layer, p) : 0;
    const double key_tokens = d(p.batch) * cached + T;
    Op up = gemm_op(OpKind::kv_up, layer, key_tokens, H * (nope + vd), lora, 1, lora * H * (nope + vd), b);
    up.act_read_bytes = T * lora * b.activation;
    up.kv_read_bytes = d(p.batch) * cached * latent * b.kv;
    out.push_back(up);
    // The decompressed keys (per-head nope part + the shared rope key) and values are activations here.
    attention_core(out, m, layer, p, qk, vd, H * nope + rope, H * vd, false, b);
    out.push_back(gemm_op(OpKind::out_proj, layer, T, h, H * vd, 1, H * vd * h, b));
    return;
  }
  // Absorbed form (DeepSeek-V2 §2.1.2, FlashMLA): W_UK folds into the query, so every head scores against the
  // shared latent (lora + rope wide) like multi-query attention; PV yields a latent that W_UV expands per head.
  out.push_back(gemm_op(OpKind::q_absorb, layer, T, lora, nope, H, H * nope * lora, b));
  attention_core(out, m, layer, p, latent, lora, latent, 0, true, b);
  out.push_back(gemm_op(OpKind::v_absorb, layer, T, vd, lora, H, H * lora * vd, b));
  out.push_back(gemm_op(OpKind::out_proj, layer, T, h, H * vd, 1, H * vd * h, b));
}

void dense_ffn(std::vector<Op>& out, const ModelSpec& m, i64 layer, const Pass& p, const OpBytes& b) {
  const double T = d(p.tokens()), h = d(m.hidden), f = d(m.ffn_hidden);
  const double up_n = m.gated_ffn() ? 2 * f : f;
  Op up = gemm_op(OpKind::ffn_up, layer, T, up_n, h, 1, h * up_n, b);
  up.act_write_bytes = T * f * b.activation;  // the activation (and gate product) is fused into the epilogue
  out.push_back(up);
  out.push_back(gemm_op(OpKind::ffn_down, layer, T, h, f, 1, f * h, b));
}

void moe_ffn(std::vector<Op>& out, const ModelSpec& m, i64 layer, const Pass& p, const OpBytes& b) {
  const double T = d(p.tokens()), h = d(m.hidden), E = d(m.moe.experts), k = d(m.moe.top_k);
  Op router = gemm_op(OpKind::router, layer, T, E, h, 1, h * E, b);
  out.push_back(router);

  const double routed = T * k;  // (token, expert) assignments
  const double touched = expected_distinct_experts(m.moe.experts, m.moe.top_k, T);
  const double f = d(m.moe.ffn_hidden);
  const double up_n = m.gated_ffn() ? 2 * f : f;
  const double per_expert = routed / touched;
  Op up = gemm_op(OpKind::expert_up, layer, per_expert, up_n, h, touched, touched * h * up_n, b);
  up.act_write_bytes = routed * f * b.activation;
  out.push_back(up);
  out.push_back(gemm_op(OpKind::expert_down, layer, per_expert, h, f, touched, touched * f * h, b));

  if (m.moe.shared_experts > 0) {
    const double fs = d(m.moe.shared_experts * m.moe.shared_ffn_hidden);
    const double sn = m.gated_ffn() ? 2 * fs : fs;
    Op sup = gemm_op(OpKind::shared_up, layer, T, sn, h, 1, h * sn, b);
    sup.act_write_bytes = T * fs * b.activation;
    out.push_back(sup);
    out.push_back(gemm_op(OpKind::shared_down, layer, T, h, fs, 1, fs * h, b));
  }
}

}  // namespace

const char* to_string(OpKind k) {
  switch (k) {
    case OpKind::embedding: return "embedding";
    case OpKind::norm: return "norm";
    case OpKind::qkv_proj: return "qkv_proj";
    case OpKind::q_down: return "q_down";
    case OpKind::q_up: return "q_up";
    case OpKind::kv_down: return "kv_down";
    case OpKind::kv_up: return "kv_up";
    case OpKind::q_absorb: return "q_absorb";
    case OpKind::v_absorb: return "v_absorb";
    case OpKind::attn_scores: return "attn_scores";
    case OpKind::attn_context: return "attn_context";
    case OpKind::out_proj: return "out_proj";
    case OpKind::ffn_up: return "ffn_up";
    case OpKind::ffn_down: return "ffn_down";
    case OpKind::router: return "router";
    case OpKind::expert_up: return "expert_up";
    case OpKind::expert_down: return "expert_down";
    case OpKind::shared_up: return "shared_up";
    case OpKind::shared_down: return "shared_down";
    case OpKind::lm_head: return "lm_head";
  }
  return "?";
}

Pass Pass::training(std::int64_t batch, std::int64_t seq, AttentionCount c) {
  return Pass{Phase::training, batch, seq, 0, c};
}

Pass Pass::prefill(std::int64_t batch, std::int64_t seq, std::int64_t prior_context) {
  return Pass{Phase::prefill, batch, seq, prior_context, AttentionCount::causal};
}

Pass Pass::decode(std::int64_t batch, std::int64_t context) {
  return Pass{Phase::decode, batch, 1, context, AttentionCount::causal};
}

double attention_pairs(std::int64_t new_tokens, std::int64_t context, std::int64_t window, AttentionCount c) {
  const double S = d(new_tokens), P = d(context);
  const bool windowed = window > 0;
  const double W = d(window);
  if (c == AttentionCount::full) return S * (windowed ? std::min(P + S, W) : P + S);
  // Query j (j = P+1 .. P+S, 1-based position) sees min(j, W) keys.
  auto tri = [](double n) { return n * (n + 1) / 2; };  // 1 + 2 + ... + n
  if (!windowed || P + S <= W) return tri(P + S) - tri(P);
  if (P >= W) return S * W;
  return (tri(W) - tri(P)) + (P + S - W) * W;
}

double expected_distinct_experts(std::int64_t experts, std::int64_t top_k, double tokens) {
  if (experts <= 0 || top_k <= 0 || tokens <= 0) return 0;
  if (top_k >= experts) return d(experts);
  const double miss = d(top_k) / d(experts);
  return d(experts) * -std::expm1(tokens * std::log1p(-miss));
}

std::vector<Op> layer_ops(const ModelSpec& m, std::int64_t layer, const Pass& p, const OpBytes& b) {
  std::vector<Op> out;
  const double T = d(p.tokens()), h = d(m.hidden);
  out.push_back(norm_op(layer, T, h, b));
  if (m.attention == AttentionKind::mla) {
    mla_attention(out, m, layer, p, b);
  } else {
    gqa_attention(out, m, layer, p, b);
  }
  out.push_back(norm_op(layer, T, h, b));
  if (m.layer_is_moe(layer)) {
    moe_ffn(out, m, layer, p, b);
  } else {
    dense_ffn(out, m, layer, p, b);
  }
  return out;
}

std::vector<Op> forward_ops(const ModelSpec& m, const Pass& p, const OpBytes& b) {
  std::vector<Op> out;
  const double T = d(p.tokens()), h = d(m.hidden), V = d(m.vocab);
  Op embed;
  embed.kind = OpKind::embedding;
  embed.weight_bytes = T * h * b.weight * (m.position == PositionKind::learned ? 2 : 1);  // rows gathered
  embed.act_write_bytes = T * h * b.activation;
  out.push_back(embed);
  for (i64 l = 0; l < m.layers; ++l) {
    std::vector<Op> ops = layer_ops(m, l, p, b);
    out.insert(out.end(), ops.begin(), ops.end());
  }
  // Training needs logits at every position; inference only at the last one of each sequence.
  const double logit_tokens = p.phase == Phase::training ? T : d(p.batch);
  out.push_back(norm_op(-1, logit_tokens, h, b));
  out.push_back(gemm_op(OpKind::lm_head, -1, logit_tokens, V, h, 1, V * h, b));
  return out;
}

OpTotals sum_ops(const std::vector<Op>& ops) {
  OpTotals t;
  for (const Op& op : ops) {
    t.flops += op.flops;
    if (op.attention_core) t.attention_flops += op.flops;
    t.weight_bytes += op.weight_bytes;
    t.act_read_bytes += op.act_read_bytes;
    t.act_write_bytes += op.act_write_bytes;
    t.kv_read_bytes += op.kv_read_bytes;
    t.kv_write_bytes += op.kv_write_bytes;
  }
  return t;
}

double model_flops_per_token(const ModelSpec& m, std::int64_t seq, AttentionCount c) {
  const OpTotals t = sum_ops(forward_ops(m, Pass::training(1, seq, c)));
  return 3 * t.flops / d(seq);
}

bool RecomputeModules::reruns(const Op& op) const {
  if (op.attention_core) return core_attn;
  switch (op.kind) {
    case OpKind::norm: return layernorm && op.layer >= 0;
    case OpKind::ffn_up: case OpKind::ffn_down: return mlp;
    case OpKind::q_up: case OpKind::kv_up: return mla_up_proj;
    default: return false;
  }
}

double hardware_flops_per_token(const ModelSpec& m, std::int64_t seq, Recompute r, AttentionCount c,
                                const RecomputeModules& modules) {
  const std::vector<Op> ops = forward_ops(m, Pass::training(1, seq, c));
  const OpTotals t = sum_ops(ops);
  double head = 0, rerun = 0;
  for (const Op& op : ops) {
    if (op.kind == OpKind::lm_head) head += op.flops;
    if (modules.reruns(op)) rerun += op.flops;
  }
  const double extra = r == Recompute::full ? t.flops - head : r == Recompute::selective ? rerun : 0;
  return (3 * t.flops + extra) / d(seq);
}

double six_n_flops_per_token(const ModelSpec& m, std::int64_t seq, AttentionCount c) {
  double attention = 0;
  const double width = d(m.q_width() + m.v_width());
  for (i64 l = 0; l < m.layers; ++l) {
    const i64 window = m.layer_is_sliding(l) ? m.sliding.window : 0;
    attention += width * attention_pairs(seq, 0, window, c) / d(seq);
  }
  return 6 * d(m.flop_params()) + 6 * attention;
}

double narayanan_flops_per_iteration(std::int64_t batch, std::int64_t seq, std::int64_t layers, std::int64_t hidden,
                                     std::int64_t vocab, bool full_recompute) {
  const double B = d(batch), S = d(seq), L = d(layers), h = d(hidden), V = d(vocab);
  return full_recompute ? 96 * B * S * L * h * h * (1 + S / (6 * h) + V / (16 * L * h))
                        : 72 * B * S * L * h * h * (1 + S / (6 * h) + V / (12 * L * h));
}

double megatron_flops_per_iteration(const ModelSpec& m, std::int64_t batch, std::int64_t seq, bool full_recompute) {
  if (m.attention == AttentionKind::mla || m.sliding.window > 0 || m.moe.shared_experts > 0 ||
      m.moe.first_dense_layers > 0) {
    throw std::invalid_argument("megatron_flops_per_iteration: " + m.name +
                                " has MLA, sliding windows, shared experts or dense leading layers; the Megatron "
                                "formula does not describe it (use model_flops_per_token)");
  }
  const double B = d(batch), S = d(seq), L = d(m.layers), h = d(m.hidden), V = d(m.vocab);
  const double q = d(m.q_width()), g_over_n = d(m.kv_heads) / d(m.heads);
  const double f = d(m.is_moe() ? m.moe.ffn_hidden : m.ffn_hidden);
  const double k = m.is_moe() ? d(m.moe.top_k) : 1;
  const double gated = m.gated_ffn() ? 1.5 : 1;
  // The router GEMM (E x h per token) is outside Megatron's formula; add it so that the two agree.
  const double router = m.is_moe() ? d(m.moe.experts) / (2 * h) : 0;
  const double layers = 12 * B * S * L * h * h * ((1 + g_over_n + S / h) * q / h + (f / h) * k * gated + router);
  const double logit = 12 * B * S * L * h * h * V / (2 * L * h);
  return (full_recompute ? layers * 4 / 3 : layers) + logit;
}

bool is_up_projection(OpKind k) {
  return k == OpKind::ffn_up || k == OpKind::expert_up || k == OpKind::shared_up;
}

bool is_attention_input(OpKind k) {
  switch (k) {
    case OpKind::qkv_proj:
    case OpKind::q_down:
    case OpKind::q_up:
    case OpKind::kv_down:
    case OpKind::kv_up:
    case OpKind::q_absorb:
    case OpKind::v_absorb:
      return true;
    default:
      return false;
  }
}

double activation_kernel_bytes(double outputs, bool gated, double in_bytes, double out_bytes) {
  return outputs * ((gated ? 2 : 1) * in_bytes + out_bytes);
}

double activation_kernel_bytes(const Op& sharded_up, bool gated, double in_bytes, double out_bytes) {
  if (!is_up_projection(sharded_up.kind)) return 0;
  return activation_kernel_bytes(sharded_up.act_write_bytes / in_bytes, gated, in_bytes, out_bytes);
}

double rope_kernel_bytes(const ModelSpec& m, double tokens, int tp) {
  if (m.position != PositionKind::rope) return 0;
  // Query heads split over tp; a key head every GPU of the group holds (GQA with fewer KV heads than tp replicates
  // them; MLA's rope key is one vector shared by all heads).
  const double per_gpu = m.attention == AttentionKind::mla
                             ? d(m.heads) / tp * d(m.mla.qk_rope_head_dim) + d(m.mla.qk_rope_head_dim)
                             : (d(m.heads) / tp + std::max(d(m.kv_heads) / tp, 1.0)) * d(m.head_dim);
  return 2 * 2 * tokens * per_gpu;  // read and write, 2 bytes an element
}

}  // namespace dcsim::wl
