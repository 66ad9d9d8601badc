#include "workloads/pretraining/tp_overlap.hpp"

#include <algorithm>
#include <utility>

#include "workloads/pretraining/layer_cost.hpp"
#include "workloads/roofline.hpp"

namespace dcsim::wl {
namespace {

// TE's compute streams for chunk GEMMs (_NUM_MAX_UB_STREAMS) and a pipelined GEMM's chunks (base.py's default
// num_splits for pipeline; every userbuffers config of Megatron-Bridge and NeMo keeps it).
constexpr int kUbStreams = 3;
constexpr int kPipelineSplits = 4;

// The input-gradient GEMM of `op`: output gradient (m x n) times the weights, an m x k output.
Op input_gradient(Op op) {
  std::swap(op.gemm.n, op.gemm.k);
  std::swap(op.act_read_bytes, op.act_write_bytes);
  return op;
}

// A chunked GEMM: `gemm` seconds of chunk GEMMs (and reductions) inside `total` seconds with its communication.
struct Split {
  double gemm = 0, total = 0;
};

Split ring_exchange_split(const hw::GpuSpec& g, hw::Precision p, const Op& op, int tp, double comm) {
  const double chunk = chunk_gemm_time(g, p, op, tp);
  return {tp * chunk, ring_exchange_time(chunk, tp, comm)};
}

}  // namespace

TpOverlapCost& TpOverlapCost::operator+=(const TpOverlapCost& o) {
  fwd_compute += o.fwd_compute;
  fwd_exposed += o.fwd_exposed;
  bwd_compute += o.bwd_compute;
  bwd_exposed += o.bwd_exposed;
  bwd_bulk_hidden += o.bwd_bulk_hidden;
  fwd_gemm += o.fwd_gemm;
  return *this;
}

double ring_exchange_time(double chunk, int n, double comm) {
  return n <= 1 ? chunk : chunk + (n - 1) * std::max(chunk, comm / (n - 1));
}

double pipelined_time(double chunk, int n, double comm) {
  return chunk + (n - 1) * std::max(chunk, comm / n) + comm / n;
}

double chunk_gemm_time(const hw::GpuSpec& g, hw::Precision p, const Op& op, int n) {
  const int together = std::min(n, kUbStreams);
  const double share = static_cast<double>(together) / n;
  Op c = op;
  c.gemm.m /= n;
  c.gemm.count *= together;
  c.flops *= share;
  c.act_read_bytes *= share;
  c.act_write_bytes *= share;
  c.weight_bytes *= together;
  // Never faster than its share of the unsplit GEMM: the wave model is cuBLAS's large tile, and for the whole shape
  // cuBLAS picks the tile that suits it (a chunked GEMM gains no rate from being cut).
  return std::max(op_time(g, p, c).time / together, op_time(g, p, op).time / n);
}

TpOverlapCost tp_overlap_pair(const hw::GpuSpec& g, hw::Precision p, const Op& column, const Op& row, int tp,
                              RsOverlap rs, int rs_sms, TpCommTimes comm) {
  TpOverlapCost out;
  const double col_t = op_time(g, p, column).time, row_t = op_time(g, p, row).time;
  out.fwd_gemm = col_t + row_t;
  const auto charge = [](double& compute, double& exposed, Split s, double unsplit) {
    compute += s.gemm - unsplit;
    exposed += s.total - s.gemm;
  };
  // Forward. The column GEMM: tp chunks, each on the slice of the gathered input that has arrived.
  charge(out.fwd_compute, out.fwd_exposed, ring_exchange_split(g, p, column, tp, comm.all_gather), col_t);
  if (rs == RsOverlap::ring_exchange) {
    // tp chunks, each the rows of one rank's share, passed on with what it has summed so far; TE ends with "a
    // reduction of the received outputs": read the tp partial outputs (16-bit), write this rank's rows.
    const double out_bytes = row.gemm.m * row.gemm.n * 2;
    const double reduce = op_time(g, hw::Precision::bf16, 0, out_bytes * (1 + 1.0 / tp)).time;
    Split s = ring_exchange_split(g, p, row, tp, comm.reduce_scatter);
    s.gemm += reduce;
    s.total += reduce;
    charge(out.fwd_compute, out.fwd_exposed, s, row_t);
  } else {
    // Four chunks on the SMs the reduce-scatter kernel leaves (set_sm_margin: math SMs = sm_count - num_sm).
    const double sm_scale = g.sm_count > rs_sms ? static_cast<double>(g.sm_count) / (g.sm_count - rs_sms) : 1.0;
    const double chunk = chunk_gemm_time(g, p, row, kPipelineSplits) * sm_scale;
    charge(out.fwd_compute, out.fwd_exposed,
           {kPipelineSplits * chunk, pipelined_time(chunk, kPipelineSplits, comm.reduce_scatter)}, row_t);
  }
  // Backward. The row GEMM's input gradient: its output gradient gathered by ring exchange (proj_dgrad, fc2_dgrad).
  const Op row_dgrad = input_gradient(row);
  charge(out.bwd_compute, out.bwd_exposed, ring_exchange_split(g, p, row_dgrad, tp, comm.all_gather),
         op_time(g, p, row_dgrad).time);
  // The column GEMM's input gradient beside the re-gather of its input (qkv_dgrad, fc1_dgrad: bulk), its weight
  // gradient beside the scatter of that input gradient (qkv_wgrad, fc1_wgrad: bulk); both GEMMs unsplit, each taken
  // at the forward GEMM's time (the same FLOPs).
  for (const double c : {comm.all_gather, comm.reduce_scatter}) {
    out.bwd_exposed += exposed(c, col_t, true);
    out.bwd_bulk_hidden += std::min(c, col_t);
  }
  return out;
}

}  // namespace dcsim::wl
