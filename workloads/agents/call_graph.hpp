// The call graph between the roles of an agent economy: role a -> role b when a's agents call b's. Calls block the
// caller until the callee's task is done, and a role's service limit holds its slots while its agents wait, so a
// cycle could deadlock; the graph must be acyclic (a role's own sub-agents are its waves, not calls).
#pragma once

#include <vector>

#include "workloads/agents/agent_role.hpp"

namespace dcsim::wl::agents {

// A cycle of roles (first role repeated at the end: {a, b, a}), or empty when the graph is acyclic.
std::vector<int> find_call_cycle(const std::vector<AgentRole>& roles);

// The roles in an order where every caller comes before its callees (acyclic graphs only).
std::vector<int> callers_first(const std::vector<AgentRole>& roles);

// The longest chain of calls starting at an arriving role (0 when no role calls another); acyclic graphs only.
int longest_call_chain(const std::vector<AgentRole>& roles);

}  // namespace dcsim::wl::agents
