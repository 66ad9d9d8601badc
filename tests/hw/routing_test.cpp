#include "hw/routing.hpp"

#include <map>

#include <gtest/gtest.h>

#include "tests/hw/cluster_fixtures.hpp"

namespace dcsim::hw {
namespace {

using testing::hgx_h100;

TEST(Routing, SameDomainCrossesTheSwitchPlane) {
  const Topology t = build_topology(hgx_h100(2));
  const auto p = route(t, 1, 6, 0);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0], t.gpu_to_domain(1));
  EXPECT_EQ(p[1], t.domain_to_gpu(6));
  EXPECT_DOUBLE_EQ(path_latency(t, p), 0.25e-6);
  EXPECT_DOUBLE_EQ(path_bandwidth(t, p), 450e9);
  EXPECT_TRUE(route(t, 5, 5, 0).empty());
}

TEST(Routing, SameRailStaysUnderOneLeaf) {
  const Topology t = build_topology(hgx_h100(2));
  const auto p = route(t, 3, 8 + 3, 0);  // GPU 3 of node 0 to GPU 3 of node 1: rail 3, same leaf
  ASSERT_EQ(p.size(), 4u);                // gpu-nic, nic-leaf, leaf-nic, nic-gpu
  EXPECT_EQ(t.link(p[1]).kind, LinkKind::nic_leaf);
  // Adapter latency 1 us (0.5 us per end) + one switch 0.2 us.
  EXPECT_NEAR(path_latency(t, p), 1.2e-6, 1e-15);
  EXPECT_DOUBLE_EQ(path_bandwidth(t, p), 50e9);
}

TEST(Routing, CrossRailAndCrossPodHopCounts) {
  const Topology two = build_topology(hgx_h100(32));
  EXPECT_EQ(route(two, 0, 8 + 1, 7).size(), 6u);  // via one spine
  const Topology three = build_topology(hgx_h100(1024));
  EXPECT_EQ(route(three, 0, 8 + 1, 7).size(), 6u);        // cross-rail inside pod 0
  EXPECT_EQ(route(three, 0, 8 * 1000, 7).size(), 8u);     // pod 0 to pod 7 through a core
  EXPECT_NEAR(path_latency(three, route(three, 0, 8 * 1000, 7)), 1e-6 + 5 * 0.2e-6, 1e-15);
}

TEST(Routing, StructuralRoutesAreShortestPaths) {
  const Topology t = build_topology(hgx_h100(1024));
  for (int dst : {1, 8 + 1, 8 * 40 + 5, 8 * 1000 + 2, 8191}) {
    const auto p = route(t, 0, dst, 3);
    const auto q = shortest_path(t, t.gpu_node(0), t.gpu_node(dst));
    EXPECT_EQ(p.size(), q.size()) << "dst " << dst;
    // The structural route is a connected walk from src to dst.
    NodeId at = t.gpu_node(0);
    for (LinkId l : p) {
      EXPECT_EQ(t.link(l).src, at);
      at = t.link(l).dst;
    }
    EXPECT_EQ(at, t.gpu_node(dst));
  }
}

TEST(Routing, EcmpSpreadsEvenlyOverSpines) {
  const Topology t = build_topology(hgx_h100(32));  // 4 spines
  std::map<NodeId, int> hits;
  const int n = 40000;
  for (int i = 0; i < n; ++i) {
    const auto p = route(t, i % 8, 8 * (1 + i % 31) + (i + 1) % 8, ecmp_hash(i % 8, 8 + i % 248, i));
    for (LinkId l : p) {
      if (t.link(l).kind == LinkKind::leaf_spine && t.node_kind(t.link(l).dst) == NodeKind::spine) {
        ++hits[t.link(l).dst];
      }
    }
  }
  ASSERT_EQ(hits.size(), 4u);
  for (const auto& [spine, count] : hits) EXPECT_NEAR(count, n / 4.0, n / 4.0 * 0.05) << spine;
}

TEST(Routing, EcmpSpreadsOverCoresInThreeTiers) {
  const Topology t = build_topology(hgx_h100(1024));  // 32 spines per pod, 4 cores per group -> 128 cores
  std::map<NodeId, int> hits;
  const int n = 128 * 400;
  for (int i = 0; i < n; ++i) {
    for (LinkId l : route(t, 0, 8 * 1000, ecmp_hash(0, 8000, i))) {
      if (t.link(l).kind == LinkKind::spine_core && t.node_kind(t.link(l).dst) == NodeKind::core) ++hits[t.link(l).dst];
    }
  }
  ASSERT_EQ(hits.size(), 128u);
  for (const auto& [core, count] : hits) EXPECT_NEAR(count, 400, 400 * 0.3) << core;
}

}  // namespace
}  // namespace dcsim::hw
