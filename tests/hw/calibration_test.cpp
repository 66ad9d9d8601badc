// nccl-tests calibration targets (shared/calibration/microbench.yaml), with hand-built specs: NVLink4 450 GB/s and
// NVLink5 900 GB/s per direction. The constants are derived once for both generations (docs/network.md); these
// tests pin the resulting errors. Tolerances: ring 2 %, NVLS 5 %, latency floor 10 %.
#include <cstdio>
#include <numeric>

#include <gtest/gtest.h>

#include "hw/collectives.hpp"
#include "tests/hw/cluster_fixtures.hpp"

namespace dcsim::hw {
namespace {

struct Target {
  const char* name;
  ClusterSpec spec;
  CollectiveAlgo algo;
  double measured_gbs;
  double tolerance;
};

double busbw_gbs(const ClusterSpec& spec, CollectiveAlgo algo, double bytes) {
  const Topology t = build_topology(spec);
  const Collectives coll(t, spec);
  std::vector<int> g(8);
  std::iota(g.begin(), g.end(), 0);
  return coll.estimate(CollectiveOp::all_reduce, g, bytes, algo).busbw / 1e9;
}

TEST(Calibration, LargeAllReduceBusBandwidth) {
  const std::vector<Target> targets = {
      {"8x H100 ring", testing::hgx_h100(), CollectiveAlgo::ring, 367, 0.02},
      {"8x H100 nvls", testing::hgx_h100(), CollectiveAlgo::nvls, 477.5, 0.05},  // 473-482
      {"8x B200 ring", testing::hgx_b200(), CollectiveAlgo::ring, 688.5, 0.02},  // 682-695
      {"8x B200 nvls", testing::hgx_b200(), CollectiveAlgo::nvls, 842, 0.05},    // 838-846
  };
  for (const Target& t : targets) {
    const double sim = busbw_gbs(t.spec, t.algo, 8.0 * (1 << 30));
    std::printf("%-14s simulated %6.1f GB/s measured %6.1f error %+5.1f %%\n", t.name, sim, t.measured_gbs,
                100 * (sim / t.measured_gbs - 1));
    EXPECT_NEAR(sim, t.measured_gbs, t.measured_gbs * t.tolerance) << t.name;
  }
}

TEST(Calibration, SmallAllReduceLatencyFloor) {
  const ClusterSpec spec = testing::hgx_h100();  // H200 HGX: same NVLink4 fabric
  const Topology t = build_topology(spec);
  const Collectives coll(t, spec);
  std::vector<int> g(8);
  std::iota(g.begin(), g.end(), 0);
  const double us = coll.estimate(CollectiveOp::all_reduce, g, 32 * 1024).time * 1e6;
  std::printf("8x H200 32 KiB all_reduce simulated %.1f us measured 18 us error %+.1f %%\n", us,
              100 * (us / 18 - 1));
  EXPECT_NEAR(us, 18, 1.8);
}

}  // namespace
}  // namespace dcsim::hw
