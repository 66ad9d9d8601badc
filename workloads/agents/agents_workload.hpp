// `workload.kind: agents`: agent swarms and economies. Tasks of one or more roles (agent_role.hpp) arrive (Poisson,
// closed loop, always-on agents waking up, or calls from other roles); each is a root agent that runs turns: an LLM
// call on the serving model, then tool calls on the CPU pool, calls to other roles, a memory load from a storage
// tier, or a wave of sub-agents joined at a fork-join barrier (recursively). KV is dropped, held, held with a TTL or
// offloaded while the agent waits. Plain data only: app/agents_scenario.cpp fills it from YAML; run_agents()
// simulates it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hw/spec.hpp"
#include "sim/trace.hpp"
#include "workloads/agents/agent_role.hpp"
#include "workloads/run_outputs.hpp"
#include "workloads/model.hpp"
#include "workloads/serving/serving_workload.hpp"

namespace dcsim::wl {

struct AgentsWorkload {
  // The roles (populations). Without `populations:` in the scenario: one role named "agent".
  std::vector<AgentRole> roles = {AgentRole{}};
  bool populations = false;  // declared as populations: per-role metrics and one token class per role
  double duration_s = 0;     // > 0: arrivals and wake-ups stop then, and it is the measured window

  // --- serving (the model replicas the agents call; serving's iteration model) ---
  serving::PoolSpec instance;  // tp/pp/ep, precision, max_batch, token_budget, block_size, memory policy
  int instances = 0;           // 0: as many as the cluster's GPUs hold
  double cpu_iteration_s = serving::ServingWorkload{}.cpu_iteration_s;  // serving_workload.hpp (vLLM060)
  double cpu_per_kernel_s = serving::ServingWorkload{}.cpu_per_kernel_s;  // per kernel of an eager step
  // CPU work per LLM call on the serving host (HTTP server, tokenization, detokenization), at the reference core,
  // on one core of the CPU pool before the call reaches the GPU. Default: vLLM060 (calibration/agents.yaml
  // cpu_side.serving_overhead): 33% of the time in the API server vs 38% on the GPU, whose step is 5.4 ms
  // (serving_workload.hpp) -> 33/38 x 5.4 ms = 4.7 ms, charged once per call (an upper bound: the profile was per
  // iteration).
  double cpu_per_call_s = 4.7e-3;

  // Pools of replicas of a population's own model (AgentRole::pool k >= 1 is own_pools[k - 1]); their GPUs follow
  // the workload's pool (pool 0: the scenario's model, `instance`, `instances`), which takes the GPUs they leave.
  struct OwnPool {
    std::string population;
    ModelSpec model;
    serving::PoolSpec instance;
    int replicas = 1;
  };
  std::vector<OwnPool> own_pools;

  AgentRole& agent() { return roles.front(); }  // the single role of a workload without populations
  const AgentRole& agent() const { return roles.front(); }
};

// Simulates the workload with streams seeded from `seed`. Throws std::invalid_argument for configurations that
// cannot run (weights larger than HBM, more GPUs than the cluster has, a storage tier the system lacks).
RunResult run_agents(const AgentsWorkload& w, const ModelSpec& model, const hw::ClusterSpec& cluster,
                     sim::TraceRecorder* trace, std::uint64_t seed, const RunOutputs& outputs = {});

}  // namespace dcsim::wl
