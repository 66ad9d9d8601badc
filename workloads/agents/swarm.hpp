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
  int stalled_now_ = 0;
};

// What the agents need to know about the hardware.
struct SwarmHardware {
  double cpu_speed = 1;          // single_thread_speed of the CPU
  int cores_per_pool = 1;        // CPU cores of one system (node or rack)
  std::vector<int> pool_of_instance;  // system of each replica (its agents' tools run on that system's CPUs)
  StorageLink memory;            // long-term memory tier, per replica
  double kv_bytes_per_token = 0;  // memory loaded as KV
};

struct WaveRecord {  // one fork-join wave, for tests and traces
  AgentId parent = 0;
  int level = 0;
  double start = 0, end = 0;         // spawn and the parent's resumption
  std::vector<double> child_end;     // each child's finish time
};

struct TaskRecord {
  double arrival = 0, finish = 0;
  std::int64_t generated = 0;   // output tokens of all its agents
  std::int64_t prompt = 0;      // prompt tokens of all its calls (prefilled or reused)
  std::int64_t added = 0;       // tokens the task added: each call's new prompt tokens and its output
  std::int64_t first_call = 0;  // of them, the root's first call: one chat turn (system prompt, question, answer)
  int agents = 0;
  int calls = 0;
};

class Swarm {
 public:
  Swarm(sim::Simulator& sim, const AgentsWorkload& w, LlmService& service, SwarmHardware hw, std::uint64_t seed,
        StallMeter* stall = nullptr);
  // Starts the arrival process (closed-loop users or Poisson arrivals) at now().
  void start();
  // Called whenever the number of busy cores changes.
  std::function<void(int busy_cores, int total_cores)> on_cpu;
  // Called once, when the last task has started: the end of the measured window (the swarm drains afterwards).
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
  std::int64_t generated = 0, calls = 0, agents = 0, tool_calls = 0, memory_loads = 0, compactions = 0;
  std::int64_t prefilled = 0, reused = 0, evicted_calls = 0;
  std::int64_t tasks_done = 0;
  int max_level = 0;
  std::int64_t peak_live_agents = 0;
  double cpu_utilisation() const;  // time-weighted, all pools

 private:
  struct Wave;
  sim::Process closed_loop_user();
  sim::Process poisson_arrivals();
  sim::Process run_task(std::int64_t index);
  sim::Process run_agent(std::int64_t task, std::string path, AgentId id, int level, int max_depth, int instance,
                         std::int64_t context, std::int64_t shared_tokens, std::uint64_t shared_key, int wave_size,
                         double* end_out, std::int64_t* summary_out);
  sim::Process tool_call(int pool, const ToolKind& kind, double duration_s, double harness_s);
  sim::Process cpu_work(int pool, double seconds);
  int least_loaded() const;
  void cpu_changed(int delta);
  void span(const char* what, AgentId id, sim::Time start);

  sim::Simulator& sim_;
  const AgentsWorkload& w_;
  LlmService& service_;
  SwarmHardware hw_;
  std::uint64_t seed_;
  StallMeter* stall_;
  std::vector<std::unique_ptr<sim::FifoResource>> pools_;
  sim::DiscreteChoice tool_choice_;
  sim::DiscreteChoice depth_choice_;
  std::vector<int> live_per_instance_;
  std::int64_t live_agents_ = 0;
  std::int64_t started_ = 0;
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
