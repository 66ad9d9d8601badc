// Per-role metrics of an agent economy (a workload with populations) and the statistics of the call graph between
// its roles. docs/agents.md ("Populations") defines every key.
#pragma once

#include "workloads/agents/agents_workload.hpp"
#include "workloads/agents/swarm.hpp"
#include "workloads/metrics.hpp"

namespace dcsim::wl::agents {

// Reads `tokens_by_class.<role>` and `energy_j` from `m` (set over the measured window) and adds role.<name>.* and
// call_graph.* keys.
void set_role_metrics(Metrics& m, const AgentsWorkload& w, const Swarm& swarm);

}  // namespace dcsim::wl::agents
