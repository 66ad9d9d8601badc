#include "workloads/agents/call_graph.hpp"

#include <algorithm>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/depth_first_search.hpp>
#include <boost/graph/topological_sort.hpp>

namespace dcsim::wl::agents {
namespace {

using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;
using Vertex = boost::graph_traits<Graph>::vertex_descriptor;
using Edge = boost::graph_traits<Graph>::edge_descriptor;

Graph build(const std::vector<AgentRole>& roles) {
  Graph g(roles.size());
  for (std::size_t a = 0; a < roles.size(); ++a) {
    for (const RoleCall& c : roles[a].calls) boost::add_edge(a, static_cast<std::size_t>(c.to), g);
  }
  return g;
}

// Records the tree edges (to walk a cycle back) and the first back edge found.
struct CycleFinder : boost::default_dfs_visitor {
  std::vector<Vertex>* parent;
  std::vector<int>* cycle;
  void tree_edge(Edge e, const Graph& g) const { (*parent)[boost::target(e, g)] = boost::source(e, g); }
  void back_edge(Edge e, const Graph& g) const {
    if (!cycle->empty()) return;
    const Vertex from = boost::source(e, g), to = boost::target(e, g);
    std::vector<int> path = {static_cast<int>(from)};
    for (Vertex v = from; v != to; v = (*parent)[v]) path.push_back(static_cast<int>((*parent)[v]));
    std::reverse(path.begin(), path.end());  // to ... from
    path.push_back(static_cast<int>(to));
    *cycle = std::move(path);
  }
};

}  // namespace

std::vector<int> find_call_cycle(const std::vector<AgentRole>& roles) {
  const Graph g = build(roles);
  std::vector<Vertex> parent(roles.size());
  for (std::size_t v = 0; v < parent.size(); ++v) parent[v] = v;
  std::vector<int> cycle;
  boost::depth_first_search(g, boost::visitor(CycleFinder{{}, &parent, &cycle}));
  return cycle;
}

std::vector<int> callers_first(const std::vector<AgentRole>& roles) {
  const Graph g = build(roles);
  std::vector<Vertex> order;
  boost::topological_sort(g, std::back_inserter(order));  // callees first
  return std::vector<int>(order.rbegin(), order.rend());
}

int longest_call_chain(const std::vector<AgentRole>& roles) {
  const Graph g = build(roles);
  std::vector<Vertex> order;
  boost::topological_sort(g, std::back_inserter(order));  // reverse topological: callees first
  std::vector<int> depth(roles.size(), 0);
  for (const Vertex v : order) {
    for (const RoleCall& c : roles[v].calls) depth[v] = std::max(depth[v], 1 + depth[static_cast<std::size_t>(c.to)]);
  }
  int best = 0;
  for (std::size_t v = 0; v < roles.size(); ++v) {
    if (roles[v].has_arrivals()) best = std::max(best, depth[v]);
  }
  return best;
}

}  // namespace dcsim::wl::agents
