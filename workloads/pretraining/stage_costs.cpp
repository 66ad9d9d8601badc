#include "workloads/pretraining/stage_costs.hpp"
#include "workloads/pretraining/counts.hpp"

#include <algorithm>

#include "sim/random.hpp"
#include "workloads/pretraining/chunking.hpp"
#include "workloads/pretraining/state_bytes.hpp"

namespace dcsim::wl {
namespace {

using i64 = std::int64_t;
using counts::d;

// A forward chunk runs beside a backward chunk of another micro-batch (the steady state of 1F1B; DualPipe's pairs):
// their all-to-alls hide behind their joint compute, the rest exposed in proportion, holding `share` of the SMs while
// hidden (DeepSeek-V3: 20 of the H800's 132). The warm-up and cool-down, with no partner, are priced alike.
void hide_paired_all_to_alls(PassCost& F, PassCost& B, double share) {
  const double comm = F.ep + B.ep, hide = F.compute + B.compute;
  if (comm <= 0) return;
  const double left = exposed(comm, hide, true) / comm;
  const double held = contention(comm, hide, true, share);
  F.contention += held * F.ep / comm;
  B.contention += held * B.ep / comm;
  F.ep *= left;
  B.ep *= left;
}

}  // namespace

std::vector<double> straggler_factors(const PretrainingWorkload& w, std::uint64_t seed) {
  std::vector<double> slow(static_cast<std::size_t>(w.pp), 1.0);
  if (w.straggler_cv > 0) {
    sim::RandomStream rng(seed, "pretraining.stragglers");
    const int per_stage = w.tp * w.cp * w.dp;
    for (int s = 0; s < w.pp; ++s) {
      double slowest = 0;
      for (int k = 0; k < per_stage; ++k) slowest = std::max(slowest, std::max(0.5, rng.normal(1.0, w.straggler_cv)));
      slow[static_cast<std::size_t>(s)] = slowest;
    }
  }
  return slow;
}

StageChunks chunk_costs(const LayerCostModel& model, const std::vector<LayerCost>& layer,
                        const std::vector<double>& stage_factor) {
  const PretrainingWorkload& w = model.w;
  const ModelSpec& m = model.m;
  const hw::GpuSpec& g = model.c.gpu;
  const int pp = w.pp, v = w.interleave, C = pp * v;
  const double tokens_mb = d(w.micro_batch) * d(w.seq_len);
  const double dp_bytes_per_param = gradient_bytes(w);
  StageChunks chunks(static_cast<std::size_t>(pp), std::vector<ChunkCost>(static_cast<std::size_t>(v)));
  const ParamCounts pc = m.param_counts();
  for (int s = 0; s < pp; ++s) {
    for (int cidx = 0; cidx < v; ++cidx) {
      const int j = cidx * pp + s;
      const ChunkLayers cl = chunk_layers(w, m, j);
      ChunkCost& ch = chunks[static_cast<std::size_t>(s)][static_cast<std::size_t>(cidx)];
      PassCost& F = ch.fwd;
      PassCost& B = ch.bwd;
      for (i64 l = cl.first + cl.count; l-- > cl.first;) {
        const LayerCost& lc = layer[static_cast<std::size_t>(l)];
        const LayerParams lp = layer_params(m, l);
        const double p = lp.dense / w.tp + lp.experts / w.ep;
        ch.params += p;
        ch.bucket_params.push_back(p);
        ch.expert_params += lp.experts / w.ep;
        ch.bucket_experts.push_back(lp.experts / w.ep);
        F.compute += lc.fwd.compute;
        F.gemm += lc.fwd.gemm;
        F.units += lc.fwd.units;
        F.mem_units += lc.fwd.mem_units;
        const TpOverlapCost& te = lc.tp_overlap;
        const double f_tp = exposed(lc.tp_comm, lc.tp_hide, w.overlap_tp_comm) + te.fwd_exposed;
        const double f_contention = contention(lc.tp_comm, lc.tp_hide, w.overlap_tp_comm, w.comm_sm_share);
        F.compute += te.fwd_compute;
        F.tp += f_tp;
        F.cp += exposed(lc.cp_comm, lc.core_fwd, true);
        F.contention += f_contention + contention(lc.cp_comm, lc.core_fwd, true, w.comm_sm_share);
        F.ep += lc.ep_comm;
        // Backward: every op twice its forward (input and weight gradients), plus recomputation.
        double rc = 0, rc_units = 0, rc_mem = 0, rc_tp = 0, rc_cp = 0, rc_ep = 0;
        if (w.recompute == Recompute::full) {
          rc = lc.fwd.compute + te.fwd_compute; rc_units = lc.fwd.units; rc_mem = lc.fwd.mem_units;
          rc_tp = f_tp;
          rc_cp = exposed(lc.cp_comm, lc.core_fwd, true);
          B.contention += f_contention + contention(lc.cp_comm, lc.core_fwd, true, w.comm_sm_share);
          rc_ep = lc.ep_comm;
        } else if (w.recompute == Recompute::selective) {
          const bool core = w.recompute_modules.core_attn;
          rc = (core ? lc.core_fwd : 0) + lc.rerun_fwd;
          rc_units = (core ? lc.core_units : 0) + lc.rerun_units;
          rc_mem = (core ? lc.core_mem_units : 0) + lc.rerun_mem_units;
          rc_tp = exposed(lc.rerun_tp, lc.rerun_gemm, w.overlap_tp_comm);
          B.contention += contention(lc.rerun_tp, lc.rerun_gemm, w.overlap_tp_comm, w.comm_sm_share);
        }
        B.compute += 2 * (lc.fwd.compute - lc.core_fwd - lc.quant_fwd) + lc.core_bwd + lc.quant_bwd + rc + te.bwd_compute;
        // Of it, W (Qi et al. 2024 §2): each linear layer's weight-gradient GEMM, the forward GEMM's FLOPs and
        // shapes. B keeps the input-gradient GEMMs, the attention core's backward, norms and elementwise ops, the
        // recomputation that precedes them, and the communication.
        B.wgrad += lc.linear_fwd;
        B.gemm += 2 * lc.fwd.gemm;
        B.units += 2 * (lc.fwd.units - lc.core_units) + lc.core_bwd_units + rc_units;
        B.mem_units += 2 * (lc.fwd.mem_units - lc.quant_fwd_mem_units) + lc.quant_bwd_mem_units + rc_mem;
        B.tp += exposed(lc.tp_comm, 2 * lc.tp_hide, w.overlap_tp_comm) + te.bwd_exposed + rc_tp;
        B.cp += exposed(2 * lc.cp_comm, 2 * lc.core_fwd, true) + rc_cp;
        B.contention += contention(lc.tp_comm, 2 * lc.tp_hide, w.overlap_tp_comm, w.comm_sm_share) +
                        w.comm_sm_share * te.bwd_bulk_hidden +
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
        const OpTime t = op_time(g, hw::Precision::bf16, model.shard(e, 0));
        F.compute += t.time;
        F.mem_units += t.bytes / g.hbm_bandwidth;
        B.compute += 2 * t.time;
        B.wgrad += 2 * t.time;  // the lookup has no input gradient: its backward is the embedding's weight gradient
        B.mem_units += 2 * t.bytes / g.hbm_bandwidth;
        F.tp += model.t_tp_pair / 2;
        const double p = d(pc.embedding + pc.position) / w.tp;
        ch.params += p;
        ch.bucket_params.push_back(p);
        ch.bucket_experts.push_back(0);
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
        CostAccumulator acc;
        double head_time = 0;
        for (const Op& raw : {norm, head}) {
          const Op op = model.shard(raw, 0);
          const OpTime t = op_time(g, model.precision_of(op), op);
          acc.add(g, model.precision_of(op), t, op.is_gemm(), false);
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
        F.tp += model.t_tp_pair / 2;
        B.tp += model.t_tp_pair / 2;
        const double p = (m.tied_embeddings && C > 1 ? d(pc.embedding) : d(pc.lm_head)) / w.tp;
        ch.params += p;
        ch.bucket_params.insert(ch.bucket_params.begin(), p);
        ch.bucket_experts.insert(ch.bucket_experts.begin(), 0);
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
      if (w.overlap_ep_comm) hide_paired_all_to_alls(F, B, w.comm_sm_share);
      if (w.zero >= 3) {
        // FSDP: gather the chunk's parameters for every forward and backward, reduce-scatter its gradients after
        // every backward, prefetched behind the chunk's compute.
        // Dense parameters over the data-parallel group, routed experts over the expert one.
        const double dense = ch.params - ch.expert_params;
        const auto over_groups = [&](hw::CollectiveOp op, double bytes_per_param) {
          return model.collective_time(op, model.dp_group, dense * bytes_per_param) +
                 model.collective_time(op, model.edp_group, ch.expert_params * bytes_per_param);
        };
        const double ag = over_groups(hw::CollectiveOp::all_gather, param_gather_bytes(w));
        const double rs = over_groups(hw::CollectiveOp::reduce_scatter, dp_bytes_per_param);
        const double fc = F.total(), bc = B.total();
        F.dp = std::max(0.0, ag - fc);
        B.dp = std::max(0.0, ag + rs - bc);
        F.contention += contention(ag, fc, true, w.comm_sm_share);
        B.contention += contention(ag + rs, bc, true, w.comm_sm_share);
      }
      const double f = stage_factor[static_cast<std::size_t>(s)];
      F.compute *= f; F.gemm *= f; F.contention *= f;
      B.compute *= f; B.gemm *= f; B.contention *= f; B.wgrad *= f;
    }
  }
  return chunks;
}

double pipeline_send_bytes(const LayerCostModel& model) {
  const PretrainingWorkload& w = model.w;
  return d(w.micro_batch) * d(w.seq_len) / w.cp * d(model.m.hidden) * 2 / sequence_shards(w);
}

PipelineDurations pipeline_durations(const LayerCostModel& model, const StageChunks& chunks) {
  const PretrainingWorkload& w = model.w;
  const int pp = w.pp, v = w.interleave;
  const double p2p_bytes = pipeline_send_bytes(model);
  double p2p = 0;
  if (pp > 1) {
    const std::vector<int> pair = {model.rank(0, 0, 0, 0), model.rank(0, 0, 0, 1)};
    p2p = model.coll.estimate(hw::CollectiveOp::send_recv, pair, p2p_bytes).time;
  }
  PipelineDurations dur;
  dur.p2p = p2p;
  dur.blocking = !w.async_p2p;
  for (int s = 0; s < pp; ++s) {
    dur.fwd.emplace_back();
    dur.bwd.emplace_back();
    dur.wgt.emplace_back();
    for (int cidx = 0; cidx < v; ++cidx) {
      const ChunkCost& ch = chunks[static_cast<std::size_t>(s)][static_cast<std::size_t>(cidx)];
      dur.fwd.back().push_back(ch.fwd.total());
      dur.bwd.back().push_back(ch.bwd.total());
      dur.wgt.back().push_back(ch.bwd.wgrad);
    }
  }
  return dur;
}

}  // namespace dcsim::wl
