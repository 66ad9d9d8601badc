// KV cache moved from a prefill instance to a decode instance (disaggregated serving). GPU i of the prefill
// instance sends to GPU i of the decode instance, over min(|src|, |dst|) pairs in parallel, each a flow on the
// FlowNetwork (NVLink inside a domain, RDMA across; sharing links max-min fairly with all other traffic), or its
// analytical point-to-point time when the scenario uses the analytical network. Pools on different systems
// (heterogeneous) are joined by the scale-out network: each pair moves at the slower NIC's bandwidth plus the
// NIC latency. Instance::step sends a chunk's KV in kv_transfer_groups layer groups, group g leaving when the
// step's layers up to g are done (layer-wise streaming).
#pragma once

#include <functional>
#include <vector>

#include "hw/collectives.hpp"
#include "hw/flow_network.hpp"
#include "sim/simulator.hpp"

namespace dcsim::wl::serving {

class KvTransfer {
 public:
  // `net` null: analytical (coll must be set). cross_bandwidth / cross_latency: the heterogeneous link.
  KvTransfer(sim::Simulator& sim, hw::FlowNetwork* net, const hw::Collectives* coll, double cross_bandwidth,
             double cross_latency)
      : sim_(sim), net_(net), coll_(coll), cross_bw_(cross_bandwidth), cross_lat_(cross_latency) {}

  // Starts moving `bytes`; on_pair_done runs once per pair as its part lands. Returns the number of pairs.
  int start(const std::vector<int>& src, const std::vector<int>& dst, double bytes, bool cross,
            const std::function<void()>& on_pair_done);
  double bytes_moved() const { return bytes_; }

 private:
  sim::Simulator& sim_;
  hw::FlowNetwork* net_;
  const hw::Collectives* coll_;
  double cross_bw_, cross_lat_;
  double bytes_ = 0;
};

}  // namespace dcsim::wl::serving
