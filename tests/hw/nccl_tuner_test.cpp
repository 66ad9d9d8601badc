// NCCL 2.30.7's tuning model against hand computations from its tables (src/graph/tuning.cc, search.cc).
#include "hw/nccl_tuner.hpp"

#include <cmath>

#include <gtest/gtest.h>

namespace dcsim::hw {
namespace {

constexpr CollectiveAlgo kAllReduceAlgos[] = {CollectiveAlgo::ring, CollectiveAlgo::tree, CollectiveAlgo::nvls,
                                              CollectiveAlgo::nvls_tree};

void expect_graph(const NcclGraph& g, int channels, double intra, double inter) {
  EXPECT_EQ(g.channels, channels);
  EXPECT_DOUBLE_EQ(g.bw_intra, intra);
  EXPECT_DOUBLE_EQ(g.bw_inter, inter);
}

TEST(NcclTuner, NvlinkBandwidthInNcclUnits) {
  EXPECT_NEAR(nccl_nvlink_gbs(90, 450e9), 18 * 20.6, 1e-9);   // H100: 18 NVLink4 links at 20.6 GB/s
  EXPECT_NEAR(nccl_nvlink_gbs(100, 900e9), 18 * 40.1, 1e-9);  // B200: 18 NVLink5 links at 40.1 GB/s
  EXPECT_NEAR(nccl_nvlink_gbs(80, 300e9), 12 * 20.0, 1e-9);   // A100: 12 NVLink3 links at 20.0 GB/s
}

TEST(NcclTuner, RingGraphSpeedsHandSearched) {
  // H100 node, 370.8 GB/s: 6 x 60 = 360 (50: 7 x 50 = 350; 40: 9 x 40 = 360, not better) then duplicated to 12 x 30.
  expect_graph(nccl_ring_graph(90, 370.8, 0, 0, false), 12, 30, 30);
  // B200 node, 721.8 GB/s: 8 x 90 = 720, duplicated to 16 x 45.
  expect_graph(nccl_ring_graph(100, 721.8, 0, 0, false), 16, 45, 45);
  // A100 node, 240 GB/s: 6 x 40 = 240 fills it; Ampere (80) is not > 80, so duplicated to 12 x 20.
  expect_graph(nccl_ring_graph(80, 240, 0, 0, false), 12, 20, 20);
  // Across H100 nodes, 8 NICs of 50 GB/s: 48 fits only 7 channels in 370.8 GB/s of NVLink (336), 45 fits 8 (360);
  // under 50 GB/s with more than 4 channels Hopper keeps them.
  expect_graph(nccl_ring_graph(90, 370.8, 8, 50, true), 8, 45, 45);
  // Across B200 nodes: 8 x 48 = 384.
  expect_graph(nccl_ring_graph(100, 721.8, 8, 50, true), 8, 48, 48);
  // Across A100 nodes with 8 HDR NICs (25 GB/s): 8 x 24 = 192, under 25 so no duplication.
  expect_graph(nccl_ring_graph(80, 240, 8, 25, true), 8, 24, 24);
}

TEST(NcclTuner, NvlsGraphHandSearched) {
  // H100, 8 heads within 370.8 x 8/7 = 423.8 GB/s: 50 (60 x 8 = 480 does not fit); inside one node bwInter rises
  // to the list's top under twice bwIntra: 60.
  expect_graph(nccl_nvls_graph(90, 370.8, 8, 0, false), 8, 50, 60);
  // B200: 90 x 8 = 720 <= 824.9; bwInter stays 90 (the top).
  expect_graph(nccl_nvls_graph(100, 721.8, 8, 0, false), 8, 90, 90);
  // 72-GPU NVLink5 domain: 32 heads (NCCL_MAX_NVLS_ARITY) within 732 GB/s: 20; bwInter 30 (the first under 40).
  expect_graph(nccl_nvls_graph(100, 721.8, 72, 0, false), 32, 20, 30);
  // Across H100 nodes: the NIC's speed, 48.
  expect_graph(nccl_nvls_graph(90, 370.8, 8, 50, true), 8, 50, 48);
  // No NVLS before Hopper.
  EXPECT_EQ(nccl_nvls_graph(80, 240, 8, 0, false).channels, 0);
}

NcclSystem system(int ranks, int nodes, int cc, NcclGraph ring, NcclGraph nvls) {
  NcclSystem s;
  s.ranks = ranks;
  s.nodes = nodes;
  s.compute_capability = cc;
  s.ring = ring;
  s.nvls = nvls;
  return s;
}

// 2x p5 as NCCL sees it: AMD host (2 us net overhead), aws-ofi-nccl reports 75 us.
NcclSystem p5_two_nodes() {
  NcclSystem s = system(16, 2, 90, {8, 45, 45}, {8, 50, 48});
  s.plugin_latency_us = 75;
  s.net_overhead_us = 2.0;
  return s;
}

TEST(NcclTuner, LatenciesMatchTheTablesOn2xP5) {
  const NcclSystem s = p5_two_nodes();
  auto lat = [&](CollectiveAlgo a, Protocol p) { return nccl_predicted_time_us(CollectiveOp::all_reduce, a, p, 0, s); };
  // Tree: base + 2 [(ppn-1) intra + log2(N) (net + plugin x (1 + Simple))].
  EXPECT_NEAR(lat(CollectiveAlgo::tree, Protocol::ll), 6.8 + 2 * (7 * 0.6 + (5.0 + 75)), 1e-9);         // 175.2
  EXPECT_NEAR(lat(CollectiveAlgo::tree, Protocol::ll128), 14.0 + 2 * (7 * 1.25 + (8.5 + 75)), 1e-9);    // 198.5
  EXPECT_NEAR(lat(CollectiveAlgo::tree, Protocol::simple), 8.4 + 2 * (7 * 4.0 + (14 + 150)), 1e-9);     // 392.4
  // Ring: base + (2(n-1) - 2(N-1)) max(intra, overhead) + 2(N-1) inter; Simple's overhead is 3 x 2 us.
  EXPECT_NEAR(lat(CollectiveAlgo::ring, Protocol::ll), 6.6 + 28 * 2.0 + 2 * (2.7 + 75), 1e-9);          // 218.0
  EXPECT_NEAR(lat(CollectiveAlgo::ring, Protocol::ll128), 14.0 + 28 * 2.0 + 2 * (4.0 + 75), 1e-9);      // 228.0
  EXPECT_NEAR(lat(CollectiveAlgo::ring, Protocol::simple), 8.4 + 28 * 6.0 + 2 * (14.0 + 150), 1e-9);    // 504.4
  EXPECT_NEAR(lat(CollectiveAlgo::nvls_tree, Protocol::simple), 25 + 2 * (20.9 + 150), 1e-9);           // 366.8
  // Not considered: NVLS across nodes (needs CollNet), NVLSTree with LL.
  EXPECT_LT(lat(CollectiveAlgo::nvls, Protocol::simple), 0);
  EXPECT_LT(lat(CollectiveAlgo::nvls_tree, Protocol::ll), 0);
}

TEST(NcclTuner, BandwidthsHandComputedOnOneH100Node) {
  NcclSystem s = system(8, 1, 90, {12, 30, 30}, {8, 50, 60});
  const double S = 1 << 30;
  // Ring Simple: busBw 12 x 30 = 360, algBw 360 x 8/14; latency 8.4 + 14 x 3.4.
  EXPECT_NEAR(nccl_predicted_time_us(CollectiveOp::all_reduce, CollectiveAlgo::ring, Protocol::simple, S, s),
              8.4 + 14 * 3.4 + S / (1000 * 360 * 8.0 / 14), 1e-6);
  // Ring LL128: min(0.92 x 360, 12 x 36.7) = 331.2.
  EXPECT_NEAR(nccl_predicted_time_us(CollectiveOp::all_reduce, CollectiveAlgo::ring, Protocol::ll128, S, s),
              14.0 + 14 * 1.9 + S / (1000 * 331.2 * 8.0 / 14), 1e-6);
  // Ring LL: min(llMaxBw 141, 0.5 x 360).
  EXPECT_NEAR(nccl_predicted_time_us(CollectiveOp::all_reduce, CollectiveAlgo::ring, Protocol::ll, S, s),
              6.6 + 14 * 0.6 + S / (1000 * 141 * 8.0 / 14), 1e-6);
  // NVLS: per channel min(2 x 50 x 0.85 x 7/8, 60) = 60, 8 channels; latency 25 alone.
  EXPECT_NEAR(nccl_predicted_time_us(CollectiveOp::all_reduce, CollectiveAlgo::nvls, Protocol::simple, S, s),
              25 + S / (1000 * 480 * 8.0 / 14), 1e-6);
  // Tree at 1 MiB: min(0.92 x 360, 12 x 38.7) x 0.5, times the correction 0.5 at log2(1 MiB / 64) = 14.
  const double M = 1 << 20;
  EXPECT_NEAR(nccl_predicted_time_us(CollectiveOp::all_reduce, CollectiveAlgo::tree, Protocol::simple, M, s),
              8.4 + 2 * 7 * 4.0 + M / (1000 * 331.2 * 0.5 * 0.5), 1e-6);
  // All-gather: the ring (no tree in NCCL; dcsim offers no NVLS all-gather), algBw = busBw n/(n-1).
  EXPECT_NEAR(nccl_predicted_time_us(CollectiveOp::all_gather, CollectiveAlgo::ring, Protocol::simple, S, s),
              8.4 + 7 * 3.4 + S / (1000 * 360 * 8.0 / 7), 1e-6);
  EXPECT_LT(nccl_predicted_time_us(CollectiveOp::all_gather, CollectiveAlgo::tree, Protocol::simple, S, s), 0);
  // Selection: ring/LL at 8 B (15.0 us against NVLS's 25), NVLS at 1 GiB.
  const NcclChoice small = nccl_select(CollectiveOp::all_reduce, 8, s, kAllReduceAlgos);
  EXPECT_EQ(small.algorithm, CollectiveAlgo::ring);
  EXPECT_EQ(small.protocol, Protocol::ll);
  EXPECT_EQ(nccl_select(CollectiveOp::all_reduce, S, s, kAllReduceAlgos).algorithm, CollectiveAlgo::nvls);
}

TEST(NcclTuner, RingSimplePlateauAcrossNodes) {
  // Multi-node ring Simple all-reduce: latency x 1.4 once bytes / (channels x ranks) >= 64.
  const NcclSystem s = p5_two_nodes();
  const double lat = 8.4 + 28 * 6.0 + 2 * (14.0 + 150);
  const double bw = 8 * 45 * 16.0 / 30;
  EXPECT_NEAR(nccl_predicted_time_us(CollectiveOp::all_reduce, CollectiveAlgo::ring, Protocol::simple, 8192, s),
              1.4 * lat + 8192 / (1000 * bw), 1e-9);
  EXPECT_NEAR(nccl_predicted_time_us(CollectiveOp::all_reduce, CollectiveAlgo::ring, Protocol::simple, 1024, s),
              lat + 1024 / (1000 * bw), 1e-9);
}

TEST(NcclTuner, KernelCapsPerChannel) {
  NcclSystem s = system(512, 64, 100, {8, 48, 48}, {8, 90, 48});
  // Blackwell tree beyond 2 nodes: 24 GB/s per channel, algBw = 8 x 24 x 0.5.
  EXPECT_DOUBLE_EQ(nccl_algbw_cap_gbs(CollectiveOp::all_reduce, CollectiveAlgo::tree, Protocol::simple, s), 96);
  // LL128 tree: min(8 x 24, 8 x 20) x 0.5.
  EXPECT_DOUBLE_EQ(nccl_algbw_cap_gbs(CollectiveOp::all_reduce, CollectiveAlgo::tree, Protocol::ll128, s), 80);
  // Ring LL: llMaxBw beyond 2 nodes (20.4 on row 0) x n / (2(n-1)).
  EXPECT_NEAR(nccl_algbw_cap_gbs(CollectiveOp::all_reduce, CollectiveAlgo::ring, Protocol::ll, s),
              20.4 * 512 / 1022.0, 1e-12);
  // Ring LL128: 8 x 40 per channel; all-gather converts with n / (n-1).
  EXPECT_NEAR(nccl_algbw_cap_gbs(CollectiveOp::all_gather, CollectiveAlgo::ring, Protocol::ll128, s),
              320 * 512 / 511.0, 1e-12);
  // NVLSTree: 8 x 80 per NVLS channel x n / (2(n-1)); ring Simple has no cap.
  EXPECT_NEAR(nccl_algbw_cap_gbs(CollectiveOp::all_reduce, CollectiveAlgo::nvls_tree, Protocol::simple, s),
              640 * 512 / 1022.0, 1e-12);
  EXPECT_TRUE(std::isinf(nccl_algbw_cap_gbs(CollectiveOp::all_reduce, CollectiveAlgo::ring, Protocol::simple, s)));
}

TEST(NcclTuner, RegionTunerOverridesAboveTwoNodes) {
  // aws-ofi-nccl's P6 all-reduce: Tree/LL up to 384 KiB at any rank count, then Tree/LL128 up to 4.5 MiB at 16
  // ranks (a slanted edge in log2 space to 17.5 MiB at 32 ranks).
  NcclRegionTuner rt;
  rt.ranks_per_node = 8;
  rt.regions.push_back({CollectiveOp::all_reduce, CollectiveAlgo::tree, Protocol::ll,
                        {{0, 16}, {393216, 16}, {393216, 1048576}, {0, 1048576}}});
  rt.regions.push_back({CollectiveOp::all_reduce, CollectiveAlgo::tree, Protocol::ll128,
                        {{393216, 1048576}, {393216, 16}, {4718592, 16}, {18350080, 32}, {18350080, 1048576}}});
  EXPECT_TRUE(nccl_region_contains(rt.regions[0], 8, 32));
  EXPECT_TRUE(nccl_region_contains(rt.regions[0], 393216, 64));    // on the edge counts
  EXPECT_FALSE(nccl_region_contains(rt.regions[0], 400000, 64));
  // The slanted edge from (4.5 MiB, 16) to (17.5 MiB, 32): at 22.6 ranks (log2 4.5) it passes log2 x = 23.06, i.e.
  // 8.72 MiB; 8 MiB at that rank count is inside, 9.5 MiB outside.
  const double y = std::pow(2.0, 4.5);
  const double x_edge = std::pow(2.0, (std::log2(4718592.0) + std::log2(18350080.0)) / 2);
  EXPECT_TRUE(nccl_region_contains(rt.regions[1], 0.99 * x_edge, y));
  EXPECT_FALSE(nccl_region_contains(rt.regions[1], 1.01 * x_edge, y));

  NcclSystem s = system(32, 4, 100, {8, 48, 48}, {8, 90, 48});
  s.plugin_latency_us = 35;
  s.region_tuner = &rt;
  const NcclChoice ll = nccl_select(CollectiveOp::all_reduce, 1024, s, kAllReduceAlgos);
  EXPECT_EQ(ll.algorithm, CollectiveAlgo::tree);
  EXPECT_EQ(ll.protocol, Protocol::ll);
  const NcclChoice ll128 = nccl_select(CollectiveOp::all_reduce, 8 << 20, s, kAllReduceAlgos);
  EXPECT_EQ(ll128.protocol, Protocol::ll128);
  // Outside every region, NCCL's own model decides (the same as without the region tuner).
  NcclSystem plain = s;
  plain.region_tuner = nullptr;
  const NcclChoice big = nccl_select(CollectiveOp::all_reduce, 1 << 30, s, kAllReduceAlgos);
  const NcclChoice own = nccl_select(CollectiveOp::all_reduce, 1 << 30, plain, kAllReduceAlgos);
  EXPECT_EQ(big.algorithm, own.algorithm);
  EXPECT_EQ(big.protocol, own.protocol);
  // Not at 2 nodes, nor for another ranks-per-node layout: a region covering everything with ring/LL, which NCCL's
  // own model never runs at 1 GiB, applies only at 8 ranks per node on more than 2 nodes.
  NcclRegionTuner everywhere;
  everywhere.ranks_per_node = 8;
  everywhere.regions.push_back({CollectiveOp::all_reduce, CollectiveAlgo::ring, Protocol::ll,
                                {{0, 1}, {107374182400, 1}, {107374182400, 1048576}, {0, 1048576}}});
  NcclSystem forced = s;
  forced.region_tuner = &everywhere;
  EXPECT_EQ(nccl_select(CollectiveOp::all_reduce, 1 << 30, forced, kAllReduceAlgos).protocol, Protocol::ll);
  NcclSystem two = forced;
  two.ranks = 16;
  two.nodes = 2;
  EXPECT_NE(nccl_select(CollectiveOp::all_reduce, 1 << 30, two, kAllReduceAlgos).protocol, Protocol::ll);
  NcclSystem four_per_node = forced;
  four_per_node.ranks = 16;
  EXPECT_NE(nccl_select(CollectiveOp::all_reduce, 1 << 30, four_per_node, kAllReduceAlgos).protocol, Protocol::ll);
  // A region whose choice is not a candidate is skipped: all-gather has no region here, so NCCL decides.
  EXPECT_NE(nccl_select(CollectiveOp::all_gather, 1 << 30, forced, kAllReduceAlgos).protocol, Protocol::ll);
}

}  // namespace
}  // namespace dcsim::hw
