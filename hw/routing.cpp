#include "hw/routing.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

#include <boost/graph/breadth_first_search.hpp>

namespace dcsim::hw {

std::uint64_t ecmp_hash(int src_gpu, int dst_gpu, std::uint64_t flow_id) {
  std::uint64_t x = (static_cast<std::uint64_t>(static_cast<std::uint32_t>(src_gpu)) << 32) ^
                    static_cast<std::uint32_t>(dst_gpu);
  x ^= flow_id * 0x9E3779B97F4A7C15ULL;
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBULL;
  x ^= x >> 31;
  return x;
}

void route_into(const Topology& t, int src, int dst, std::uint64_t h, std::vector<LinkId>& out) {
  out.clear();
  const FabricShape& f = t.shape();
  if (src < 0 || dst < 0 || src >= f.gpus || dst >= f.gpus) throw std::out_of_range("route: GPU index out of range");
  if (src == dst) return;
  if (t.has_scale_up() && t.domain_of(src) == t.domain_of(dst)) {
    out.push_back(t.gpu_to_domain(src));
    out.push_back(t.domain_to_gpu(dst));
    return;
  }
  if (!t.has_scale_out()) throw std::logic_error("route: GPUs in different domains but no scale-out network");
  const int na = t.nic_of(src), nb = t.nic_of(dst);
  out.push_back(t.gpu_to_nic(src));
  if (na != nb) {
    out.push_back(t.nic_to_leaf(na));
    const int la = t.leaf_of_nic(na), lb = t.leaf_of_nic(nb);
    if (la != lb) {
      if (f.tiers == 2) {
        const int s = static_cast<int>(h % static_cast<std::uint64_t>(f.spines));
        out.push_back(t.leaf_to_spine(la, s));
        out.push_back(t.spine_to_leaf(lb, s));
      } else {
        const int qa = t.pod_of_leaf(la), qb = t.pod_of_leaf(lb);
        const int j = static_cast<int>(h % static_cast<std::uint64_t>(f.spines_per_pod));
        out.push_back(t.leaf_to_spine(la, j));
        if (qa != qb) {
          const std::uint64_t h2 = h / static_cast<std::uint64_t>(f.spines_per_pod);
          const int c = static_cast<int>(h2 % static_cast<std::uint64_t>(f.cores_per_group));
          out.push_back(t.spine_to_core(qa, j, c));
          out.push_back(t.core_to_spine(qb, j, c));
        }
        out.push_back(t.spine_to_leaf(lb, j));
      }
    }
    out.push_back(t.leaf_to_nic(nb));
  }
  out.push_back(t.nic_to_gpu(dst));
}

std::vector<LinkId> route(const Topology& topo, int src, int dst, std::uint64_t h) {
  std::vector<LinkId> out;
  out.reserve(10);
  route_into(topo, src, dst, h, out);
  return out;
}

std::vector<LinkId> shortest_path(const Topology& topo, NodeId src, NodeId dst) {
  if (src == dst) return {};
  const TopologyGraph& g = topo.graph();
  const std::size_t n = boost::num_vertices(g);
  constexpr LinkId kNone = std::numeric_limits<LinkId>::max();
  std::vector<LinkId> via(n, kNone);  // link that first reached each vertex
  std::vector<boost::default_color_type> color(n, boost::white_color);

  struct Recorder : boost::default_bfs_visitor {
    std::vector<LinkId>* via;
    void tree_edge(boost::graph_traits<TopologyGraph>::edge_descriptor e, const TopologyGraph& gr) const {
      (*via)[boost::target(e, gr)] = gr[e].id;
    }
  };
  Recorder rec;
  rec.via = &via;
  boost::breadth_first_search(
      g, src,
      boost::visitor(rec).color_map(boost::make_iterator_property_map(color.begin(),
                                                                        boost::get(boost::vertex_index, g))));
  if (via[dst] == kNone) return {};
  std::vector<LinkId> path;
  for (NodeId v = dst; v != src;) {
    const LinkId l = via[v];
    path.push_back(l);
    v = topo.link(l).src;
  }
  std::reverse(path.begin(), path.end());
  return path;
}

double path_latency(const Topology& topo, const std::vector<LinkId>& path) {
  double s = 0;
  for (LinkId l : path) s += topo.link(l).latency;
  return s;
}

double path_bandwidth(const Topology& topo, const std::vector<LinkId>& path) {
  double b = std::numeric_limits<double>::infinity();
  for (LinkId l : path) b = std::min(b, topo.link(l).bandwidth);
  return b;
}

}  // namespace dcsim::hw
