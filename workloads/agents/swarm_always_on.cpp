// Always-on agents: the sleep, wake-up and episode loop of one agent (docs/agents.md, "Always-on agents").
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "workloads/agents/swarm.hpp"

namespace dcsim::wl::agents {

sim::Process Swarm::always_on_agent(int role, int k) {
  const AgentRole& R = w_.roles[static_cast<std::size_t>(role)];
  const AlwaysOn& on = R.always_on;
  std::string path = stream_prefix(role);
  path += "a";
  path += std::to_string(k);
  std::string name = "agents.always_on.";
  name += path;
  // Its wake-ups, events, episodes' shapes and memories from streams of their own (common random numbers).
  const sim::StreamNamer streams(seed_, name);
  sim::RandomStream r = streams(), events = streams(".events"), shape = streams(".shape"),
                    memories = streams(".memory"), efficiency = streams(".efficiency"), polls = streams(".polls");
  const AgentId id = next_id_++;
  const int instance = least_loaded(role);
  ++live_per_instance_[static_cast<std::size_t>(instance)];
  const StorageLink tier = tier_link(role, on.memory_tier);
  std::int64_t context = 0;
  bool kv_kept = false;  // the agent's KV survived its last sleep (held or offloaded)
  // Episodes run (wake-ups that found work): they name the episodes' streams, and the first counts the agent (an
  // empty poll does not).
  std::int64_t episodes = 0;
  const bool event_driven = on.wake == AlwaysOn::Wake::events;
  sim::Time next_event = 0;  // events: when the next one arrives (ticks: each event moves it on by at least one)
  for (std::int64_t episode = 0;; ++episode) {
    // Poll: sleep after the last episode; events: wait for the next event unless one is already waiting. The first
    // sleep or event falls in the first interval when staggered. No sleep past the duration: the run ends with the
    // work in flight, not with the last sleeper.
    double sleep = 0;
    if (!event_driven || episode == 0) {
      sleep = sample(on.wake_interval_s, r);
      if (episode == 0 && on.stagger) sleep *= r.uniform(0, 1);
      if (event_driven) next_event = sim_.now() + sim::from_seconds(sleep);
    } else {
      sleep = sim::to_seconds(std::max(next_event - sim_.now(), sim::Time{0}));
    }
    const double left = w_.duration_s - sim::to_seconds(sim_.now());
    if (sleep >= left) {
      if (left > 0) co_await sim_.delay(sim::from_seconds(left));
      break;
    }
    co_await sim_.delay(event_driven ? std::max(next_event - sim_.now(), sim::Time{0}) : sim::from_seconds(sleep));
    std::int64_t event = 0;
    if (event_driven) {
      // Every event that has arrived by now, one wake-up for all of them.
      while (next_event <= sim_.now()) {
        event += std::max<std::int64_t>(1, sample_count(on.event_tokens, events));
        ++events_taken;
        next_event += std::max(sim::from_seconds(sample(on.wake_interval_s, r)), sim::Time{1});
      }
    } else if (on.work_probability < 1 && !polls.bernoulli(on.work_probability)) {
      // An empty poll: the check is one tool call, then sleep again.
      const ToolKind& kind = R.tools[tool_choice_[static_cast<std::size_t>(role)].sample(polls)];
      co_await tool_call(-1, hw_.pool_of_instance[static_cast<std::size_t>(instance)], kind,
                         sample(kind.duration_s, polls), sample(R.harness_overhead_s, polls));
      ++empty_polls;
      continue;
    } else {
      event = std::max<std::int64_t>(1, sample_count(on.event_tokens, events));
      ++events_taken;
    }
    const std::size_t slot = tasks_.size();
    tasks_.push_back(TaskRecord{});
    tasks_[slot].role = role;
    tasks_[slot].arrival = tasks_[slot].start = sim::to_seconds(sim_.now());
    AgentStart a;
    a.task = static_cast<std::int64_t>(slot);
    a.role = role;
    a.id = id;
    a.instance = instance;
    a.lives_on = true;
    a.new_agent = episodes == 0;
    a.efficiency = task_efficiency(R, efficiency);  // each episode is a task
    // An episode spawns as a task of the role does (a team: led by the waking agent).
    if (R.team.kind != TeamMode::Kind::none || R.spawn_task_share > 0) draw_shape(role, shape, a);
    a.path = path + ".e" + std::to_string(episodes++);
    if (kv_kept) {
      a.context = context + event;
      a.new_tokens = event;
    } else {
      // Long-term memory comes back from storage into HBM as KV (Vera Rubin's pattern), then the event is prefilled.
      const std::int64_t memory = sample_count(on.memory_tokens, memories);
      if (memory > 0) {
        const double bytes = static_cast<double>(memory) * kv_bytes_per_token(role);
        if (stall_) stall_->external(instance, +1, sim_.now());
        const sim::Time t_mem = sim_.now();
        co_await sim_.delay(sim::from_seconds(tier.time(bytes)));
        span("memory", id, t_mem);
        if (stall_) stall_->external(instance, -1, sim_.now());
        ++memory_loads;
      }
      a.context = memory + event;
      a.loaded = memory;
    }
    AgentEnd end;
    co_await run_agent(std::move(a), &end);
    context = end.context;
    kv_kept = on.between != KvPolicy::drop;
    finish_task(slot, true, false);
  }
  service(role).retire(id);
  --live_per_instance_[static_cast<std::size_t>(instance)];
}

}  // namespace dcsim::wl::agents
