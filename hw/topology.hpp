// The cluster's network as a graph: GPUs, NICs, one switch-plane vertex per NVLink domain, leaf/spine/core switches.
//
// Design (docs/network.md, "Topology"):
// - Everything is numbered structurally (vertex and link ids are closed-form in GPU, NIC, leaf, spine indices), so
//   routing needs no search and a 100,000-GPU cluster builds in tens of milliseconds.
// - An NVLink domain is ONE crossbar vertex, not `scale_up.switches` chips: NVLink traffic is striped over every
//   switch chip, and the chips are non-blocking, so the per-GPU link is the only constraint. Per-chip vertices would
//   force a single-path flow onto one chip (1/switches of its bandwidth) or require multipath flows.
// - Parallel cables between the same two switches are one Link with their summed bandwidth (ECMP over identical
//   cables is folded into fair sharing).
// - The Boost.Graph view (a CSR graph over the same vertices and links) serves generic shortest paths and checks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/graph/compressed_sparse_row_graph.hpp>

#include "hw/link.hpp"
#include "hw/spec.hpp"

namespace dcsim::hw {

struct EdgeLink {
  LinkId id = 0;
};
using TopologyGraph = boost::compressed_sparse_row_graph<boost::directedS, boost::no_property, EdgeLink>;

// Sizes derived from the spec; every member is a count. Zero where the tier does not exist.
struct FabricShape {
  int gpus = 0;
  int systems = 0;
  int gpus_per_system = 0;
  int domains = 0;            // NVLink domains (one switch-plane vertex each)
  int domain_size = 0;        // GPUs per domain
  int scale_up_chips = 0;     // physical NVSwitch chips (domains x scale_up.switches), for power and `show`
  int nics_per_system = 0;
  int rails = 0;              // rail-optimized: NICs per compute node, one leaf group each
  int rail_groups = 0;        // rail-optimized: compute nodes per system (NIC groups of `rails`)
  int nics = 0;
  int tiers = 0;              // 0: no scale-out network; 1: one leaf; 2: leaf-spine; 3: leaf-spine-core
  int leaf_down = 0;          // leaf ports towards NICs
  int leaf_up = 0;            // leaf ports towards spines
  int leaves = 0;
  int spines = 0;
  int cores = 0;
  int leaves_per_pod = 0;     // three tiers: leaves under one pod's spines
  int pods = 0;
  int spines_per_pod = 0;
  int cores_per_group = 0;    // three tiers: cores reached by spine j of every pod
  double nic_link_bandwidth = 0;  // bytes/s per direction of one NIC-leaf cable
  double switch_port_bandwidth = 0;  // bytes/s per direction of one switch-switch cable
  double leaf_spine_cables = 0;   // cables bundled in one leaf-spine Link (average when uneven)
  double spine_core_cables = 0;
  std::size_t links = 0;      // directed links
  std::size_t nodes = 0;
};

class Topology {
 public:
  const FabricShape& shape() const { return shape_; }
  const std::vector<Link>& links() const { return links_; }
  const Link& link(LinkId id) const { return links_[id]; }
  std::size_t num_nodes() const { return shape_.nodes; }
  NodeKind node_kind(NodeId v) const;
  bool rail_optimized() const { return rail_optimized_; }
  bool has_scale_up() const { return has_scale_up_; }
  bool has_scale_out() const { return shape_.tiers > 0; }

  // Structural queries (all O(1)). `g` is a global GPU index 0 .. gpus-1.
  int system_of(int g) const { return g / shape_.gpus_per_system; }
  int domain_of(int g) const;
  int nic_of(int g) const;     // global NIC index
  int leaf_of_nic(int n) const;
  int pod_of_leaf(int l) const { return shape_.pods > 0 ? l / shape_.leaves_per_pod : 0; }

  NodeId gpu_node(int g) const { return static_cast<NodeId>(g); }
  NodeId nic_node(int n) const { return nic_base_ + static_cast<NodeId>(n); }
  NodeId domain_node(int d) const { return domain_base_ + static_cast<NodeId>(d); }
  NodeId leaf_node(int l) const { return leaf_base_ + static_cast<NodeId>(l); }
  NodeId spine_node(int s) const { return spine_base_ + static_cast<NodeId>(s); }
  NodeId core_node(int c) const { return core_base_ + static_cast<NodeId>(c); }

  // Link ids: every cable is an (up, down) pair at (2i, 2i+1); "up" points away from the GPU.
  LinkId gpu_to_domain(int g) const { return 2 * static_cast<LinkId>(g); }
  LinkId domain_to_gpu(int g) const { return gpu_to_domain(g) + 1; }
  LinkId gpu_to_nic(int g) const { return gn_base_ + 2 * static_cast<LinkId>(g); }
  LinkId nic_to_gpu(int g) const { return gpu_to_nic(g) + 1; }
  LinkId nic_to_leaf(int n) const { return nl_base_ + 2 * static_cast<LinkId>(n); }
  LinkId leaf_to_nic(int n) const { return nic_to_leaf(n) + 1; }
  // Two tiers: spine index s in 0..spines-1. Three tiers: s is the spine's index inside the leaf's pod.
  LinkId leaf_to_spine(int l, int s) const;
  LinkId spine_to_leaf(int l, int s) const { return leaf_to_spine(l, s) + 1; }
  // Three tiers: spine j of pod q to core c of group j.
  LinkId spine_to_core(int q, int j, int c) const;
  LinkId core_to_spine(int q, int j, int c) const { return spine_to_core(q, j, c) + 1; }

  // Boost.Graph view, built on first use (the structural ids above need none of it).
  const TopologyGraph& graph() const;

  // Multi-line summary for `dcsim show` and logs.
  std::string describe() const;

 private:
  friend Topology build_topology(const ClusterSpec& spec);

  FabricShape shape_;
  std::vector<Link> links_;
  bool rail_optimized_ = true;
  bool has_scale_up_ = false;
  int systems_per_domain_ = 1;   // > 1 when one NVLink domain spans several systems
  int domains_per_system_ = 1;   // > 1 when one system holds several domains
  NodeId nic_base_ = 0, domain_base_ = 0, leaf_base_ = 0, spine_base_ = 0, core_base_ = 0, end_ = 0;
  LinkId gn_base_ = 0, nl_base_ = 0, ls_base_ = 0, sc_base_ = 0;
  mutable std::optional<TopologyGraph> graph_;  // built lazily; not thread-safe (one scenario, one thread)
};

// Builds the topology of `spec`. Throws std::invalid_argument when the spec is inconsistent (no GPUs, no switch
// radix for a multi-domain cluster) or the cluster needs more than three switch tiers at this radix.
Topology build_topology(const ClusterSpec& spec);

}  // namespace dcsim::hw
