// What one transformer layer costs on one GPU for one micro-batch: every op of the layer sharded by tp/cp/ep and
// timed by the roofline, the fused attention kernel at its measured rate, the elementwise and quantize kernels, and
// the layer's TP/CP/EP collectives on the plan's real GPU groups (docs/pretraining.md, "Sharding" on).
#pragma once

#include <cstdint>
#include <vector>

#include "hw/collectives.hpp"
#include "hw/spec.hpp"
#include "workloads/model.hpp"
#include "workloads/model_ops.hpp"
#include "workloads/pretraining/pretraining.hpp"
#include "workloads/pretraining/tp_overlap.hpp"
#include "workloads/roofline.hpp"

namespace dcsim::wl {

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
  // Selective recompute: the forward time, peak-rate units and HBM units of what recompute_modules reruns besides
  // the attention core (norms, a dense MLP and its activation, the experts' activation, MLA up-projections).
  double rerun_fwd = 0, rerun_units = 0, rerun_mem_units = 0;
  double rerun_gemm = 0;  // of rerun_fwd, GEMM time (what the rerun's TP collectives can hide behind)
  double rerun_tp = 0;    // the rerun's TP collectives: a dense MLP's input gather and output scatter (SP) or reduce
  double core_units = 0, core_mem_units = 0;
  double tp_comm = 0;        // one pass's TP collectives (before overlap) that no Transformer Engine pair carries
  double tp_hide = 0;        // forward GEMM time tp_comm can hide behind (with TE's pairs: the GEMMs of no pair)
  // Transformer Engine's TP overlap, pair by pair (overlap_tp_comm with sequence parallelism; tp_overlap.hpp).
  TpOverlapCost tp_overlap;
  double cp_comm = 0;        // one forward's ring-attention exchanges (before overlap)
  double ep_comm = 0;        // one forward's all-to-alls
};

// Sums op times, the GEMM and attention-core parts, and the work in peak-rate units (for the power model's activity).
struct CostAccumulator {
  double time = 0, gemm = 0, core = 0, units = 0, mem = 0;
  void add(const hw::GpuSpec& g, hw::Precision p, const OpTime& t, bool is_gemm, bool is_core);
};

// The plan's GPU groups (Megatron rank order: tp innermost, then cp, dp, pp) and the per-layer cost model on them.
struct LayerCostModel {
  LayerCostModel(const PretrainingWorkload& w, const ModelSpec& m, const hw::ClusterSpec& c,
                 const hw::Collectives& coll);

  int rank(int tp_i, int cp_i, int dp_i, int pp_i) const {
    return tp_i + w.tp * (cp_i + w.cp * (dp_i + w.dp * pp_i));
  }
  // The precision an op runs at: the attention core and the LM head stay in bf16.
  hw::Precision precision_of(const Op& op) const;
  // Shards an op of the whole micro-batch onto one GPU (docs/pretraining.md, "Sharding").
  Op shard(Op op, double touched_experts) const;
  LayerCost layer_cost(std::int64_t layer) const;
  // Every layer's cost, computed once per layer kind (dense/MoE x full/sliding attention).
  std::vector<LayerCost> all_layers() const;
  // All the DP groups of a stage: one per TP rank (its dp x cp GPUs, dp outer), and, for an MoE model, the
  // expert-DP groups that tile the stage (the ranks holding the same routed experts; none for a dense model).
  // dp_group and edp_group are stage 0's first.
  std::vector<std::vector<int>> dp_groups(int stage) const;
  std::vector<std::vector<int>> edp_groups(int stage) const;
  // A collective's time on a group of this plan; 0 for a group of one or nothing to move.
  double collective_time(hw::CollectiveOp op, const std::vector<int>& group, double bytes) const;

  const PretrainingWorkload& w;
  const ModelSpec& m;
  const hw::ClusterSpec& c;
  const hw::Collectives& coll;
  std::vector<int> tp_group, cp_pair, ep_group, dp_group;
  std::vector<int> edp_group;  // routed experts' data-parallel group (ep > 1): their gradients reduce over it
  double t_tp_pair = 0;  // one sublayer's TP collectives (AR, or AG + RS with SP)
  // With overlap_tp_comm and SP, one sublayer's gather and scatter as Transformer Engine moves them: its all-gather
  // buffers are FP8 under an FP8 recipe (base.py: "AllGather buffers use fp8 when using fp8 recipe").
  TpCommTimes te_comm;
  bool te_overlap = false;
};

// Bytes a parameter moves in ZeRO's parameter all-gather: 2 (bf16), or the GEMM precision's with narrow_weights (its
// embedding and LM head counted alike: they are a few percent of a large model).
double param_gather_bytes(const PretrainingWorkload& w);

// Communication `comm` overlapped with `hide` seconds of compute leaves max(0, comm - hide) exposed.
double exposed(double comm, double hide, bool overlap);
// Hidden communication still costs compute: NCCL's CTAs (one per channel) take whole SMs while they run and do not
// share them with compute kernels (NVIDIA/nccl#689), so the compute it hides behind runs on (1 - share) of the SMs
// for the overlapped time: + share x min(comm, hide).
double contention(double comm, double hide, bool overlap, double share);

}  // namespace dcsim::wl
