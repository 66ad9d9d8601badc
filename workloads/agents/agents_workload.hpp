// `workload.kind: agents`: agent swarms. Tasks arrive (Poisson or closed loop); each is a root agent that runs
// turns: an LLM call on the serving model, then tool calls on the CPU pool, a memory load from a storage tier, or a
// wave of sub-agents joined at a fork-join barrier (recursively). KV is dropped, held, held with a TTL or offloaded
// while the agent waits. Plain data only: app/agents_scenario.cpp fills it from YAML; run_agents() simulates it.
// docs/agents.md documents every field with its source (../shared/calibration/agents.yaml keys cited below).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "hw/spec.hpp"
#include "sim/trace.hpp"
#include "workloads/run_outputs.hpp"
#include "workloads/metrics.hpp"
#include "workloads/model.hpp"
#include "workloads/serving/serving_workload.hpp"

namespace dcsim::wl {

// A non-negative random quantity (seconds or tokens).
struct AgentDist {
  enum class Kind { fixed, uniform, lognormal, poisson };
  Kind kind = Kind::fixed;
  double value = 0;            // fixed
  double lo = 0, hi = 0;       // uniform [lo, hi] (integer quantities round)
  double median = 1, sigma = 0;  // lognormal
  double mean = 0;             // poisson
  double cap = 0;              // > 0: samples above are clamped to it
  static AgentDist fixed_at(double v) { return AgentDist{Kind::fixed, v, 0, 0, 1, 0, 0, 0}; }
  static AgentDist uniform_in(double a, double b) { return AgentDist{Kind::uniform, 0, a, b, 1, 0, 0, 0}; }
  static AgentDist lognormal(double median, double sigma, double cap = 0) {
    return AgentDist{Kind::lognormal, 0, 0, 0, median, sigma, 0, cap};
  }
  static AgentDist poisson_mean(double m, double cap = 0) { return AgentDist{Kind::poisson, 0, 0, 0, 1, 0, m, cap}; }
  // The mean, clamped at the cap (for a lognormal, an upper bound on the clamped mean).
  double expected() const {
    double m = kind == Kind::fixed     ? value
               : kind == Kind::uniform ? (lo + hi) / 2
               : kind == Kind::poisson ? mean
                                       : median * std::exp(sigma * sigma / 2);
    return cap > 0 ? std::min(m, cap) : m;
  }
};

// A kind of tool call: its service time at the reference core (single_thread_speed 1) and whether it is CPU work
// (holds a core, scales with 1 / single_thread_speed) or waits on something else (a web API: no core, no scaling).
struct ToolKind {
  std::string name;
  double weight = 1;
  AgentDist duration_s;
  bool cpu_bound = true;
};

enum class KvPolicy { drop, hold, ttl, offload };
const char* to_string(KvPolicy p);

struct AgentsWorkload {
  // --- arrivals ---
  enum class Arrival { poisson, closed_loop };
  Arrival arrival = Arrival::closed_loop;
  double rate = 1;            // tasks per second (poisson)
  int concurrency = 1;        // closed loop: tasks in flight
  std::int64_t tasks = 1;     // tasks to run in all (the run ends when the last one finishes)

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

  // --- agent turns (calibration/agents.yaml) ---
  AgentDist root_turns = AgentDist::lognormal(40, 0.6, 250);     // llm_calls_per_task
  AgentDist sub_turns = AgentDist::uniform_in(10, 15);          // fan_out: "subagents x 10-15 calls"
  AgentDist output_tokens = AgentDist::lognormal(200, 1.4);      // output_tokens_per_call
  AgentDist initial_context = AgentDist::uniform_in(8000, 15000);  // initial_context_tokens
  AgentDist context_growth = AgentDist::lognormal(800, 1.2);     // context_growth_per_step (tool results etc.)
  std::int64_t context_window = 0;  // 0: the model's max_context
  double compaction_trigger = 0.8;  // compaction: when context > 0.8 x window ...
  AgentDist compaction_keep = AgentDist::uniform_in(0.10, 0.20);  // ... reset to 10-20% of it

  // --- tools (calibration/agents.yaml tool_latency_all, tool_mixture) ---
  AgentDist tools_per_turn = AgentDist::fixed_at(1);  // TraceLab: a step is one LLM call and its tool call
  std::vector<ToolKind> tools = {ToolKind{"any", 1, AgentDist::lognormal(0.3, 2.8), true}};
  AgentDist harness_overhead_s = AgentDist::lognormal(0.15, 1.5);  // tool_mixture.harness_overhead_per_call

  // --- long-term memory loads (no published distribution: off unless the scenario sets them) ---
  double memory_load_probability = 0;  // per turn
  AgentDist memory_load_tokens = AgentDist::fixed_at(0);
  hw::StorageTier memory_tier = hw::StorageTier::cpu_memory;
  bool memory_as_kv = true;  // true: KV is loaded (no prefill); false: text context, prefilled at the next call

  // --- sub-agents (calibration/agents.yaml fan_out, depth, subagent_context) ---
  double spawn_task_share = 1;     // share of tasks whose root spawns sub-agents (0: single-agent tasks)
  int spawn_turn = 1;              // the turn after whose LLM call an agent spawns its wave (1: the plan)
  AgentDist fan_out = AgentDist::poisson_mean(3, 9);  // per wave: 1 + this, i.e. 1 + Poisson(3) capped at 10
  double swarm_share = 0.2;        // share of tasks whose root spawns a swarm instead
  AgentDist swarm_fan_out = AgentDist::uniform_in(10, 100);
  std::vector<double> depth_weights = {0.70, 0.25, 0.05};  // max depth 1, 2, 3 (fan-out halves per level)
  AgentDist sub_context = AgentDist::uniform_in(5000, 15000);  // subagent_context: 5-15k tokens in
  AgentDist summary_tokens = AgentDist::uniform_in(500, 2000);  // returns a 0.5-2k token summary
  double sibling_shared_fraction = 0;  // share of a sub-agent's initial context identical across its siblings

  // --- KV while waiting (calibration/agents.yaml kv_retention_during_tool_wait, kv_tiers) ---
  KvPolicy kv_policy = KvPolicy::hold;
  double kv_ttl_s = 60;  // ttl policy: TraceLab's 1-minute eviction TTL
  hw::StorageTier offload_tier = hw::StorageTier::cpu_memory;
};

// Simulates the workload with streams seeded from `seed`. Throws std::invalid_argument for configurations that
// cannot run (weights larger than HBM, more GPUs than the cluster has, a storage tier the system lacks).
RunResult run_agents(const AgentsWorkload& w, const ModelSpec& model, const hw::ClusterSpec& cluster,
                     sim::TraceRecorder* trace, std::uint64_t seed, const RunOutputs& outputs = {});

}  // namespace dcsim::wl
