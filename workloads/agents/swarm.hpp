// The agents themselves: tasks arriving, agents running turns (LLM call, tools on the CPU pool, memory loads,
// sub-agent waves joined at a fork-join barrier), and their statistics. Talks to the model only through
// LlmService (llm_service.hpp). docs/agents.md ("Agent model") states every step.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sim/process.hpp"
#include "sim/random.hpp"
#include "sim/resource.hpp"
#include "sim/stats.hpp"
#include "sim/trace.hpp"
#include "workloads/agents/agents_workload.hpp"
#include "workloads/agents/llm_service.hpp"

namespace dcsim::wl::agents {

// A storage tier as one replica sees it: bandwidth for the replica's GPUs together, and access latency.
struct StorageLink {
  double bandwidth = 0;  // bytes/s (0: tier absent)
  double latency = 0;    // seconds
  double time(double bytes) const { return bandwidth > 0 ? latency + bytes / bandwidth : 0.0; }
};

// GPU stall: per replica, time the replica runs no step while at least one of its agents waits on a tool call,
// a memory load or a KV reload (DESIGN.md §6; docs/agents.md "Metrics").
class StallMeter {
 public:
  explicit StallMeter(int instances) : s_(static_cast<std::size_t>(instances)) {}
  void set_busy(int i, bool busy, sim::Time now) {
    advance(i, now);
    S& s = s_[static_cast<std::size_t>(i)];
    const bool was = stalled(s);
    s.busy = busy;
    count(was, stalled(s));
  }
  void external(int i, int delta, sim::Time now) {
    advance(i, now);
    S& s = s_[static_cast<std::size_t>(i)];
    const bool was = stalled(s);
    s.waiting += delta;
    count(was, stalled(s));
  }
  int stalled_now() const { return stalled_now_; }  // replicas stalled at this moment
  void finish(sim::Time now) {
    for (std::size_t i = 0; i < s_.size(); ++i) advance(static_cast<int>(i), now);
  }
  // Replicas of several sizes (pools of different models): each replica's time counts once per GPU.
  void weigh_by_gpus(std::vector<double> gpus) { gpus_ = std::move(gpus); }
  double replica_weight_total() const;  // GPUs of all replicas (replicas, unweighted)
  double stalled_s() const { return sum_s(&S::stalled); }
  double idle_s() const { return sum_s(&S::idle); }
  double busy_s() const { return sum_s(&S::busy_t); }
  int instances() const { return static_cast<int>(s_.size()); }

 private:
  struct S {
    bool busy = false;
    int waiting = 0;
    sim::Time last = 0, stalled = 0, idle = 0, busy_t = 0;
  };
  double sum_s(sim::Time S::*field) const;
  static bool stalled(const S& s) { return !s.busy && s.waiting > 0; }
  void count(bool was, bool is) { stalled_now_ += static_cast<int>(is) - static_cast<int>(was); }
  void advance(int i, sim::Time now) {
    S& s = s_[static_cast<std::size_t>(i)];
    const sim::Time dt = now - s.last;
    if (s.busy) {
      s.busy_t += dt;
    } else {
      s.idle += dt;
      if (s.waiting > 0) s.stalled += dt;
    }
    s.last = now;
  }
  std::vector<S> s_;
  std::vector<double> gpus_;  // empty: every replica weighs 1
  int stalled_now_ = 0;
};

// What the agents need to know about the hardware.
struct SwarmHardware {
  double cpu_speed = 1;          // single_thread_speed of the CPU
  int cores_per_pool = 1;        // CPU cores of one system (node or rack)
  std::vector<int> pool_of_instance;  // system of each replica (its agents' tools run on that system's CPUs)
  std::vector<StorageLink> tiers;  // per hw::StorageTier (by its value), per replica: memory loads, wake-ups
  std::vector<std::vector<StorageLink>> tiers_by_pool;  // per model pool, when several (else tiers)
  double kv_bytes_per_token = 0;  // memory loaded as KV
  std::vector<double> kv_bytes_per_token_by_pool;  // per model pool, when several (else kv_bytes_per_token)
};

struct WaveRecord {  // one fork-join wave, for tests and traces
  AgentId parent = 0;
  int level = 0;
  double start = 0, end = 0;         // spawn and the parent's resumption
  std::vector<double> child_end;     // each child's finish time
};

struct TaskRecord {
  int role = 0;
  int call_depth = 0;           // 0: arrived (or woke up); k: started by a chain of k calls between roles
  double arrival = 0, start = 0, finish = 0;  // start: after the wait for the callee role's service limit
  std::int64_t generated = 0;   // output tokens of all its agents
  std::int64_t prompt = 0;      // prompt tokens of all its calls (prefilled or reused)
  std::int64_t added = 0;       // tokens the task added: each call's new prompt tokens and its output
  std::int64_t first_call = 0;  // of them, the root's first call: one chat turn (system prompt, question, answer)
  double gpu_s = 0;             // GPU-seconds of its LLM calls (each step's time x GPUs, shared by token)
  double tool_s = 0;            // tool waits of all its agents, summed (harness and tool, queueing for a core)
  double longest_tool_s = 0;    // its longest tool wait
  int agents = 0;
  int calls = 0;
};

// Per role (population): its tasks (arrived, woken or called), their latency, and the work they did.
struct RoleStats {
  sim::SampleSet task_latency, queue_wait;  // queue_wait: calls waiting for the role's service limit
  std::int64_t tasks_done = 0, generated = 0, llm_calls = 0, agents = 0;
  std::int64_t calls_in = 0, calls_out = 0;  // calls between roles received and made
  double gpu_s = 0;
  double reference_tokens = 0;  // what the reference model would have generated for its calls (token efficiency 1)
};

// Where an agent starts: its task, role and place in the tree, its replica and its opening context.
struct AgentStart {
  std::int64_t task = 0;
  int role = 0;
  std::string path;
  AgentId id = 0;
  int level = 0, max_depth = 1, instance = 0;
  std::int64_t context = 1;
  std::int64_t new_tokens = -1;     // tokens of the context not in the agent's KV (-1: all of it)
  std::int64_t loaded = 0;          // of them, KV loaded by a memory load (no prefill)
  std::int64_t shared_tokens = 0;   // a prefix identical across its wave, cached once per replica
  std::uint64_t shared_key = 0;
  int wave_size = 0;                // the wave (or team) it spawns on its spawn turn
  bool debate = false;              // its spawn turn runs a debate of wave_size agents instead
  bool lives_on = false;            // an always-on agent's episode: not retired; the last call's KV per `between`
  bool new_agent = true;            // counted as an agent (an always-on agent's later episodes are not)
  double efficiency = 1;            // its task's token efficiency: scales what it writes
};
struct AgentEnd {
  double end = 0;
  std::int64_t summary = 0;  // the tokens it returns to its parent or caller
  std::int64_t context = 0;  // its context when done
};

// Common random numbers: an agent draws each quantity from a stream of its own, named after the agent and the
// quantity, so a what-if on one distribution (output lengths, tool latency, context growth, a Poisson mean or a
// change of kind, which change how many numbers a draw takes) leaves every other draw of the agent as it was, and
// two runs compare pairwise instead of through sampling noise.
struct AgentDraws {
  explicit AgentDraws(const sim::StreamNamer& agent);
  sim::RandomStream turns, output, growth, compaction, tool_count, tool_kind, tool_time, harness, calls, call_tokens,
      memory, memory_tokens, fan_out, briefs, summary;
};

class Swarm {
 public:
  Swarm(sim::Simulator& sim, const AgentsWorkload& w, LlmService& service, SwarmHardware hw, std::uint64_t seed,
        StallMeter* stall = nullptr);
  // One service per model pool (AgentsWorkload::pools order); replicas are numbered across them in that order.
  Swarm(sim::Simulator& sim, const AgentsWorkload& w, std::vector<LlmService*> services, SwarmHardware hw,
        std::uint64_t seed, StallMeter* stall = nullptr);
  // Starts every role's arrival process (closed-loop users, Poisson arrivals, always-on agents) at now().
  void start();
  // Called whenever the number of busy cores changes.
  std::function<void(int busy_cores, int total_cores)> on_cpu;
  // Called once, when every role with arrivals has started its last task: the end of the measured window (the
  // swarm drains afterwards). Not called when the workload has a duration (that is the window).
  std::function<void()> on_last_start;
  std::function<void(std::int64_t task, const TaskRecord& t)> on_task_done;  // as each task finishes
  std::function<void(int in_flight)> on_tools;  // tool calls in flight changed
  // Spans per agent (process 1, one track per agent): llm, tools, wave, memory. May be null.
  sim::TraceRecorder* trace = nullptr;
  // Records every wave (memory grows with waves: for tests).
  bool keep_waves = false;

  const std::vector<TaskRecord>& tasks() const { return tasks_; }
  const std::vector<WaveRecord>& waves() const { return waves_; }
  sim::SampleSet task_latency, tool_wait, llm_latency, join_wait, tokens_per_task, task_tokens, chat_turn_tokens;
  sim::SampleSet task_tool_s, task_longest_tool_s;  // per task: tool time summed, and its longest tool wait
  std::int64_t generated = 0, calls = 0, agents = 0, tool_calls = 0, memory_loads = 0, compactions = 0;
  std::int64_t prefilled = 0, reused = 0, evicted_calls = 0;
  std::int64_t prompt_tokens = 0;  // every call's whole context, summed
  std::int64_t tasks_done = 0;
  std::int64_t events_taken = 0, empty_polls = 0;  // always-on agents: events handled, polls that found no work
  int max_level = 0;
  std::int64_t peak_live_agents = 0;
  std::vector<RoleStats> roles;                        // per role, in the workload's order
  std::vector<std::vector<std::int64_t>> role_calls;   // [from][to]: calls between roles
  int max_call_depth = 0;                              // longest chain of calls between roles
  double cpu_utilisation() const;  // time-weighted, all pools
  std::int64_t live_agents() const { return live_agents_; }  // agents running now
  std::int64_t placed_agents() const;                          // agents counted on a replica now (live and asleep)

 private:
  struct Wave;
  bool arrivals_open(int role) const;
  void started_one(int role);
  sim::Process closed_loop_user(int role);
  sim::Process poisson_arrivals(int role);
  sim::Process always_on_agent(int role, int k);
  // `stream`: the task's stream name after its role's prefix ("t<i>" arrived, the caller's call named after the
  // calling agent when called). By value: a coroutine keeps its parameters.
  sim::Process run_task(int role, std::string stream, std::int64_t request_tokens, int call_depth, AgentEnd* response);
  sim::Process run_agent(AgentStart a, AgentEnd* out);
  sim::Process wave(const AgentStart& parent, sim::RandomStream& fan_out, sim::RandomStream& briefs,
                    std::int64_t* summaries_out);
  sim::Process debate(const AgentStart& parent, int rounds, std::int64_t* answers_out);
  sim::Process debate_turn(const AgentStart& a, int round, std::int64_t context, std::int64_t new_tokens,
                           bool fresh, std::int64_t* output);
  sim::Process call_role(std::int64_t from_task, std::string call, const RoleCall& c, std::int64_t request,
                         std::int64_t* response);
  sim::Process tools_stalling(int instance, std::vector<sim::Process> tools);
  sim::Process tool_call(std::int64_t task, int pool, const ToolKind& kind, double duration_s, double harness_s);
  sim::Process cpu_work(int pool, double seconds, int stalled_replica = -1);
  struct Answer {
    std::int64_t tokens = 0;     // what the model writes
    std::int64_t reference = 0;  // what the reference model writes for it (the sample before token efficiency)
  };
  static Answer output_tokens(const AgentRole& role, double efficiency, sim::RandomStream& r);
  static std::int64_t summary_tokens(const AgentRole& role, double efficiency, sim::RandomStream& r);
  static double task_efficiency(const AgentRole& role, sim::RandomStream& r);
  void count_call(std::int64_t task, const LlmCall& call, const LlmResult& res, std::int64_t reference);
  void finish_task(std::size_t slot, bool has_lead, bool called);
  sim::Process serving_cpu(int instance);
  static std::int64_t shared_brief(const AgentRole& R, sim::RandomStream& r);
  static std::int64_t member_brief(const AgentRole& R, std::int64_t shared, sim::RandomStream& r);
  int least_loaded(int role) const;
  LlmService& service(int role) const;                  // the role's model pool
  int local_replica(int role, int instance) const;      // a global replica index within the role's pool
  double kv_bytes_per_token(int role) const;
  StorageLink tier_link(int role, hw::StorageTier tier) const;  // as the role's replicas see the tier
  void draw_shape(int role, sim::RandomStream& r, AgentStart& a) const;
  void cpu_changed(int delta);
  void span(const char* what, AgentId id, sim::Time start);
  std::string stream_prefix(int role) const;  // "" for a workload without populations, else "<role>."

  sim::Simulator& sim_;
  const AgentsWorkload& w_;
  std::vector<LlmService*> services_;  // per model pool
  std::vector<int> first_replica_;     // per model pool: its first global replica index
  SwarmHardware hw_;
  std::uint64_t seed_;
  StallMeter* stall_;
  std::vector<std::unique_ptr<sim::FifoResource>> pools_;
  std::vector<std::unique_ptr<sim::FifoResource>> service_limit_;  // per role (null: no limit)
  std::vector<sim::DiscreteChoice> tool_choice_, depth_choice_;    // per role
  std::vector<std::int64_t> arrived_;                              // per role: tasks started by arrival
  int arrivals_pending_ = 0;  // roles still starting tasks (bounded by their task count)
  std::vector<int> live_per_instance_;
  std::int64_t live_agents_ = 0;
  AgentId next_id_ = 1;
  int tools_in_flight_ = 0;
  std::uint64_t next_wave_ = 1;
  int busy_cores_ = 0;
  std::vector<TaskRecord> tasks_;
  std::vector<WaveRecord> waves_;
};

// Samples a distribution: seconds or (rounded) tokens.
double sample(const AgentDist& d, sim::RandomStream& r);
std::int64_t sample_count(const AgentDist& d, sim::RandomStream& r);  // rounded, >= 0
std::int64_t poisson(double mean, sim::RandomStream& r);

}  // namespace dcsim::wl::agents
