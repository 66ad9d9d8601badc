// Collective communication over a group of GPUs: NCCL-style algorithms costed by alpha-beta formulas (estimate)
// or executed as flows on a FlowNetwork (start / run), so that they contend with other traffic.
//
// Conventions follow nccl-tests: `bytes` is the buffer size nccl-tests reports (all_reduce and broadcast: the
// buffer; all_gather and reduce_scatter: the full gathered buffer; all_to_all: one rank's send buffer; send_recv:
// the message). algbw = bytes / time; busbw = algbw x factor, factor = 2(n-1)/n for all_reduce, (n-1)/n for
// all_gather, reduce_scatter and all_to_all, 1 otherwise. Equations and the `auto` rule: docs/network.md.
#pragma once

#include <array>
#include <coroutine>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <unordered_map>
#include <vector>

#include "hw/collective_kinds.hpp"
#include "hw/flow_network.hpp"
#include "hw/link.hpp"
#include "hw/nccl_region.hpp"
#include "hw/spec.hpp"
#include "hw/topology.hpp"

namespace dcsim::hw {

double bus_factor(CollectiveOp op, int n);

// Network load of NCCL's double binary tree all-reduce on m domains, in units of the buffer S: the largest of any
// domain's bytes sent and received over the whole operation. Each tree carries S/2; a domain sends S/2 up to its
// parent and S/2 down to each child, and receives the same back. Reduce and broadcast are pipelined together
// (NCCL's tree kernel works on both at once on successive chunks) over full-duplex links, so a domain's send and
// receive totals, not one phase's, bound the time: 1 for m = 2, 1.5 for m = 3 (rank 2 is interior in one tree and a
// leaf in the other), 2 for large m (docs/network.md, "Tree").
double dtree_network_load(int m);

// NCCL's NVLSTree moves a buffer in loops of channels x heads concurrent chunks (src/enqueue.cc: loopSize =
// nChannels x nHeads x chunkSize; nccl_nvls_channels and nccl_nvls_heads in hw/nccl_tuner.hpp). Its chunk for a buffer of S bytes: NCCL_NVLS_CHUNKSIZE (`chunk`), capped by NCCL_NVLSTREE_MAX_CHUNKSIZE
// (`max_chunk`; 0: NCCL's default, 64 KiB from 4 domains and no cap below), then stepped down 256K, 128K, 64K, 32K
// while S is under 32, 16, 4 and 1 loops of `ops` (= channels x heads) chunks (src/enqueue.cc, NCCL 2.21 on).
double nvls_tree_chunk_bytes(double S, double chunk, double max_chunk, int domains, int ops);

// Domain crossings on the slowest chain of `steps` consecutive hops of a ring of n GPUs over m domains, the fullest
// holding k (docs/network.md, "Ring latency"). A ring step forwards what the previous step delivered, so the data
// one GPU sends first walks `steps` hops; the slowest such walk leaves out only hops inside a domain: m crossings for
// an all-gather's n-1 steps (m-1 with one GPU per domain), 2m for an all-reduce's 2(n-1) (2m-1 with two GPUs per
// domain, 2m-2 with one). NCCL's tuner counts m-1 and 2(m-1) (nInterSteps, src/graph/tuning.cc). Exact for those two
// step counts (one or two hops left out) whatever the domains' sizes, and for any count over domains of equal size.
int ring_chain_crossings(int steps, int n, int m, int k);

// Network messages NCCL sends one peer for `bytes` of point-to-point data (src/enqueue.cc, p2p task setup, read at
// 2.27.7):
// chunks of NCCL_P2P_NET_CHUNKSIZE (`chunk`), a quarter of it when the peer gets less than one chunk and half when
// less than eight, each chunk one message: ceil(bytes / that chunk); 0 for no bytes.
double p2p_net_messages(double bytes, double chunk);

struct NcclSystem;

struct CollectiveCost {
  double time = 0;   // seconds
  double algbw = 0;  // bytes/s
  double busbw = 0;  // bytes/s
  CollectiveAlgo algorithm = CollectiveAlgo::ring;
  Protocol protocol = Protocol::simple;
  double latency = 0;  // seconds of `time` that do not scale with bytes
  double scale_up_efficiency = 1;   // achievable / raw link bandwidth under the chosen algorithm and protocol
  double scale_out_efficiency = 1;
  // Payload bytes carried per link kind, summed over links (a GPU-to-GPU NVLink transfer crosses two links).
  std::array<double, kLinkKinds> bytes_by_kind{};
};

// Where a group sits in the topology: the inputs of the cost formulas.
struct GroupLayout {
  int n = 0;                 // GPUs
  int domains = 0;           // NVLink domains touched
  int per_domain = 0;        // largest number of group GPUs in one domain
  int fewest_per_domain = 0; // smallest number of group GPUs in one domain (its GPUs have the most remote peers)
  int nics_per_domain = 0;   // distinct NICs the group uses in the domain that has fewest (the network bottleneck)
  bool nvls_capable = false; // one domain whose switch reduces in-network
  bool nvls_tree_capable = false;  // several domains, each with an in-network-reducing switch and >= 2 GPUs
  double tree_load = 0;      // dtree_network_load(domains): the double binary tree's network load, in buffers
  double up_latency = 0;     // seconds, GPU to GPU inside a domain
  double net_latency = 0;    // seconds, worst route between domains of the group
  double up_bandwidth = 0;   // bytes/s per GPU per direction in the domain
  double net_bandwidth = 0;  // bytes/s per NIC per direction (bottleneck of the routes)
  std::array<int, kLinkKinds> net_path_links{};  // links of each kind on a route between domains
};

class Collectives {
 public:
  // Keeps a reference to `topo` (it must outlive this object) and copies what it needs from `spec`.
  Collectives(const Topology& topo, const ClusterSpec& spec);

  // Remembered per group (a training step prices the same few groups many times): the same answer, computed once.
  GroupLayout layout(std::span<const int> group) const;

  // Analytical (alpha-beta) cost. `automatic` picks the cheapest algorithm NCCL would consider (docs/network.md).
  // Throws std::invalid_argument for an algorithm that cannot run on this group (nvls across domains).
  CollectiveCost estimate(CollectiveOp op, std::span<const int> group, double bytes,
                          CollectiveAlgo algo = CollectiveAlgo::automatic) const;

  // Event-driven execution: the collective's traffic becomes flows on `net`; on_done runs at completion.
  // Every algorithm runs as flows (tree: chains and NCCL's double binary tree, docs/network.md); on an idle network
  // the completion time equals estimate().time within 1 %.
  void start(FlowNetwork& net, CollectiveOp op, std::vector<int> group, double bytes, std::function<void()> on_done,
             CollectiveAlgo algo = CollectiveAlgo::automatic) const;

  struct RunAwaiter {
    const Collectives* self;
    FlowNetwork* net;
    CollectiveOp op;
    std::vector<int> group;
    double bytes;
    CollectiveAlgo algo;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h);
    void await_resume() const noexcept {}
  };
  // co_await coll.run(net, op, group, bytes) inside a sim::Process.
  RunAwaiter run(FlowNetwork& net, CollectiveOp op, std::vector<int> group, double bytes,
                 CollectiveAlgo algo = CollectiveAlgo::automatic) const {
    return RunAwaiter{this, &net, op, std::move(group), bytes, algo};
  }

  // What NCCL's tuner reads about this group (hw/nccl_tuner.hpp): channels and speeds from its topology search.
  NcclSystem nccl_system(const GroupLayout& g) const;

  const CollectiveTuning& scale_up_tuning() const { return up_; }
  const CollectiveTuning& scale_out_tuning() const { return net_; }

 private:
  struct Choice;
  Choice cost(CollectiveOp op, const GroupLayout& g, double bytes, CollectiveAlgo algo, Protocol p) const;
  GroupLayout compute_layout(std::span<const int> group) const;

  struct GroupHash {
    std::size_t operator()(const std::vector<int>& g) const noexcept;
  };
  // Layouts by group, at most kLayoutCacheSize of them (then it starts again): bounded memory for callers that
  // price many distinct groups. Guarded, so that a const Collectives stays safe to share between threads.
  static constexpr std::size_t kLayoutCacheSize = 4096;
  struct LayoutCache {
    std::mutex mutex;
    std::unordered_map<std::vector<int>, GroupLayout, GroupHash> by_group;
  };
  std::unique_ptr<LayoutCache> layouts_ = std::make_unique<LayoutCache>();

  const Topology& topo_;
  CollectiveTuning up_;
  CollectiveTuning net_;
  bool in_network_reduction_ = false;
  int compute_capability_ = 0;
  bool x86_ = true;
  double nccl_plugin_latency_ = 0;  // seconds
  double nvls_tree_chunk_ = 0;      // bytes: NCCL_NVLS_CHUNKSIZE as the NIC's plugin leaves it (NicSpec)
  double nvls_tree_max_chunk_ = 0;  // bytes: NCCL_NVLSTREE_MAX_CHUNKSIZE as the plugin leaves it (0: NCCL's rule)
  double p2p_chunk_ = 0;            // bytes: NCCL_P2P_NET_CHUNKSIZE as the plugin leaves it (NicSpec)
  double message_overhead_ = 0;     // seconds per network message completion on the host (NicSpec)
  NcclRegionTuner region_tuner_;
};

}  // namespace dcsim::hw
