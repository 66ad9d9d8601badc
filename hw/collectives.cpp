#include "hw/collectives.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>

#include "hw/nccl_tuner.hpp"
#include "hw/routing.hpp"
#include "sim/fingerprint.hpp"

namespace dcsim::hw {

const char* to_string(CollectiveOp op) {
  switch (op) {
    case CollectiveOp::all_reduce: return "all_reduce";
    case CollectiveOp::all_gather: return "all_gather";
    case CollectiveOp::reduce_scatter: return "reduce_scatter";
    case CollectiveOp::all_to_all: return "all_to_all";
    case CollectiveOp::broadcast: return "broadcast";
    case CollectiveOp::send_recv: return "send_recv";
  }
  return "?";
}

const char* to_string(CollectiveAlgo a) {
  switch (a) {
    case CollectiveAlgo::automatic: return "auto";
    case CollectiveAlgo::ring: return "ring";
    case CollectiveAlgo::tree: return "tree";
    case CollectiveAlgo::nvls: return "nvls";
    case CollectiveAlgo::nvls_tree: return "nvls_tree";
    case CollectiveAlgo::hierarchical: return "hierarchical";
  }
  return "?";
}

const char* to_string(Protocol p) {
  switch (p) {
    case Protocol::ll: return "LL";
    case Protocol::ll128: return "LL128";
    case Protocol::simple: return "Simple";
  }
  return "?";
}

double bus_factor(CollectiveOp op, int n) {
  if (n <= 1) return 1;
  switch (op) {
    case CollectiveOp::all_reduce: return 2.0 * (n - 1) / n;
    case CollectiveOp::all_gather:
    case CollectiveOp::reduce_scatter:
    case CollectiveOp::all_to_all: return static_cast<double>(n - 1) / n;
    case CollectiveOp::broadcast:
    case CollectiveOp::send_recv: return 1;
  }
  return 1;
}

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr Protocol kProtocols[] = {Protocol::ll, Protocol::ll128, Protocol::simple};

// Achievable payload bandwidth of a link of raw bandwidth B under protocol p (docs/network.md, "Bandwidth"):
// LL and LL128 lose a fixed share of each line to flags; every protocol moves chunks of `chunk_bytes` at
// B x efficiency x fraction, each followed by `chunk_overhead` of synchronisation:
//   1 / Beff = 1 / (B eta fraction) + overhead / chunk.
double effective_bw(double B, const CollectiveTuning& t, Protocol p, bool nvls) {
  const double eta = nvls ? t.nvls_efficiency : t.ring_efficiency;
  double fraction = 1;
  if (p == Protocol::ll) fraction = t.ll_bandwidth_fraction;
  if (p == Protocol::ll128) fraction = t.ll128_bandwidth_fraction;
  const double raw = B * eta * fraction;
  if (t.chunk_bytes <= 0 || t.chunk_overhead <= 0) return raw;
  return 1.0 / (1.0 / raw + t.chunk_overhead / t.chunk_bytes);
}

double step_overhead(const CollectiveTuning& t, Protocol p) {
  switch (p) {
    case Protocol::ll: return t.ll_step_overhead;
    case Protocol::ll128: return t.ll128_step_overhead;
    case Protocol::simple: return t.simple_step_overhead;
  }
  return t.simple_step_overhead;
}

int ceil_log2(int m) {
  int r = 0;
  while ((1 << r) < m) ++r;
  return r;
}

// One domain's place in one binary tree of NCCL's double binary tree: parent, first and second child (-1: none).
struct TreeNode {
  int parent = -1, child0 = -1, child1 = -1;
};

// NCCL's binary tree over ranks 0..n-1 (src/graph/trees.cc, ncclGetBtree): rank 0 is the root with one child, the
// highest power of two below n; a rank whose lowest set bit is b has parent (r ^ b) | 2b, or r ^ b when that is out
// of range, and children r - b/2 and r + b/2 (the latter shrunk by halving until it is in range). Odd ranks are
// leaves, so every rank forwards at most one half-buffer up and receives at most two.
TreeNode btree(int n, int r) {
  TreeNode t;
  int bit = 1;
  while (bit < n && (bit & r) == 0) bit <<= 1;
  if (r == 0) {
    if (n > 1) t.child1 = bit >> 1;
    return t;
  }
  t.parent = (r ^ bit) | (bit << 1);
  if (t.parent >= n) t.parent = r ^ bit;
  for (int low = bit >> 1; low > 0; low >>= 1) {
    if (t.child0 < 0) t.child0 = r - low;
    if (r + low < n) {
      t.child1 = r + low;
      break;
    }
  }
  return t;
}

// NCCL's double binary tree (src/graph/trees.cc, ncclGetDtree): tree 0 is btree; tree 1 is its mirror (r -> n-1-r)
// when n is even, or its shift by one rank when n is odd. The two trees are complementary (for even n a rank
// interior in one is a leaf in the other; for odd n rank 0, root of tree 0, has one child in each), so a domain
// sends at most one half-buffer per tree and receives at most two in all (checked for n = 2..1099).
TreeNode dtree(int n, int r, int tree) {
  if (tree == 0) return btree(n, r);
  auto map = [&](int x, bool to_tree) {
    if (x < 0) return -1;
    if (n % 2 == 0) return n - 1 - x;
    return to_tree ? (x + 1) % n : (x - 1 + n) % n;
  };
  const TreeNode b = btree(n, map(r, false));
  return TreeNode{map(b.parent, true), map(b.child0, true), map(b.child1, true)};
}

}  // namespace

int ring_chain_crossings(int steps, int n, int m, int k) {
  const int loops = steps / n, rest = steps % n;
  if (rest == 0) return loops * m;
  // The chain leaves out n - rest consecutive hops of its last loop; inside the fullest domain up to k - 1 of them
  // are NVLink hops, and any k consecutive hops of domains of k hold one crossing.
  return loops * m + m - (n - rest) / k;
}

double p2p_net_messages(double bytes, double chunk) {
  if (!(bytes > 0) || !(chunk > 0)) return 0;
  const double c = bytes < chunk ? chunk / 4 : bytes < 8 * chunk ? chunk / 2 : chunk;
  return std::ceil(bytes / c);
}

double nvls_tree_chunk_bytes(double S, double chunk, double max_chunk, int domains, int ops) {
  const double cap = max_chunk > 0 ? max_chunk : (domains >= 4 ? 65536.0 : chunk);
  double c = std::min(chunk, cap);
  const double loop_chunks = std::max(1, ops);
  if (S < 32 * loop_chunks * c && c > 262144) c = 262144;
  if (S < 16 * loop_chunks * c && c > 131072) c = 131072;
  if (S < 4 * loop_chunks * c && c > 65536) c = 65536;
  if (S < loop_chunks * c && c > 32768) c = 32768;
  return c;
}

double dtree_network_load(int m) {
  if (m <= 1) return 0;
  // From 4 domains on, every domain is interior in at most one tree: 2 S (counted for every m up to 4096 when this
  // was written; the test recounts m = 4..256), so large clusters skip the O(m) count.
  if (m > 256) return 2.0;
  double worst = 0;
  for (int d = 0; d < m; ++d) {
    double out = 0, in = 0;
    for (int tree = 0; tree < 2; ++tree) {
      const TreeNode t = dtree(m, d, tree);
      const int children = (t.child0 >= 0) + (t.child1 >= 0);
      if (t.parent >= 0) {
        out += 0.5;  // reduce up
        in += 0.5;   // broadcast down
      }
      out += 0.5 * children;
      in += 0.5 * children;
    }
    worst = std::max({worst, out, in});
  }
  return worst;
}

struct Collectives::Choice {
  bool ok = false;
  double latency = 0;
  double bw_time = 0;
  CollectiveAlgo algo = CollectiveAlgo::ring;
  Protocol proto = Protocol::simple;
  double up_eff = 1;     // achievable / raw bandwidth inside a domain
  double net_eff = 1;    // same between domains
  double intra_sent = 0; // payload bytes sent over NVLink, all GPUs together
  double net_sent = 0;   // payload bytes sent between domains, all GPUs together
  double fill_loops = 0; // pipeline fill, in bandwidth times (nvls_tree): it runs at whatever rate bw_time has
  double fill() const { return fill_loops * bw_time; }
  double time() const { return latency + fill() + bw_time; }
};

Collectives::Collectives(const Topology& topo, const ClusterSpec& spec)
    : topo_(topo), up_(spec.system.scale_up.collectives), net_(spec.nic.collectives),
      in_network_reduction_(spec.scale_up_switch.in_network_reduction),
      compute_capability_(spec.gpu.compute_capability),
      x86_(spec.cpu.architecture == CpuArchitecture::x86_64),
      nccl_plugin_latency_(spec.nic.nccl_plugin_latency),
      nvls_tree_chunk_(spec.nic.nvls_tree_chunk),
      nvls_tree_max_chunk_(spec.nic.nvls_tree_max_chunk),
      p2p_chunk_(spec.nic.p2p_chunk),
      message_overhead_(spec.nic.message_overhead),
      region_tuner_(spec.nic.nccl_region_tuner) {}

NcclSystem Collectives::nccl_system(const GroupLayout& g) const {
  NcclSystem s;
  s.ranks = g.n;
  s.nodes = g.domains;
  s.compute_capability = compute_capability_;
  s.nvlink = g.up_bandwidth > 0;
  s.x86 = x86_;
  s.plugin_latency_us = nccl_plugin_latency_ * 1e6;
  if (!region_tuner_.regions.empty()) s.region_tuner = &region_tuner_;
  const bool multi = g.domains > 1;
  // One GPU per domain moves nothing over NVLink: the search is bounded by the NIC alone.
  const double nvl = g.per_domain > 1 && s.nvlink ? nccl_nvlink_gbs(compute_capability_, g.up_bandwidth)
                                                  : std::numeric_limits<double>::infinity();
  const double nic = multi ? g.net_bandwidth / 1e9 : 0;
  s.ring = nccl_ring_graph(compute_capability_, nvl, g.nics_per_domain, nic, multi);
  if (g.nvls_capable || g.nvls_tree_capable) {
    s.nvls = nccl_nvls_graph(compute_capability_, nvl, g.per_domain, nic, multi);
  }
  return s;
}

std::size_t Collectives::GroupHash::operator()(const std::vector<int>& g) const noexcept {
  sim::Fingerprint h;
  for (const int r : g) h.add(static_cast<std::uint32_t>(r));
  return static_cast<std::size_t>(h.value());
}

GroupLayout Collectives::layout(std::span<const int> group) const {
  std::vector<int> key(group.begin(), group.end());
  {
    std::lock_guard lock(layouts_->mutex);
    if (const auto it = layouts_->by_group.find(key); it != layouts_->by_group.end()) return it->second;
  }
  const GroupLayout g = compute_layout(group);
  std::lock_guard lock(layouts_->mutex);
  if (layouts_->by_group.size() >= kLayoutCacheSize) layouts_->by_group.clear();
  layouts_->by_group.emplace(std::move(key), g);
  return g;
}

GroupLayout Collectives::compute_layout(std::span<const int> group) const {
  GroupLayout g;
  g.n = static_cast<int>(group.size());
  if (g.n == 0) return g;
  const bool su = topo_.has_scale_up();
  std::map<int, std::vector<int>> by_domain;  // ordered: deterministic
  std::vector<int> first_of_domain;
  for (int gpu : group) {
    const int d = su ? topo_.domain_of(gpu) : gpu;  // without NVLink every GPU is its own domain
    auto [it, fresh] = by_domain.try_emplace(d);
    if (fresh) first_of_domain.push_back(gpu);
    it->second.push_back(gpu);
  }
  g.domains = static_cast<int>(by_domain.size());
  const std::vector<int>* fullest = nullptr;
  for (const auto& [d, v] : by_domain) {
    if (!fullest || v.size() > fullest->size()) fullest = &v;
  }
  g.per_domain = static_cast<int>(fullest->size());
  // Every domain carries the same crossings (a ring or tree channel enters and leaves each domain), so the domain
  // with the fewest NICs bounds the network term: 8 + 8 + 4 GPUs on three HGX nodes run at 4 NICs' bandwidth.
  g.nics_per_domain = 0;
  if (topo_.has_scale_out()) {
    for (const auto& [d, v] : by_domain) {
      std::set<int> nics;
      for (int gpu : v) nics.insert(topo_.nic_of(gpu));
      const int count = static_cast<int>(nics.size());
      g.nics_per_domain = g.nics_per_domain == 0 ? count : std::min(g.nics_per_domain, count);
    }
  }
  g.nics_per_domain = std::max(1, g.nics_per_domain);
  g.nvls_capable = su && g.domains == 1 && in_network_reduction_;
  std::size_t smallest = fullest->size();
  for (const auto& [d, v] : by_domain) smallest = std::min(smallest, v.size());
  g.fewest_per_domain = static_cast<int>(smallest);
  g.nvls_tree_capable = su && g.domains > 1 && in_network_reduction_ && smallest > 1;
  g.tree_load = dtree_network_load(g.domains);
  if (su) {
    const int a = group[0];
    g.up_latency = topo_.link(topo_.gpu_to_domain(a)).latency + topo_.link(topo_.domain_to_gpu(a)).latency;
    g.up_bandwidth = topo_.link(topo_.gpu_to_domain(a)).bandwidth;
  }
  if (g.domains > 1) {
    // Routes between consecutive domains (as a ring visits them), the worst latency and bottleneck.
    g.net_bandwidth = kInf;
    std::vector<LinkId> path;
    for (std::size_t i = 0; i < first_of_domain.size(); ++i) {
      const int a = first_of_domain[i];
      const int b = first_of_domain[(i + 1) % first_of_domain.size()];
      route_into(topo_, a, b, ecmp_hash(a, b, 0), path);
      const double lat = path_latency(topo_, path);
      g.net_bandwidth = std::min(g.net_bandwidth, path_bandwidth(topo_, path));
      if (lat >= g.net_latency) {
        g.net_latency = lat;
        g.net_path_links = {};
        for (LinkId l : path) ++g.net_path_links[static_cast<int>(topo_.link(l).kind)];
      }
    }
  }
  return g;
}

Collectives::Choice Collectives::cost(CollectiveOp op, const GroupLayout& g, double S, CollectiveAlgo algo,
                                      Protocol p) const {
  Choice c;
  c.algo = algo;
  c.proto = p;
  const int n = g.n, m = g.domains, k = g.per_domain, C = g.nics_per_domain;
  if (n <= 1) {
    c.ok = algo == CollectiveAlgo::ring;
    return c;
  }
  const bool multi = m > 1;
  const double Bu = g.up_bandwidth > 0 ? effective_bw(g.up_bandwidth, up_, p, false) : 0;
  const double Bn = multi ? effective_bw(g.net_bandwidth, net_, p, false) : 0;
  c.up_eff = g.up_bandwidth > 0 ? Bu / g.up_bandwidth : 1;
  c.net_eff = multi ? Bn / g.net_bandwidth : 1;
  const double base = multi ? std::max(up_.base_latency, net_.base_latency) : up_.base_latency;
  // NVLS by group size (docs/network.md, "NVLS by group size"): its barrier grows with the GPUs in the group, and
  // the switch reduces at most `nvls_reduction_rate` bytes of payload per GPU per second.
  auto nvls_latency = [&](int gpus) { return up_.nvls_latency + gpus * up_.nvls_latency_per_gpu; };
  // NVLS link rate for a group of `gpus` per domain: each GPU moves (gpus+1)/gpus x S per direction, so the
  // switch's reduction rate R caps the link rate at (gpus+1)/gpus x R.
  auto nvls_rate = [&](int gpus) {
    const double Bv = effective_bw(g.up_bandwidth, up_, p, true);
    if (up_.nvls_reduction_rate <= 0) return Bv;
    return std::min(Bv, (gpus + 1.0) / gpus * up_.nvls_reduction_rate);
  };
  const double su = g.up_latency + step_overhead(up_, p);
  const double sn = g.net_latency + step_overhead(net_, p);
  const double s_ring = multi ? sn : su;
  // A ring's latency is the walk of its slowest chain of `steps` hops: each hop costs that hop's step, so only the
  // `crossings` between domains on the chain pay the network step (ring_chain_crossings).
  auto ring_latency = [&](int steps, int crossings) {
    if (!multi) return base + steps * su;
    return base + (steps - crossings) * su + crossings * sn;
  };
  // Chunked pipelines through a tree (tree, nvls_tree): a hop forwards a chunk only once it has received it, so
  // beyond the per-hop steps the first chunk pays its serialisation on every hop of the depth before the pipeline
  // is full: (depth - 1) x chunk / per-channel rate, the chunk being NCCL's step (`chunk_bytes`) or the channel's
  // whole share when smaller. Alpha-beta alone leaves this out; it dominates mid sizes on many nodes
  // (docs/network.md, "Pipeline fill").
  auto pipeline_fill = [&](int depth, double per_channel, double channel_rate) {
    if (depth <= 1 || channel_rate <= 0) return 0.0;
    const double chunk = std::min(net_.chunk_bytes, per_channel);
    return (depth - 1) * chunk / channel_rate;
  };
  const double intra_share = (k > 1 && Bu > 0) ? (k - 1.0) / k : 0.0;
  // Time for a ring pattern moving D payload bytes per GPU: NVLink carries the intra-domain share of each GPU's
  // traffic, the domain's C NICs carry one crossing per ring channel (docs/network.md, "Ring across domains").
  auto ring_time = [&](double D) {
    if (!multi) return D / Bu;
    return D * std::max(intra_share > 0 ? intra_share / Bu : 0.0, 1.0 / (C * Bn));
  };
  auto ring_bytes = [&](double D) {
    if (!multi) {
      c.intra_sent = n * D;
      return;
    }
    c.intra_sent = n * D * intra_share;
    c.net_sent = m * D;
  };

  // Point-to-point between domains: the host completes every network message of every remote peer in turn
  // (docs/network.md, "Point-to-point messages"), the GPU with the most remote peers setting the time. On Simple the
  // network step (sn) already holds one message's completion.
  auto p2p_messages_time = [&](int remote_peers, double bytes_per_peer) {
    if (!multi || message_overhead_ <= 0) return 0.0;
    double msgs = remote_peers * p2p_net_messages(bytes_per_peer, p2p_chunk_);
    if (p == Protocol::simple) msgs = std::max(0.0, msgs - 1);
    return msgs * message_overhead_;
  };

  switch (op) {
    case CollectiveOp::all_reduce: {
      const double D = 2.0 * (n - 1) / n * S;
      if (algo == CollectiveAlgo::ring) {
        c.latency = ring_latency(2 * (n - 1), ring_chain_crossings(2 * (n - 1), n, m, k));
        c.bw_time = ring_time(D);
        ring_bytes(D);
        c.ok = true;
      } else if (algo == CollectiveAlgo::nvls) {
        // Each GPU pushes its buffer through the switch once (ld_reduce) and receives the reduced buffer once
        // (multicast store): (n+1)/n x S per direction instead of the ring's 2(n-1)/n x S.
        if (!g.nvls_capable || p != Protocol::simple) return c;
        const double Bv = nvls_rate(n);
        c.up_eff = Bv / g.up_bandwidth;
        c.latency = base + nvls_latency(n) + 2 * su;
        c.bw_time = (n + 1.0) / n * S / Bv;
        c.intra_sent = (n + 1.0) * S;
        c.ok = true;
      } else if (algo == CollectiveAlgo::nvls_tree) {
        // NCCL's NVLSTree: inside each domain NVLS reduces each GPU's shard in the switch and multicasts it back
        // ((k+1)/k x S per GPU per direction, as nvls); between domains every GPU j runs the double binary tree on
        // shard j through its own NIC, so a domain's network load is the tree's (dtree_network_load) over C NICs.
        if (!g.nvls_tree_capable || p != Protocol::simple || Bu <= 0) return c;
        const double Bv = nvls_rate(k);
        c.up_eff = Bv / g.up_bandwidth;
        const int h = ceil_log2(m);
        c.bw_time = std::max((k + 1.0) / k * S / Bv, g.tree_load * S / (C * Bn));
        // Pipeline fill in loops (docs/network.md, "NVLSTree pipeline fill"): a chunk passes 4h + 3 stages
        // (scatter, reduce and send, h network hops up, the root's reduce, h down, multicast, gather), each of which
        // but the bottleneck adds about half a loop before the pipeline is full: 2h + 1 loops at the algorithm's
        // rate, a loop being channels x heads x NCCL's chunk for this size (or the whole buffer when smaller).
        const int ops = nccl_nvls_channels(compute_capability_) * nccl_nvls_heads(k);
        const double loop = std::min(S, ops * nvls_tree_chunk_bytes(S, nvls_tree_chunk_, nvls_tree_max_chunk_, m, ops));
        c.fill_loops = (2 * h + 1) * loop / S;
        c.latency = base + nvls_latency(k) + 2 * su + 2 * h * sn;
        c.intra_sent = n * (k + 1.0) / k * S;
        c.net_sent = m * g.tree_load * S;
        c.ok = true;
      } else if (algo == CollectiveAlgo::tree) {
        // Reduce up and broadcast down, pipelined together through NCCL's structure (docs/network.md, "Tree"):
        // a chain over the domain's GPUs per channel, whose head changes with the channel, so a GPU's NVLink
        // carries (k-1)/k of the buffer each way per half; across domains the double binary tree, whose load
        // (g.tree_load buffers: 1 on 2 domains, 1.5 on 3, 2 from 4) crosses the domain's C NICs.
        const double load = g.tree_load;
        const int depth = 2 * (ceil_log2(m) + k - 1);
        const double channel_rate = k > 1 && Bu > 0 ? std::min(multi ? Bn : Bu, Bu / k) : (multi ? Bn : Bu);
        c.latency = base + 2 * (ceil_log2(m) * sn + (k - 1) * su) + pipeline_fill(depth, S / (2.0 * k), channel_rate);
        c.bw_time = std::max(intra_share > 0 ? 2 * S * intra_share / Bu : 0.0, multi ? load * S / (C * Bn) : 0.0);
        c.intra_sent = 2 * S * n * intra_share;
        c.net_sent = multi ? m * load * S : 0;
        c.ok = true;
      } else if (algo == CollectiveAlgo::hierarchical) {
        if (!multi || k < 2 || Bu <= 0) return c;
        c.latency = base + 2 * (k - 1) * su + 2 * (m - 1) * sn;
        c.bw_time = 2.0 * (k - 1) / k * S / Bu + 2.0 * (m - 1) / m * S / (C * Bn);
        c.intra_sent = n * 2.0 * (k - 1) / k * S;
        c.net_sent = n * 2.0 * (m - 1) / m * S / k;
        c.ok = true;
      }
      return c;
    }
    case CollectiveOp::all_gather:
    case CollectiveOp::reduce_scatter: {
      if (algo != CollectiveAlgo::ring) return c;
      const double D = (n - 1.0) / n * S;
      c.latency = ring_latency(n - 1, ring_chain_crossings(n - 1, n, m, k));
      c.bw_time = ring_time(D);
      ring_bytes(D);
      c.ok = true;
      return c;
    }
    case CollectiveOp::broadcast: {
      if (algo != CollectiveAlgo::ring) return c;
      // One chain, from the source: dcsim's rings start a broadcast's channel where it enters the first domain
      // (ring_orders; the flows skip the hop into it), so that chain leaves out a crossing: m - 1 of them.
      c.latency = ring_latency(n - 1, m - 1);
      c.bw_time = multi ? S * std::max(intra_share > 0 ? 1.0 / Bu : 0.0, 1.0 / (C * Bn)) : S / Bu;
      ring_bytes(S);
      c.ok = true;
      return c;
    }
    case CollectiveOp::all_to_all: {
      if (algo != CollectiveAlgo::ring) return c;
      // All pairs at once; each GPU sends S/n to every peer. Between domains a domain's k GPUs share C NICs.
      c.latency = base + s_ring + p2p_messages_time(n - g.fewest_per_domain, S / n);
      if (!multi) {
        c.bw_time = (n - 1.0) / n * S / Bu;
        c.intra_sent = (n - 1.0) * S;
      } else {
        const double intra = k > 1 && Bu > 0 ? (k - 1.0) / n * S / Bu : 0.0;
        c.bw_time = std::max(intra, (n - k) / static_cast<double>(n) * S * k / (C * Bn));
        c.intra_sent = n * (k - 1.0) / n * S;
        c.net_sent = n * (n - k) / static_cast<double>(n) * S;
      }
      c.ok = true;
      return c;
    }
    case CollectiveOp::send_recv: {
      if (algo != CollectiveAlgo::ring) return c;
      c.latency = base + s_ring + p2p_messages_time(1, S);
      c.bw_time = S / (multi ? Bn : Bu);
      (multi ? c.net_sent : c.intra_sent) = S;
      c.ok = true;
      return c;
    }
  }
  return c;
}

CollectiveCost Collectives::estimate(CollectiveOp op, std::span<const int> group, double bytes,
                                     CollectiveAlgo algo) const {
  if (!(bytes >= 0)) throw std::invalid_argument("collective: negative or NaN byte count");
  if (op == CollectiveOp::send_recv && group.size() != 2) {
    throw std::invalid_argument("send_recv needs a group of exactly two GPUs (sender, receiver)");
  }
  const GroupLayout g = layout(group);
  std::vector<CollectiveAlgo> algos;
  if (algo != CollectiveAlgo::automatic) {
    algos.push_back(algo);
  } else {
    // NCCL's candidates: ring always; for all-reduce the tree, NVLS inside one NVLS-capable domain and NVLSTree
    // across such domains (the hierarchical variant is dcsim's own, never NCCL's: only by name).
    algos = {CollectiveAlgo::ring};
    if (op == CollectiveOp::all_reduce) {
      algos.push_back(CollectiveAlgo::tree);
      if (g.nvls_capable) algos.push_back(CollectiveAlgo::nvls);
      if (g.nvls_tree_capable) algos.push_back(CollectiveAlgo::nvls_tree);
    }
  }
  Choice best;
  double best_t = kInf;
  // `auto` runs what NCCL's tuner picks (hw/nccl_tuner.hpp), priced by dcsim's own cost; all-to-all and send/recv
  // are NCCL point-to-point, outside that tuner, and keep the cheapest protocol.
  const bool tuned = g.n > 1 && compute_capability_ > 0;
  const NcclSystem nccl = tuned ? nccl_system(g) : NcclSystem{};
  // NCCL's kernels move at most a fixed rate per channel (its per-channel caps, docs/network.md "Kernel caps"): when
  // that bounds the collective, both fabrics' achievable shares shrink by one factor, so the flows agree.
  auto priced = [&](CollectiveAlgo a, Protocol p) {
    Choice c = cost(op, g, bytes, a, p);
    if (!tuned || !c.ok || c.bw_time <= 0) return c;
    const double cap = nccl_algbw_cap_gbs(op, a, p, nccl) * 1e9;
    if (cap > 0 && bytes / cap > c.bw_time) {
      const double f = c.bw_time / (bytes / cap);
      c.bw_time = bytes / cap;
      c.up_eff *= f;
      c.net_eff *= f;
    }
    return c;
  };
  bool picked = false;
  if (algo == CollectiveAlgo::automatic && tuned) {
    const NcclChoice pick = nccl_select(op, bytes, nccl, algos);
    if (pick.predicted_us >= 0) {
      best = priced(pick.algorithm, pick.protocol);
      picked = best.ok;
    }
  }
  // Otherwise the cheapest modelled choice: a forced algorithm's protocol, NCCL's p2p (all-to-all, send/recv), or a
  // spec with no compute capability, which has no tuner; the latter takes no tree inside one domain (its chain would
  // be priced against a ring NCCL always prefers there).
  for (CollectiveAlgo a : algos) {
    if (picked) break;
    if (algo == CollectiveAlgo::automatic && a == CollectiveAlgo::tree && g.domains <= 1) continue;
    for (Protocol p : kProtocols) {
      const Choice c = priced(a, p);
      if (c.ok && c.time() < best_t) {
        best = c;
        best_t = c.time();
      }
    }
  }
  if (!best.ok) {
    throw std::invalid_argument(std::string("collective: algorithm ") + to_string(algo) + " cannot run " +
                                to_string(op) + " on this group");
  }
  CollectiveCost r;
  r.time = best.time();
  r.latency = best.latency + best.fill();
  r.algorithm = best.algo;
  r.scale_up_efficiency = best.up_eff;
  r.scale_out_efficiency = best.net_eff;
  r.protocol = best.proto;
  r.algbw = r.time > 0 ? bytes / r.time : 0;
  r.busbw = r.algbw * bus_factor(op, g.n);
  r.bytes_by_kind[static_cast<int>(LinkKind::scale_up)] = 2 * best.intra_sent;  // GPU->switch and switch->GPU
  for (int kind = 0; kind < kLinkKinds; ++kind) {
    if (kind == static_cast<int>(LinkKind::scale_up)) continue;
    r.bytes_by_kind[kind] = best.net_sent * g.net_path_links[kind];
  }
  return r;
}

// ---- event-driven execution -------------------------------------------------------------------------------

namespace {

struct Transfer {
  int src = 0, dst = 0;      // GPUs (ignored when `path` is set)
  std::vector<LinkId> path;  // explicit path (NVLS: GPU <-> switch plane)
  double bytes = 0;          // wire bytes: payload / efficiency
  std::uint64_t hash = 0;
};

struct Phase {
  double latency = 0;  // seconds before the phase's last byte may arrive, beyond bandwidth time
  std::vector<Transfer> transfers;
  // Pipelined phases (tree): a flow's last chunk still has to cross the whole pipeline, so every flow arrives the
  // longest path latency after its last byte left, whatever its own path: the phase then lasts latency + the
  // slowest flow's bandwidth time even when that flow is a short NVLink hop.
  bool pipelined = false;
};

// Runs phases one after another; a phase waits (latency - longest path latency), then starts its flows and ends
// when all have arrived. On an idle network a phase therefore lasts latency + bandwidth time.
struct Execution : std::enable_shared_from_this<Execution> {
  FlowNetwork* net = nullptr;
  std::vector<Phase> phases;
  std::size_t next = 0;
  std::size_t outstanding = 0;
  std::function<void()> on_done;

  void run_next() {
    if (next == phases.size()) {
      auto cb = std::move(on_done);
      if (cb) cb();
      return;
    }
    Phase& ph = phases[next++];
    const Topology& t = net->topology();
    double max_path = 0;
    for (Transfer& x : ph.transfers) {
      if (x.path.empty() && x.src != x.dst) x.path = route(t, x.src, x.dst, ecmp_hash(x.src, x.dst, x.hash));
      max_path = std::max(max_path, path_latency(t, x.path));
    }
    const sim::Time wait = sim::from_seconds(std::max(0.0, ph.latency - max_path));
    auto self = shared_from_this();
    net->simulator().schedule_in(wait, [self, &ph, max_path] { self->start_flows(ph, max_path); });
  }

  void start_flows(Phase& ph, double max_path) {
    outstanding = ph.transfers.size();
    if (outstanding == 0) {
      run_next();
      return;
    }
    auto self = shared_from_this();
    const Topology& t = net->topology();
    for (Transfer& x : ph.transfers) {
      const double extra = ph.pipelined ? std::max(0.0, max_path - path_latency(t, x.path)) : 0.0;
      net->start_flow_on(
          std::move(x.path), x.bytes,
          [self] {
            if (--self->outstanding == 0) self->run_next();
          },
          extra);
    }
  }
};

// Ring orders for `channels` rings over a group split into domains (docs/network.md, "Ring across domains"): in
// channel c, domain d is entered at its local GPU (c + d) mod k and left at (c + d + 1) mod k, so every crossing
// between consecutive domains stays on one rail and each channel leaves a domain through a different NIC.
std::vector<std::vector<int>> ring_orders(const std::vector<std::vector<int>>& domains, int channels) {
  std::vector<std::vector<int>> rings;
  for (int c = 0; c < channels; ++c) {
    std::vector<int> ring;
    for (std::size_t d = 0; d < domains.size(); ++d) {
      const auto& L = domains[d];
      const int k = static_cast<int>(L.size());
      if (k == 1) {
        ring.push_back(L[0]);
        continue;
      }
      const int in = static_cast<int>((c + d) % k);
      const int out = static_cast<int>((c + d + 1) % k);
      ring.push_back(L[in]);
      for (int i = 0; i < k; ++i) {
        if (i != in && i != out) ring.push_back(L[i]);
      }
      ring.push_back(L[out]);
    }
    rings.push_back(std::move(ring));
  }
  return rings;
}

}  // namespace

void Collectives::start(FlowNetwork& net, CollectiveOp op, std::vector<int> group, double bytes,
                        std::function<void()> on_done, CollectiveAlgo algo) const {
  const CollectiveCost cost = estimate(op, group, bytes, algo);
  const GroupLayout g = layout(group);
  auto ex = std::make_shared<Execution>();
  ex->net = &net;
  ex->on_done = std::move(on_done);
  const int n = g.n;
  if (n <= 1) {
    net.simulator().schedule_in(0, std::move(ex->on_done));
    return;
  }
  const bool su = topo_.has_scale_up();
  auto same_domain = [&](int a, int b) { return su && topo_.domain_of(a) == topo_.domain_of(b); };
  auto wire = [&](int a, int b, double payload) {
    return payload / (same_domain(a, b) ? cost.scale_up_efficiency : cost.scale_out_efficiency);
  };
  std::vector<std::vector<int>> domains;
  {
    std::map<int, std::size_t> index;
    for (int gpu : group) {
      const int d = su ? topo_.domain_of(gpu) : gpu;
      auto [it, fresh] = index.try_emplace(d, domains.size());
      if (fresh) domains.emplace_back();
      domains[it->second].push_back(gpu);
    }
  }
  const Protocol p = cost.protocol;
  const double s_up = g.up_latency + step_overhead(up_, p);
  const double s_net = g.net_latency + step_overhead(net_, p);

  auto ring_phase = [&](const std::vector<std::vector<int>>& doms, int channels, double per_gpu_payload,
                        bool skip_into_first, double latency) {
    Phase ph;
    ph.latency = latency;
    const auto rings = ring_orders(doms, channels);
    for (std::size_t c = 0; c < rings.size(); ++c) {
      const auto& r = rings[c];
      for (std::size_t i = 0; i < r.size(); ++i) {
        const int a = r[i], b = r[(i + 1) % r.size()];
        if (skip_into_first && i + 1 == r.size()) continue;
        ph.transfers.push_back(Transfer{a, b, {}, wire(a, b, per_gpu_payload / channels), c});
      }
    }
    return ph;
  };

  switch (cost.algorithm) {
    case CollectiveAlgo::ring: {
      const int channels = g.domains > 1 ? g.nics_per_domain : 1;
      if (op == CollectiveOp::all_to_all) {
        Phase ph;
        ph.latency = cost.latency;
        for (int a : group) {
          for (int b : group) {
            if (a != b) ph.transfers.push_back(Transfer{a, b, {}, wire(a, b, bytes / n), 0});
          }
        }
        ex->phases.push_back(std::move(ph));
      } else if (op == CollectiveOp::send_recv) {
        Phase ph;
        ph.latency = cost.latency;
        ph.transfers.push_back(Transfer{group[0], group[1], {}, wire(group[0], group[1], bytes), 0});
        ex->phases.push_back(std::move(ph));
      } else {
        const double D = op == CollectiveOp::broadcast ? bytes : bus_factor(op, n) * bytes;
        ex->phases.push_back(ring_phase(domains, channels, D, op == CollectiveOp::broadcast, cost.latency));
      }
      break;
    }
    case CollectiveAlgo::nvls: {
      Phase ph;
      ph.latency = cost.latency;
      const double b = (n + 1.0) / n * bytes / cost.scale_up_efficiency;
      for (int gpu : group) {
        ph.transfers.push_back(Transfer{gpu, gpu, {topo_.gpu_to_domain(gpu)}, b, 0});
        ph.transfers.push_back(Transfer{gpu, gpu, {topo_.domain_to_gpu(gpu)}, b, 0});
      }
      ex->phases.push_back(std::move(ph));
      break;
    }
    case CollectiveAlgo::hierarchical: {
      const int k = g.per_domain, m = g.domains;
      const double base = cost.latency - 2 * (k - 1) * s_up - 2 * (m - 1) * s_net;
      const double rs = (k - 1.0) / k * bytes;
      Phase p1, p3;
      for (const auto& d : domains) {
        Phase one = ring_phase({d}, 1, rs, false, 0);
        for (auto& x : one.transfers) p1.transfers.push_back(x);
      }
      p3.transfers = p1.transfers;
      p1.latency = base + (k - 1) * s_up;
      p3.latency = (k - 1) * s_up;
      // Across domains: one ring per local index j over the j-th GPU of every domain, on S/k bytes.
      Phase p2;
      p2.latency = 2 * (m - 1) * s_net;
      for (int j = 0; j < k; ++j) {
        std::vector<std::vector<int>> column;
        for (const auto& d : domains) {
          if (j < static_cast<int>(d.size())) column.push_back({d[j]});
        }
        Phase one = ring_phase(column, 1, 2.0 * (m - 1) / m * bytes / k, false, 0);
        for (auto& x : one.transfers) p2.transfers.push_back(x);
      }
      ex->phases.push_back(std::move(p1));
      ex->phases.push_back(std::move(p2));
      ex->phases.push_back(std::move(p3));
      break;
    }
    case CollectiveAlgo::tree:
    case CollectiveAlgo::nvls_tree: {
      // NCCL's tree all-reduce (docs/network.md, "Tree"): per channel a chain through each domain's GPUs, the
      // domains joined by the double binary tree (dtree above), each tree carrying half of the channel's data. The
      // chain of channel j starts at local GPU j (its NIC): over k channels every GPU heads one chain. All of a
      // channel's crossings use that NIC: NCCL's default pattern (BALANCED_TREE, src/graph/connect.cc
      // ncclTopoPreset) hands child 0 to chain[1], but chain[1] sends through the channel's NIC too
      // (src/graph/search.cc ncclTopoGetNetDev: graph->inter[2c+1], the same NIC unless crossNic, reached by PXN);
      // that short hop to chain[1] is not modelled. Chunks are pipelined, so every edge carries its share at once.
      // Reduce and broadcast run together on successive chunks (dtree_network_load), so both directions' flows
      // share one pipelined phase whose latency is the estimate's (steps and pipeline fill). nvls_tree: the same
      // inter-domain trees, GPU j of every domain carrying shard j through its NIC, and NVLS inside each domain.
      const int k = g.per_domain, m = g.domains;
      const double share = bytes / k;  // payload per channel (both trees)
      Phase ph;
      ph.latency = cost.latency;
      ph.pipelined = true;
      auto chain = [&](const std::vector<int>& L, int j, int i) {
        return L[static_cast<std::size_t>((j + i) % static_cast<int>(L.size()))];
      };
      for (int j = 0; j < k; ++j) {
        if (cost.algorithm == CollectiveAlgo::tree) {
          for (const auto& L : domains) {
            for (int i = 0; i + 1 < static_cast<int>(L.size()); ++i) {
              const int a = chain(L, j, i), b = chain(L, j, i + 1);
              ph.transfers.push_back(Transfer{b, a, {}, wire(b, a, share), static_cast<std::uint64_t>(j)});
              ph.transfers.push_back(Transfer{a, b, {}, wire(a, b, share), static_cast<std::uint64_t>(j)});
            }
          }
        }
        for (int tree = 0; tree < 2 && m > 1; ++tree) {
          for (int d = 0; d < m; ++d) {
            const TreeNode node = dtree(m, d, tree);
            if (node.parent < 0) continue;
            const int child_end = chain(domains[static_cast<std::size_t>(d)], j, 0);
            const int parent_end = chain(domains[static_cast<std::size_t>(node.parent)], j, 0);
            const auto h = static_cast<std::uint64_t>(j + tree * k);
            ph.transfers.push_back(Transfer{child_end, parent_end, {}, wire(child_end, parent_end, share / 2), h});
            ph.transfers.push_back(Transfer{parent_end, child_end, {}, wire(parent_end, child_end, share / 2), h});
          }
        }
      }
      if (cost.algorithm == CollectiveAlgo::nvls_tree) {
        // Every GPU's link to the switch carries (k+1)/k x S each way.
        const double b = (k + 1.0) / k * bytes / cost.scale_up_efficiency;
        for (int gpu : group) {
          ph.transfers.push_back(Transfer{gpu, gpu, {topo_.gpu_to_domain(gpu)}, b, 0});
          ph.transfers.push_back(Transfer{gpu, gpu, {topo_.domain_to_gpu(gpu)}, b, 0});
        }
      }
      ex->phases.push_back(std::move(ph));
      break;
    }
    case CollectiveAlgo::automatic:
      // estimate() resolves `automatic` to the algorithm it chose, so no collective runs as a bare delay.
      throw std::logic_error("collective: estimate() returned no concrete algorithm");
  }
  ex->run_next();
}

void Collectives::RunAwaiter::await_suspend(std::coroutine_handle<> h) {
  sim::Simulator* s = &net->simulator();
  self->start(*net, op, std::move(group), bytes, [s, h] { s->resume_at(s->now(), h); }, algo);
}

}  // namespace dcsim::hw
