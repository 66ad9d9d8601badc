// One training step: per-op roofline costs on one GPU of each stage, collectives on the topology, the pipeline as
// events, DP reduction and the optimizer step. docs/pretraining.md derives every term.
#include "workloads/pretraining/pretraining.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <string>

#include "hw/collectives.hpp"
#include "hw/power.hpp"
#include "hw/topology.hpp"
#include "sim/energy.hpp"
#include "sim/random.hpp"
#include "workloads/cluster_power.hpp"
#include "workloads/roofline.hpp"
#include "workloads/tensor_parallel.hpp"

namespace dcsim::wl {
namespace {

constexpr std::size_t kMaxTimelineSpans = 20000;  // past it the report leaves the timeline to the trace
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

using i64 = std::int64_t;
double d(i64 v) { return static_cast<double>(v); }
constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

// ZeRO paper (Rajbhandari et al. 2020 §3.1), mixed-precision Adam: 2 bytes weights + 2 bytes gradients + 12 bytes
// optimizer states (fp32 master weights, momentum, variance) per parameter.
constexpr double kWeightBytes = 2, kGradBytes = 2, kOptimizerBytes = 12;
// Adam step traffic per parameter (docs/pretraining.md): read fp32 grad 4, read+write master 8, m 8, v 8, write the
// bf16 weight 2.
constexpr double kOptimizerStepBytes = 30;
// Unfused gradient accumulation into the fp32 main_grad: read the 16-bit grad 2, read and write main_grad 8.
constexpr double kUnfusedGradAccumBytes = 10;

std::string fmt(double v, int digits = 1) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// Bytes of one element at a GEMM precision; an fp4 element carries its block scale (model_ops.hpp).
double weight_elem_bytes(hw::Precision p) {
  return p == hw::Precision::fp8 ? 1.0 : p == hw::Precision::fp4 ? kFp4StorageBytes : 2.0;
}

// Parameters of one layer, split into what TP shards (dense) and what EP shards (routed experts).
struct LayerParams {
  double dense = 0, experts = 0;
};
LayerParams layer_params(const ModelSpec& m, i64 layer) {
  const ParamCounts pc = m.param_counts();
  LayerParams p;
  const double L = d(m.layers);
  p.dense = d(pc.attention) / L + (d(pc.norms) - d(m.hidden)) / L;
  const i64 dense_layers = m.layers - m.moe_layers();
  if (m.layer_is_moe(layer)) {
    const double ml = d(m.moe_layers());
    p.dense += (d(pc.router) + d(pc.shared_experts)) / ml;
    p.experts = d(pc.routed_experts) / ml;
  } else if (dense_layers > 0) {
    p.dense += d(pc.dense_ffn) / d(dense_layers);
  }
  return p;
}

// Model chunk j (0 .. pp*v-1) holds layers [first, first + count).
struct ChunkLayers {
  i64 first = 0, count = 0;
};
ChunkLayers chunk_layers(const PretrainingWorkload& w, const ModelSpec& m, int j) {
  const int C = w.pp * w.interleave;
  const i64 per = (m.layers + 2 * w.pipeline_ends_fewer_layers) / C;
  const i64 cut = w.pipeline_ends_fewer_layers;
  auto count = [&](int k) { return (C == 1) ? m.layers : per - ((k == 0 || k == C - 1) ? cut : 0); };
  ChunkLayers c;
  for (int k = 0; k < j; ++k) c.first += count(k);
  c.count = count(j);
  return c;
}

// Width per token of the K and V tensors attention keeps (and ring attention passes around): 2 x kv_heads x
// head_dim, or with MLA the decompressed per-head keys and values.
double kv_width(const ModelSpec& m) {
  return m.attention == AttentionKind::mla ? d(m.heads) * d(m.mla.qk_head_dim() + m.mla.v_head_dim)
                                           : 2 * d(m.kv_heads) * d(m.head_dim);
}

int sp_div(const PretrainingWorkload& w) { return (w.sequence_parallel && w.tp > 1) ? w.tp : 1; }

// Activation bytes one layer keeps per micro-batch (Korthikanti et al. 2022 §4, generalised to GQA, gated and MoE
// FFNs: docs/pretraining.md). Per token, in units of h bytes: replicated by TP unless SP: 4 (two norm inputs) +
// 2 (dropout masks, only with dropout) + 2 (QKV input) + 2 (FFN input); split by TP: Q,K,V outputs, the attention
// output, the FFN's intermediate tensors; the score matrix only with an unfused attention kernel (5 a s / h with
// dropout, 2 a s / h without).
// The TP-split part of a layer's kept tensors, per token in units of h bytes: Q, K, V and the attention output, the
// FFN's intermediate tensors (MoE: of its top_k experts and shared experts, plus `per_top_k` x top_k for the
// dispatched tokens).
double split_units(const ModelSpec& m, i64 layer, double per_top_k) {
  const double h = d(m.hidden);
  double split = 2 * (d(m.q_width()) + kv_width(m)) / h + 2 * d(m.v_width()) / h;
  if (m.layer_is_moe(layer)) {
    const double f = d(m.moe.top_k * m.moe.ffn_hidden + m.moe.shared_experts * m.moe.shared_ffn_hidden);
    return split + (m.gated_ffn() ? 6 : 4) * f / h + per_top_k * d(m.moe.top_k);
  }
  return split + (m.gated_ffn() ? 6 : 4) * d(m.ffn_hidden) / h;
}

double layer_activation_bytes(const PretrainingWorkload& w, const ModelSpec& m, i64 layer, bool with_scores) {
  const double s = d(w.seq_len) / w.cp, b = d(w.micro_batch), h = d(m.hidden), t = w.tp;
  // The two dropout masks (1 byte per element each) only with dropout: Llama-class recipes run none.
  const double repl = 8 + (w.dropout ? 2 : 0);
  // Unfused scores: the softmax output (2 bytes per element) and, with dropout, its mask and output (1 + 2).
  const double scores = with_scores ? (w.dropout ? 5 : 2) * d(m.heads) * s / h : 0;
  return s * b * h * (repl / sp_div(w) + split_units(m, layer, 2) / t + scores / t);
}

// Bytes one layer keeps per micro-batch between its B and its deferred W pass (zb-h1): every linear layer's input
// and output gradient, what its weight-gradient GEMM reads. Per token, in units of h bytes: replicated unless SP
// (sail-sg/zero-bubble-pipeline-parallelism keeps both sequence-sharded and re-gathers them in W): the QKV and
// FFN inputs 2 + 2 and the output gradients of the attention output and FFN down projections 2 + 2 = 8; split by
// tp: the Q, K, V output gradients, the attention output (out_proj input), the FFN down input and the up (gate)
// output gradients (together the forward's 6f/h gated, 4f/h plain), MoE: + the dispatched inputs 2 top_k and the
// expert-down output gradients 2 top_k. For a GPT layer this is Qi et al. 2024's Table 1: 32 s b h of the 34 the
// forward keeps (the norm inputs and dropout masks go with B, the scores never reach W).
double layer_wgrad_bytes(const PretrainingWorkload& w, const ModelSpec& m, i64 layer) {
  const double s = d(w.seq_len) / w.cp, b = d(w.micro_batch), h = d(m.hidden), t = w.tp;
  const double repl = 8;
  return s * b * h * (repl / sp_div(w) + split_units(m, layer, 4) / t);
}

}  // namespace

MemoryEstimate estimate_memory(const PretrainingWorkload& w, const ModelSpec& m, const hw::ClusterSpec& /*c*/) {
  MemoryEstimate best;
  const int C = w.pp * w.interleave;
  const double shard = d(w.dp) * w.cp;  // ZeRO shards over the data-parallel group (Megatron: dp x cp)
  const i64 mb = std::max<i64>(1, w.micro_batches());
  const ParamCounts pc = m.param_counts();
  const bool scores = w.attention_kernel == AttentionKernel::unfused && w.recompute == Recompute::none;
  for (int s = 0; s < w.pp; ++s) {
    double params = 0, act_per_micro_chunk_max = 0, act_layer_max = 0, wgrad_keep = 0;
    std::vector<double> chunk_act;
    for (int c = 0; c < w.interleave; ++c) {
      const int j = c * w.pp + s;
      const ChunkLayers cl = chunk_layers(w, m, j);
      double act = 0;
      for (i64 l = cl.first; l < cl.first + cl.count; ++l) {
        const LayerParams lp = layer_params(m, l);
        params += lp.dense / w.tp + lp.experts / w.ep;
        const double full = layer_activation_bytes(w, m, l, scores);
        act_layer_max = std::max(act_layer_max, full);
        if (w.schedule == PipelineSchedule::zb_h1) wgrad_keep += layer_wgrad_bytes(w, m, l);
        if (w.recompute == Recompute::full) {
          act += 2 * (d(w.seq_len) / w.cp) * d(w.micro_batch) * d(m.hidden) / sp_div(w);
        } else {
          act += full;
        }
      }
      if (j == 0) params += d(pc.embedding + pc.position) / w.tp;
      if (j == C - 1) params += (m.tied_embeddings && C > 1 ? d(pc.embedding) : d(pc.lm_head)) / w.tp;
      chunk_act.push_back(act);
      act_per_micro_chunk_max = std::max(act_per_micro_chunk_max, act);
    }
    // Micro-batch chunks whose activations are alive at the stage's peak: the warm-up forwards plus one.
    double in_flight = 0, zb_peak = -1;
    if (w.schedule == PipelineSchedule::zb_h1) {
      // Walk the stage's order: micro-batches between F and B keep the forward's activations, those between B and
      // their deferred W the weight-gradient inputs (layer_wgrad_bytes). Stage s peaks right after a forward with
      // p - s of the first kind and s of the second: p micro-batches, as stage 0 holds in 1F1B.
      double fb = 0, bw = 0;
      zb_peak = 0;
      for (const PipelineTask& t : stage_order(w.schedule, w.pp, 1, static_cast<int>(mb), s)) {
        if (t.forward) {
          fb += 1;
        } else if (!t.weight) {
          fb -= 1;
          bw += 1;
        } else {
          bw -= 1;
        }
        const double bytes = fb * chunk_act[0] + bw * wgrad_keep;
        if (bytes > zb_peak) {
          zb_peak = bytes;
          in_flight = fb + bw;
        }
      }
    } else if (w.schedule == PipelineSchedule::gpipe) {
      in_flight = d(mb) * w.interleave;
    } else if (w.pp == 1) {
      in_flight = w.interleave;
    } else if (w.schedule == PipelineSchedule::one_f_one_b) {
      in_flight = std::min<double>(w.pp - s, d(mb));
    } else {
      in_flight = std::min<double>((w.pp - s - 1) * 2 + (w.interleave - 1) * w.pp + 1, d(mb) * w.interleave);
    }
    MemoryEstimate e;
    e.stage = s;
    e.in_flight = in_flight;
    e.weights = params * kWeightBytes / (w.zero >= 3 ? shard : 1);
    e.gradients = params * kGradBytes / (w.zero >= 2 ? shard : 1);
    e.optimizer = params * kOptimizerBytes / (w.zero >= 1 ? shard : 1);
    const double mean_chunk = std::accumulate(chunk_act.begin(), chunk_act.end(), 0.0) / w.interleave;
    e.activations = zb_peak >= 0 ? zb_peak : in_flight * mean_chunk;
    if (w.recompute == Recompute::full) e.activations += act_layer_max;  // the layer being recomputed
    if (s == w.pp - 1) {
      // fp32 logits of one micro-batch (Korthikanti 2022 §4.1: 4 s b v / t)
      e.logits = 4 * (d(w.seq_len) / w.cp) * d(w.micro_batch) * d(m.vocab) / w.tp;
    }
    if (e.total() > best.total() || s == 0) best = e;
  }
  return best;
}

void check_plan(const PretrainingWorkload& w, const ModelSpec& m, const hw::ClusterSpec& c) {
  auto fail = [](const std::string& key, const std::string& msg) { throw PlanError(key, msg); };
  const int gpus = c.total_gpus();
  const i64 product = i64{w.tp} * w.pp * w.dp * w.cp;
  if (product != gpus) {
    fail("parallelism", "tp*pp*dp*cp = " + std::to_string(w.tp) + "*" + std::to_string(w.pp) + "*" +
                            std::to_string(w.dp) + "*" + std::to_string(w.cp) + " = " + std::to_string(product) +
                            " but the cluster has " + std::to_string(gpus) +
                            " GPUs (hardware.count x GPUs per system); change dp or hardware.count");
  }
  if (const auto problem = tensor_parallel_problem(m, w.tp, c, w.allow_tp_across_domains)) {
    const bool domain = problem->rule == TensorParallelProblem::Rule::domain;
    fail("parallelism.tp", problem->message + (domain ? " and raise pp, or set allow_tp_across_domains: true" : ""));
  }
  if (w.schedule == PipelineSchedule::zb_h1 && w.interleave != 1) {
    fail("interleave", "interleave = " + std::to_string(w.interleave) +
                           " but schedule: zb-h1 runs one model chunk per stage (Qi et al.'s ZB-H1 has no virtual "
                           "stages); set interleave: 1, or use schedule: interleaved for virtual stages");
  }
  if (w.schedule == PipelineSchedule::zb_h1 && w.pp < 2) {
    fail("schedule", "schedule: zb-h1 needs pp >= 2 but parallelism.pp = " + std::to_string(w.pp) +
                         " (one stage has no pipeline bubble for W passes to fill); use schedule: 1f1b or raise pp");
  }
  if (w.schedule != PipelineSchedule::interleaved && w.interleave != 1) {
    fail("interleave", "interleave > 1 needs schedule: interleaved");
  }
  if (w.schedule == PipelineSchedule::interleaved && (w.interleave < 2 || w.pp < 2)) {
    fail("interleave", "schedule: interleaved needs interleave >= 2 and pp >= 2");
  }
  const i64 C = i64{w.pp} * w.interleave;
  const i64 cut = w.pipeline_ends_fewer_layers;
  if ((m.layers + 2 * cut) % C != 0 || (C > 1 && (m.layers + 2 * cut) / C - cut < 1) || (C == 1 && cut != 0)) {
    fail("parallelism.pp", "the model's " + std::to_string(m.layers) + " layers" +
                               (cut ? " (+2x" + std::to_string(cut) + " taken off the ends)" : std::string()) +
                               " do not split evenly into pp x interleave = " + std::to_string(C) +
                               " chunks; choose pp (and interleave) dividing the layers, or pipeline_ends_fewer_layers");
  }
  if (w.global_batch % (w.micro_batch * w.dp) != 0) {
    fail("global_batch", "global_batch = " + std::to_string(w.global_batch) + " is not a multiple of micro_batch x dp = " +
                             std::to_string(w.micro_batch * w.dp));
  }
  const i64 mbs = w.micro_batches();
  if (w.schedule == PipelineSchedule::interleaved && mbs % w.pp != 0) {
    fail("global_batch", "the interleaved schedule needs micro-batches per replica (" + std::to_string(mbs) +
                             ") to be a multiple of pp = " + std::to_string(w.pp));
  }
  if (w.schedule == PipelineSchedule::zb_h1 && mbs < w.pp) {
    fail("global_batch", "schedule: zb-h1 needs at least pp = " + std::to_string(w.pp) +
                             " micro-batches per replica but global_batch / (micro_batch x dp) = " +
                             std::to_string(mbs) +
                             " (Qi et al.'s ZB-H1 is laid out for m >= p); raise global_batch, lower "
                             "micro_batch or dp, or use schedule: 1f1b");
  }
  if (w.cp > 1 && w.seq_len % (2 * w.cp) != 0) {
    fail("parallelism.cp", "seq_len = " + std::to_string(w.seq_len) + " must be a multiple of 2 x cp = " +
                               std::to_string(2 * w.cp) + " (load-balanced causal chunks)");
  }
  if (w.ep > 1) {
    if (!m.is_moe()) fail("parallelism.ep", "ep > 1 needs a mixture-of-experts model; '" + m.name + "' is dense");
    if (m.moe.experts % w.ep != 0) {
      fail("parallelism.ep", "the model's " + std::to_string(m.moe.experts) + " experts are not divisible by ep = " +
                                 std::to_string(w.ep));
    }
    if (w.ep > w.dp * w.tp || (w.dp * w.tp) % w.ep != 0) {
      fail("parallelism.ep", "ep = " + std::to_string(w.ep) + " must divide dp x tp = " + std::to_string(w.dp * w.tp) +
                                 " (expert groups are carved from the data- and tensor-parallel ranks)");
    }
  }
  if (m.is_moe() && w.tp > 1 && !w.sequence_parallel) {
    fail("sequence_parallel", "MoE layers with tp > 1 need sequence_parallel: true (Megatron-LM requires it)");
  }
  if (c.gpu.flops.at(w.precision) <= 0) {
    fail("precision", "GPU '" + c.gpu.name + "' has no " + std::string(hw::to_string(w.precision)) +
                          " tensor cores; use bf16" + (c.gpu.flops.fp8 > 0 ? " or fp8" : ""));
  }
  const MemoryEstimate mem = estimate_memory(w, m, c);
  if (mem.total() > c.gpu.hbm_capacity) {
    fail("micro_batch",
         "the plan does not fit: pipeline stage " + std::to_string(mem.stage) + " needs " + fmt(mem.total() / kGiB) +
             " GiB per GPU (weights " + fmt(mem.weights / kGiB) + ", gradients " + fmt(mem.gradients / kGiB) +
             ", optimizer " + fmt(mem.optimizer / kGiB) + ", activations " + fmt(mem.activations / kGiB) + " for " +
             fmt(mem.in_flight, 0) + " micro-batch chunks in flight, logits " + fmt(mem.logits / kGiB) + ") but " +
             c.gpu.name + " has " + fmt(c.gpu.hbm_capacity / kGiB) +
             " GiB; raise tp or pp, enable recompute (selective or full), raise zero (1-3), or lower micro_batch");
  }
}

namespace {

// Costs of one pass (forward or backward) of one model chunk for one micro-batch on one GPU.
struct PassCost {
  double compute = 0;    // roofline time of its ops (recompute included in backward)
  double gemm = 0;       // part of compute spent in GEMMs (what TP overlap can hide behind)
  double core = 0;       // attention core (what ring attention hides behind)
  double tp = 0, cp = 0, ep = 0, dp = 0;  // exposed communication
  double contention = 0; // compute slowed by NCCL kernels holding SMs while hidden communication runs
  double wgrad = 0;      // backward only: the part of compute that is weight gradients (zb-h1's W pass)
  double units = 0;      // sum of flops / achievable peak rate (seconds at full tensor-core activity)
  double mem_units = 0;  // sum of bytes / peak HBM bandwidth
  double total() const { return compute + tp + cp + ep + dp + contention; }
};

struct LayerCost {
  PassCost fwd;              // forward ops
  double core_fwd = 0;       // attention-core part of fwd.compute (selective recompute)
  double core_bwd = 0;       // the attention core's backward (2 x core_fwd, or the fused kernel's measured rate)
  double core_bwd_units = 0;
  // FP8/FP4 quantize kernels: the forward's (in fwd.compute, not doubled into the backward) and the backward's.
  double quant_fwd = 0, quant_fwd_mem_units = 0, quant_bwd = 0, quant_bwd_mem_units = 0;
  double linear_fwd = 0;     // linear-layer GEMM part of fwd.compute (each one's dW GEMM costs the same)
  double core_units = 0, core_mem_units = 0;
  double tp_comm = 0;        // one pass's TP collectives (before overlap)
  double cp_comm = 0;        // one forward's ring-attention exchanges (before overlap)
  double ep_comm = 0;        // one forward's all-to-alls
};

struct Planner {
  const PretrainingWorkload& w;
  const ModelSpec& m;
  const hw::ClusterSpec& c;
  const hw::Topology& topo;
  const hw::Collectives& coll;
  std::vector<int> tp_group, cp_pair, ep_group, dp_group;
  double t_tp_pair = 0;  // one sublayer's TP collectives (AR, or AG + RS with SP)

  int rank(int tp_i, int cp_i, int dp_i, int pp_i) const {
    return tp_i + w.tp * (cp_i + w.cp * (dp_i + w.dp * pp_i));
  }

  void build_groups() {
    for (int i = 0; i < w.tp; ++i) tp_group.push_back(rank(i, 0, 0, 0));
    if (w.cp > 1) cp_pair = {rank(0, 0, 0, 0), rank(0, 1, 0, 0)};
    for (int i = 0; i < w.ep; ++i) ep_group.push_back(rank(i % w.tp, 0, i / w.tp, 0));
    for (int k = 0; k < w.dp; ++k)
      for (int j = 0; j < w.cp; ++j) dp_group.push_back(rank(0, j, k, 0));
    const double tokens = d(w.micro_batch) * d(w.seq_len) / w.cp;
    const double bytes = tokens * d(m.hidden) * 2;
    if (w.tp > 1) {
      t_tp_pair = sp_div(w) > 1 ? coll.estimate(hw::CollectiveOp::all_gather, tp_group, bytes).time +
                                      coll.estimate(hw::CollectiveOp::reduce_scatter, tp_group, bytes).time
                                : coll.estimate(hw::CollectiveOp::all_reduce, tp_group, bytes).time;
    }
  }

  hw::Precision prec_of(const Op& op) const {
    if (op.attention_core || op.kind == OpKind::lm_head) return hw::Precision::bf16;
    return w.precision;
  }

  // Shards an op of the whole micro-batch onto one GPU (docs/pretraining.md, "Sharding").
  Op shard(Op op, double touched_experts) const {
    const double tp = w.tp, cp = w.cp, spd = sp_div(w);
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

  struct Acc {
    double time = 0, gemm = 0, core = 0, units = 0, mem = 0;
    void add(const hw::GpuSpec& g, hw::Precision p, const OpTime& t, bool is_gemm, bool is_core) {
      time += t.time;
      if (is_gemm) gemm += t.time;
      if (is_core) core += t.time;
      if (t.flops > 0) units += t.flops / gemm_peak_flops(g, p);
      mem += t.bytes / g.hbm_bandwidth;
    }
  };

  LayerCost layer_cost(i64 l) const {
    const AttentionCount count = w.attention_kernel == AttentionKernel::flash ? AttentionCount::causal
                                                                              : AttentionCount::full;
    const Pass pass = Pass::training(w.micro_batch, w.seq_len, count);
    const OpBytes ob{weight_elem_bytes(w.precision), 2, 2};
    const double touched = m.layer_is_moe(l) ? expected_distinct_experts(m.moe.experts, m.moe.top_k, d(pass.tokens())) : 0;
    Acc all, core;
    double linear = 0, core_flops = 0, quant_fwd = 0, quant_fwd_mem = 0, quant_bwd = 0, quant_bwd_mem = 0;
    const double micro_batches = std::max<double>(1, d(w.micro_batches()));
    const hw::GpuSpec& g = c.gpu;
    const bool fused = w.attention_kernel == AttentionKernel::flash && !g.training_attention_forward.empty();
    for (const Op& raw : layer_ops(m, l, pass, ob)) {
      Op op = shard(raw, touched);
      const hw::Precision p = prec_of(op);
      // The FFN's activation is its own elementwise kernel, bias or not, in every framework of the suite
      // (Megatron-LM's fused bias_swiglu / bias_gelu, which also add the bias; a torch GELU in llm-foundry), not a
      // GEMM epilogue: the up-projection writes its whole output (2f gated), the kernel reads it and writes f, in
      // the down-projection's input precision (Transformer Engine's FP8 recipe takes it narrow).
      if (const double act = activation_kernel_bytes(op, m.gated_ffn(), 2, weight_elem_bytes(p)); act > 0) {
        all.add(g, hw::Precision::bf16, op_time(g, hw::Precision::bf16, 0, act), false, false);
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
      if (op.attention_core) core.add(g, p, t, true, true);
      if (op.is_gemm() && !op.attention_core) linear += t.time;
      const QuantizeBytes q = p == hw::Precision::fp8 || p == hw::Precision::fp4 ? quantize_bytes(op, micro_batches)
                                                                                : QuantizeBytes{};
      if (q.forward > 0) {
        const OpTime fwd = op_time(g, hw::Precision::bf16, 0, q.forward);
        all.add(g, hw::Precision::bf16, fwd, false, false);
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
    const double tokens_local = d(pass.tokens()) / (w.cp * sp_div(w));
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
    lc.core_units = core.units;
    lc.core_mem_units = core.mem;
    lc.tp_comm = 2 * t_tp_pair;
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
};

double exposed(double comm, double hide, bool overlap) { return overlap ? std::max(0.0, comm - hide) : comm; }
// Hidden communication still costs compute: NCCL's CTAs (one per channel) take whole SMs while they run and do not
// share them with compute kernels (NVIDIA/nccl#689), so the compute it hides behind runs on (1 - share) of the SMs
// for the overlapped time: + share x min(comm, hide).
double contention(double comm, double hide, bool overlap, double share) {
  return overlap ? share * std::min(comm, hide) : 0.0;
}

}  // namespace

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

double activation_kernel_bytes(const Op& sharded_up, bool gated, double in_bytes, double out_bytes) {
  if (sharded_up.kind != OpKind::ffn_up && sharded_up.kind != OpKind::expert_up && sharded_up.kind != OpKind::shared_up) {
    return 0;
  }
  const double outputs = sharded_up.act_write_bytes / in_bytes;  // f per token (the op list's fused form)
  return outputs * ((gated ? 2 : 1) * in_bytes + out_bytes);
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

// A campaign's failures and goodput (goodput.hpp) for this job: its parts, and a checkpoint of every parameter in
// bf16 with its fp32 master copy and two Adam moments (2 + 4 + 4 + 4 bytes; Megatron's distributed checkpoint).
// An asynchronous checkpoint stalls training for one GPU's state (weights and optimizer shard) over its host link.
void report_goodput(const GoodputSpec& spec, const ModelSpec& m, const hw::ClusterSpec& c, const MemoryEstimate& mem,
                    double tokens_per_s, std::uint64_t seed, Metrics& M) {
  constexpr double kCheckpointBytesPerParam = 2 + 4 + 4 + 4;
  GoodputJob job;
  job.gpus = c.total_gpus();
  // Hosts as the per-host rates count them: compute nodes (an HGX board, an NVL72 compute tray of 4 GPUs).
  const int node = c.system.gpus_per_node > 0 ? c.system.gpus_per_node : c.system.gpus;
  job.hosts = c.systems * std::ceil(static_cast<double>(c.gpus_per_system) / node);
  job.links = job.gpus;  // one scale-out NIC link per GPU (rail-optimised HGX and NVL72 alike)
  job.checkpoint_bytes = d(m.total_params()) * kCheckpointBytesPerParam;
  job.snapshot_s = c.cpu.gpu_link_bandwidth > 0 ? (mem.weights + mem.optimizer) / c.cpu.gpu_link_bandwidth : 0;
  const GoodputResult r = simulate_goodput(spec, job, seed);
  M.set("reliability.ettr", r.ettr);
  M.set("reliability.ettr_expected", r.ettr_expected);
  M.set("reliability.interruptions", d(r.unplanned + r.planned));
  M.set("reliability.interruptions_unplanned", d(r.unplanned));
  M.set("reliability.interruptions_planned", d(r.planned));
  for (const auto& [cause, n] : r.by_cause) M.set("reliability.interruptions_by_cause." + cause, d(n));
  if (r.unplanned_rate_per_s > 0) M.set("reliability.job_mtbf_h", 1 / r.unplanned_rate_per_s / 3600);
  M.set("reliability.checkpoint_bytes", job.checkpoint_bytes);
  M.set("reliability.checkpoint_write_s", r.checkpoint_write_s);
  M.set("reliability.checkpoint_stall_s", r.checkpoint_block_s);
  M.set("reliability.checkpoint_restore_s", r.checkpoint_restore_s);
  M.set("reliability.checkpoint_interval_s", r.interval_s);
  if (std::isfinite(r.optimal_interval_s)) M.set("reliability.checkpoint_interval_optimal_s", r.optimal_interval_s);
  M.set("reliability.useful_h", r.useful_s / 3600);
  M.set("reliability.lost_work_h", r.lost_work_s / 3600);
  M.set("reliability.restart_h", r.restart_s / 3600);
  M.set("reliability.restore_h", r.restore_s / 3600);
  M.set("reliability.checkpoint_h", r.checkpoint_s / 3600);
  M.set("goodput_tokens_per_day", r.ettr * tokens_per_s * 86400);
}

RunResult run_pretraining(const PretrainingWorkload& w, const ModelSpec& m, const hw::ClusterSpec& cluster,
                          std::uint64_t seed, sim::TraceRecorder* trace) {
  // Training keeps the tensor cores busy for seconds at a time: its GPUs run at the clock they sustain at their
  // power limit, below the burst at which the catalog's GEMM and attention rates were measured (docs/hardware.md,
  // "Sustained clock"). Peaks, and so MFU, are unchanged.
  hw::ClusterSpec c = cluster;
  hw::apply_sustained_clock(c.gpu);
  check_plan(w, m, c);
  const hw::Topology topo = hw::build_topology(c);
  const hw::Collectives coll(topo, c);
  Planner P{w, m, c, topo, coll, {}, {}, {}, {}, 0};
  P.build_groups();
  const int pp = w.pp, v = w.interleave, C = pp * v;
  const i64 mbs = w.micro_batches();
  const hw::GpuSpec& g = c.gpu;

  // Per-layer costs, cached by layer kind (dense/MoE x full/sliding attention).
  std::vector<LayerCost> layer(static_cast<std::size_t>(m.layers));
  {
    LayerCost cache[2][2];
    bool have[2][2] = {{false, false}, {false, false}};
    for (i64 l = 0; l < m.layers; ++l) {
      const int a = m.layer_is_moe(l) ? 1 : 0, b = m.layer_is_sliding(l) ? 1 : 0;
      if (!have[a][b]) {
        cache[a][b] = P.layer_cost(l);
        have[a][b] = true;
      }
      layer[static_cast<std::size_t>(l)] = cache[a][b];
    }
  }

  // Stragglers: each stage runs at the pace of its slowest GPU (TP syncs every layer, DP at the step's end): the
  // largest of its GPUs' time factors, each ~ Normal(1, cv) (at least 0.5: a draw cannot make a GPU twice as fast).
  std::vector<double> slow(static_cast<std::size_t>(pp), 1.0);
  if (w.straggler_cv > 0) {
    sim::RandomStream rng(seed, "pretraining.stragglers");
    const int per_stage = w.tp * w.cp * w.dp;
    for (int s = 0; s < pp; ++s) {
      double slowest = 0;
      for (int k = 0; k < per_stage; ++k) slowest = std::max(slowest, std::max(0.5, rng.normal(1.0, w.straggler_cv)));
      slow[static_cast<std::size_t>(s)] = slowest;
    }
  }

  // Chunk costs.
  const double tokens_mb = d(w.micro_batch) * d(w.seq_len);
  const double dp_bytes_per_param = w.grad_reduce_fp32 ? 4.0 : 2.0;
  struct Chunk {
    PassCost fwd, bwd;
    double params = 0;                 // per GPU
    std::vector<double> bucket_params; // per layer (backward order: last layer first), + ends
  };
  std::vector<std::vector<Chunk>> chunks(static_cast<std::size_t>(pp), std::vector<Chunk>(static_cast<std::size_t>(v)));
  const ParamCounts pc = m.param_counts();
  auto ar = [&](hw::CollectiveOp op, std::vector<int>& grp, double bytes) {
    return grp.size() > 1 && bytes > 0 ? coll.estimate(op, grp, bytes).time : 0.0;
  };
  for (int s = 0; s < pp; ++s) {
    for (int cidx = 0; cidx < v; ++cidx) {
      const int j = cidx * pp + s;
      const ChunkLayers cl = chunk_layers(w, m, j);
      Chunk& ch = chunks[static_cast<std::size_t>(s)][static_cast<std::size_t>(cidx)];
      PassCost& F = ch.fwd;
      PassCost& B = ch.bwd;
      for (i64 l = cl.first + cl.count; l-- > cl.first;) {
        const LayerCost& lc = layer[static_cast<std::size_t>(l)];
        const LayerParams lp = layer_params(m, l);
        const double p = lp.dense / w.tp + lp.experts / w.ep;
        ch.params += p;
        ch.bucket_params.push_back(p);
        F.compute += lc.fwd.compute;
        F.gemm += lc.fwd.gemm;
        F.units += lc.fwd.units;
        F.mem_units += lc.fwd.mem_units;
        F.tp += exposed(lc.tp_comm, lc.fwd.gemm, w.overlap_tp_comm);
        F.cp += exposed(lc.cp_comm, lc.core_fwd, true);
        F.contention += contention(lc.tp_comm, lc.fwd.gemm, w.overlap_tp_comm, w.comm_sm_share) +
                        contention(lc.cp_comm, lc.core_fwd, true, w.comm_sm_share);
        F.ep += lc.ep_comm;
        // Backward: every op twice its forward (input and weight gradients), plus recomputation.
        double rc = 0, rc_units = 0, rc_mem = 0, rc_tp = 0, rc_cp = 0, rc_ep = 0;
        if (w.recompute == Recompute::full) {
          rc = lc.fwd.compute; rc_units = lc.fwd.units; rc_mem = lc.fwd.mem_units;
          rc_tp = exposed(lc.tp_comm, lc.fwd.gemm, w.overlap_tp_comm);
          rc_cp = exposed(lc.cp_comm, lc.core_fwd, true);
          B.contention += contention(lc.tp_comm, lc.fwd.gemm, w.overlap_tp_comm, w.comm_sm_share) +
                          contention(lc.cp_comm, lc.core_fwd, true, w.comm_sm_share);
          rc_ep = lc.ep_comm;
        } else if (w.recompute == Recompute::selective) {
          rc = lc.core_fwd; rc_units = lc.core_units; rc_mem = lc.core_mem_units;
        }
        B.compute += 2 * (lc.fwd.compute - lc.core_fwd - lc.quant_fwd) + lc.core_bwd + lc.quant_bwd + rc;
        // Of it, W (Qi et al. 2024 §2): each linear layer's weight-gradient GEMM, the forward GEMM's FLOPs and
        // shapes. B keeps the input-gradient GEMMs, the attention core's backward, norms and elementwise ops, the
        // recomputation that precedes them, and the communication.
        B.wgrad += lc.linear_fwd;
        B.gemm += 2 * lc.fwd.gemm;
        B.units += 2 * (lc.fwd.units - lc.core_units) + lc.core_bwd_units + rc_units;
        B.mem_units += 2 * (lc.fwd.mem_units - lc.quant_fwd_mem_units) + lc.quant_bwd_mem_units + rc_mem;
        B.tp += exposed(lc.tp_comm, 2 * lc.fwd.gemm, w.overlap_tp_comm) + rc_tp;
        B.cp += exposed(2 * lc.cp_comm, 2 * lc.core_fwd, true) + rc_cp;
        B.contention += contention(lc.tp_comm, 2 * lc.fwd.gemm, w.overlap_tp_comm, w.comm_sm_share) +
                        contention(2 * lc.cp_comm, 2 * lc.core_fwd, true, w.comm_sm_share);
        B.ep += lc.ep_comm + rc_ep;
      }
      const OpBytes ob{2, 2, 2};
      if (j == 0) {
        // Embedding lookup (vocab-parallel: one TP reduction of its output).
        std::vector<Op> ops = forward_ops(m, Pass::training(w.micro_batch, 1), ob);
        Op e = ops.front();
        e.weight_bytes *= d(w.seq_len);
        e.act_write_bytes *= d(w.seq_len);
        const OpTime t = op_time(g, hw::Precision::bf16, P.shard(e, 0));
        F.compute += t.time;
        F.mem_units += t.bytes / g.hbm_bandwidth;
        B.compute += 2 * t.time;
        B.wgrad += 2 * t.time;  // the lookup has no input gradient: its backward is the embedding's weight gradient
        B.mem_units += 2 * t.bytes / g.hbm_bandwidth;
        F.tp += P.t_tp_pair / 2;
        const double p = d(pc.embedding + pc.position) / w.tp;
        ch.params += p;
        ch.bucket_params.push_back(p);
      }
      if (j == C - 1) {
        // Final norm, LM head (vocab-parallel), cross-entropy over the vocab-parallel logits.
        Op norm;
        norm.kind = OpKind::norm;
        norm.weight_bytes = d(m.hidden) * 2;
        norm.act_read_bytes = norm.act_write_bytes = tokens_mb * d(m.hidden) * 2;
        Op head;
        head.kind = OpKind::lm_head;
        head.gemm = {tokens_mb, d(m.vocab), d(m.hidden), 1};
        head.flops = head.gemm.flops();
        head.weight_bytes = d(m.vocab) * d(m.hidden) * 2;
        head.act_read_bytes = tokens_mb * d(m.hidden) * 2;
        head.act_write_bytes = tokens_mb * d(m.vocab) * 2;
        Planner::Acc acc;
        double head_time = 0;
        for (const Op& raw : {norm, head}) {
          const Op op = P.shard(raw, 0);
          const OpTime t = op_time(g, P.prec_of(op), op);
          acc.add(g, P.prec_of(op), t, op.is_gemm(), false);
          if (op.kind == OpKind::lm_head) head_time = t.time;
        }
        // Softmax cross-entropy: read the logits, write fp32 softmax, read it for the gradient.
        const double logits = tokens_mb / w.cp * d(m.vocab) / w.tp;
        acc.add(g, hw::Precision::bf16, op_time(g, hw::Precision::bf16, 0, logits * (2 + 4 + 4)), false, false);
        F.compute += acc.time; F.gemm += acc.gemm; F.units += acc.units; F.mem_units += acc.mem;
        B.compute += 2 * acc.time; B.gemm += 2 * acc.gemm; B.units += 2 * acc.units; B.mem_units += 2 * acc.mem;
        B.wgrad += head_time;  // the LM head's weight gradient
        // Full recomputation checkpoints the transformer layers only (Megatron-LM's checkpointed layer forward):
        // the final norm, LM head and loss are not run again (Narayanan 2021 eq. 3 counts the logit layer 3 times).
        F.tp += P.t_tp_pair / 2;
        B.tp += P.t_tp_pair / 2;
        const double p = (m.tied_embeddings && C > 1 ? d(pc.embedding) : d(pc.lm_head)) / w.tp;
        ch.params += p;
        ch.bucket_params.insert(ch.bucket_params.begin(), p);
      }
      if (!w.grad_accumulation_fusion) {
        // Megatron-LM before gradient-accumulation fusion (2022): the weight-gradient GEMM writes a bf16/fp16
        // .grad and a backward hook adds it into the fp32 main_grad buffer (`param.main_grad.add_(param.grad)`,
        // megatron/model/distributed.py): read 2 + read 4 + write 4 bytes per parameter, every micro-batch, one
        // memory-bound kernel per layer's tensors.
        for (const double bp : ch.bucket_params) {
          const OpTime t = op_time(g, hw::Precision::bf16, 0, bp * kUnfusedGradAccumBytes);
          B.compute += t.time;
          B.wgrad += t.time;  // follows its weight-gradient GEMM
          B.mem_units += t.bytes / g.hbm_bandwidth;
        }
      }
      if (w.zero >= 3) {
        // FSDP: gather the chunk's parameters for every forward and backward, reduce-scatter its gradients after
        // every backward, prefetched behind the chunk's compute.
        const double ag = ar(hw::CollectiveOp::all_gather, P.dp_group, ch.params * kWeightBytes);
        const double rs = ar(hw::CollectiveOp::reduce_scatter, P.dp_group, ch.params * dp_bytes_per_param);
        const double fc = F.total(), bc = B.total();
        F.dp = std::max(0.0, ag - fc);
        B.dp = std::max(0.0, ag + rs - bc);
        F.contention += contention(ag, fc, true, w.comm_sm_share);
        B.contention += contention(ag + rs, bc, true, w.comm_sm_share);
      }
      const double f = slow[static_cast<std::size_t>(s)];
      F.compute *= f; F.gemm *= f; F.contention *= f;
      B.compute *= f; B.gemm *= f; B.contention *= f; B.wgrad *= f;
    }
  }

  // The pipeline as events, with and without the point-to-point transfer time (the difference is the exposed
  // pipeline communication; the run without it gives the bubble).
  const double p2p_bytes = tokens_mb / w.cp * d(m.hidden) * 2 / sp_div(w);
  double p2p = 0;
  if (pp > 1) {
    const std::vector<int> pair = {P.rank(0, 0, 0, 0), P.rank(0, 0, 0, 1)};
    p2p = coll.estimate(hw::CollectiveOp::send_recv, pair, p2p_bytes).time;
  }
  PipelineDurations dur;
  dur.p2p = p2p;
  dur.blocking = !w.async_p2p;
  for (int s = 0; s < pp; ++s) {
    dur.fwd.emplace_back();
    dur.bwd.emplace_back();
    dur.wgt.emplace_back();
    for (int cidx = 0; cidx < v; ++cidx) {
      const Chunk& ch = chunks[static_cast<std::size_t>(s)][static_cast<std::size_t>(cidx)];
      dur.fwd.back().push_back(ch.fwd.total());
      dur.bwd.back().push_back(ch.bwd.total());
      dur.wgt.back().push_back(ch.bwd.wgrad);
    }
  }
  const int mi = static_cast<int>(mbs);
  const PipelineTimeline tl = simulate_pipeline(dur, w.schedule, pp, v, mi);
  PipelineDurations dur0 = dur;
  dur0.p2p = 0;
  const PipelineTimeline tl0 = pp > 1 ? simulate_pipeline(dur0, w.schedule, pp, v, mi) : tl;

  // DP reduction: one bucket per layer, ready as the last backward of its chunk passes it (zb-h1: the last W pass,
  // which finishes the layer's weight gradient); a serial channel per stage. Then ZeRO's parameter all-gather and
  // the optimizer step (memory-bound).
  const bool split = w.schedule == PipelineSchedule::zb_h1;
  const double shard = d(w.dp) * w.cp;
  std::vector<double> stage_end(static_cast<std::size_t>(pp)), dp_exposed(static_cast<std::size_t>(pp)),
      opt_time(static_cast<std::size_t>(pp)), opt_bytes(static_cast<std::size_t>(pp)),
      dp_contention(static_cast<std::size_t>(pp));
  const hw::CollectiveOp grad_op = w.zero >= 1 ? hw::CollectiveOp::reduce_scatter : hw::CollectiveOp::all_reduce;
  std::vector<TimelineSpan> dp_spans;  // for the report's timeline
  for (int s = 0; s < pp; ++s) {
    const auto su = static_cast<std::size_t>(s);
    double busy_until = 0, params = 0, first_fwd = 0, reduce_total = 0;
    for (int cidx = 0; cidx < v; ++cidx) params += chunks[su][static_cast<std::size_t>(cidx)].params;
    if (w.zero < 3) {
      // Spans of this stage's last backward (or W) per chunk, in the order they ran.
      for (const TaskSpan& sp : tl.spans) {
        if (sp.stage != s || sp.task.forward || sp.task.micro != mi - 1 || sp.task.weight != split) continue;
        const Chunk& ch = chunks[su][static_cast<std::size_t>(sp.task.chunk)];
        const double n = d(static_cast<i64>(ch.bucket_params.size()));
        for (std::size_t b = 0; b < ch.bucket_params.size(); ++b) {
          const double ready = w.overlap_grad_reduce ? sp.start + (d(static_cast<i64>(b)) + 1) / n * (sp.end - sp.start)
                                                     : tl.compute_end[su];
          const double t = ar(grad_op, P.dp_group, ch.bucket_params[b] * dp_bytes_per_param);
          dp_spans.push_back({s, std::max(busy_until, ready), std::max(busy_until, ready) + t, "DP gradient reduction"});
          busy_until = std::max(busy_until, ready) + t;
          reduce_total += t;
        }
      }
    }
    double end = std::max(busy_until, tl.compute_end[su]);
    double exp_dp = end - tl.compute_end[su];
    // The part of the reduction that ran under the backward slows that compute down (NCCL holds SMs); it is
    // charged at the stage's end: + share x overlapped reduction time.
    const double hidden_dp = std::max(0.0, reduce_total - exp_dp);
    dp_contention[su] = w.overlap_grad_reduce ? w.comm_sm_share * hidden_dp : 0.0;
    end += dp_contention[su];
    opt_bytes[su] = params / (w.zero >= 1 ? shard : 1) * kOptimizerStepBytes;
    opt_time[su] = op_time(g, hw::Precision::bf16, 0, opt_bytes[su]).time;
    end += opt_time[su];
    if (w.zero >= 1 && w.zero < 3) {
      const double ag = ar(hw::CollectiveOp::all_gather, P.dp_group, params * kWeightBytes);
      first_fwd = dur.fwd[su][0];
      const double e = w.overlap_param_gather ? std::max(0.0, ag - first_fwd) : ag;
      end += e + contention(ag, first_fwd, w.overlap_param_gather, w.comm_sm_share);
      exp_dp += e;
    }
    stage_end[su] = end;
    dp_exposed[su] = exp_dp;
  }
  const auto crit_it = std::max_element(stage_end.begin(), stage_end.end());
  const int crit = static_cast<int>(crit_it - stage_end.begin());
  const auto cu = static_cast<std::size_t>(crit);
  const double step = *crit_it;

  // Exposed communication per kind on the critical stage.
  double ex_tp = 0, ex_cp = 0, ex_ep = 0, ex_z3 = 0, ex_cont = 0, units = 0, mem_units = 0;
  for (int s = 0; s < pp; ++s) {
    for (int cidx = 0; cidx < v; ++cidx) {
      const Chunk& ch = chunks[static_cast<std::size_t>(s)][static_cast<std::size_t>(cidx)];
      units += d(mbs) * (ch.fwd.units + ch.bwd.units);
      mem_units += d(mbs) * (ch.fwd.mem_units + ch.bwd.mem_units);
      if (s != crit) continue;
      ex_tp += d(mbs) * (ch.fwd.tp + ch.bwd.tp);
      ex_cp += d(mbs) * (ch.fwd.cp + ch.bwd.cp);
      ex_ep += d(mbs) * (ch.fwd.ep + ch.bwd.ep);
      ex_z3 += d(mbs) * (ch.fwd.dp + ch.bwd.dp);
      ex_cont += d(mbs) * (ch.fwd.contention + ch.bwd.contention);
    }
    mem_units += opt_bytes[static_cast<std::size_t>(s)] / g.hbm_bandwidth;
  }
  const double bubble = tl0.makespan > 0 ? std::max(0.0, (tl0.makespan - tl0.busy[cu]) / tl0.makespan) : 0;
  const double ex_pp = std::max(0.0, tl.compute_end[cu] - tl0.compute_end[cu]);

  // FLOPs (DESIGN.md §6): model FLOPs never count recomputation; hardware FLOPs do. Full attention count
  // (Narayanan/Korthikanti/Megatron/MegaScale convention); the causal count is reported beside it.
  const double tokens_step = d(w.global_batch) * d(w.seq_len);
  const double model_flops = model_flops_per_token(m, w.seq_len, AttentionCount::full) * tokens_step;
  const double model_flops_causal = model_flops_per_token(m, w.seq_len, AttentionCount::causal) * tokens_step;
  // Narayanan's hardware count (full attention) for hw_tflops_per_gpu, the figure his tables publish; HFU is what the
  // GPUs execute, with the causal count flash attention runs, so that it is a true fraction of peak (<= 1).
  const double hw_flops = hardware_flops_per_token(m, w.seq_len, w.recompute, AttentionCount::full) * tokens_step;
  const double hw_flops_executed =
      hardware_flops_per_token(m, w.seq_len, w.recompute, AttentionCount::causal) * tokens_step;
  const int gpus = c.total_gpus();
  const double peak = g.flops.at(w.precision);
  const int steps = std::max(1, w.steps);

  // A pass's exposed TP/CP/EP (and ZeRO-3) communication runs layer by layer inside it; traces and the report's
  // timeline draw it as its summed share at the pass's end.
  const auto pass_comm = [&](const TaskSpan& sp) {
    if (sp.task.weight) return 0.0;
    const Chunk& ch = chunks[static_cast<std::size_t>(sp.stage)][static_cast<std::size_t>(sp.task.chunk)];
    const auto& ph = sp.task.forward ? ch.fwd : ch.bwd;
    return std::min(sp.end - sp.start, ph.tp + ph.cp + ph.ep + ph.dp);
  };
  // The pass's PP send (activations forward, gradients backward), from its end; 0 when it sends nothing.
  const auto pass_send = [&](const TaskSpan& sp) {
    const int j = sp.task.chunk * pp + sp.stage;
    const auto per = [&](const std::vector<std::vector<double>>& over) {
      return over.empty() ? dur.p2p
                          : over[static_cast<std::size_t>(sp.stage)][static_cast<std::size_t>(sp.task.chunk)];
    };
    if (sp.task.weight) return 0.0;
    if (sp.task.forward) return j + 1 < pp * v ? per(dur.fwd_p2p) : 0.0;
    return j > 0 ? per(dur.bwd_p2p) : 0.0;
  };
  // Trace: one step, one process per stage.
  if (trace != nullptr && trace->enabled()) {
    for (int s = 0; s < pp; ++s) {
      trace->process_name(static_cast<std::uint32_t>(s), "stage " + std::to_string(s));
      trace->thread_name(static_cast<std::uint32_t>(s), 0, "compute");
      trace->thread_name(static_cast<std::uint32_t>(s), 1, "dp + optimizer");
      trace->thread_name(static_cast<std::uint32_t>(s), 2, "communication (TP/CP/EP exposed, DP reduction)");
      trace->thread_name(static_cast<std::uint32_t>(s), 3, "PP sends");
    }
    for (const TaskSpan& sp : tl.spans) {
      const char* kind = sp.task.forward ? "F" : sp.task.weight ? "W" : "B";
      const std::string name = kind + std::to_string(sp.task.micro) + (v > 1 ? "." + std::to_string(sp.task.chunk) : "");
      trace->complete(name, sp.task.forward ? "fwd" : sp.task.weight ? "wgrad" : "bwd",
                      static_cast<std::uint32_t>(sp.stage), 0, sim::from_seconds(sp.start),
                      sim::from_seconds(sp.end - sp.start));
      if (const double comm = pass_comm(sp); comm > 0) {
        trace->complete("TP/CP/EP exposed " + name, "comm", static_cast<std::uint32_t>(sp.stage), 2,
                        sim::from_seconds(sp.end - comm), sim::from_seconds(comm));
      }
      if (const double send = pass_send(sp); send > 0) {
        trace->complete("PP send " + name, "comm", static_cast<std::uint32_t>(sp.stage), 3,
                        sim::from_seconds(sp.end), sim::from_seconds(send));
      }
    }
    for (const TimelineSpan& r : dp_spans) {
      trace->complete("DP gradient reduction", "comm", static_cast<std::uint32_t>(r.lane), 2,
                      sim::from_seconds(r.start_s), sim::from_seconds(r.end_s - r.start_s));
    }
    for (int s = 0; s < pp; ++s) {
      const auto su = static_cast<std::size_t>(s);
      const double t0 = tl.compute_end[su];
      if (dp_exposed[su] > 0)
        trace->complete("dp exposed", "comm", static_cast<std::uint32_t>(s), 1, sim::from_seconds(t0), sim::from_seconds(dp_exposed[su]));
      trace->complete("optimizer", "compute", static_cast<std::uint32_t>(s), 1,
                      sim::from_seconds(stage_end[su] - opt_time[su]), sim::from_seconds(opt_time[su]));
    }
  }

  // Power: every GPU at the step's mean activity (exact energy for a per-step average; docs/pretraining.md).
  sim::EnergyLedger ledger(0);
  ClusterPower power(ledger, c, topo.shape(), 0);
  const double gpu_stage_time = step * pp;
  const hw::GpuActivity act{std::min(1.0, units / gpu_stage_time), std::min(1.0, mem_units / gpu_stage_time)};
  power.set_gpu_activity(act, gpus, 0);
  // Every step is the same: integrate one and scale by the steps, so a long run (a million steps of 15 s is 174
  // days) never meets the 106-day horizon of simulated time.
  const sim::Time end_t = sim::from_seconds(step);

  RunResult out;
  // The step's pipeline timeline for the report (the trace above has the same spans); a very large schedule is
  // left to the trace.
  if (tl.spans.size() <= kMaxTimelineSpans) {
    Timeline& line = out.observed.timeline;
    for (int s = 0; s < pp; ++s) line.lanes.push_back("stage " + std::to_string(s));
    for (const TaskSpan& sp : tl.spans) {
      line.spans.push_back({sp.stage, sp.start, sp.end, sp.task.forward ? "forward" : sp.task.weight ? "wgrad" : "backward"});
      if (const double comm = pass_comm(sp); comm > 0) {
        line.spans.push_back({sp.stage, sp.end - comm, sp.end, "TP/CP/EP comm (exposed)"});
      }
      if (const double send = pass_send(sp); send > 0) line.spans.push_back({sp.stage, sp.end, sp.end + send, "PP send"});
    }
    line.spans.insert(line.spans.end(), dp_spans.begin(), dp_spans.end());
    for (int s = 0; s < pp; ++s) {
      const auto su = static_cast<std::size_t>(s);
      if (dp_exposed[su] > 0) {
        line.spans.push_back({s, tl.compute_end[su], tl.compute_end[su] + dp_exposed[su], "DP exposed"});
      }
      line.spans.push_back({s, stage_end[su] - opt_time[su], stage_end[su], "optimizer"});
    }
  }
  Metrics& M = out.metrics;
  const double tokens = tokens_step * steps;
  M.set("tokens", tokens);
  M.set(std::string(kTokensByClassPrefix) + std::string(kTrainingClass), tokens);  // one class: tokens trained
  M.set("tokens_per_s", tokens_step / step);
  M.set("step_time_s", step);
  M.set("tflops_per_gpu", model_flops / step / gpus / 1e12);
  M.set("hw_tflops_per_gpu", hw_flops / step / gpus / 1e12);
  M.set("mfu", model_flops / step / (gpus * peak));
  M.set("hfu", hw_flops_executed / step / (gpus * peak));
  M.set("mfu_causal", model_flops_causal / step / (gpus * peak));
  power.report(M, 0, end_t, tokens_step);
  M.set("energy_j", M.at("energy_j") * steps);
  M.set("energy_facility_j", M.at("energy_facility_j") * steps);
  M.set("exposed_comm_s.tp", ex_tp);
  M.set("exposed_comm_s.cp", ex_cp);
  M.set("exposed_comm_s.ep", ex_ep);
  M.set("exposed_comm_s.pp", ex_pp);
  M.set("exposed_comm_s.dp", dp_exposed[cu] + ex_z3);
  M.set("comm_contention_s", ex_cont + dp_contention[cu]);
  M.set("bubble_fraction", bubble);
  // ZB-H1's bubble depends on the pass times: the critical stage's (Qi et al.'s formula assumes equal stages).
  const double t_w = dur0.wgt[cu][0], t_b = dur0.bwd[cu][0] - t_w;
  M.set("bubble_fraction_analytic", pp > 1 ? analytic_bubble(w.schedule, pp, v, mi, dur0.fwd[cu][0], t_b, t_w) : 0.0);
  M.set("optimizer_s", opt_time[cu]);
  const MemoryEstimate mem = estimate_memory(w, m, c);
  M.set("memory_gib", mem.total() / kGiB);
  M.set("memory_gib_breakdown.weights", mem.weights / kGiB);
  M.set("memory_gib_breakdown.gradients", mem.gradients / kGiB);
  M.set("memory_gib_breakdown.optimizer", mem.optimizer / kGiB);
  M.set("memory_gib_breakdown.activations", mem.activations / kGiB);
  M.set("memory_gib_breakdown.logits", mem.logits / kGiB);
  M.set("gpu_activity.compute", act.compute);
  M.set("gpu_activity.memory", act.memory);
  M.set("micro_batches", d(mbs));
  M.set("gpus", gpus);

  if (w.reliability) report_goodput(*w.reliability, m, c, mem, tokens_step / step, seed, M);

  out.info.emplace_back("plan", "tp=" + std::to_string(w.tp) + " pp=" + std::to_string(w.pp) + " dp=" +
                                    std::to_string(w.dp) + " cp=" + std::to_string(w.cp) + " ep=" + std::to_string(w.ep) +
                                    (sp_div(w) > 1 ? " +sp" : "") + " zero=" + std::to_string(w.zero));
  out.info.emplace_back("schedule", std::string(to_string(w.schedule)) +
                                        (v > 1 ? " (interleave " + std::to_string(v) + ")" : "") + ", " +
                                        std::to_string(mbs) + " micro-batches of " + std::to_string(w.micro_batch));
  out.info.emplace_back("recompute", to_string(w.recompute));
  out.info.emplace_back("precision", hw::to_string(w.precision));
  out.info.emplace_back("attention_kernel", to_string(w.attention_kernel));
  out.info.emplace_back("memory_fit", "fits: " + fmt(mem.total() / kGiB) + " GiB of " + fmt(g.hbm_capacity / kGiB) +
                                          " GiB (stage " + std::to_string(mem.stage) + ")");
  out.info.emplace_back("critical_stage", std::to_string(crit));
  out.engine.events = tl.events * static_cast<std::uint64_t>(steps);
  out.engine.fingerprint = tl.fingerprint;
  return out;
}

}  // namespace dcsim::wl
