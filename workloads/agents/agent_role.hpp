// One kind of agent (a population, or the single role of a workload without populations): its arrivals, its
// calls to other roles, its team mode, and how its agents work (turns, tokens, tools, memory, sub-agents, KV while
// waiting). Plain data: app/agents_scenario.cpp fills it from YAML. docs/agents.md documents every field with its
// source (../shared/calibration/agents.yaml keys cited below).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "hw/spec.hpp"
#include "workloads/metrics.hpp"

namespace dcsim::wl {

// The token efficiencies a role may have or draw (a reference token count divides by it): a model or role writes at
// most a thousand times fewer or more tokens than the reference for the same result.
inline constexpr double kMinTokenEfficiency = 1e-3;
inline constexpr double kMaxTokenEfficiency = 1e3;

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

// A call one role's agents make to another role's: a request queued at the callee's population (an agent
// economy's transaction). The callee runs a task of its role whose opening context is its own plus the request;
// its root's summary is the response the caller reads.
struct RoleCall {
  int to = 0;                 // the callee role (index into AgentsWorkload::roles)
  double probability = 0;     // per turn that is not a wave turn
  // ASSUMED (no published distribution of calls between agents): a request the size of a short chat turn.
  AgentDist request_tokens = AgentDist::fixed_at(500);
};

// A fixed team the root fans a request out to on its spawn turn (the N-agent modes): `parallel` runs N sub-agents
// of the role's sub-agent shape at once (parallel drafts, a planning team); `debate` runs N agents for `rounds`
// rounds, each round one LLM call per agent that reads the others' previous answers, joined at a barrier per
// round. `merge: lead`: the task's root plans, starts the team on its spawn turn and merges the N answers on its
// next turn; `merge: vote`: no lead, the team is the task and its answers are merged without a model call (majority
// vote, as in multi-agent debate and sampling-and-voting).
struct TeamMode {
  enum class Kind { none, parallel, debate };
  enum class Merge { lead, vote };
  Kind kind = Kind::none;
  int agents = 0;
  int rounds = 1;  // debate
  Merge merge = Merge::lead;
};

// Agents that live for the whole run (always-on): each sleeps `wake_interval`, wakes on an event of `event_tokens`,
// loads its long-term memory (`memory_tokens` from `memory_tier`, as KV) unless its KV survived the sleep, and runs
// one episode of the role's turns. `between` is the KV policy across sleeps (drop: reload the memory at every
// wake-up; hold: parked in HBM, evictable; offload: copied to the role's offload tier and read back).
struct AlwaysOn {
  int agents = 0;
  // ASSUMED (no published distribution of always-on agents): a wake-up a minute on a short event; scenarios set
  // their own (docs/agents.md, "Always-on agents").
  AgentDist wake_interval_s = AgentDist::fixed_at(60);
  AgentDist event_tokens = AgentDist::fixed_at(500);
  AgentDist memory_tokens = AgentDist::fixed_at(0);
  hw::StorageTier memory_tier = hw::StorageTier::cpu_memory;
  KvPolicy between = KvPolicy::drop;
  // The first wake-up at a uniform random point of the first interval (a fleet already running), else after a
  // whole interval (every agent starting asleep at time 0).
  bool stagger = true;
  // How wake-ups come. poll: the agent sleeps wake_interval after each episode, then checks for work, which it finds
  // with work_probability; an empty poll runs one tool call (the check) and sleeps again (no LLM call, no memory
  // load, no task). events: events arrive every wake_interval whatever the agent is doing; those that arrive while
  // it works wait, and its next episode takes them all (their event tokens summed).
  enum class Wake { poll, events };
  Wake wake = Wake::poll;
  double work_probability = 1;
};

// One kind of agent (a population): how its tasks arrive and how its agents work. A workload without populations
// has one role, "agent", read from the workload's own keys.
struct AgentRole {
  std::string name{kAgentClass};

  // --- arrivals ---
  // poisson: tasks at `rate`; closed_loop: `concurrency` tasks in flight; always_on: `always_on.agents` agents for
  // the whole run; calls: no arrivals of its own, only calls from other roles.
  enum class Arrival { poisson, closed_loop, always_on, calls };
  Arrival arrival = Arrival::closed_loop;
  double rate = 1;            // tasks per second (poisson)
  int concurrency = 1;        // closed loop: tasks in flight
  std::int64_t tasks = 1;     // tasks the role starts (0: until the workload's duration)
  AlwaysOn always_on;
  int max_in_service = 0;     // calls served at once (0: no limit); more wait in a FIFO queue
  std::vector<RoleCall> calls;
  TeamMode team;
  int pool = 0;  // the model pool that serves it (AgentsWorkload::pools: 0 the workload's model)
  // Tokens per task for equal quality, relative to the reference model: output and summary lengths are scaled by it
  // (0.5: a model that reaches the same result with half the generated tokens). A factor, or a distribution drawn
  // once per task (its agents share it). Defaults to the model's own factor.
  AgentDist token_efficiency = AgentDist::fixed_at(1);

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

  bool has_arrivals() const { return arrival != Arrival::calls; }
};

}  // namespace dcsim::wl
