// Routes between GPUs on a Topology.
//
// Structural routing (route / route_into): same NVLink domain -> GPU, switch plane, GPU. Otherwise up-down through
// the fat-tree: GPU -> NIC -> leaf [-> spine [-> core -> spine]] -> leaf -> NIC -> GPU, choosing among equal-cost
// up-paths by a deterministic hash (ECMP). Down-paths in a fat-tree are unique. O(path length), no allocation in
// route_into.
// Generic routing (shortest_path) runs a breadth-first search on the Boost.Graph view: for validation and for
// non-tree fabrics; O(V + E) per call.
#pragma once

#include <cstdint>
#include <vector>

#include "hw/topology.hpp"

namespace dcsim::hw {

// Mixes (src, dst, flow id) into a well-spread 64-bit hash (splitmix64 finaliser): equal inputs, equal paths.
std::uint64_t ecmp_hash(int src_gpu, int dst_gpu, std::uint64_t flow_id);

// Links from GPU `src` to GPU `dst` (empty when equal). `flow_hash` picks among equal-cost up-paths.
std::vector<LinkId> route(const Topology& topo, int src_gpu, int dst_gpu, std::uint64_t flow_hash);
// Same, appending to `out` (cleared first).
void route_into(const Topology& topo, int src_gpu, int dst_gpu, std::uint64_t flow_hash, std::vector<LinkId>& out);

// Fewest-hop path between two nodes by BFS on the Boost graph; empty when unreachable or equal.
std::vector<LinkId> shortest_path(const Topology& topo, NodeId src, NodeId dst);

// Sum of link latencies along a path, seconds.
double path_latency(const Topology& topo, const std::vector<LinkId>& path);
// Smallest link bandwidth along a path, bytes/s (infinity for an empty path).
double path_bandwidth(const Topology& topo, const std::vector<LinkId>& path);

}  // namespace dcsim::hw
