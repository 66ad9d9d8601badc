#include "hw/topology.hpp"

#include <chrono>
#include <stdexcept>

#include <boost/graph/graph_traits.hpp>
#include <gtest/gtest.h>

#include "tests/hw/cluster_fixtures.hpp"

namespace dcsim::hw {
namespace {

using testing::hgx_h100;
using testing::nvl72;

TEST(Topology, SingleHgxIsOneCrossbar) {
  const Topology t = build_topology(hgx_h100(1));
  const FabricShape& f = t.shape();
  EXPECT_EQ(f.gpus, 8);
  EXPECT_EQ(f.domains, 1);
  EXPECT_EQ(f.scale_up_chips, 4);
  EXPECT_EQ(f.tiers, 0);
  EXPECT_EQ(f.nodes, 9u);   // 8 GPUs + one switch-plane vertex
  EXPECT_EQ(f.links, 16u);  // one up and one down link per GPU
  EXPECT_DOUBLE_EQ(t.link(t.gpu_to_domain(3)).bandwidth, 450e9);
  EXPECT_EQ(t.link(t.domain_to_gpu(3)).dst, t.gpu_node(3));
  EXPECT_EQ(boost::num_edges(t.graph()), 16u);
}

TEST(Topology, Nvl72) {
  const Topology t = build_topology(nvl72(1));
  const FabricShape& f = t.shape();
  EXPECT_EQ(f.gpus, 72);
  EXPECT_EQ(f.domains, 1);
  EXPECT_EQ(f.domain_size, 72);
  EXPECT_EQ(f.scale_up_chips, 18);
  EXPECT_EQ(f.nodes, 73u);
  EXPECT_EQ(f.links, 144u);
}

TEST(Topology, TwoTierScalableUnit) {
  // 32 HGX nodes, radix 64, 1:1 -> 32 down / 32 up per leaf, one leaf per rail (8), spines = 8*32/64 = 4,
  // each leaf-spine bundle 32/4 = 8 cables.
  const Topology t = build_topology(hgx_h100(32));
  const FabricShape& f = t.shape();
  EXPECT_EQ(f.tiers, 2);
  EXPECT_EQ(f.leaf_down, 32);
  EXPECT_EQ(f.leaves, 8);
  EXPECT_EQ(f.spines, 4);
  EXPECT_DOUBLE_EQ(f.leaf_spine_cables, 8);
  EXPECT_DOUBLE_EQ(t.link(t.leaf_to_spine(0, 0)).bandwidth, 8 * 50e9);
  // 32 domains; links: 2*256 scale-up + 2*256 gpu-nic + 2*256 nic-leaf + 2*8*4 leaf-spine.
  EXPECT_EQ(f.domains, 32);
  EXPECT_EQ(f.links, 3u * 512 + 64);
  EXPECT_EQ(f.nodes, 256u + 256 + 32 + 8 + 4);
}

TEST(Topology, RailOptimized1024NodesThreeTiersAtRadix64) {
  // 8192 NICs, 32 per leaf -> 32 leaves per rail, 256 leaves > 64 -> three tiers: pods of 32 leaves (8 pods),
  // 32 spines per pod (256), core groups of ceil(8/2) = 4 cores (128 cores), 32/4 = 8 cables per spine-core link.
  const Topology t = build_topology(hgx_h100(1024));
  const FabricShape& f = t.shape();
  EXPECT_EQ(f.gpus, 8192);
  EXPECT_EQ(f.tiers, 3);
  EXPECT_EQ(f.leaves, 256);
  EXPECT_EQ(f.pods, 8);
  EXPECT_EQ(f.spines, 256);
  EXPECT_EQ(f.cores, 128);
  EXPECT_DOUBLE_EQ(f.spine_core_cables, 8);
  EXPECT_EQ(f.links, 2u * 8192 * 3 + 2u * 256 * 32 + 2u * 256 * 4);
  // Rail r of systems 0..31 shares leaf r; systems 32..63 use leaves 8..15.
  EXPECT_EQ(t.leaf_of_nic(t.nic_of(3)), 3);
  EXPECT_EQ(t.leaf_of_nic(t.nic_of(8 * 31 + 3)), 3);
  EXPECT_EQ(t.leaf_of_nic(t.nic_of(8 * 32 + 3)), 11);
}

TEST(Topology, RackScaleRailsFollowTheComputeTray) {
  // 8 NVL72 racks of 18 trays x 4 GPUs: 4 rails, 144 trays, 32 per leaf -> ceil(144/32) = 5 leaves per rail (20),
  // spines = 20*32/64 = 10. With one rail per NIC of the rack it would be 72 leaves of 8 NICs each.
  ClusterSpec c = nvl72(8);
  c.system.gpus_per_node = 4;
  const Topology t = build_topology(c);
  const FabricShape& f = t.shape();
  EXPECT_EQ(f.rails, 4);
  EXPECT_EQ(f.rail_groups, 18);
  EXPECT_EQ(f.tiers, 2);
  EXPECT_EQ(f.leaves, 20);
  EXPECT_EQ(f.spines, 10);
  // GPU 5 of rack 0 is rail 1 of tray 1 (leaf 1); rack 1's tray 14 is tray 32 overall: leaf block 1, rail 1 -> 5.
  EXPECT_EQ(t.leaf_of_nic(t.nic_of(5)), 1);
  EXPECT_EQ(t.leaf_of_nic(t.nic_of(72 + 14 * 4 + 1)), 5);
  // Without a tray size the rack is one node: 72 rails, one leaf each.
  c.system.gpus_per_node = 0;
  EXPECT_EQ(build_topology(c).shape().leaves, 72);
}

TEST(Topology, RailOptimized1024NodesTwoTiersAtRadix128) {
  ClusterSpec c = hgx_h100(1024);
  c.scale_out_switch = testing::ib_switch(128);
  const FabricShape f = build_topology(c).shape();
  EXPECT_EQ(f.tiers, 2);
  EXPECT_EQ(f.leaves, 128);  // 16 per rail
  EXPECT_EQ(f.spines, 64);   // 128 * 64 uplinks / 128 ports
}

TEST(Topology, OversubscriptionShiftsLeafPorts) {
  ClusterSpec c = hgx_h100(64);
  c.scale_out.oversubscription = 3;  // 48 down : 16 up
  const FabricShape f = build_topology(c).shape();
  EXPECT_EQ(f.leaf_down, 48);
  EXPECT_EQ(f.leaf_up, 16);
  EXPECT_EQ(f.leaves, 16);  // ceil(64/48) = 2 per rail
  EXPECT_EQ(f.spines, 4);   // 16*16/64
}

TEST(Topology, PlainFatTreePacksConsecutiveNics) {
  ClusterSpec c = hgx_h100(16);
  c.scale_out.topology = ScaleOutTopology::fat_tree;
  const Topology t = build_topology(c);
  EXPECT_EQ(t.shape().leaves, 4);  // 128 NICs / 32
  EXPECT_EQ(t.leaf_of_nic(t.nic_of(31)), 0);
  EXPECT_EQ(t.leaf_of_nic(t.nic_of(32)), 1);
}

TEST(Topology, TooLargeForThreeTiersThrows) {
  // 100,000 GPUs at radix 64 non-blocking: 64*32*32 = 65,536 NIC ports fit in three tiers.
  EXPECT_THROW(build_topology(hgx_h100(12500)), std::invalid_argument);
}

TEST(Topology, HundredThousandGpusBuildFast) {
  ClusterSpec c = hgx_h100(12500);
  c.scale_out.oversubscription = 4;  // radix 64 at 4:1 (51 down / 13 up) fits three tiers
  const auto t0 = std::chrono::steady_clock::now();
  const Topology t = build_topology(c);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(t.shape().gpus, 100000);
  EXPECT_EQ(t.shape().tiers, 3);
  EXPECT_LT(s, 1.0);
  ClusterSpec c2 = hgx_h100(12500);
  c2.scale_out_switch = testing::ib_switch(128);
  const Topology t2 = build_topology(c2);
  EXPECT_EQ(t2.shape().tiers, 3);
  EXPECT_EQ(t2.shape().pods, 25);  // 1568 leaves / 64
  EXPECT_EQ(t2.shape().cores, 64 * 13);
}

}  // namespace
}  // namespace dcsim::hw
