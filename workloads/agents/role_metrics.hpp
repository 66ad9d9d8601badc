// Per-role metrics of an agent economy (a workload with populations) and the statistics of the call graph between
// its roles. docs/agents.md ("Populations") defines every key.
#pragma once

#include <cstdint>
#include <vector>

#include "workloads/agents/agents_workload.hpp"
#include "workloads/agents/swarm.hpp"
#include "workloads/metrics.hpp"

namespace dcsim::wl::agents {

// A role's work by the end of the measured window (its energy's span).
struct RoleWindow {
  std::int64_t tasks = 0;       // tasks done
  double gpu_s = 0;             // GPU-seconds its calls used
  double reference_tokens = 0;  // generated tokens over their tasks' token efficiency
};

// Reads `tokens_by_class.<role>` and `energy_j` from `m` (set over the measured window) and adds role.<name>.* and
// call_graph.* keys; `window` holds each role's work in that window.
void set_role_metrics(Metrics& m, const AgentsWorkload& w, const Swarm& swarm, const std::vector<RoleWindow>& window);

}  // namespace dcsim::wl::agents
