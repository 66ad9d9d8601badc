// Per-role metrics of an agent economy (a workload with populations) and the statistics of the call graph between
// its roles. docs/agents.md ("Populations") defines every key.
#pragma once

#include <cstdint>
#include <vector>

#include "workloads/agents/agents_workload.hpp"
#include "workloads/agents/swarm.hpp"
#include "workloads/metrics.hpp"

namespace dcsim::wl::agents {

// Reads `tokens_by_class.<role>` and `energy_j` from `m` (set over the measured window) and adds role.<name>.* and
// call_graph.* keys; `tasks_in_window` and `gpu_s_in_window` are each role's tasks done and GPU-seconds used by the
// end of the measured window (its energy's span).
void set_role_metrics(Metrics& m, const AgentsWorkload& w, const Swarm& swarm,
                      const std::vector<std::int64_t>& tasks_in_window, const std::vector<double>& gpu_s_in_window);

}  // namespace dcsim::wl::agents
