// Per-GPU memory of a training plan: the states ZeRO shards and the activations each pipeline stage holds at its
// peak under its schedule (docs/pretraining.md, "Memory fit").
#include <algorithm>
#include <numeric>
#include <vector>

#include "workloads/pretraining/chunking.hpp"
#include "workloads/pretraining/pretraining.hpp"
#include "workloads/pretraining/state_bytes.hpp"

namespace dcsim::wl {
namespace {

using i64 = std::int64_t;
double d(i64 v) { return static_cast<double>(v); }

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

// Activation bytes one layer keeps per micro-batch (Korthikanti et al. 2022 §4, generalised to GQA, gated and MoE
// FFNs: docs/pretraining.md). Per token, in units of h bytes: replicated by TP unless SP: 4 (two norm inputs) +
// 2 (dropout masks, only with dropout) + 2 (QKV input) + 2 (FFN input); split by TP: Q,K,V outputs, the attention
// output, the FFN's intermediate tensors; the score matrix only with an unfused attention kernel (5 a s / h with
// dropout, 2 a s / h without).
double layer_activation_bytes(const PretrainingWorkload& w, const ModelSpec& m, i64 layer, bool with_scores) {
  const double s = d(w.seq_len) / w.cp, b = d(w.micro_batch), h = d(m.hidden), t = w.tp;
  // The two dropout masks (1 byte per element each) only with dropout: Llama-class recipes run none.
  const double repl = 8 + (w.dropout ? 2 : 0);
  // Unfused scores: the softmax output (2 bytes per element) and, with dropout, its mask and output (1 + 2).
  const double scores = with_scores ? (w.dropout ? 5 : 2) * d(m.heads) * s / h : 0;
  return s * b * h * (repl / sequence_shards(w) + split_units(m, layer, 2) / t + scores / t);
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
  return s * b * h * (repl / sequence_shards(w) + split_units(m, layer, 4) / t);
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
          act += 2 * (d(w.seq_len) / w.cp) * d(w.micro_batch) * d(m.hidden) / sequence_shards(w);
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


}  // namespace dcsim::wl
