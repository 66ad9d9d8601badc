#include "app/work_budget.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

namespace dcsim::app {

namespace {

// Per-unit lower bounds, from the bundled scenarios (engine.events and peak memory of `dcsim run`):
//  - serving: offline runs take 1 event per request (one decode iteration serves many), Poisson runs 10-150;
//    a request holds ~26 B of latency samples and state for the rest of the run (1 h at 100 req/s: 4.6 MB over
//    180,000 requests);
//  - agents: 3,000-35,000 events and ~1.7 KiB per task (research and swarm scenarios);
//  - pretraining: ~30 events per micro-batch, stage and model chunk (its tasks, sends and receives: 7,848 for 64
//    micro-batches on 4 stages, Llama 3 70B) and ~1.5 KiB each (395 MB for 64,000 micro-batches on 4 stages);
//  - collectives: ~6 events per size and iteration analytically; as flows ~23 per rank.
constexpr double kServingEventsPerRequest = 1;
constexpr double kServingBytesPerRequest = 24;
constexpr double kAgentsEventsPerTask = 1000;
constexpr double kAgentsBytesPerTask = 1024;
constexpr double kPretrainingEventsPerTask = 20;
constexpr double kPretrainingBytesPerTask = 1024;
constexpr double kCollectiveEventsPerIteration = 5;

std::string num(double v) {
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

struct Driven {
  WorkEstimate estimate;
  std::string key;  // under workload, dotted: where to point
};

Driven serving_work(const Scenario& s) {
  const auto& w = s.serving;
  const auto& a = w.arrivals;
  double requests = 0;
  std::string key, driver;
  using Kind = wl::ArrivalSpec::Kind;
  switch (a.kind) {
    case Kind::offline:
      requests = static_cast<double>(a.requests);
      key = "arrivals.requests";
      driver = num(requests) + " requests";
      break;
    case Kind::poisson:
    case Kind::gamma:
      requests = a.rate * w.duration_s;
      key = "duration";
      driver = "arrivals.rate x duration = " + num(a.rate) + "/s x " + num(w.duration_s) + " s = " + num(requests) +
               " requests";
      if (a.requests > 0 && static_cast<double>(a.requests) < requests) {
        requests = static_cast<double>(a.requests);
        key = "arrivals.requests";
        driver = num(requests) + " requests";
      }
      break;
    case Kind::closed_loop:
      requests = a.users;
      key = "arrivals.users";
      driver = num(requests) + " users";
      break;
    case Kind::trace:  // read whole at load: its size is the file's, already in memory
      break;
  }
  return {{requests * kServingEventsPerRequest, requests * kServingBytesPerRequest, driver}, key};
}

}  // namespace

WorkEstimate estimate_work(const Scenario& s) {
  if (s.workload_kind == "serving") return serving_work(s).estimate;
  if (s.workload_kind == "agents") {
    const double tasks = static_cast<double>(s.agents.tasks);
    return {tasks * kAgentsEventsPerTask, tasks * kAgentsBytesPerTask, num(tasks) + " tasks"};
  }
  if (s.workload_kind == "pretraining") {
    const auto& p = s.pretraining;
    const double tasks = static_cast<double>(p.micro_batches()) * p.pp * p.interleave;
    return {tasks * kPretrainingEventsPerTask, tasks * kPretrainingBytesPerTask,
            num(static_cast<double>(p.micro_batches())) + " micro-batches x " + std::to_string(p.pp) +
                " stages x " + std::to_string(p.interleave) + " chunks"};
  }
  if (s.workload_kind == "collective") {
    const auto& c = s.collective;
    const double ranks = s.network == NetworkModelKind::flow ? std::max(1, c.gpus) : 1;
    const double reps = static_cast<double>(c.iterations) * static_cast<double>(c.bytes.size());
    return {reps * ranks * kCollectiveEventsPerIteration, 0,
            std::to_string(c.iterations) + " iterations x " + std::to_string(c.bytes.size()) + " sizes" +
                (ranks > 1 ? " x " + num(ranks) + " ranks as flows" : "")};
  }
  return {};
}

void check_work_budget(const Scenario& s, const ConfigNode& workload, std::uint64_t max_events, double max_bytes) {
  const WorkEstimate e = estimate_work(s);
  std::string key;
  if (s.workload_kind == "serving") key = serving_work(s).key;
  if (s.workload_kind == "agents") key = "tasks";
  if (s.workload_kind == "pretraining") key = "global_batch";
  if (s.workload_kind == "collective") key = "iterations";
  const ConfigNode blame = node_at(workload, key);
  if (e.events > static_cast<double>(max_events)) {
    blame.fail("this run needs at least " + num(e.events) + " events (" + e.driver + "), over the work budget of " +
                   num(static_cast<double>(max_events)) + " events",
               "make the run smaller, or raise the budget with --max-events");
  }
  if (e.bytes > max_bytes) {
    blame.fail("this run needs at least " + num(e.bytes / (1ull << 30)) + " GiB of memory (" + e.driver +
                   "), over the budget of " + num(max_bytes / (1ull << 30)) + " GiB",
               "make the run smaller, or raise the budget with --max-memory");
  }
}

}  // namespace dcsim::app
