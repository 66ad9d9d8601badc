// Transformer Engine's TP overlap pair by pair (workloads/pretraining/tp_overlap.hpp), by hand on an ideal GPU
// (1000 TFLOP/s bf16, no size curve, 2 TB/s HBM without a copy curve, max() roofline), and its wiring into a layer.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "app/catalog.hpp"
#include "app/scenario.hpp"
#include "hw/collectives.hpp"
#include "hw/topology.hpp"
#include "workloads/pretraining/layer_cost.hpp"
#include "workloads/pretraining/tp_overlap.hpp"
#include "workloads/roofline.hpp"

namespace dcsim::wl {
namespace {

hw::GpuSpec ideal(int sms) {
  hw::GpuSpec g;
  g.name = "ideal";
  g.flops.bf16 = 1000e12;
  g.hbm_bandwidth = 2e12;
  g.sm_count = sms;
  return g;
}

Op gemm(OpKind kind, double m, double n, double k) {
  Op op;
  op.kind = kind;
  op.gemm = {m, n, k, 1};
  op.flops = op.gemm.flops();
  op.weight_bytes = k * n * 2;
  op.act_read_bytes = m * k * 2;
  op.act_write_bytes = m * n * 2;
  return op;
}

constexpr double kUs = 1e-6;

TEST(TpOverlap, RingAndPipelineTimesByHand) {
  // Ring: chunk + (n - 1) max(chunk, comm / (n - 1)). Pipeline: chunk + (n - 1) max(chunk, comm / n) + comm / n.
  EXPECT_DOUBLE_EQ(ring_exchange_time(1, 4, 6), 1 + 3 * 2);    // the transfers set the pace
  EXPECT_DOUBLE_EQ(ring_exchange_time(1, 4, 1.5), 4);          // the GEMMs do: nothing exposed
  EXPECT_DOUBLE_EQ(ring_exchange_time(1, 1, 5), 1);
  EXPECT_DOUBLE_EQ(pipelined_time(1, 4, 8), 1 + 3 * 2 + 2);
  EXPECT_DOUBLE_EQ(pipelined_time(1, 4, 2), 1 + 3 + 0.5);      // GEMM-bound: one chunk's scatter exposed
}

TEST(TpOverlap, ChunksShareWavesOverThreeStreams) {
  // 4096 x 2304 x 16384 (Llama 3.1 405B's QKV at tp 8) on 132 SMs. Unsplit: 16 x 18 = 288 tiles of 256 x 128, 3
  // waves, fill 288 / 396. Eight chunks of 512 rows: 2 x 18 = 36 tiles each, three at once = 108 tiles in one wave,
  // fill 108 / 132 -- better than the whole GEMM's, so a chunk takes its share of the unsplit GEMM instead.
  const hw::GpuSpec g = ideal(132);
  const Op qkv = gemm(OpKind::qkv_proj, 4096, 2304, 16384);
  const double flops = 2.0 * 4096 * 2304 * 16384;
  EXPECT_NEAR(op_time(g, hw::Precision::bf16, qkv).time, flops / (1e15 * 288 / 396), 1e-12);
  EXPECT_NEAR(chunk_gemm_time(g, hw::Precision::bf16, qkv, 8), flops / (1e15 * 288 / 396) / 8, 1e-12);
  // 4096 x 1536: unsplit 16 x 12 = 192 tiles, 2 waves (fill 192 / 264); chunks of 2048 rows, two at once:
  // 2 x 8 x 12 = 192 tiles, the same fill. 4096 x 1280: unsplit 160 tiles, 2 waves, fill 160/264; two chunks at once:
  // 160 tiles again. A chunk loses rate only where its own shape is worse: 1024 x 4224 (33 columns of tiles) in 4
  // chunks of 256 rows, three at once: 3 x 33 = 99 tiles, fill 99/132, against the whole 4 x 33 = 132 tiles, fill 1.
  // With HBM out of the way (1 PB/s) that is the whole story:
  hw::GpuSpec fast = g;
  fast.hbm_bandwidth = 1e15;
  const Op wide = gemm(OpKind::qkv_proj, 1024, 4224, 8192);
  const double wide_flops = 2.0 * 1024 * 4224 * 8192;
  EXPECT_NEAR(op_time(fast, hw::Precision::bf16, wide).time, wide_flops / 1e15, 1e-12);
  EXPECT_NEAR(chunk_gemm_time(fast, hw::Precision::bf16, wide, 4), wide_flops / 4 / (1e15 * 99 / 132), 1e-12);
  // At 2 TB/s every chunk reads the whole 69.2 MB weight, and three chunks' reads (3 x 69.2 MB + 3/4 of the 25.4 MB
  // of activations) outlast their math: 113.3 us for three, 37.8 us a chunk against 34.6 us of FLOPs.
  const double weights = 8192.0 * 4224 * 2, acts = 1024.0 * 8192 * 2 + 1024.0 * 4224 * 2;
  EXPECT_NEAR(chunk_gemm_time(g, hw::Precision::bf16, wide, 4), (3 * weights + 0.75 * acts) / 2e12 / 3, 1e-12);
}

TEST(TpOverlap, RingExchangePairByHand) {
  // tp 4. Column 4096 x 8192 x 8192 (549.76 us, compute-bound), row 4096 x 8192 x 2048 (137.44 us); no size curve and
  // no waves (SMs unknown), so a chunk is exactly a quarter. Gather and scatter 300 us each.
  const hw::GpuSpec g = ideal(0);
  const Op column = gemm(OpKind::qkv_proj, 4096, 8192, 8192), row = gemm(OpKind::out_proj, 4096, 8192, 2048);
  const double col_t = 2.0 * 4096 * 8192 * 8192 / 1e15, row_t = 2.0 * 4096 * 8192 * 2048 / 1e15;
  const TpOverlapCost c =
      tp_overlap_pair(g, hw::Precision::bf16, column, row, 4, RsOverlap::ring_exchange, 16, {300 * kUs, 300 * kUs});
  EXPECT_NEAR(c.fwd_gemm, col_t + row_t, 1e-12);
  // Column: chunks of 137.44 us outlast the 100 us ring steps: nothing exposed, nothing lost.
  // Row: chunks of 34.36 us behind 100 us steps: 34.36 + 3 x 100 = 334.36 us, of which 137.44 us GEMMs -> 196.92 us
  // exposed; then the sum of the partial outputs, 4096 x 8192 x 2 bytes x (1 + 1/4) at 2 TB/s = 41.94 us.
  EXPECT_NEAR(c.fwd_compute, 4096.0 * 8192 * 2 * 1.25 / 2e12, 1e-12);
  EXPECT_NEAR(c.fwd_exposed, row_t / 4 + 300 * kUs - row_t, 1e-12);
  // Backward: the row GEMM's input gradient (the same FLOPs) by ring exchange, exposed alike; the column GEMM's
  // bulk gather and scatter (300 us each) hide behind its 549.76 us GEMMs, holding SMs for 600 us.
  EXPECT_NEAR(c.bwd_compute, 0, 1e-12);
  EXPECT_NEAR(c.bwd_exposed, row_t / 4 + 300 * kUs - row_t, 1e-12);
  EXPECT_NEAR(c.bwd_bulk_hidden, 600 * kUs, 1e-12);
}

TEST(TpOverlap, PipelinedScatterRunsOnTheSmsItLeaves) {
  // The same pair with pipeline on 128 SMs whose shapes fill whole waves (every chunk and GEMM: multiples of 128
  // tiles), the scatter holding 32 SMs: a chunk of the row GEMM takes a quarter x 128/96 = 45.81 us;
  // 45.81 + 3 x max(45.81, 75) + 75 = 345.81 us, 183.25 us of it GEMMs (45.81 us over the unsplit 137.44 us).
  const hw::GpuSpec g = ideal(128);
  const Op column = gemm(OpKind::qkv_proj, 4096, 8192, 8192), row = gemm(OpKind::out_proj, 4096, 8192, 2048);
  const double row_t = 2.0 * 4096 * 8192 * 2048 / 1e15;
  const TpOverlapCost c =
      tp_overlap_pair(g, hw::Precision::bf16, column, row, 4, RsOverlap::pipeline, 32, {300 * kUs, 300 * kUs});
  const double chunk = row_t / 4 * 128 / 96;
  EXPECT_NEAR(c.fwd_compute, 4 * chunk - row_t, 1e-12);
  EXPECT_NEAR(c.fwd_exposed, chunk + 3 * 75 * kUs + 75 * kUs - 4 * chunk, 1e-12);
}

// The layer: with overlap_tp_comm and sequence parallelism, both sublayers of a dense layer are pairs, so no TP
// collective is left to the whole-layer rule; an FP8 recipe gathers 1-byte elements.
const app::Catalog& catalog() {
  static const app::Catalog c(std::filesystem::path(DCSIM_SOURCE_DIR) / "configs");
  return c;
}

TEST(TpOverlap, DenseLayerCarriesEveryCollectiveInItsPairs) {
  app::Scenario s = app::load_scenario(
      {catalog().root() / "scenarios" / "llama3-70b-pretrain-h100-hgx.yaml",
       {"workload.overlap_tp_comm=true", "workload.precision=fp8",
        "workload.tp_overlap={proj_fprop: ring_exchange, fc2_fprop: pipeline, fc2_fprop_sms: 24}"},
       {}},
      catalog());
  const hw::Topology topo = hw::build_topology(s.cluster);
  const hw::Collectives coll(topo, s.cluster);
  const LayerCostModel model(s.pretraining, *s.model, s.cluster, coll);
  const LayerCost lc = model.layer_cost(0);
  EXPECT_EQ(lc.tp_comm, 0.0);
  EXPECT_EQ(s.pretraining.tp_overlap.proj_fprop, RsOverlap::ring_exchange);
  EXPECT_EQ(s.pretraining.tp_overlap.fc2_fprop_sms, 24);
  EXPECT_GT(lc.tp_overlap.fwd_gemm, 0.0);
  EXPECT_NEAR(lc.tp_hide, lc.fwd.gemm - lc.tp_overlap.fwd_gemm, 1e-9 * lc.fwd.gemm);
  // The gathers move fp8: half the bytes of the scatters.
  const double bytes = static_cast<double>(s.pretraining.micro_batch * s.pretraining.seq_len * s.model->hidden);
  EXPECT_NEAR(model.te_comm.all_gather, coll.estimate(hw::CollectiveOp::all_gather, model.tp_group, bytes).time, 1e-15);
  EXPECT_NEAR(model.te_comm.reduce_scatter,
              coll.estimate(hw::CollectiveOp::reduce_scatter, model.tp_group, 2 * bytes).time, 1e-15);
  // Without overlap, the old whole-layer rule holds all of it.
  app::Scenario plain = app::load_scenario(
      {catalog().root() / "scenarios" / "llama3-70b-pretrain-h100-hgx.yaml", {"workload.precision=fp8"}, {}},
      catalog());
  const LayerCostModel plain_model(plain.pretraining, *plain.model, plain.cluster, coll);
  const LayerCost pc = plain_model.layer_cost(0);
  EXPECT_NEAR(pc.tp_comm, 2 * plain_model.t_tp_pair, 1e-15);
  EXPECT_EQ(pc.tp_overlap.fwd_gemm, 0.0);
}

}  // namespace
}  // namespace dcsim::wl
