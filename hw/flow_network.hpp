// Flow-level network model: each transfer is a flow on a route; active flows share every link max-min fairly.
//
// Semantics (docs/network.md, "Flow model"): a flow of B bytes on a path with latency L occupies bandwidth from its
// start until its last byte leaves, then its callback runs L later. On an idle network a flow therefore takes
// L + B / (bottleneck bandwidth), the analytical model's figure for the same transfer.
//
// Rates are recomputed when flows start or end, only for the connected component of flows that share links
// (transitively) with the changed flows; all changes at one simulated instant are batched into one recomputation,
// so a collective starting or finishing thousands of flows at once costs one solve. A flow whose rate changes gets
// its completion event rescheduled (the stale one is cancelled through the Simulator).
//
// Only links that can bind couple flows: a flow never runs faster than the slowest link of its path (its cap), so
// a link whose flows' caps sum to no more than its bandwidth can never saturate before they all reach their caps,
// and it changes no rate (each flow keeps its cap as a private link in the solve instead). Such links are left out
// of the components and the solves: exact, and on a large fabric it splits one component of every flow into the
// groups that really collide (docs/network.md, "Flow model").
#pragma once

#include <array>
#include <coroutine>
#include <cstdint>
#include <functional>
#include <vector>

#include "hw/link.hpp"
#include "hw/max_min.hpp"
#include "hw/topology.hpp"
#include "sim/simulator.hpp"
#include "sim/time.hpp"

namespace dcsim::hw {

class FlowNetwork {
 public:
  using FlowId = std::uint64_t;
  using Callback = std::function<void()>;

  // Both must outlive the FlowNetwork.
  FlowNetwork(sim::Simulator& sim, const Topology& topo);
  FlowNetwork(const FlowNetwork&) = delete;
  FlowNetwork& operator=(const FlowNetwork&) = delete;

  // Starts a flow of `bytes` from GPU src to GPU dst on the structural route picked by `flow_hash` (ECMP);
  // on_done runs when the last byte has arrived (sim.now() is then the flow's finish time).
  FlowId start_flow(int src_gpu, int dst_gpu, double bytes, Callback on_done, std::uint64_t flow_hash = 0);
  // Starts a flow on an explicit path (e.g. GPU -> switch plane for in-switch reduction), with extra latency added
  // to the path's own.
  FlowId start_flow_on(std::vector<LinkId> path, double bytes, Callback on_done, double extra_latency = 0);

  // co_await net.transfer(src, dst, bytes): a flow awaited from a sim::Process.
  struct TransferAwaiter {
    FlowNetwork* net;
    int src, dst;
    double bytes;
    std::uint64_t hash;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h);
    void await_resume() const noexcept {}
  };
  TransferAwaiter transfer(int src_gpu, int dst_gpu, double bytes, std::uint64_t flow_hash = 0) {
    return TransferAwaiter{this, src_gpu, dst_gpu, bytes, flow_hash};
  }

  std::size_t active_flows() const { return active_; }
  // Current rate of an active flow in bytes/s (0 when unknown or finished).
  double rate(FlowId id) const;
  // Predicted completion of the data of an active flow at current rates (kTimeMax when unknown or finished).
  sim::Time predicted_finish(FlowId id) const;

  // Bytes carried by each link by finished flows (a flow's bytes are credited to its links when it ends).
  double link_bytes(LinkId l) const { return link_bytes_[l]; }
  std::array<double, kLinkKinds> bytes_by_kind() const;
  // Joules spent moving the bytes above: sum of bytes x 8 x energy_per_bit.
  double transfer_energy() const;

  const Topology& topology() const { return topo_; }
  sim::Simulator& simulator() { return sim_; }
  std::uint64_t recomputations() const { return recomputations_; }

 private:
  struct Flow {
    std::vector<LinkId> path;
    double bytes = 0;
    double remaining = 0;
    double rate = 0;
    sim::Time last = 0;  // time `remaining` was last brought up to date
    sim::Time latency = 0;
    double cap = 0;  // bandwidth of the slowest link of its path: the most it can ever get
    sim::EventId done{};
    bool has_event = false;
    bool live = false;
    FlowId id = 0;
    Callback on_done;
  };

  std::uint32_t alloc_flow();
  void mark_dirty(const std::vector<LinkId>& path);
  // Whether the flows on `l` could together exceed its bandwidth (docs above).
  bool can_bind(LinkId l) const;
  void recompute();
  void finish(std::uint32_t slot);
  void advance(Flow& f, sim::Time now);
  const Flow* find(FlowId id) const;

  sim::Simulator& sim_;
  const Topology& topo_;
  std::vector<Flow> flows_;
  std::vector<std::uint32_t> free_;
  std::vector<std::vector<std::uint32_t>> on_link_;  // active flow slots per link
  std::vector<double> link_demand_;                   // per link: sum of its active flows' caps
  std::vector<double> link_bytes_;
  std::size_t active_ = 0;
  FlowId next_id_ = 1;
  std::uint64_t recomputations_ = 0;

  // Batched recomputation state.
  std::vector<LinkId> dirty_;
  bool recompute_pending_ = false;
  // Scratch for recompute().
  std::vector<std::int32_t> local_of_link_;
  std::vector<char> flow_seen_;
  std::vector<std::uint32_t> comp_flows_;
  std::vector<LinkId> comp_links_;
  std::vector<double> cap_;
  std::vector<std::uint32_t> offsets_, links_;
  std::vector<double> rates_;
  MaxMinSolver solver_;
};

}  // namespace dcsim::hw
