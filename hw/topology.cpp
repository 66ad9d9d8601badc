#include "hw/topology.hpp"

#include <algorithm>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace dcsim::hw {

const char* to_string(NodeKind k) {
  switch (k) {
    case NodeKind::gpu: return "gpu";
    case NodeKind::nic: return "nic";
    case NodeKind::scale_up_switch: return "scale-up-switch";
    case NodeKind::leaf: return "leaf";
    case NodeKind::spine: return "spine";
    case NodeKind::core: return "core";
  }
  return "?";
}

const char* to_string(LinkKind k) {
  switch (k) {
    case LinkKind::scale_up: return "scale-up";
    case LinkKind::gpu_nic: return "gpu-nic";
    case LinkKind::nic_leaf: return "nic-leaf";
    case LinkKind::leaf_spine: return "leaf-spine";
    case LinkKind::spine_core: return "spine-core";
  }
  return "?";
}

namespace {

int ceil_div(long long a, long long b) { return static_cast<int>((a + b - 1) / b); }

void add_pair(std::vector<Link>& links, NodeId a, NodeId b, LinkKind kind, Medium medium, double bw,
              double lat_up, double lat_down, double epb) {
  links.push_back(Link{a, b, kind, medium, bw, lat_up, epb});
  links.push_back(Link{b, a, kind, medium, bw, lat_down, epb});
}

}  // namespace

NodeKind Topology::node_kind(NodeId v) const {
  if (v < nic_base_) return NodeKind::gpu;
  if (v < domain_base_) return NodeKind::nic;
  if (v < leaf_base_) return NodeKind::scale_up_switch;
  if (v < spine_base_) return NodeKind::leaf;
  if (v < core_base_) return NodeKind::spine;
  return NodeKind::core;
}

int Topology::domain_of(int g) const {
  const int s = system_of(g);
  if (systems_per_domain_ > 1) return s / systems_per_domain_;
  const int local = g - s * shape_.gpus_per_system;
  return s * domains_per_system_ + local / shape_.domain_size;
}

int Topology::nic_of(int g) const {
  const int s = system_of(g);
  const int local = g - s * shape_.gpus_per_system;
  // GPUs share NICs in order when a system has fewer NICs than GPUs (e.g. 2 GPUs per NIC).
  return s * shape_.nics_per_system +
         static_cast<int>(static_cast<long long>(local) * shape_.nics_per_system / shape_.gpus_per_system);
}

int Topology::leaf_of_nic(int n) const {
  if (!rail_optimized_) return n / shape_.leaf_down;
  // Rail r of compute nodes [b*down, (b+1)*down) shares leaf b*R + r: a block's rails sit side by side, so one pod
  // holds every rail of its nodes and cross-rail traffic of a block stays inside the pod.
  const int s = n / shape_.nics_per_system;
  const int i = n - s * shape_.nics_per_system;
  const int node = s * shape_.rail_groups + i / shape_.rails;
  return (node / shape_.leaf_down) * shape_.rails + i % shape_.rails;
}

LinkId Topology::leaf_to_spine(int l, int s) const {
  const int per_leaf = shape_.tiers == 3 ? shape_.spines_per_pod : shape_.spines;
  return ls_base_ + 2 * static_cast<LinkId>(static_cast<long long>(l) * per_leaf + s);
}

LinkId Topology::spine_to_core(int q, int j, int c) const {
  const long long spine = static_cast<long long>(q) * shape_.spines_per_pod + j;
  return sc_base_ + 2 * static_cast<LinkId>(spine * shape_.cores_per_group + c);
}

const TopologyGraph& Topology::graph() const {
  if (graph_) return *graph_;
  std::vector<std::pair<std::size_t, std::size_t>> ends;
  std::vector<EdgeLink> props;
  ends.reserve(links_.size());
  props.reserve(links_.size());
  for (std::size_t i = 0; i < links_.size(); ++i) {
    ends.emplace_back(links_[i].src, links_[i].dst);
    props.push_back(EdgeLink{static_cast<LinkId>(i)});
  }
  graph_.emplace(boost::edges_are_unsorted_multi_pass, ends.begin(), ends.end(), props.begin(), shape_.nodes);
  return *graph_;
}

std::string Topology::describe() const {
  const FabricShape& f = shape_;
  std::ostringstream o;
  o << f.gpus << " GPUs in " << f.systems << " systems, " << f.domains << " NVLink domain(s) of " << f.domain_size
    << " GPUs (" << f.scale_up_chips << " switch chips)\n";
  if (f.tiers == 0) {
    o << "no scale-out network\n";
  } else {
    o << (rail_optimized_ ? "rail-optimized " : "") << "fat-tree, " << f.tiers << " tier(s): " << f.nics << " NICs, "
      << f.leaves << " leaves (" << f.leaf_down << " down / " << f.leaf_up << " up), " << f.spines << " spines";
    if (f.tiers == 3) o << " in " << f.pods << " pods, " << f.cores << " cores";
    o << "\n";
  }
  o << f.nodes << " nodes, " << f.links << " directed links\n";
  return o.str();
}

Topology build_topology(const ClusterSpec& spec) {
  Topology t;
  FabricShape& f = t.shape_;
  const SystemSpec& sys = spec.system;
  f.systems = spec.systems;
  f.gpus_per_system = spec.gpus_per_system > 0 ? spec.gpus_per_system : sys.gpus;
  if (f.systems <= 0 || f.gpus_per_system <= 0) throw std::invalid_argument("cluster has no GPUs");
  const long long total = static_cast<long long>(f.systems) * f.gpus_per_system;
  if (total > (1LL << 28)) throw std::invalid_argument("cluster too large (more than 2^28 GPUs)");
  f.gpus = static_cast<int>(total);

  // NVLink domains.
  const int full_system = sys.gpus > 0 ? sys.gpus : f.gpus_per_system;
  const int dg = sys.scale_up.domain_gpus;
  if (dg <= 0) {
    f.domain_size = f.gpus_per_system;
  } else if (dg >= full_system) {
    t.systems_per_domain_ = std::max(1, dg / full_system);
    f.domain_size = t.systems_per_domain_ * f.gpus_per_system;
  } else {
    f.domain_size = std::min(dg, f.gpus_per_system);
    t.domains_per_system_ = ceil_div(f.gpus_per_system, f.domain_size);
  }
  f.domains = t.systems_per_domain_ > 1 ? ceil_div(f.systems, t.systems_per_domain_)
                                        : f.systems * t.domains_per_system_;
  if (t.systems_per_domain_ > 1) f.domain_size = std::min(f.domain_size, f.gpus);
  t.has_scale_up_ = sys.scale_up.bandwidth_per_gpu > 0 && f.domain_size > 1;
  f.scale_up_chips = t.has_scale_up_ ? f.domains * std::max(1, sys.scale_up.switches) : 0;

  // Scale-out: only when traffic must leave a domain (or there is no NVLink at all).
  const bool need_net = f.domains > 1 || (!t.has_scale_up_ && f.gpus > 1);
  t.rail_optimized_ = spec.scale_out.topology == ScaleOutTopology::rail_optimized_fat_tree;
  const SwitchSpec& sw = spec.scale_out_switch;
  double nic_port_bw = 0, gpu_nic_bw = 0, port_bw = 0;
  if (need_net) {
    f.nics_per_system = sys.nics > 0 ? std::min(sys.nics, f.gpus_per_system) : f.gpus_per_system;
    f.nics = f.systems * f.nics_per_system;
    const int gpus_per_nic = ceil_div(f.gpus_per_system, f.nics_per_system);
    nic_port_bw = spec.scale_out.nic_bandwidth > 0 ? spec.scale_out.nic_bandwidth * gpus_per_nic
                                                   : spec.nic.bandwidth;
    if (nic_port_bw <= 0) throw std::invalid_argument("scale-out network needs a NIC bandwidth");
    gpu_nic_bw = nic_port_bw;
    port_bw = sw.port_bandwidth > 0 ? sw.port_bandwidth : nic_port_bw;
    f.nic_link_bandwidth = nic_port_bw;
    f.switch_port_bandwidth = port_bw;
    const int k = sw.radix;
    if (k < 2) throw std::invalid_argument("scale-out switch needs a radix of at least 2 ports");
    const double r = std::max(spec.scale_out.oversubscription, 1e-9);
    // Leaf ports split down:up = r:1, rounded towards more downlinks, at least one uplink.
    f.leaf_down = std::clamp(static_cast<int>(k * r / (1.0 + r) + 1e-9), 1, k - 1);
    f.leaf_up = k - f.leaf_down;
    // Rails: the NICs of one compute node (8 on an HGX board, 4 on an NVL72 compute tray), not of the whole system:
    // a rack-scale system is many nodes, and a rail per NIC of the rack would give every NIC a leaf of its own.
    const int node_gpus = sys.gpus_per_node > 0 ? std::min(sys.gpus_per_node, f.gpus_per_system) : f.gpus_per_system;
    f.rails = std::max(1, static_cast<int>(static_cast<long long>(node_gpus) * f.nics_per_system / f.gpus_per_system));
    f.rail_groups = ceil_div(f.nics_per_system, f.rails);
    f.leaves = t.rail_optimized_ ? ceil_div(f.systems * f.rail_groups, f.leaf_down) * f.rails
                                 : ceil_div(f.nics, f.leaf_down);
    if (f.leaves == 1) {
      f.tiers = 1;
    } else if (f.leaves <= k) {
      // Two tiers: every leaf reaches every spine; spines just enough for all leaf uplinks.
      f.tiers = 2;
      f.spines = ceil_div(static_cast<long long>(f.leaves) * f.leaf_up, k);
      f.leaf_spine_cables = static_cast<double>(f.leaf_up) / f.spines;
    } else {
      // Three tiers: pods of k/2 leaves under leaf_up spines (one cable each); spine j of every pod reaches the
      // k/2 uplink ports of core group j, spread over ceil(pods/2) cores.
      f.tiers = 3;
      f.leaves_per_pod = k / 2;
      f.pods = ceil_div(f.leaves, f.leaves_per_pod);
      if (f.pods > k) {
        throw std::invalid_argument("cluster needs more than three switch tiers at radix " + std::to_string(k) +
                                    " (" + std::to_string(f.pods) + " pods > radix); raise the radix or the "
                                    "oversubscription");
      }
      f.spines_per_pod = f.leaf_up;
      f.spines = f.pods * f.spines_per_pod;
      f.cores_per_group = ceil_div(f.pods, 2);
      f.cores = f.spines_per_pod * f.cores_per_group;
      f.leaf_spine_cables = 1;
      f.spine_core_cables = static_cast<double>(k / 2) / f.cores_per_group;
    }
  }

  // Vertex numbering.
  t.nic_base_ = static_cast<NodeId>(f.gpus);
  t.domain_base_ = t.nic_base_ + static_cast<NodeId>(f.nics);
  t.leaf_base_ = t.domain_base_ + static_cast<NodeId>(t.has_scale_up_ ? f.domains : 0);
  t.spine_base_ = t.leaf_base_ + static_cast<NodeId>(f.leaves);
  t.core_base_ = t.spine_base_ + static_cast<NodeId>(f.spines);
  t.end_ = t.core_base_ + static_cast<NodeId>(f.cores);
  f.nodes = t.end_;

  // Links, in the order the id functions assume.
  std::size_t n_links = 0;
  if (t.has_scale_up_) n_links += 2ULL * f.gpus;
  if (need_net) {
    n_links += 2ULL * f.gpus + 2ULL * f.nics;
    if (f.tiers == 2) n_links += 2ULL * f.leaves * f.spines;
    if (f.tiers == 3) n_links += 2ULL * f.leaves * f.spines_per_pod + 2ULL * f.spines * f.cores_per_group;
  }
  t.links_.reserve(n_links);
  auto& L = t.links_;

  const ScaleUpSpec& su = sys.scale_up;
  if (t.has_scale_up_) {
    for (int g = 0; g < f.gpus; ++g) {
      // Half the GPU-to-GPU latency on each hop: the two hops of a route add up to scale_up.latency.
      add_pair(L, t.gpu_node(g), t.domain_node(t.domain_of(g)), LinkKind::scale_up, su.medium,
               su.bandwidth_per_gpu, su.latency / 2, su.latency / 2, su.energy_per_bit);
    }
  }
  if (need_net) {
    const Medium medium = spec.scale_out_optics ? spec.scale_out_optics->medium : sw.medium;
    const double epb = spec.scale_out_optics ? spec.scale_out_optics->energy_per_bit : 0.0;
    t.gn_base_ = static_cast<LinkId>(L.size());
    for (int g = 0; g < f.gpus; ++g) {
      // The adapter's latency is split over the GPU<->NIC hops at both ends of a route.
      add_pair(L, t.gpu_node(g), t.nic_node(t.nic_of(g)), LinkKind::gpu_nic, Medium::copper, gpu_nic_bw,
               spec.nic.latency / 2, spec.nic.latency / 2, 0.0);
    }
    t.nl_base_ = static_cast<LinkId>(L.size());
    for (int n = 0; n < f.nics; ++n) {
      // A link's latency includes the switch it enters; the NIC side enters no switch.
      add_pair(L, t.nic_node(n), t.leaf_node(t.leaf_of_nic(n)), LinkKind::nic_leaf, medium, nic_port_bw,
               sw.latency, 0.0, epb);
    }
    t.ls_base_ = static_cast<LinkId>(L.size());
    if (f.tiers == 2) {
      const double bw = f.leaf_spine_cables * port_bw;
      for (int l = 0; l < f.leaves; ++l) {
        for (int s = 0; s < f.spines; ++s) {
          add_pair(L, t.leaf_node(l), t.spine_node(s), LinkKind::leaf_spine, medium, bw, sw.latency, sw.latency, epb);
        }
      }
    } else if (f.tiers == 3) {
      for (int l = 0; l < f.leaves; ++l) {
        const int q = l / f.leaves_per_pod;
        for (int j = 0; j < f.spines_per_pod; ++j) {
          add_pair(L, t.leaf_node(l), t.spine_node(q * f.spines_per_pod + j), LinkKind::leaf_spine, medium, port_bw,
                   sw.latency, sw.latency, epb);
        }
      }
      t.sc_base_ = static_cast<LinkId>(L.size());
      const double bw = f.spine_core_cables * port_bw;
      for (int q = 0; q < f.pods; ++q) {
        for (int j = 0; j < f.spines_per_pod; ++j) {
          for (int c = 0; c < f.cores_per_group; ++c) {
            add_pair(L, t.spine_node(q * f.spines_per_pod + j), t.core_node(j * f.cores_per_group + c),
                     LinkKind::spine_core, medium, bw, sw.latency, sw.latency, epb);
          }
        }
      }
    }
  }
  f.links = L.size();
  return t;
}

}  // namespace dcsim::hw
