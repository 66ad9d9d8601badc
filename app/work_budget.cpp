#include "app/work_budget.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "sim/time.hpp"
#include "workloads/agents/call_graph.hpp"

namespace dcsim::app {

namespace {

// Per-unit lower bounds, from the bundled scenarios (engine.events and peak memory of `dcsim run`):
//  - serving: offline runs take 0.7 events per request (one decode iteration serves many), Poisson runs 10-150;
//    a served request holds ~26 B of latency samples for the rest of the run (1 h at 100 req/s: 4.6 MB over
//    180,000 requests); one in flight ~170-300 B (offline: 1e6 requests at once, 168 B each; closed loop: 297 B
//    per user), and offline and closed-loop runs hold all of theirs in flight at once;
//  - agents: ~1,400-1,600 events and ~425 B per agent (research and swarm scenarios: 4 and 25 agents per task);
//  - pretraining: ~30 events per micro-batch, stage and model chunk (its tasks, sends and receives: 7,848 for 64
//    micro-batches on 4 stages, Llama 3 70B) and ~1.5 KiB each (395 MB for 64,000 micro-batches on 4 stages);
//  - collectives: ~6 events per size and iteration analytically; as flows ~23 per rank; a flow at least 2.
constexpr double kServingEventsPerRequest = 0.5;
constexpr double kServingBytesPerRequest = 24;
constexpr double kServingBytesPerLiveRequest = 160;
constexpr double kAgentsEventsPerAgent = 500;
constexpr double kAgentsBytesPerAgent = 256;
constexpr double kPretrainingEventsPerTask = 20;
constexpr double kPretrainingBytesPerTask = 1024;
constexpr double kCollectiveEventsPerIteration = 5;
// Its completion and its callback at least (the 16,384-GPU Llama 3 405B step as flows measures 2.8: 1.8 M events
// for about 640,000 flows, with the collectives' phase starts).
constexpr double kFlowEventsPerFlow = 2;

std::string count_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, v < 1e6 ? "%.0f" : "%.3g", v);
  return buf;
}

// The node at a dotted path under `n`, or `n` when a segment is absent (a defaulted key: blame the mapping).
// Recursive rather than a loop that reassigns: assigning a ConfigNode assigns its YAML::Node, which in yaml-cpp
// overwrites the node it refers to.
ConfigNode node_at(const ConfigNode& n, const std::string& dotted) {
  if (dotted.empty() || !n.is_map()) return n;
  const std::size_t dot = dotted.find('.');
  const auto next = n.optional_child(dotted.substr(0, dot));
  if (!next) return n;
  return dot == std::string::npos ? *next : node_at(*next, dotted.substr(dot + 1));
}

WorkEstimate serving_work(const Scenario& s) {
  const auto& w = s.serving;
  const auto& a = w.arrivals;
  double requests = 0;
  std::string key, driver;
  using Kind = wl::ArrivalSpec::Kind;
  switch (a.kind) {
    case Kind::offline:
      requests = static_cast<double>(a.requests);
      key = "arrivals.requests";
      driver = count_text(requests) + " requests";
      break;
    case Kind::poisson:
    case Kind::gamma:
      requests = a.rate * w.duration_s;
      key = "duration";
      driver = "arrivals.rate x duration = " + count_text(a.rate) + "/s x " + count_text(w.duration_s) + " s = " + count_text(requests) +
               " requests";
      if (a.requests > 0 && static_cast<double>(a.requests) < requests) {
        requests = static_cast<double>(a.requests);
        key = "arrivals.requests";
        driver = count_text(requests) + " requests";
      }
      break;
    case Kind::closed_loop:
      requests = a.users;
      key = "arrivals.users";
      driver = count_text(requests) + " users";
      break;
    case Kind::trace:  // read whole at load: its size is the file's, already in memory
      break;
  }
  const bool all_in_flight = a.kind == Kind::offline || a.kind == Kind::closed_loop;
  const double per_request = all_in_flight ? kServingBytesPerLiveRequest : kServingBytesPerRequest;
  return {requests * kServingEventsPerRequest, requests * per_request, driver, key};
}

// Agents a role's task runs: the root, plus a team, or for the tasks that spawn a wave of 1 + fan_out sub-agents
// or a swarm.
double agents_per_task(const wl::AgentRole& r) {
  // A debate's members make one call a round: each round counts as an agent's worth of work.
  if (r.team.kind == wl::TeamMode::Kind::debate) return 1 + static_cast<double>(r.team.agents) * r.team.rounds;
  if (r.team.kind != wl::TeamMode::Kind::none) return 1 + r.team.agents;
  const double wave = (1 - r.swarm_share) * (1 + r.fan_out.expected()) + r.swarm_share * r.swarm_fan_out.expected();
  return 1 + r.spawn_task_share * wave;
}

WorkEstimate agents_work(const wl::AgentsWorkload& a) {
  double tasks = 0, agents = 0, span = 0;
  std::vector<double> started(a.roles.size(), 0.0);  // tasks each role starts, by arrival or wake-up
  for (std::size_t i = 0; i < a.roles.size(); ++i) {
    const wl::AgentRole& r = a.roles[i];
    double n = static_cast<double>(r.tasks);
    if (r.arrival == wl::AgentRole::Arrival::poisson) {
      if (r.tasks <= 0) n = r.rate * a.duration_s;
      // Poisson arrivals spread the tasks over (tasks - 1) / rate on average.
      span = std::max(span, r.rate > 0 ? (n - 1) / r.rate : 0.0);
    } else if (r.arrival == wl::AgentRole::Arrival::closed_loop && r.tasks <= 0) {
      n = r.concurrency * std::max(1.0, a.duration_s);  // at most one task per user per second
    } else if (r.arrival == wl::AgentRole::Arrival::always_on) {
      // Polling: an episode takes at least an LLM call (tens of milliseconds), so an agent wakes at most once per
      // sleep + 50 ms. Events: each event is drawn and taken, however many an episode takes at once.
      const double interval = std::max(r.always_on.wake_interval_s.expected(), 1e-12);
      const bool events = r.always_on.wake == wl::AlwaysOn::Wake::events;
      n = r.always_on.agents * std::max(1.0, a.duration_s / (events ? interval : interval + 0.05));
    } else if (r.arrival == wl::AgentRole::Arrival::calls) {
      n = 0;
    }
    started[i] = n;
  }
  // Calls start tasks of their callee: each turn of each of a caller task's agents calls with its probability, and
  // the callee's tasks call on in turn (callers first, so chains add up).
  std::vector<double> all = started;
  for (const int i : wl::agents::callers_first(a.roles)) {
    const wl::AgentRole& r = a.roles[static_cast<std::size_t>(i)];
    const double turns = std::max(r.root_turns.expected(), r.sub_turns.expected());
    for (const wl::RoleCall& c : r.calls) {
      all[static_cast<std::size_t>(c.to)] += all[static_cast<std::size_t>(i)] * agents_per_task(r) * turns * c.probability;
    }
  }
  for (std::size_t i = 0; i < a.roles.size(); ++i) {
    tasks += all[i];
    agents += all[i] * agents_per_task(a.roles[i]);
  }
  const double per = tasks > 0 ? agents / tasks : 0.0;
  return {agents * kAgentsEventsPerAgent, agents * kAgentsBytesPerAgent,
          count_text(tasks) + " tasks x " + count_text(per) + " agents each",
          a.populations ? "populations" : (a.agent().tasks > 0 ? "tasks" : "duration"), std::max(span, a.duration_s)};
}

}  // namespace

WorkEstimate estimate_work(const Scenario& s) {
  if (s.workload_kind == "serving") return serving_work(s);
  if (s.workload_kind == "agents") return agents_work(s.agents);
  if (s.workload_kind == "pretraining") {
    const auto& p = s.pretraining;
    const double tasks = static_cast<double>(p.micro_batches()) * p.pp * p.interleave;
    WorkEstimate e{tasks * kPretrainingEventsPerTask, tasks * kPretrainingBytesPerTask,
                   count_text(static_cast<double>(p.micro_batches())) + " micro-batches x " + std::to_string(p.pp) +
                       " stages x " + std::to_string(p.interleave) + " chunks",
                   "global_batch"};
    if (s.network == NetworkModelKind::flow && s.model) {
      // Every replica's pipeline send is a flow per GPU of the stage (2 per micro-batch and chunk, but the ends'),
      // and every layer's gradient bucket crosses each GPU of its stage at least once.
      const double per_stage = static_cast<double>(p.tp) * p.cp * p.dp;
      const double sends = 2.0 * static_cast<double>(p.micro_batches()) * (p.pp * p.interleave - 1);
      const double buckets = p.zero < 3 ? static_cast<double>(s.model->layers) : 0.0;
      e.events += (sends + buckets) * per_stage * kFlowEventsPerFlow;
      e.driver += " + their sends and gradient buckets on " + count_text(per_stage * p.pp) + " GPUs as flows";
    }
    return e;
  }
  if (s.workload_kind == "collective") {
    const auto& c = s.collective;
    const double ranks = s.network == NetworkModelKind::flow ? std::max(1, c.gpus) : 1;
    const double reps = static_cast<double>(c.iterations) * static_cast<double>(c.bytes.size());
    // No collective moves its bytes faster than every link of a GPU at once, both ways, twice over (in-network
    // reduction halves the traffic): a lower bound on its time.
    const double nic = s.cluster.scale_out.nic_bandwidth > 0 ? s.cluster.scale_out.nic_bandwidth : s.cluster.nic.bandwidth;
    const double link = 4 * (s.cluster.gpu.nvlink_bandwidth + nic);
    double seconds = 0;
    for (double b : c.bytes) seconds += link > 0 ? b / link * c.iterations : 0;
    return {reps * ranks * kCollectiveEventsPerIteration, 0,
            std::to_string(c.iterations) + " iterations x " + std::to_string(c.bytes.size()) + " sizes" +
                (ranks > 1 ? " x " + count_text(ranks) + " ranks as flows" : ""),
            "iterations", seconds};
  }
  return {};
}

void check_work_budget(const Scenario& s, const ConfigNode& workload, std::uint64_t max_events, double max_bytes) {
  const WorkEstimate e = estimate_work(s);
  const ConfigNode blame = node_at(workload, e.key);
  if (e.events > static_cast<double>(max_events)) {
    blame.fail("this run needs at least " + count_text(e.events) + " events (" + e.driver + "), over the work budget of " +
                   count_text(static_cast<double>(max_events)) + " events",
               "make the run smaller, or raise the budget with --max-events");
  }
  if (e.seconds > sim::kTimeHorizonSeconds) {
    blame.fail("this run lasts at least " + count_text(e.seconds / 86'400) + " days of simulated time (" + e.driver +
                   "), past the horizon of 2^63 ps (106 days)",
               "make the run shorter");
  }
  if (e.bytes > max_bytes) {
    blame.fail("this run needs at least " + count_text(e.bytes / (1ull << 30)) + " GiB of memory (" + e.driver +
                   "), over the work budget of " + count_text(max_bytes / (1ull << 30)) + " GiB",
               "make the run smaller, or raise the budget with --max-memory");
  }
}

}  // namespace dcsim::app
