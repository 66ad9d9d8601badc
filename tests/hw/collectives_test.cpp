#include "hw/collectives.hpp"
#include "hw/nccl_tuner.hpp"

#include <algorithm>
#include <cstdio>
#include <numeric>
#include <vector>

#include <gtest/gtest.h>

#include "sim/process.hpp"
#include "sim/simulator.hpp"
#include "tests/hw/cluster_fixtures.hpp"

namespace dcsim::hw {
namespace {

using testing::hgx_h100;

std::vector<int> iota(int n, int first = 0) {
  std::vector<int> v(n);
  std::iota(v.begin(), v.end(), first);
  return v;
}

// Simple-protocol achievable bandwidth: 1 / (1 / (B eta) + overhead / chunk).
double simple_bw(double B, double eta) { return 1.0 / (1.0 / (B * eta) + 94e-9 / 524288); }

TEST(Collectives, RingAllReduceHandComputed) {
  const ClusterSpec spec = hgx_h100(1);
  const Topology t = build_topology(spec);
  const Collectives coll(t, spec);
  const double S = 1 << 30;
  const auto c = coll.estimate(CollectiveOp::all_reduce, iota(8), S, CollectiveAlgo::ring);
  EXPECT_EQ(c.protocol, Protocol::simple);
  // 14 steps of (0.25 us NVLink + 3 us Simple overhead) + 9.3 us base; 2*7/8 S at the Simple bandwidth.
  const double expect = 9.3e-6 + 14 * 3.25e-6 + 1.75 * S / simple_bw(450e9, 0.873);
  EXPECT_NEAR(c.time, expect, expect * 1e-12);
  EXPECT_NEAR(c.busbw, c.algbw * 1.75, 1);
  // Each GPU sends 1.75 S; every byte crosses GPU->switch and switch->GPU.
  EXPECT_NEAR(c.bytes_by_kind[static_cast<int>(LinkKind::scale_up)], 2 * 8 * 1.75 * S, 1);
}

TEST(Collectives, SmallAllReduceUsesLowLatencyProtocol) {
  const ClusterSpec spec = hgx_h100(1);
  const Topology t = build_topology(spec);
  const Collectives coll(t, spec);
  const double S = 32 * 1024;
  const auto c = coll.estimate(CollectiveOp::all_reduce, iota(8), S);
  EXPECT_EQ(c.algorithm, CollectiveAlgo::ring);
  EXPECT_EQ(c.protocol, Protocol::ll);
  const double expect = 9.3e-6 + 14 * 0.6e-6 + 1.75 * S / simple_bw(450e9 * 0.5, 0.873);
  EXPECT_NEAR(c.time, expect, 1e-12);
}

TEST(Collectives, AutoPicksNvlsForLargeIntraNodeAllReduce) {
  const ClusterSpec spec = hgx_h100(1);
  const Topology t = build_topology(spec);
  const Collectives coll(t, spec);
  EXPECT_EQ(coll.estimate(CollectiveOp::all_reduce, iota(8), 1 << 30).algorithm, CollectiveAlgo::nvls);
  ClusterSpec no_sharp = spec;
  no_sharp.scale_up_switch.in_network_reduction = false;
  const Collectives plain(t, no_sharp);
  EXPECT_EQ(plain.estimate(CollectiveOp::all_reduce, iota(8), 1 << 30).algorithm, CollectiveAlgo::ring);
  EXPECT_THROW(plain.estimate(CollectiveOp::all_reduce, iota(8), 1 << 30, CollectiveAlgo::nvls),
               std::invalid_argument);
}

TEST(Collectives, AcrossNodesSmallUsesTreeLargeIsNetworkBound) {
  const ClusterSpec spec = hgx_h100(16);
  const Topology t = build_topology(spec);
  const Collectives coll(t, spec);
  const auto group = iota(128);
  EXPECT_EQ(coll.estimate(CollectiveOp::all_reduce, group, 64 * 1024).algorithm, CollectiveAlgo::tree);
  const auto big = coll.estimate(CollectiveOp::all_reduce, group, 32.0 * (1 << 30), CollectiveAlgo::ring);
  // Ring across nodes: each node's 8 NICs carry the crossings: busbw -> 8 x 50 GB/s x 0.92.
  EXPECT_NEAR(big.busbw, 8 * 50e9 * 0.92, 8 * 50e9 * 0.92 * 0.02);
}

TEST(Collectives, AllGatherAndAllToAllHandComputed) {
  const ClusterSpec spec = hgx_h100(1);
  const Topology t = build_topology(spec);
  const Collectives coll(t, spec);
  const double S = 1 << 30;
  const double Bs = simple_bw(450e9, 0.873);
  const auto ag = coll.estimate(CollectiveOp::all_gather, iota(8), S);
  EXPECT_NEAR(ag.time, 9.3e-6 + 7 * 3.25e-6 + 7.0 / 8 * S / Bs, 1e-9);
  EXPECT_NEAR(ag.busbw, ag.algbw * 7 / 8, 1);
  const auto a2a = coll.estimate(CollectiveOp::all_to_all, iota(8), S);
  EXPECT_NEAR(a2a.time, 9.3e-6 + 3.25e-6 + 7.0 / 8 * S / Bs, 1e-9);
  const auto p2p = coll.estimate(CollectiveOp::send_recv, std::vector<int>{0, 5}, S);
  EXPECT_NEAR(p2p.time, 9.3e-6 + 3.25e-6 + S / Bs, 1e-9);
}

double run_flow(const Topology& t, const Collectives& coll, CollectiveOp op, std::vector<int> group, double bytes,
                CollectiveAlgo algo = CollectiveAlgo::automatic) {
  sim::Simulator s;
  FlowNetwork net(s, t);
  double done = -1;
  coll.start(net, op, std::move(group), bytes, [&] { done = sim::to_seconds(s.now()); }, algo);
  s.run();
  return done;
}

TEST(Collectives, FlowAgreesWithAnalyticalOnIdleNetwork) {
  const ClusterSpec spec = hgx_h100(4);
  const Topology t = build_topology(spec);
  const Collectives coll(t, spec);
  const double S = 256.0 * (1 << 20);
  struct Case {
    CollectiveOp op;
    std::vector<int> group;
    CollectiveAlgo algo;
  };
  const std::vector<Case> cases = {
      {CollectiveOp::all_reduce, iota(8), CollectiveAlgo::ring},
      {CollectiveOp::all_reduce, iota(8), CollectiveAlgo::nvls},
      {CollectiveOp::all_reduce, iota(32), CollectiveAlgo::ring},
      {CollectiveOp::all_reduce, iota(32), CollectiveAlgo::hierarchical},
      {CollectiveOp::all_gather, iota(32), CollectiveAlgo::ring},
      {CollectiveOp::all_to_all, iota(16), CollectiveAlgo::ring},
      {CollectiveOp::send_recv, {0, 9}, CollectiveAlgo::ring},
  };
  for (const Case& c : cases) {
    const double a = coll.estimate(c.op, c.group, S, c.algo).time;
    const double f = run_flow(t, coll, c.op, c.group, S, c.algo);
    EXPECT_NEAR(f, a, a * 0.01) << to_string(c.op) << " " << to_string(c.algo) << " n=" << c.group.size();
  }
}

TEST(Collectives, TreeAllReduceHandComputed) {
  // 4 HGX nodes: the dtree has depth 2; reduce and broadcast pipelined together, a node sends and receives 2S over
  // its 8 NICs (dtree_network_load(4) = 2); each GPU's NVLink carries 7/8 S each way per phase (it heads one of the
  // 8 chains). On 2 nodes each node sends only S in all. Pipeline fill: depth 2(log2 m + 7) hops, each a 512 KiB
  // chunk at the per-channel rate min(B_net, B_up / 8).
  const ClusterSpec spec = hgx_h100(4);
  const Topology t = build_topology(spec);
  const Collectives coll(t, spec);
  const double S = 1 << 30;
  const GroupLayout g = coll.layout(iota(32));
  const double Bu = simple_bw(450e9, 0.873), Bn = 50e9 * 0.92;
  const double su = 0.25e-6 + 3e-6, sn = g.net_latency + 6e-6;
  const double base = std::max(coll.scale_up_tuning().base_latency, coll.scale_out_tuning().base_latency);
  const auto c = coll.estimate(CollectiveOp::all_reduce, iota(32), S, CollectiveAlgo::tree);
  EXPECT_EQ(c.protocol, Protocol::simple);
  const double chunk_time = 524288 / std::min(Bn, Bu / 8);
  EXPECT_NEAR(c.time, base + 2 * (2 * sn + 7 * su) + 17 * chunk_time + std::max(2 * S * 7.0 / 8 / Bu, 2 * S / (8 * Bn)),
              1e-9);
  const auto two = coll.estimate(CollectiveOp::all_reduce, iota(16), S, CollectiveAlgo::tree);
  EXPECT_NEAR(two.time, base + 2 * (1 * sn + 7 * su) + 15 * chunk_time + std::max(2 * S * 7.0 / 8 / Bu, S / (8 * Bn)),
              1e-9);
}

TEST(Collectives, TreeFlowAgreesWithAnalyticalOnIdleNetwork) {
  struct Shape {
    const char* name;
    ClusterSpec spec;
  };
  // 3 and 5 nodes: odd m, where NCCL's second tree is the first shifted by one rank instead of mirrored.
  const std::vector<Shape> shapes = {{"2x HGX H100", hgx_h100(2)},
                                     {"3x HGX H100", hgx_h100(3)},
                                     {"4x HGX H100", hgx_h100(4)},
                                     {"5x HGX H100", hgx_h100(5)},
                                     {"16x HGX H100", hgx_h100(16)},
                                     {"128x HGX H100", hgx_h100(128)},
                                     {"4x NVL72", testing::nvl72(4)}};
  for (const Shape& sh : shapes) {
    const Topology t = build_topology(sh.spec);
    const Collectives coll(t, sh.spec);
    const auto group = iota(sh.spec.total_gpus());
    for (double S : {1.0 * (1 << 20), 256.0 * (1 << 20)}) {
      const double a = coll.estimate(CollectiveOp::all_reduce, group, S, CollectiveAlgo::tree).time;
      const double f = run_flow(t, coll, CollectiveOp::all_reduce, group, S, CollectiveAlgo::tree);
      std::printf("tree %-14s %6.0f MiB estimate %10.3f us flow %10.3f us (%+.3f %%)\n", sh.name, S / (1 << 20),
                  a * 1e6, f * 1e6, 100 * (f / a - 1));
      EXPECT_NEAR(f, a, a * 0.01) << sh.name << " " << S;
    }
  }
}

TEST(Collectives, UnevenDomainsRunAtTheSmallestDomainsNics) {
  // 8 + 8 + 4 GPUs on three HGX H100 nodes: every channel crosses each domain, and the 4-GPU domain has 4 NICs, so
  // the network term is that of 4 NICs (half the 8 a full node has); the flows agree.
  const ClusterSpec spec = hgx_h100(3);
  const Topology t = build_topology(spec);
  const Collectives coll(t, spec);
  const auto group = iota(20);
  EXPECT_EQ(coll.layout(group).nics_per_domain, 4);
  EXPECT_EQ(coll.layout(group).per_domain, 8);
  const double S = 256.0 * (1 << 20);
  for (CollectiveAlgo algo : {CollectiveAlgo::ring, CollectiveAlgo::tree}) {
    const double a = coll.estimate(CollectiveOp::all_reduce, group, S, algo).time;
    const double f = run_flow(t, coll, CollectiveOp::all_reduce, group, S, algo);
    std::printf("uneven %s estimate %.3f us flow %.3f us (%+.2f %%)\n", to_string(algo), a * 1e6, f * 1e6, 100 * (f / a - 1));
    EXPECT_NEAR(f, a, a * 0.01) << to_string(algo);
  }
}

TEST(Collectives, RememberedLayoutsAreTheLayoutsOfTheirGroups) {
  // layout() keeps what it computed per group (#19: a training step prices the same groups many times) and starts
  // again past 4,096 groups. Each answer must be its own group's, before, during and after that flood.
  const ClusterSpec spec = hgx_h100(4);
  const Topology t = build_topology(spec);
  const Collectives coll(t, spec);
  const auto uneven = iota(20);   // 8 + 8 + 4 GPUs: 3 domains, 4 NICs in the smallest
  const auto strided = [] {       // one GPU of each node: 4 domains of 1
    std::vector<int> g;
    for (int n = 0; n < 4; ++n) g.push_back(8 * n + 3);
    return g;
  }();
  const GroupLayout a = coll.layout(uneven);
  EXPECT_EQ(a.domains, 3);
  EXPECT_EQ(a.per_domain, 8);
  EXPECT_EQ(a.nics_per_domain, 4);
  const GroupLayout b = coll.layout(strided);
  EXPECT_EQ(b.domains, 4);
  EXPECT_EQ(b.per_domain, 1);
  for (int k = 0; k < 5000; ++k) {  // more distinct groups than are kept
    const std::vector<int> pair = {k % 32, (k + 1 + k / 32) % 32 == k % 32 ? (k + 2) % 32 : (k + 1 + k / 32) % 32};
    const GroupLayout p = coll.layout(pair);
    ASSERT_EQ(p.n, 2);
    ASSERT_EQ(p.domains, pair[0] / 8 == pair[1] / 8 ? 1 : 2) << pair[0] << " " << pair[1];
  }
  const GroupLayout a2 = coll.layout(uneven), b2 = coll.layout(strided);
  EXPECT_EQ(a2.domains, a.domains);
  EXPECT_EQ(a2.nics_per_domain, a.nics_per_domain);
  EXPECT_DOUBLE_EQ(a2.net_latency, a.net_latency);
  EXPECT_DOUBLE_EQ(a2.net_bandwidth, a.net_bandwidth);
  EXPECT_EQ(b2.domains, b.domains);
  EXPECT_DOUBLE_EQ(b2.net_latency, b.net_latency);
  // A group is its ranks in order: the same set in another order is its own entry with the same counts.
  std::vector<int> reversed(uneven.rbegin(), uneven.rend());
  EXPECT_EQ(coll.layout(reversed).domains, 3);
  EXPECT_EQ(coll.layout(reversed).nics_per_domain, 4);
}

TEST(Collectives, TreeAllReduceSlowsUnderTrafficOnOneNic) {
  // Non-blocking fabric, 4 HGX nodes: a bulk transfer from GPU 0 to GPU 8 shares NIC 0 and NIC 8 with the tree's
  // chains of channel 0; the tree waits for its slowest channel.
  const ClusterSpec spec = hgx_h100(4);
  const Topology t = build_topology(spec);
  const Collectives coll(t, spec);
  const double S = 1 << 30;
  const double alone = run_flow(t, coll, CollectiveOp::all_reduce, iota(32), S, CollectiveAlgo::tree);
  sim::Simulator s;
  FlowNetwork net(s, t);
  double done = -1;
  coll.start(net, CollectiveOp::all_reduce, iota(32), S, [&] { done = sim::to_seconds(s.now()); },
             CollectiveAlgo::tree);
  net.start_flow(0, 8, 4.0 * S, [] {});
  s.run();
  std::printf("tree with a bulk flow on NIC 0: alone %.1f us, contended %.1f us\n", alone * 1e6, done * 1e6);
  EXPECT_GT(done, alone * 1.2);
}

TEST(Collectives, AutoExecutesTheChosenAlgorithmAsFlows) {
  // Two half-nodes on the oversubscribed fabric of the contention tests. This spec has no compute capability, so
  // auto takes the cheapest modelled choice: the tree (NVLSTree on two 4-GPU halves pays 3 loops of pipeline fill,
  // docs/network.md). Run as flows it must be the same execution as forcing it, and feel the uplinks (start() used
  // to run tree and auto as a bare delay of the estimate).
  ClusterSpec spec = hgx_h100(2);
  spec.scale_out.topology = ScaleOutTopology::fat_tree;
  spec.scale_out_switch = testing::ib_switch(16, 12.5e9);
  const Topology t = build_topology(spec);
  const Collectives coll(t, spec);
  const std::vector<int> A = {0, 1, 2, 3, 8, 9, 10, 11};
  const double S = 1 << 30;
  const auto chosen = coll.estimate(CollectiveOp::all_reduce, A, S);
  EXPECT_EQ(chosen.algorithm, CollectiveAlgo::tree);
  const double forced = run_flow(t, coll, CollectiveOp::all_reduce, A, S, chosen.algorithm);
  const double automatic = run_flow(t, coll, CollectiveOp::all_reduce, A, S);
  EXPECT_DOUBLE_EQ(automatic, forced) << to_string(chosen.algorithm);
  EXPECT_GT(automatic, chosen.time * 1.1);  // the oversubscribed uplinks show: flows, not the estimated delay
}

TEST(Collectives, TwoAllReducesSharingSpineUplinksContend) {
  // Plain fat-tree, radix 16: each HGX node fills one leaf (8 down, 8 up). Ports of 12.5 GB/s make the 8 uplinks
  // 100 GB/s in all, less than the 4 x 50 GB/s NICs one group sends across: the flow model sees it, the
  // analytical model (bottleneck link of one route) does not; a second group on the same leaves halves it again.
  // Ring and tree (chains and NCCL's double binary tree as flows) alike.
  ClusterSpec spec = hgx_h100(2);
  spec.scale_out.topology = ScaleOutTopology::fat_tree;
  spec.scale_out_switch = testing::ib_switch(16, 12.5e9);
  const Topology t = build_topology(spec);
  ASSERT_EQ(t.shape().leaves, 2);
  const Collectives coll(t, spec);
  const std::vector<int> A = {0, 1, 2, 3, 8, 9, 10, 11};
  const std::vector<int> B = {4, 5, 6, 7, 12, 13, 14, 15};
  const double S = 1 << 30;
  for (CollectiveAlgo algo : {CollectiveAlgo::ring, CollectiveAlgo::tree}) {
    const double analytical = coll.estimate(CollectiveOp::all_reduce, A, S, algo).time;
    const double alone = run_flow(t, coll, CollectiveOp::all_reduce, A, S, algo);
    sim::Simulator s;
    FlowNetwork net(s, t);
    double done_a = -1, done_b = -1;
    coll.start(net, CollectiveOp::all_reduce, A, S, [&] { done_a = sim::to_seconds(s.now()); }, algo);
    coll.start(net, CollectiveOp::all_reduce, B, S, [&] { done_b = sim::to_seconds(s.now()); }, algo);
    s.run();
    std::printf("%s oversubscribed: estimate %.1f us alone %.1f us with a second group %.1f / %.1f us\n",
                to_string(algo), analytical * 1e6, alone * 1e6, done_a * 1e6, done_b * 1e6);
    EXPECT_GT(alone, analytical * 1.2) << to_string(algo);
    EXPECT_GT(done_a, alone * 1.5) << to_string(algo);
    EXPECT_GT(done_b, alone * 1.5) << to_string(algo);
  }
}

TEST(Collectives, CoroutineRun) {
  const ClusterSpec spec = hgx_h100(1);
  const Topology t = build_topology(spec);
  const Collectives coll(t, spec);
  sim::Simulator s;
  FlowNetwork net(s, t);
  double done = -1;
  auto proc = [&]() -> sim::Process {
    co_await coll.run(net, CollectiveOp::all_reduce, iota(8), 1 << 26);
    done = sim::to_seconds(s.now());
  };
  s.spawn(proc());
  s.run();
  const double a = coll.estimate(CollectiveOp::all_reduce, iota(8), 1 << 26).time;
  EXPECT_NEAR(done, a, a * 0.01);
}

}  // namespace
}  // namespace dcsim::hw

namespace dcsim::hw {
namespace {

TEST(CollectivesIssue13, DoubleBinaryTreeLoadHandCounted) {
  // m = 2: each domain is root of one tree and leaf of the other: sends S/2 up and S/2 down, receives the same.
  EXPECT_DOUBLE_EQ(dtree_network_load(2), 1.0);
  // m = 3: tree 0 is 0 <- 2 <- 1, tree 1 is 1 <- 0 <- 2; rank 2 sends S/2 up and S/2 down in tree 0 and S/2 up
  // in tree 1: 1.5 S (so a 3-domain tree beats the ring, as NVIDIA/nccl#1801 measured on 3 GB200 partitions).
  EXPECT_DOUBLE_EQ(dtree_network_load(3), 1.5);
  // m = 4: rank 2 interior in tree 0 (up S/2, two children S) and a leaf in tree 1 (S/2): 2 S; the same from
  // there on (interior in one tree, leaf in the other).
  EXPECT_DOUBLE_EQ(dtree_network_load(4), 2.0);
  for (int m = 5; m <= 300; ++m) EXPECT_DOUBLE_EQ(dtree_network_load(m), 2.0) << m;
}

TEST(CollectivesIssue13, RingChainCrossingsCountedOnTheRing) {
  // Every chain of `steps` consecutive hops of a ring of n GPUs in m domains of k, walked out by hand: the most
  // crossings any chain holds.
  auto by_hand = [](int steps, int m, int k) {
    const int n = m * k;
    int most = 0;
    for (int start = 0; start < n; ++start) {
      int crossings = 0;
      for (int h = 0; h < steps; ++h) crossings += ((start + h) % n) % k == k - 1;  // the hop leaving a domain
      most = std::max(most, crossings);
    }
    return most;
  };
  for (int m = 2; m <= 9; ++m) {
    for (int k = 1; k <= 8; ++k) {
      const int n = m * k;
      EXPECT_EQ(ring_chain_crossings(n - 1, n, m, k), by_hand(n - 1, m, k)) << m << "x" << k;
      EXPECT_EQ(ring_chain_crossings(2 * (n - 1), n, m, k), by_hand(2 * (n - 1), m, k)) << m << "x" << k;
    }
  }
  // Uneven domains (k the fullest): exact for the all-gather's and the all-reduce's step counts.
  auto by_hand_sizes = [](int steps, const std::vector<int>& sizes) {
    std::vector<bool> leaves;  // per hop of the ring: does it leave a domain?
    for (int size : sizes) {
      for (int i = 0; i < size; ++i) leaves.push_back(i == size - 1);
    }
    const int n = static_cast<int>(leaves.size());
    int most = 0;
    for (int start = 0; start < n; ++start) {
      int crossings = 0;
      for (int h = 0; h < steps; ++h) crossings += leaves[static_cast<std::size_t>((start + h) % n)];
      most = std::max(most, crossings);
    }
    return most;
  };
  for (const std::vector<int>& sizes : std::vector<std::vector<int>>{{8, 8, 4}, {3, 1, 1}, {2, 1}, {5, 2, 7, 1}}) {
    const int n = std::accumulate(sizes.begin(), sizes.end(), 0), m = static_cast<int>(sizes.size());
    const int k = *std::max_element(sizes.begin(), sizes.end());
    EXPECT_EQ(ring_chain_crossings(n - 1, n, m, k), by_hand_sizes(n - 1, sizes)) << n;
    EXPECT_EQ(ring_chain_crossings(2 * (n - 1), n, m, k), by_hand_sizes(2 * (n - 1), sizes)) << n;
  }
  // The closed forms: m crossings for an all-gather from 2 GPUs a domain, 2m for an all-reduce from 3, 2m-1 at 2.
  EXPECT_EQ(ring_chain_crossings(15, 16, 2, 8), 2);
  EXPECT_EQ(ring_chain_crossings(30, 16, 2, 8), 4);
  EXPECT_EQ(ring_chain_crossings(6, 4, 2, 2), 3);
}

TEST(CollectivesIssue13, RingPaysTheNetworkStepOnlyAtDomainCrossings) {
  // 2 HGX nodes, 16 ranks, 8 B ring/LL: 2(n-1) = 30 steps; the slowest chain crosses the network 2m = 4 times.
  const ClusterSpec spec = hgx_h100(2);
  const Topology t = build_topology(spec);
  const Collectives coll(t, spec);
  const GroupLayout g = coll.layout(iota(16));
  const double su = g.up_latency + coll.scale_up_tuning().ll_step_overhead;
  const double sn = g.net_latency + coll.scale_out_tuning().ll_step_overhead;
  const double base = std::max(coll.scale_up_tuning().base_latency, coll.scale_out_tuning().base_latency);
  const auto c = coll.estimate(CollectiveOp::all_reduce, iota(16), 8, CollectiveAlgo::ring);
  EXPECT_EQ(c.protocol, Protocol::ll);
  EXPECT_NEAR(c.latency, base + 26 * su + 4 * sn, 1e-12);
  // all-gather: n-1 = 15 steps, m = 2 crossings.
  const auto ag = coll.estimate(CollectiveOp::all_gather, iota(16), 16, CollectiveAlgo::ring);
  EXPECT_NEAR(ag.latency, base + 13 * su + 2 * sn, 1e-12);
  // broadcast: one chain from the source, which enters its domain there: m-1 = 1 crossing.
  const auto bc = coll.estimate(CollectiveOp::broadcast, iota(16), 16, CollectiveAlgo::ring);
  EXPECT_NEAR(bc.latency, base + 14 * su + 1 * sn, 1e-12);
}

TEST(CollectivesIssue13, NvlsGroupSizeTermsHandComputed) {
  // One 72-GPU NVL72 domain with the group-size terms set: latency grows by 0.5 us per GPU, and the switch
  // reduces at most 470 GB/s per GPU, i.e. the link moves at most 73/72 x 470 GB/s.
  ClusterSpec spec = testing::nvl72(1);
  spec.system.scale_up.collectives.nvls_latency_per_gpu = 0.5e-6;
  spec.system.scale_up.collectives.nvls_reduction_rate = 470e9;
  const Topology t = build_topology(spec);
  const Collectives coll(t, spec);
  const GroupLayout g = coll.layout(iota(72));
  const auto& up = coll.scale_up_tuning();
  const double su = g.up_latency + up.simple_step_overhead;
  const double S = 16.0 * (1 << 30);
  const auto c = coll.estimate(CollectiveOp::all_reduce, iota(72), S, CollectiveAlgo::nvls);
  const double link = std::min(simple_bw(g.up_bandwidth, up.nvls_efficiency), 73.0 / 72 * 470e9);
  EXPECT_NEAR(c.latency, up.base_latency + up.nvls_latency + 72 * 0.5e-6 + 2 * su, 1e-12);
  EXPECT_NEAR(c.time - c.latency, 73.0 / 72 * S / link, 1e-9);
  EXPECT_NEAR(c.busbw, S / c.time * 2 * 71 / 72, 1);
  // The cap binds: busbw at most 2(n-1)/n x 470 GB/s.
  EXPECT_LT(c.busbw, 2.0 * 71 / 72 * 470e9);
}

TEST(CollectivesIssue13, NvlsTreeHandComputedAndAsFlows) {
  // 4 HGX H100 nodes (NVLS switches): NVLS inside each node ((k+1)/k S per GPU link) and the double binary tree
  // between nodes on shard j through NIC j (2 S per node over 8 NICs), plus latency and pipeline fill.
  const ClusterSpec spec = hgx_h100(4);
  const Topology t = build_topology(spec);
  const Collectives coll(t, spec);
  const GroupLayout g = coll.layout(iota(32));
  const double S = 1 << 30;
  const auto& up = coll.scale_up_tuning();
  const double Bv = simple_bw(g.up_bandwidth, up.nvls_efficiency), Bn = 50e9 * 0.92;
  const double su = g.up_latency + up.simple_step_overhead;
  const double sn = g.net_latency + coll.scale_out_tuning().simple_step_overhead;
  const double base = std::max(up.base_latency, coll.scale_out_tuning().base_latency);
  const auto c = coll.estimate(CollectiveOp::all_reduce, iota(32), S, CollectiveAlgo::nvls_tree);
  const double bw_time = std::max(9.0 / 8 * S / Bv, 2 * S / (8 * Bn));
  // Fill: h = 2 tree levels -> 2h + 1 = 5 loops; a loop is 16 channels x 8 heads x 64 KiB (NCCL's cap from 4 nodes).
  const double fill = 5 * (16 * 8 * 65536.0) / S * bw_time;
  EXPECT_NEAR(c.latency, base + up.nvls_latency + 2 * su + 4 * sn + fill, 1e-12);
  EXPECT_NEAR(c.time - c.latency, bw_time, 1e-9);
  const double f = run_flow(t, coll, CollectiveOp::all_reduce, iota(32), S, CollectiveAlgo::nvls_tree);
  EXPECT_NEAR(f, c.time, c.time * 0.01);
  // Not on one domain, and not where the switch does not reduce.
  EXPECT_THROW(coll.estimate(CollectiveOp::all_reduce, iota(8), S, CollectiveAlgo::nvls_tree), std::invalid_argument);
}

TEST(CollectivesIssue13, NvlsTreeChunkFollowsNcclsLadder) {
  // 16 channels x 8 heads = 128 chunks a loop. aws-ofi-nccl's 512 KiB start on 2 nodes: 128 KiB from 64 MiB up to
  // 512 MiB (under 16 loops of 256 KiB), 256 KiB to 2 GiB (under 32 loops of 512 KiB), 512 KiB from 2 GiB.
  const double MiB = 1 << 20, KiB = 1 << 10;
  EXPECT_EQ(nvls_tree_chunk_bytes(64 * MiB, 512 * KiB, 512 * KiB, 2, 128), 128 * KiB);
  EXPECT_EQ(nvls_tree_chunk_bytes(256 * MiB, 512 * KiB, 512 * KiB, 2, 128), 128 * KiB);
  EXPECT_EQ(nvls_tree_chunk_bytes(512 * MiB, 512 * KiB, 512 * KiB, 2, 128), 256 * KiB);
  EXPECT_EQ(nvls_tree_chunk_bytes(1024 * MiB, 512 * KiB, 512 * KiB, 2, 128), 256 * KiB);
  EXPECT_EQ(nvls_tree_chunk_bytes(2048 * MiB, 512 * KiB, 512 * KiB, 2, 128), 512 * KiB);
  // Under 4 loops of 128 KiB (64 MiB) it drops to 64 KiB, under one loop of 64 KiB (8 MiB) to 32 KiB.
  EXPECT_EQ(nvls_tree_chunk_bytes(32 * MiB, 128 * KiB, 0, 2, 128), 64 * KiB);
  EXPECT_EQ(nvls_tree_chunk_bytes(4 * MiB, 128 * KiB, 0, 2, 128), 32 * KiB);
  // NCCL's default cap: 64 KiB from 4 domains, none below; a plugin's cap replaces it.
  EXPECT_EQ(nvls_tree_chunk_bytes(1024 * MiB, 128 * KiB, 0, 3, 128), 128 * KiB);
  EXPECT_EQ(nvls_tree_chunk_bytes(1024 * MiB, 128 * KiB, 0, 4, 128), 64 * KiB);
  EXPECT_EQ(nvls_tree_chunk_bytes(1024 * MiB, 512 * KiB, 512 * KiB, 4, 128), 256 * KiB);
  EXPECT_EQ(nccl_nvls_channels(90), 16);
  EXPECT_EQ(nccl_nvls_channels(100), 32);
  EXPECT_EQ(nccl_nvls_heads(8), 8);
  EXPECT_EQ(nccl_nvls_heads(72), 32);
}

TEST(CollectivesIssue13, P2pMessagesFollowNcclsChunkRule) {
  // NCCL_P2P_NET_CHUNKSIZE 512 KiB (aws-ofi-nccl on p5): a peer's bytes under one chunk go in 128 KiB messages,
  // under eight chunks (4 MiB) in 256 KiB ones, else in 512 KiB ones.
  const double MiB = 1 << 20, KiB = 1 << 10;
  EXPECT_EQ(p2p_net_messages(128 * KiB, 512 * KiB), 1);
  EXPECT_EQ(p2p_net_messages(300 * KiB, 512 * KiB), 3);   // 300 / 128, rounded up
  EXPECT_EQ(p2p_net_messages(2 * MiB, 512 * KiB), 8);     // 2 MiB / 256 KiB
  EXPECT_EQ(p2p_net_messages(4 * MiB, 512 * KiB), 8);     // 4 MiB / 512 KiB
  EXPECT_EQ(p2p_net_messages(64 * MiB, 512 * KiB), 128);
  EXPECT_EQ(p2p_net_messages(0, 512 * KiB), 0);
}

TEST(CollectivesIssue13, AllToAllPaysEachRemoteMessageOnTheHost) {
  // 2 HGX H100 nodes, all-to-all of 32 MiB: each of the 16 GPUs sends 2 MiB to each of its 8 remote peers, in
  // 256 KiB messages (8 a peer): 64 messages x 3 us = 192 us on top of the same exchange with no message cost, one
  // fewer on Simple (its network step holds one). A send/recv of 16 MiB between the nodes: 32 messages of 512 KiB,
  // 96 us (93 on Simple). Inside one node nothing is added.
  ClusterSpec spec = hgx_h100(2);
  spec.nic.p2p_chunk = 512 * 1024;
  const Topology t = build_topology(spec);
  const Collectives free_msgs(t, spec);
  spec.nic.message_overhead = 3e-6;
  const Collectives charged(t, spec);
  const double S = 32.0 * (1 << 20);
  const auto a2a = charged.estimate(CollectiveOp::all_to_all, iota(16), S);
  const double simple_less = a2a.protocol == Protocol::simple ? 1 : 0;
  EXPECT_NEAR(a2a.time - free_msgs.estimate(CollectiveOp::all_to_all, iota(16), S).time,
              (8 * 8 - simple_less) * 3e-6, 1e-12);
  const std::vector<int> pair = {0, 8};
  const auto sr = charged.estimate(CollectiveOp::send_recv, pair, S / 2);
  EXPECT_NEAR(sr.time - free_msgs.estimate(CollectiveOp::send_recv, pair, S / 2).time,
              (32 - (sr.protocol == Protocol::simple ? 1 : 0)) * 3e-6, 1e-12);
  // A group of 8 + 4 GPUs: each GPU of the 4 has 8 remote peers, and sets the time.
  const std::vector<int> uneven = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  const auto u = charged.estimate(CollectiveOp::all_to_all, uneven, S);
  EXPECT_NEAR(u.time - free_msgs.estimate(CollectiveOp::all_to_all, uneven, S).time,
              (8 * p2p_net_messages(S / 12, 512 * 1024) - (u.protocol == Protocol::simple ? 1 : 0)) * 3e-6, 1e-12);
  EXPECT_EQ(charged.estimate(CollectiveOp::all_to_all, iota(8), S).time,
            free_msgs.estimate(CollectiveOp::all_to_all, iota(8), S).time);
}

TEST(CollectivesIssue13, NvlsTreeFillOnTwoNodesByHand) {
  // 2 HGX H100 nodes, 64 MiB: h = 1 -> 3 loops of fill; NCCL's 128 KiB chunk holds (64 MiB is not under 4 loops of
  // 128 KiB x 128), so a loop is 16 MiB, a quarter of the buffer: fill = 3/4 of the bandwidth time. At 4 MiB the
  // chunk is 32 KiB and the loop (4 MiB) the whole buffer: fill = 3 bandwidth times. With a compute capability
  // NCCL's per-channel kernel cap binds on this fabric, and the fill runs at the capped rate too.
  for (const int cc : {0, 90}) {
    ClusterSpec spec = hgx_h100(2);
    spec.gpu.compute_capability = cc;
    const Topology t = build_topology(spec);
    const Collectives coll(t, spec);
    const GroupLayout g = coll.layout(iota(16));
    const auto& up = coll.scale_up_tuning();
    const double su = g.up_latency + up.simple_step_overhead;
    const double sn = g.net_latency + coll.scale_out_tuning().simple_step_overhead;
    const double base = std::max(up.base_latency, coll.scale_out_tuning().base_latency);
    for (const auto& [S, loops] : {std::pair{64.0 * (1 << 20), 0.75}, std::pair{4.0 * (1 << 20), 3.0}}) {
      const auto c = coll.estimate(CollectiveOp::all_reduce, iota(16), S, CollectiveAlgo::nvls_tree);
      const double bw_time = c.time - c.latency;
      EXPECT_NEAR(c.latency, base + up.nvls_latency + 2 * su + 2 * sn + loops * bw_time, 1e-12) << S << " cc " << cc;
    }
  }
}

}  // namespace
}  // namespace dcsim::hw

namespace dcsim::hw {
namespace {

// An HGX spec that NCCL's tuner can read: a compute capability and, for EFA-like NICs, the plugin's latency (only:
// not EFA's p2p chunk or per-message cost, which leave the tuner's choice alone).
ClusterSpec tuned(ClusterSpec spec, int compute_capability, double plugin_latency = 0) {
  spec.gpu.compute_capability = compute_capability;
  spec.nic.nccl_plugin_latency = plugin_latency;
  return spec;
}

TEST(CollectivesNcclTuner, AutoRunsWhatNcclsTunerPicks) {
  // Two H100 nodes whose NIC plugin reports 75 us (aws-ofi-nccl on p5): auto takes NCCL's pick at every size.
  const ClusterSpec spec = tuned(hgx_h100(2), 90, 75e-6);
  const Topology t = build_topology(spec);
  const Collectives coll(t, spec);
  const auto group = iota(16);
  const NcclSystem s = coll.nccl_system(coll.layout(group));
  EXPECT_EQ(s.ring.channels, 8);
  EXPECT_DOUBLE_EQ(s.ring.bw_inter, 45);
  const CollectiveAlgo candidates[] = {CollectiveAlgo::ring, CollectiveAlgo::tree, CollectiveAlgo::nvls_tree};
  for (double S : {8.0, 65536.0, 16.0 * (1 << 20), 64.0 * (1 << 20), 1.0 * (1 << 30)}) {
    const auto c = coll.estimate(CollectiveOp::all_reduce, group, S);
    const NcclChoice pick = nccl_select(CollectiveOp::all_reduce, S, s, candidates);
    EXPECT_EQ(c.algorithm, pick.algorithm) << S;
    EXPECT_EQ(c.protocol, pick.protocol) << S;
  }
  // 8 B by hand: tree/LL 6.8 + 2 (7 x 0.6 + 5.0 + 75) = 175.2 us beats ring/LL 6.6 + 28 x 1.0 + 2 (2.7 + 75) = 190.
  const auto small = coll.estimate(CollectiveOp::all_reduce, group, 8);
  EXPECT_EQ(small.algorithm, CollectiveAlgo::tree);
  EXPECT_EQ(small.protocol, Protocol::ll);
  // All-gather has only the ring in NCCL (PAT aside, at one GPU per node).
  EXPECT_EQ(coll.estimate(CollectiveOp::all_gather, group, 1 << 20).algorithm, CollectiveAlgo::ring);
}

TEST(CollectivesNcclTuner, TreeRunsAtNcclsPerChannelRateAndFlowsAgree) {
  // Four B200 nodes, forced tree at 4 GiB: NCCL's Blackwell tree moves at most 24 GB/s per channel beyond 2 nodes,
  // 8 channels, algBw = 8 x 24 x 0.5 = 96 GB/s; the NICs alone would allow 2 S / (8 x 46 GB/s), about twice that.
  const ClusterSpec spec = tuned(testing::hgx_b200(4), 100);
  const Topology t = build_topology(spec);
  const Collectives coll(t, spec);
  const double S = 4.0 * (1 << 30);
  const auto c = coll.estimate(CollectiveOp::all_reduce, iota(32), S, CollectiveAlgo::tree);
  EXPECT_NEAR(c.time - c.latency, S / 96e9, 1e-9);
  const double f = run_flow(t, coll, CollectiveOp::all_reduce, iota(32), S, CollectiveAlgo::tree);
  EXPECT_NEAR(f, c.time, c.time * 0.01);
  // Without a compute capability (no tuner) the tree runs at the links' rate.
  const ClusterSpec raw = testing::hgx_b200(4);
  const Topology t2 = build_topology(raw);
  const auto r = Collectives(t2, raw).estimate(CollectiveOp::all_reduce, iota(32), S, CollectiveAlgo::tree);
  EXPECT_LT(r.time - r.latency, 0.6 * S / 96e9);
}

}  // namespace
}  // namespace dcsim::hw
