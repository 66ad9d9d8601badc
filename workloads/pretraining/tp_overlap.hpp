// Transformer Engine's tensor-parallel communication + GEMM overlap (userbuffers) as TE runs it: each
// sequence-parallel all-gather or reduce-scatter of a layer is tied to one GEMM, which TE cuts into row chunks so that
// one chunk's transfer runs behind another chunk's GEMM (docs/pretraining.md, "TP overlap as Transformer Engine runs
// it"). Sources: TransformerEngine transformer_engine/common/comm_gemm_overlap/comm_gemm_overlap.cpp
// (CommOverlapBase::split_overlap_rs, CommOverlapP2PBase::split_overlap_ag / split_overlap_rs) and
// transformer_engine/pytorch/module/base.py (initialize_ub: which GEMM pairs with which collective, and how).
#pragma once

#include "hw/spec.hpp"
#include "workloads/model_ops.hpp"
#include "workloads/pretraining/pretraining.hpp"

namespace dcsim::wl {

// One sublayer's TP collectives on the plan's TP group: the gather of the column GEMM's input, the scatter of the row
// GEMM's output.
struct TpCommTimes {
  double all_gather = 0, reduce_scatter = 0;
};

// What TE's overlap of one sublayer (attention: QKV + projection; MLP: FC1 + FC2) costs over its unsplit GEMMs, for
// one micro-batch. compute: the chunked GEMMs' time over the unsplit ones (smaller launches, the SMs a pipelined
// reduce-scatter holds) and the ring reduce-scatter's final sum; exposed: communication no chunk hides.
struct TpOverlapCost {
  double fwd_compute = 0, fwd_exposed = 0;
  double bwd_compute = 0, bwd_exposed = 0;
  // Bulk collectives hidden behind unsplit backward GEMMs: they hold SMs meanwhile, charged at the workload's
  // comm_sm_share (ASSUMED for TE's bulk kernels, whose num_sm the recipes set per GEMM: 2-32).
  double bwd_bulk_hidden = 0;
  double fwd_gemm = 0;         // the pair's unsplit forward GEMM time
  TpOverlapCost& operator+=(const TpOverlapCost& o);
};

// Ring exchange of n chunks of `chunk` seconds each: the first runs on local data, each later one waits for its
// transfer, one ring step of comm / (n - 1): chunk + (n - 1) max(chunk, comm / (n - 1)).
double ring_exchange_time(double chunk, int n, double comm);
// A GEMM in n chunks, each chunk's share of the collective sent behind the next chunk's GEMM, the last one exposed:
// chunk + (n - 1) max(chunk, comm / n) + comm / n.
double pipelined_time(double chunk, int n, double comm);
// The time of one of n row chunks (m / n rows) of `op`. TE issues the chunks on its three compute streams
// (_NUM_MAX_UB_STREAMS, transformer_engine/pytorch/cpp_extensions/gemm.py), so up to three run at once and share
// the GPU's waves: a third of three concurrent chunks (every chunk reads the whole weight), and never less than 1/n
// of the unsplit GEMM (the wave model is one tile; cuBLAS fits its tile to the whole shape).
double chunk_gemm_time(const hw::GpuSpec& g, hw::Precision p, const Op& op, int n);

// One sublayer's pair at precision p: `column` (QKV or FC1, input gathered) and `row` (projection or FC2, output
// scattered), both already sharded onto one GPU, with `rs` the forward reduce-scatter's method and `rs_sms` the SMs
// a pipelined one holds. Forward: the column GEMM by ring exchange (tp chunks); the row GEMM by `rs`. Backward: the
// row GEMM's input gradient by ring exchange (its output gradient gathered); the column GEMM's input-gradient and
// weight-gradient GEMMs unsplit, the input's re-gather and the input gradient's scatter beside them (bulk).
TpOverlapCost tp_overlap_pair(const hw::GpuSpec& g, hw::Precision p, const Op& column, const Op& row, int tp,
                              RsOverlap rs, int rs_sms, TpCommTimes comm);

}  // namespace dcsim::wl
