#include "hw/flow_network.hpp"

#include <gtest/gtest.h>

#include "hw/routing.hpp"
#include "sim/simulator.hpp"
#include "sim/time.hpp"
#include "tests/hw/cluster_fixtures.hpp"

namespace dcsim::hw {
namespace {

using testing::hgx_h100;

TEST(FlowNetwork, SingleTransferMatchesAlphaBeta) {
  const Topology t = build_topology(hgx_h100(2));
  sim::Simulator s;
  FlowNetwork net(s, t);
  sim::Time done = -1;
  net.start_flow(3, 11, 1e9, [&] { done = s.now(); });
  s.run();
  // Same rail: latency 1.2 us (adapters 1 us, one switch 0.2 us), bottleneck the 50 GB/s NIC.
  const sim::Time expect = sim::from_seconds(1.2e-6) + sim::transfer_time(1e9, 50e9);
  EXPECT_NEAR(static_cast<double>(done), static_cast<double>(expect), 2.0);
  EXPECT_DOUBLE_EQ(net.link_bytes(t.gpu_to_nic(3)), 1e9);
  EXPECT_DOUBLE_EQ(net.link_bytes(t.nic_to_leaf(t.nic_of(3))), 1e9);
  EXPECT_DOUBLE_EQ(net.link_bytes(t.gpu_to_domain(3)), 0);
  // 1e9 bytes x 8 bits x 15 pJ on the two optical hops.
  EXPECT_NEAR(net.transfer_energy(), 2 * 8e9 * 15e-12, 1e-9);
}

TEST(FlowNetwork, IncastSharesTheReceiverEqually) {
  const Topology t = build_topology(hgx_h100(5));
  sim::Simulator s;
  FlowNetwork net(s, t);
  const int N = 4;
  std::vector<FlowNetwork::FlowId> ids;
  std::vector<sim::Time> done(N, -1);
  for (int i = 0; i < N; ++i) {
    ids.push_back(net.start_flow(8 * (i + 1), 0, 1e9, [&, i] { done[i] = s.now(); }));
  }
  s.run_until(sim::kMicrosecond);
  for (auto id : ids) EXPECT_DOUBLE_EQ(net.rate(id), 50e9 / N);
  s.run();
  const sim::Time expect = sim::from_seconds(1.2e-6) + sim::transfer_time(N * 1e9, 50e9);
  for (sim::Time d : done) EXPECT_NEAR(static_cast<double>(d), static_cast<double>(expect), 4.0);
}

TEST(FlowNetwork, ShortFlowEndingSpeedsUpTheOther) {
  // Both leave GPU 0 through its NIC (50 GB/s): 25 GB/s each until the 1 GB flow ends at 40 ms; the 3 GB flow has
  // 2 GB left and finishes alone at 80 ms. A stale completion event (at 120 ms) must not fire.
  const Topology t = build_topology(hgx_h100(3));
  sim::Simulator s;
  FlowNetwork net(s, t);
  sim::Time a = -1, b = -1;
  int calls = 0;
  net.start_flow(0, 8, 1e9, [&] { a = s.now(); ++calls; });
  net.start_flow(0, 16, 3e9, [&] { b = s.now(); ++calls; });
  s.run();
  EXPECT_EQ(calls, 2);
  const double lat = 1.2e-6;
  EXPECT_NEAR(sim::to_seconds(a), 0.040 + lat, 1e-9);
  EXPECT_NEAR(sim::to_seconds(b), 0.080 + lat, 1e-9);
  EXPECT_DOUBLE_EQ(net.link_bytes(t.gpu_to_nic(0)), 4e9);
  EXPECT_EQ(net.active_flows(), 0u);
}

TEST(FlowNetwork, ThreeFlowsTwoLinksOnRealLinks) {
  // Flow A: GPU 0 -> GPU 8 and flow B: GPU 0 -> GPU 16 share GPU 0's NIC; flow C: GPU 24 -> GPU 16 shares GPU 16's
  // NIC with B. Every link is 50 GB/s, so max-min gives 25 GB/s to each of A, B, C.
  const Topology t = build_topology(hgx_h100(4));
  sim::Simulator s;
  FlowNetwork net(s, t);
  const auto A = net.start_flow(0, 8, 1e9, [] {});
  const auto B = net.start_flow(0, 16, 1e9, [] {});
  const auto C = net.start_flow(24, 16, 1e9, [] {});
  s.run_until(sim::kMicrosecond);
  EXPECT_DOUBLE_EQ(net.rate(A), 25e9);
  EXPECT_DOUBLE_EQ(net.rate(B), 25e9);
  EXPECT_DOUBLE_EQ(net.rate(C), 25e9);
  s.run();
}

TEST(FlowNetwork, ALinkCouplesFlowsOnlyOnceTheirCapsCanExceedIt) {
  // n flows share GPU 0's NVLink port (450 GB/s) and each then crosses its own 50 GB/s NIC link, so each is capped at
  // 50 GB/s. Nine fit (9 x 50 = 450: the port cannot bind and every flow runs at its cap); the tenth makes the port
  // the bottleneck: 450 / 10 = 45 GB/s each.
  const Topology t = build_topology(hgx_h100(2));
  const double port = t.link(t.gpu_to_domain(0)).bandwidth;
  ASSERT_DOUBLE_EQ(port, 450e9);
  for (int n : {9, 10}) {
    sim::Simulator s;
    FlowNetwork net(s, t);
    std::vector<FlowNetwork::FlowId> ids;
    for (int i = 0; i < n; ++i) {
      ids.push_back(net.start_flow_on({t.gpu_to_domain(0), t.gpu_to_nic(i % 16)}, 1e9, [] {}));
    }
    s.run_until(sim::kNanosecond);
    for (auto id : ids) EXPECT_DOUBLE_EQ(net.rate(id), n == 9 ? 50e9 : 45e9) << n << " flows";
    s.run();
  }
  // Ten again, one of them short: once it ends the port cannot bind any more and the nine others rise to their caps.
  sim::Simulator s;
  FlowNetwork net(s, t);
  std::vector<FlowNetwork::FlowId> ids;
  for (int i = 0; i < 9; ++i) ids.push_back(net.start_flow_on({t.gpu_to_domain(0), t.gpu_to_nic(i)}, 1e9, [] {}));
  net.start_flow_on({t.gpu_to_domain(0), t.gpu_to_nic(9)}, 45e3, [] {});  // 1 us at 45 GB/s
  s.run_until(sim::kNanosecond);
  EXPECT_DOUBLE_EQ(net.rate(ids[0]), 45e9);
  s.run_until(2 * sim::kMicrosecond);
  for (auto id : ids) EXPECT_DOUBLE_EQ(net.rate(id), 50e9);
  s.run();
}

TEST(FlowNetwork, SimultaneousStartsShareOneRecomputation) {
  const Topology t = build_topology(hgx_h100(1));
  sim::Simulator s;
  FlowNetwork net(s, t);
  for (int i = 0; i < 8; ++i) net.start_flow(i, (i + 1) % 8, 1e6, [] {});
  s.run();
  // One solve when all start, one when all end together.
  EXPECT_EQ(net.recomputations(), 2u);
}

}  // namespace
}  // namespace dcsim::hw
