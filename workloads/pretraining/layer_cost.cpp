#include "workloads/pretraining/layer_cost.hpp"
#include "workloads/pretraining/counts.hpp"

#include <algorithm>
#include <optional>

#include "workloads/pretraining/chunking.hpp"
#include "workloads/pretraining/state_bytes.hpp"

namespace dcsim::wl {
namespace {

using i64 = std::int64_t;
using counts::d;

// A fused attention backward performs 2.5x its forward's FLOPs: dQ, dK, dV and the recomputed QK^T (the
// FlashAttention benchmarks' own count, benchmarks/benchmark_flash_attention.py).
constexpr double kFusedAttentionBackwardFlops = 2.5;

// Transformer Engine's narrow-precision recipes (FP8, NVFP4) quantize around every linear GEMM, in memory-bound kernels
// of their own (docs/pretraining.md, "Quantize kernels"). Bytes per element: a cast-transpose reads the 16-bit tensor
// and writes it narrow twice (as is and transposed, the layout the other GEMM of the pair needs): 2 + 1 + 1; an input
// whose producer already writes it narrow (TE's LayerNorm + Linear and its activation + cast fusions) needs only the
// transpose: 1 + 1.
constexpr double kCastTransposeBytes = 4;
constexpr double kTransposeOnlyBytes = 2;

// Linear GEMMs whose input a fused norm or activation kernel already writes narrow.
bool input_arrives_narrow(OpKind k) {
  switch (k) {
    case OpKind::qkv_proj: case OpKind::q_down: case OpKind::kv_down: case OpKind::ffn_up: case OpKind::shared_up:
    case OpKind::expert_up: case OpKind::ffn_down: case OpKind::shared_down: case OpKind::expert_down:
      return true;
    default:
      return false;
  }
}


// The slot of a GEMM Transformer Engine pairs with a sublayer's gather or scatter: QKV, projection, FC1, FC2; -1
// for the others.
int te_pair_slot(OpKind k) {
  switch (k) {
    case OpKind::qkv_proj: return 0;
    case OpKind::out_proj: return 1;
    case OpKind::ffn_up: return 2;
    case OpKind::ffn_down: return 3;
    default: return -1;
  }
}

}  // namespace

LayerCostModel::LayerCostModel(const PretrainingWorkload& w_, const ModelSpec& m_, const hw::ClusterSpec& c_,
                               const hw::Collectives& coll_)
    : w(w_), m(m_), c(c_), coll(coll_) {
  for (int i = 0; i < w.tp; ++i) tp_group.push_back(rank(i, 0, 0, 0));
  if (w.cp > 1) cp_pair = {rank(0, 0, 0, 0), rank(0, 1, 0, 0)};
  for (int i = 0; i < w.ep; ++i) ep_group.push_back(rank(i % w.tp, 0, i / w.tp, 0));
  dp_group = dp_groups(0).front();
  if (m.is_moe()) edp_group = edp_groups(0).front();
  const double tokens = d(w.micro_batch) * d(w.seq_len) / w.cp;
  const double bytes = tokens * d(m.hidden) * 2;
  if (w.tp > 1) {
    if (sequence_shards(w) > 1) {
      const double gather = coll.estimate(hw::CollectiveOp::all_gather, tp_group, bytes).time;
      const double scatter = coll.estimate(hw::CollectiveOp::reduce_scatter, tp_group, bytes).time;
      t_tp_pair = gather + scatter;
      te_comm = {gather, scatter};
    } else {
      t_tp_pair = coll.estimate(hw::CollectiveOp::all_reduce, tp_group, bytes).time;
    }
  }
  te_overlap = w.overlap_tp_comm && sequence_shards(w) > 1;
  if (te_overlap && w.precision == hw::Precision::fp8) {
    // FP8 gathers one byte an element; NVFP4 gathers 16-bit (TE's userbuffers gather FP8 and MXFP8 tensors only:
    // fill_userbuffers_buffer_for_all_gather raises for other quantizers).
    te_comm.all_gather = coll.estimate(hw::CollectiveOp::all_gather, tp_group, tokens * d(m.hidden) * 1).time;
  }
}

hw::Precision LayerCostModel::precision_of(const Op& op) const {
  if (op.attention_core || op.kind == OpKind::lm_head) return hw::Precision::bf16;
  return w.precision;
}

Op LayerCostModel::shard(Op op, double touched_experts) const {
  const double tp = w.tp, cp = w.cp, spd = sequence_shards(w);
  double f = 1, wt = 1, rd = 1, wr = 1;
  switch (op.kind) {
    case OpKind::qkv_proj: case OpKind::q_up: case OpKind::kv_up: case OpKind::q_down: case OpKind::kv_down:
    case OpKind::ffn_up: case OpKind::shared_up: case OpKind::lm_head:
      f = 1 / (cp * tp); wt = 1 / tp; rd = 1 / cp; wr = 1 / (cp * tp);
      op.gemm.m /= cp; op.gemm.n /= tp;
      break;
    case OpKind::out_proj: case OpKind::ffn_down: case OpKind::shared_down:
      f = 1 / (cp * tp); wt = 1 / tp; rd = 1 / (cp * tp); wr = 1 / cp;
      op.gemm.m /= cp; op.gemm.k /= tp;
      break;
    case OpKind::attn_scores: case OpKind::attn_context:
      f = wt = rd = wr = 1 / (cp * tp);
      op.gemm.m /= cp; op.gemm.count /= tp;
      break;
    case OpKind::router:
      f = rd = wr = 1 / (cp * spd);
      op.gemm.m /= cp * spd;
      break;
    case OpKind::expert_up: case OpKind::expert_down: {
      // Balanced routing: each GPU runs its tokens' top_k assignments on experts/ep whole experts.
      const double local_experts = d(m.moe.experts) / w.ep;
      f = rd = wr = 1 / (cp * spd);
      wt = touched_experts > 0 ? local_experts / touched_experts : 0;
      op.gemm.m = op.gemm.m * op.gemm.count * f / local_experts;
      op.gemm.count = local_experts;
      break;
    }
    case OpKind::norm: case OpKind::embedding:
      rd = wr = 1 / (cp * spd);
      wt = op.kind == OpKind::embedding ? 1 / (cp * spd) : 1;
      break;
    default:
      f = wt = rd = wr = 1 / (cp * tp);
      break;
  }
  op.flops *= f;
  op.weight_bytes *= wt;
  op.act_read_bytes *= rd;
  op.act_write_bytes *= wr;
  return op;
}

void CostAccumulator::add(const hw::GpuSpec& g, hw::Precision p, const OpTime& t, bool is_gemm, bool is_core) {
  time += t.time;
  if (is_gemm) gemm += t.time;
  if (is_core) core += t.time;
  if (t.flops > 0) units += t.flops / full_power_flops(g, p);
  mem += t.bytes / g.hbm_bandwidth;
}

LayerCost LayerCostModel::layer_cost(i64 l) const {
  const AttentionCount count = w.attention_kernel == AttentionKernel::flash ? AttentionCount::causal
                                                                            : AttentionCount::full;
  const Pass pass = Pass::training(w.micro_batch, w.seq_len, count);
  const OpBytes ob{element_bytes(w.precision), 2, 2};
  const double touched = m.layer_is_moe(l) ? expected_distinct_experts(m.moe.experts, m.moe.top_k, d(pass.tokens())) : 0;
  CostAccumulator all, core, rerun;
  const bool selective = w.recompute == Recompute::selective;
  const RecomputeModules& modules = w.recompute_modules;
  double linear = 0, core_flops = 0, quant_fwd = 0, quant_fwd_mem = 0, quant_bwd = 0, quant_bwd_mem = 0;
  const double micro_batches = std::max<double>(1, d(w.micro_batches()));
  const hw::GpuSpec& g = c.gpu;
  const bool fused = w.attention_kernel == AttentionKernel::flash && !g.training_attention_forward.empty();
  // The GEMMs Transformer Engine pairs with the sublayers' gathers and scatters (index: QKV, projection, FC1, FC2).
  std::optional<Op> te_gemm[4];
  for (const Op& raw : layer_ops(m, l, pass, ob)) {
    Op op = shard(raw, touched);
    const hw::Precision p = precision_of(op);
    // The FFN's activation is its own elementwise kernel, bias or not, in every framework of the suite
    // (Megatron-LM's fused bias_swiglu / bias_gelu, which also add the bias; a torch GELU in llm-foundry), not a
    // GEMM epilogue: the up-projection writes its whole output (2f gated), the kernel reads it and writes f, in
    // the down-projection's input precision (Transformer Engine's FP8 recipe takes it narrow).
    if (const double act = activation_kernel_bytes(op, m.gated_ffn(), 2, element_bytes(p)); act > 0) {
      const OpTime t = op_time(g, hw::Precision::bf16, 0, act);
      all.add(g, hw::Precision::bf16, t, false, false);
      const bool rerun_act = (modules.mlp && op.kind == OpKind::ffn_up) || (modules.moe_act && op.kind == OpKind::expert_up);
      if (selective && rerun_act) rerun.add(g, hw::Precision::bf16, t, false, false);
      if (m.gated_ffn()) op.act_write_bytes *= 2;
    }
    if (w.attention_kernel == AttentionKernel::unfused && op.kind == OpKind::attn_scores) {
      // The score matrix goes through HBM: written by QK^T, read and written by softmax, read by PV.
      const double elems = op.gemm.count * op.gemm.m * op.gemm.n;
      op.act_write_bytes += 2 * elems;
      // Softmax reads and writes them (4 bytes per element); dropout reads and writes them and writes a mask (5).
      const OpTime sm = op_time(g, p, 0, (w.dropout ? 9 : 4) * elems);
      all.add(g, p, sm, false, true);
      core.add(g, p, sm, false, true);
    }
    if (w.attention_kernel == AttentionKernel::unfused && op.kind == OpKind::attn_context) {
      op.act_read_bytes += 2 * op.gemm.count * op.gemm.m * op.gemm.k;
    }
    if (fused && op.attention_core) {
      core_flops += op.flops;  // timed below, at the fused kernel's measured rate
      continue;
    }
    const OpTime t = op_time(g, p, op);
    all.add(g, p, t, op.is_gemm(), op.attention_core);
    if (const int slot = te_pair_slot(op.kind); te_overlap && slot >= 0) te_gemm[slot] = op;
    if (selective && !op.attention_core && modules.reruns(op)) rerun.add(g, p, t, op.is_gemm(), false);
    if (op.attention_core) core.add(g, p, t, true, true);
    if (op.is_gemm() && !op.attention_core) linear += t.time;
    const QuantizeBytes q = p == hw::Precision::fp8 || p == hw::Precision::fp4 ? quantize_bytes(op, micro_batches)
                                                                              : QuantizeBytes{};
    if (q.forward > 0) {
      const OpTime fwd = op_time(g, hw::Precision::bf16, 0, q.forward);
      all.add(g, hw::Precision::bf16, fwd, false, false);
      if (selective && modules.reruns(op)) rerun.add(g, hw::Precision::bf16, fwd, false, false);  // its input cast
      quant_fwd += fwd.time;
      quant_fwd_mem += fwd.bytes / g.hbm_bandwidth;
      const OpTime bwd = op_time(g, hw::Precision::bf16, 0, q.backward);
      quant_bwd += bwd.time;
      quant_bwd_mem += bwd.bytes / g.hbm_bandwidth;
    }
  }
  // Fused (flash) attention at the GPU's measured training-kernel rate by sequence length (docs/hardware.md,
  // "Training attention"): forward F / (peak x f_fwd(s)); backward 2.5 F / (peak x f_bwd(s)), the kernel
  // recomputing QK^T as its benchmarks count it. Ring attention (cp) runs blocks of s / cp queries.
  double core_bwd = 0, core_bwd_units = 0;
  if (fused && core_flops > 0) {
    const double peak = g.flops.at(hw::Precision::bf16);
    const double seq = d(w.seq_len) / w.cp;
    const double t_fwd = core_flops / (peak * curve_fraction(g.training_attention_forward, seq));
    core_bwd = kFusedAttentionBackwardFlops * core_flops / (peak * curve_fraction(g.training_attention_backward, seq));
    OpTime t;
    t.time = t.compute_time = t_fwd;
    t.compute_bound = true;
    t.flops = core_flops;
    all.add(g, hw::Precision::bf16, t, true, true);
    core.add(g, hw::Precision::bf16, t, true, true);
    core_bwd_units = kFusedAttentionBackwardFlops * core_flops / gemm_peak_flops(g, hw::Precision::bf16);
  }
  // Two residual adds per layer (read 2, write 1 activation each), not in the op list.
  const double tokens_local = d(pass.tokens()) / (w.cp * sequence_shards(w));
  // With dropout, each is Megatron's fused bias-dropout-add, which also writes a 1-byte mask.
  const double residual_bytes = tokens_local * d(m.hidden) * (3 * 2 + (w.dropout ? 1 : 0));
  for (int k = 0; k < 2; ++k) all.add(g, hw::Precision::bf16, op_time(g, hw::Precision::bf16, 0, residual_bytes), false, false);
  // Rotary embeddings: one fused kernel (Transformer Engine's fused RoPE, Megatron-LM apply_rope_fusion).
  if (const double bytes = rope_kernel_bytes(m, d(pass.tokens()) / w.cp, w.tp); bytes > 0) {
    all.add(g, hw::Precision::bf16, op_time(g, hw::Precision::bf16, 0, bytes), false, false);
  }

  LayerCost lc;
  lc.fwd.compute = all.time;
  lc.fwd.gemm = all.gemm;
  lc.fwd.core = all.core;
  lc.fwd.units = all.units;
  lc.fwd.mem_units = all.mem;
  lc.core_fwd = core.time;
  lc.core_bwd = fused ? core_bwd : 2 * core.time;
  lc.core_bwd_units = fused ? core_bwd_units : 2 * core.units;
  lc.quant_fwd = quant_fwd;
  lc.quant_fwd_mem_units = quant_fwd_mem;
  lc.quant_bwd = quant_bwd;
  lc.quant_bwd_mem_units = quant_bwd_mem;
  lc.linear_fwd = linear;
  lc.rerun_fwd = rerun.time;
  lc.rerun_gemm = rerun.gemm;
  // A dense MLP reruns with its TP collectives (Megatron checkpoints the MLP module, its SP gather and scatter in it).
  if (selective && modules.mlp && !m.layer_is_moe(l)) lc.rerun_tp = t_tp_pair;
  lc.rerun_units = rerun.units;
  lc.rerun_mem_units = rerun.mem;
  lc.core_units = core.units;
  lc.core_mem_units = core.mem;
  lc.tp_hide = all.gemm;
  int pairs = 0;
  if (te_overlap) {
    // Each sublayer whose two GEMMs exist (MLA's and the routed experts' do not) carries its own collectives.
    for (int pair = 0; pair < 2; ++pair) {
      const std::optional<Op>& column = te_gemm[2 * pair];
      const std::optional<Op>& row = te_gemm[2 * pair + 1];
      if (!column || !row) continue;
      const bool attention = pair == 0;
      lc.tp_overlap += tp_overlap_pair(g, w.precision, *column, *row, w.tp,
                                       attention ? w.tp_overlap.proj_fprop : w.tp_overlap.fc2_fprop,
                                       attention ? w.tp_overlap.proj_fprop_sms : w.tp_overlap.fc2_fprop_sms, te_comm);
      ++pairs;
    }
    lc.tp_hide = std::max(0.0, lc.tp_hide - lc.tp_overlap.fwd_gemm);
  }
  lc.tp_comm = (2 - pairs) * t_tp_pair;
  if (w.cp > 1) {
    const double bytes = d(w.micro_batch) * d(w.seq_len) / w.cp * kv_width(m) / w.tp * 2;
    lc.cp_comm = (w.cp - 1) * coll.estimate(hw::CollectiveOp::send_recv, cp_pair, bytes).time;
  }
  if (m.layer_is_moe(l) && w.ep > 1) {
    const double bytes = tokens_local * d(m.moe.top_k) * d(m.hidden) * 2;
    lc.ep_comm = 2 * coll.estimate(hw::CollectiveOp::all_to_all, ep_group, bytes).time;
  }
  return lc;
}

std::vector<LayerCost> LayerCostModel::all_layers() const {
  std::vector<LayerCost> layer(static_cast<std::size_t>(m.layers));
  LayerCost cache[2][2];
  bool have[2][2] = {{false, false}, {false, false}};
  for (i64 l = 0; l < m.layers; ++l) {
    const int a = m.layer_is_moe(l) ? 1 : 0, b = m.layer_is_sliding(l) ? 1 : 0;
    if (!have[a][b]) {
      cache[a][b] = layer_cost(l);
      have[a][b] = true;
    }
    layer[static_cast<std::size_t>(l)] = cache[a][b];
  }
  return layer;
}

std::vector<std::vector<int>> LayerCostModel::dp_groups(int stage) const {
  std::vector<std::vector<int>> groups(static_cast<std::size_t>(w.tp));
  for (int t = 0; t < w.tp; ++t) {
    auto& g = groups[static_cast<std::size_t>(t)];
    for (int k = 0; k < w.dp; ++k)
      for (int j = 0; j < w.cp; ++j) g.push_back(rank(t, j, k, stage));
  }
  return groups;
}

std::vector<std::vector<int>> LayerCostModel::edp_groups(int stage) const {
  if (!m.is_moe()) return {};
  // Rank x of the stage's dp x tp ranks (tp fastest) holds the experts of EP rank x mod ep; each group is one EP
  // rank's holders, in every cp slice: expert_data_parallel_size of them (at ep 1, every GPU of the stage).
  std::vector<std::vector<int>> groups(static_cast<std::size_t>(w.ep));
  for (int e = 0; e < w.ep; ++e) {
    auto& g = groups[static_cast<std::size_t>(e)];
    for (int k = 0; k < w.dp * w.tp / w.ep; ++k) {
      const int x = k * w.ep + e;
      for (int j = 0; j < w.cp; ++j) g.push_back(rank(x % w.tp, j, x / w.tp, stage));
    }
  }
  return groups;
}

double LayerCostModel::collective_time(hw::CollectiveOp op, const std::vector<int>& group, double bytes) const {
  return group.size() > 1 && bytes > 0 ? coll.estimate(op, group, bytes).time : 0.0;
}

double param_gather_bytes(const PretrainingWorkload& w) {
  return w.narrow_weights ? element_bytes(w.precision) : 2.0;
}

double exposed(double comm, double hide, bool overlap) { return overlap ? std::max(0.0, comm - hide) : comm; }

double contention(double comm, double hide, bool overlap, double share) {
  return overlap ? share * std::min(comm, hide) : 0.0;
}

QuantizeBytes quantize_bytes(const Op& op, double micro_batches) {
  if (!op.is_gemm() || op.attention_core || op.kind == OpKind::router) return {};
  // Forward: the input (m x k), and the weights (k x n) once a step (TE keeps a step's narrow weights across its
  // micro-batches). Backward: the output gradient (m x n), cast-transposed for the dgrad and wgrad GEMMs.
  const double in = op.gemm.m * op.gemm.k * op.gemm.count, out = op.gemm.m * op.gemm.n * op.gemm.count;
  const double weights = op.gemm.k * op.gemm.n * op.gemm.count;
  return {in * (input_arrives_narrow(op.kind) ? kTransposeOnlyBytes : kCastTransposeBytes) +
              weights * kCastTransposeBytes / std::max(1.0, micro_batches),
          out * kCastTransposeBytes};
}

}  // namespace dcsim::wl
