// run_agents: builds the replicas, the CPU pools and the power model, runs the swarm to the last task, reports.
#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>

#include "hw/collectives.hpp"
#include "hw/power.hpp"
#include "hw/topology.hpp"
#include "sim/energy.hpp"
#include "sim/stats.hpp"
#include "workloads/agents/agents_workload.hpp"

#include "workloads/observe.hpp"
#include "workloads/agents/serving_llm_service.hpp"
#include "workloads/agents/pool_layout.hpp"
#include "workloads/agents/role_metrics.hpp"
#include "workloads/agents/swarm.hpp"
#include "workloads/cluster_power.hpp"
#include "workloads/serving/serving_metrics.hpp"

namespace dcsim::wl {

const char* to_string(KvPolicy p) {
  switch (p) {
    case KvPolicy::drop: return "drop";
    case KvPolicy::hold: return "hold";
    case KvPolicy::ttl: return "ttl";
    case KvPolicy::offload: return "offload";
  }
  return "?";
}

namespace {

const char* tier_name(hw::StorageTier t) {
  switch (t) {
    case hw::StorageTier::cpu_memory: return "cpu-memory";
    case hw::StorageTier::local_nvme: return "local-nvme";
    case hw::StorageTier::network_flash: return "network-flash";
  }
  return "?";
}

// A storage tier as `gpus` GPUs of one replica see it. Storage entries are one GPU's share (docs/hardware.md); CPU
// memory is reached through the CPU's GPU link (C2C or PCIe), shared by the GPUs of one CPU, whose latency adds.
agents::StorageLink tier_link(const hw::ClusterSpec& c, hw::StorageTier tier, int gpus) {
  const hw::StorageSpec* s = nullptr;
  for (const auto& x : c.storage) {
    if (x.tier == tier) s = &x;
  }
  if (s == nullptr) {
    throw std::invalid_argument(std::string("storage tier ") + tier_name(tier) + " is not part of system " +
                                c.system.name);
  }
  double per_gpu = s->bandwidth, latency = s->latency;
  if (tier == hw::StorageTier::cpu_memory) {
    const double gpus_per_cpu = c.system.cpus > 0 ? static_cast<double>(c.system.gpus) / c.system.cpus : 1.0;
    per_gpu = std::min(per_gpu, c.cpu.gpu_link_bandwidth / gpus_per_cpu);
    latency += c.cpu.gpu_link_latency;
  }
  return agents::StorageLink{per_gpu * gpus, latency};
}

}  // namespace

RunResult run_agents(const AgentsWorkload& w_in, const ModelSpec& model, const hw::ClusterSpec& cluster,
                     sim::TraceRecorder* trace, std::uint64_t seed, const RunOutputs& outputs) {
  RequestLog* const requests = outputs.requests;
  const bool observing = outputs.observe;
  AgentsWorkload w = w_in;
  // The model pools: pool 0 the workload's (the scenario's model), then one per population that names its own.
  struct Pool {
    const ModelSpec* model;
    serving::PoolSpec instance;
    int replicas = 0, first_gpu = 0, first_replica = 0;
  };
  std::vector<Pool> pools;
  {
    bool pool0_used = false;
    for (const AgentRole& role : w.roles) pool0_used = pool0_used || role.pool == 0;
    std::vector<agents::OwnPoolSize> sizes;
    for (const AgentsWorkload::OwnPool& p : w.own_pools) sizes.push_back({p.replicas, p.instance.gpus()});
    const auto placed = agents::place_pools(cluster.total_gpus(), w.instance.gpus(), w.instances, pool0_used, sizes);
    for (const agents::PoolPlacement& p : placed) {
      if (p.end_gpu() > cluster.total_gpus()) {
        throw std::invalid_argument(std::to_string(p.replicas) + " replicas of " + std::to_string(p.gpus_per_replica) +
                                    " GPUs from GPU " + std::to_string(p.first_gpu) + " do not fit the cluster's " +
                                    std::to_string(cluster.total_gpus()));
      }
    }
    if (pool0_used && placed[0].replicas < 1) {
      throw std::invalid_argument("a replica needs " + std::to_string(w.instance.gpus()) + " GPUs; the cluster has " +
                                  std::to_string(cluster.total_gpus() - placed[0].first_gpu) +
                                  " beside the populations' own models");
    }
    // Replicas are numbered pool by pool, pool 0 first; GPUs follow place_pools.
    int next_replica = 0;
    for (std::size_t k = 0; k < placed.size(); ++k) {
      const ModelSpec* m = k == 0 ? &model : &w.own_pools[k - 1].model;
      const serving::PoolSpec& in = k == 0 ? w.instance : w.own_pools[k - 1].instance;
      pools.push_back(Pool{m, in, placed[k].replicas, placed[k].first_gpu, next_replica});
      next_replica += placed[k].replicas;
    }
  }
  const int replicas = pools.back().first_replica + pools.back().replicas;
  for (AgentRole& role : w.roles) {
    if (role.context_window <= 0) role.context_window = pools[static_cast<std::size_t>(role.pool)].model->max_context;
  }

  sim::Simulator sim;
  const hw::Topology topo = hw::build_topology(cluster);
  const hw::Collectives coll(topo, cluster);
  sim::EnergyLedger ledger(0);
  ClusterPower power(ledger, cluster, topo.shape(), 0);
  agents::StallMeter stall(replicas);
  if (pools.size() > 1) {  // replicas of different sizes: stall and idle time count per GPU
    std::vector<double> gpus;
    for (const Pool& p : pools) gpus.insert(gpus.end(), static_cast<std::size_t>(p.replicas), p.instance.gpus());
    stall.weigh_by_gpus(std::move(gpus));
  }
  // One offload tier per run (a workload-level key), reached by each replica's GPUs.
  std::vector<std::unique_ptr<agents::ServingLlmService>> services;
  std::vector<agents::LlmService*> service_ptrs;
  for (const Pool& p : pools) {
    services.push_back(std::make_unique<agents::ServingLlmService>(
        sim, *p.model, w, cluster, &coll, p.replicas,
        agents::ReplicaPlacement{p.instance, p.first_gpu, p.first_replica},
        tier_link(cluster, w.agent().offload_tier, p.instance.gpus()), &stall));
    service_ptrs.push_back(services.back().get());
  }
  // The pool and its replica's GPUs for each global replica index.
  std::vector<int> pool_of_replica(static_cast<std::size_t>(replicas));
  for (std::size_t k = 0; k < pools.size(); ++k) {
    for (int i = 0; i < pools[k].replicas; ++i)
      pool_of_replica[static_cast<std::size_t>(pools[k].first_replica + i)] = static_cast<int>(k);
  }
  const auto gpus_of = [&](int replica) {
    return pools[static_cast<std::size_t>(pool_of_replica[static_cast<std::size_t>(replica)])].instance.gpus();
  };

  agents::SwarmHardware hwd;
  hwd.cpu_speed = cluster.cpu.single_thread_speed > 0 ? cluster.cpu.single_thread_speed : 1.0;
  // The CPUs of one system serve its GPUs' agents; a partial system keeps its share of the CPUs.
  const double cpus = std::ceil(static_cast<double>(cluster.system.cpus) * cluster.gpus_per_system /
                                std::max(1, cluster.system.gpus));
  hwd.cores_per_pool = std::max(1, static_cast<int>(cpus) * cluster.cpu.cores);
  for (const Pool& p : pools) {
    for (int i = 0; i < p.replicas; ++i) hwd.pool_of_instance.push_back(topo.system_of(p.first_gpu + i * p.instance.gpus()));
  }
  // The tiers the roles read memory from (a tier the system lacks is an error only when a role uses it), as the
  // GPUs of the role's replica see them.
  hwd.tiers_by_pool.assign(pools.size(), std::vector<agents::StorageLink>(std::size(hw::kAllStorageTiers)));
  for (const AgentRole& role : w.roles) {
    const auto k = static_cast<std::size_t>(role.pool);
    const int g = pools[k].instance.gpus();
    if (role.memory_load_probability > 0)
      hwd.tiers_by_pool[k][static_cast<std::size_t>(role.memory_tier)] = tier_link(cluster, role.memory_tier, g);
    if (role.arrival == AgentRole::Arrival::always_on && role.always_on.memory_tokens.expected() > 0) {
      hwd.tiers_by_pool[k][static_cast<std::size_t>(role.always_on.memory_tier)] =
          tier_link(cluster, role.always_on.memory_tier, g);
    }
  }
  hwd.tiers = hwd.tiers_by_pool.front();
  hwd.kv_bytes_per_token = services.front()->kv_bytes_per_token();
  for (const auto& svc : services) hwd.kv_bytes_per_token_by_pool.push_back(svc->kv_bytes_per_token());
  agents::Swarm swarm(sim, w, service_ptrs, hwd, seed, &stall);

  // Power: GPUs of busy replicas at their step's activity (power is linear in activity below the cap, so the
  // GPU-weighted mean activity of the busy replicas gives their summed power); CPUs at the busy-core share;
  // scale-up links at the tensor-parallel all-reduce traffic of the running steps.
  struct Busy {
    hw::GpuActivity a;
    double link_bps = 0;
    bool on = false;
  };
  std::vector<Busy> busy(static_cast<std::size_t>(replicas));
  double sum_c = 0, sum_m = 0, sum_link = 0;
  int on = 0, on_gpus = 0;
  const auto apply = [&] {
    const hw::GpuActivity mean = on_gpus > 0 ? hw::GpuActivity{std::max(0.0, sum_c / on_gpus),
                                                                std::max(0.0, sum_m / on_gpus)}
                                             : hw::GpuActivity{};
    power.set_gpu_activity_and_traffic(mean, on_gpus, std::max(0.0, sum_link), sim.now());
  };
  const auto off = [&](int i) {
    Busy& b = busy[static_cast<std::size_t>(i)];
    if (!b.on) return;
    const int g = gpus_of(i);
    sum_c -= b.a.compute * g;
    sum_m -= b.a.memory * g;
    sum_link -= b.link_bps;
    b = Busy{};
    on_gpus -= g;
    if (--on == 0) sum_c = sum_m = sum_link = 0;  // no drift from the running sums
  };
  // Pictures (observations.hpp): whole-run series, binned.
  using Kind = sim::BinnedSeries::Kind;
  sim::BinnedSeries kv_series(Kind::level, sim::kMillisecond), stall_series(Kind::level, sim::kMillisecond),
      tools_series(Kind::level, sim::kMillisecond), power_series(Kind::level, sim::kMillisecond),
      tokens_series(Kind::rate, sim::kMillisecond);
  const auto sample_stall = [&] {
    if (!observing) return;
    stall_series.set(sim.now(), static_cast<double>(stall.stalled_now()) / replicas);
    power_series.set(sim.now(), ledger.total_power_w());
  };
  const auto on_step = [&](int i, const serving::IterationCost& c, std::int64_t tokens) {
    off(i);
    if (observing && c.decode_seqs > 0) tokens_series.add(sim.now(), static_cast<double>(c.decode_seqs));
    Busy& b = busy[static_cast<std::size_t>(i)];
    b.a = c.activity;
    // Ring all-reduce of the residual stream (bf16), twice per layer: 2 (tp - 1) x tokens x hidden x 2 bytes sent
    // over all GPUs of the group.
    const Pool& p = pools[static_cast<std::size_t>(pool_of_replica[static_cast<std::size_t>(i)])];
    const double tp = p.instance.tp;
    const double bytes = tp > 1 ? static_cast<double>(p.model->layers) * 2 * 2 * (tp - 1) *
                                      static_cast<double>(tokens) * static_cast<double>(p.model->hidden) * 2
                                : 0.0;
    b.link_bps = c.time_s > 0 ? bytes / c.time_s : 0.0;
    b.on = true;
    const int g = gpus_of(i);
    sum_c += b.a.compute * g;
    sum_m += b.a.memory * g;
    sum_link += b.link_bps;
    ++on;
    on_gpus += g;
    apply();
    sample_stall();
  };
  const auto on_idle = [&](int i) {
    off(i);
    apply();
    sample_stall();
  };
  double kv_cap = 0;
  for (const auto& svc : services) kv_cap += static_cast<double>(svc->kv_capacity_tokens());
  sim::TimeWeightedAverage kv_occ(0, 0.0);
  std::vector<std::int64_t> kv_used(services.size(), 0);
  for (std::size_t k = 0; k < services.size(); ++k) {
    services[k]->on_step = on_step;
    services[k]->on_idle = on_idle;
    services[k]->on_kv = [&, k](std::int64_t used) {
      kv_used[k] = used;
      std::int64_t all = 0;
      for (const std::int64_t u : kv_used) all += u;
      const double occ = kv_cap > 0 ? static_cast<double>(all) / kv_cap : 0.0;
      kv_occ.set(sim.now(), occ);
      if (observing) kv_series.set(sim.now(), occ);
      if (trace) trace->counter("kv_occupancy", 0, sim.now(), occ);
    };
  }
  swarm.on_cpu = [&](int busy_cores, int total) {
    power.set_cpu_utilization(total > 0 ? static_cast<double>(busy_cores) / total : 0.0, sim.now());
  };
  if (observing || trace) {
    swarm.on_tools = [&](int in_flight) {
      if (observing) tools_series.set(sim.now(), in_flight);
      sample_stall();
      if (trace) trace->counter("tool calls in flight", 0, sim.now(), static_cast<double>(in_flight));
    };
  }
  if (trace) {
    trace->process_name(0, "agents: counters (KV occupancy, tool calls in flight)");
    trace->process_name(1, "agents (one track per agent)");
    trace->process_name(2, "tasks (arrival to finish)");
    swarm.trace = trace;
  }
  if (requests) {
    requests->columns({"task", "arrival_s", "finish_s", "latency_s", "agents", "llm_calls", "prompt_tokens",
                       "added_tokens", "generated_tokens", "first_call_tokens", "role", "call_depth"});
  }
  swarm.on_task_done = [&](std::int64_t task, const agents::TaskRecord& t) {
    if (trace) {
      trace->async_span("task", "task", 2, static_cast<std::uint64_t>(task), sim::from_seconds(t.arrival),
                        sim::from_seconds(t.finish) - sim::from_seconds(t.arrival),
                        {{"task", task}, {"agents", static_cast<std::int64_t>(t.agents)},
                         {"generated_tokens", t.generated}});
    }
    if (!requests) return;
    requests->row({task, t.arrival, t.finish, t.finish - t.arrival, static_cast<std::int64_t>(t.agents),
                   static_cast<std::int64_t>(t.calls), t.prompt, t.added, t.generated, t.first_call,
                   w.roles[static_cast<std::size_t>(t.role)].name, static_cast<std::int64_t>(t.call_depth)});
  };

  // Rates, utilisations, stall and energy are measured over [0, the last task's start]: the swarm runs at its
  // full load until then and only drains afterwards (a run whose tasks all start at once is measured to its end).
  RunResult out;
  Metrics& m = out.metrics;
  sim::Time window = 0;
  std::vector<agents::RoleWindow> role_window(w.roles.size());
  const auto measure = [&] {
    const sim::Time now = sim.now();
    window = now;
    stall.finish(now);
    const double T = sim::to_seconds(now);
    const double tokens = static_cast<double>(swarm.generated);
    m.set("tokens", tokens);
    if (w.populations) {  // one class per role: its generated tokens
      for (std::size_t i = 0; i < w.roles.size(); ++i) {
        m.set(std::string(kTokensByClassPrefix) + w.roles[i].name, static_cast<double>(swarm.roles[i].generated));
      }
    } else {
      m.set(std::string(kTokensByClassPrefix) + std::string(kAgentClass), tokens);  // one class: all generated
    }
    m.set("tokens_per_s", T > 0 ? tokens / T : 0.0);
    // MFU counts each prompt token's math once; HFU also the prefill done again after KV was dropped or evicted.
    double peak_flops = 0, model_flops = 0, recompute_flops = 0;
    for (const auto& svc : services) {
      peak_flops += svc->peak_flops();
      model_flops += svc->model_flops;
      recompute_flops += svc->recompute_flops;
    }
    const double peak = T * peak_flops;
    m.set("mfu", T > 0 ? (model_flops - recompute_flops) / peak : 0.0);
    m.set("hfu", T > 0 ? model_flops / peak : 0.0);
    power.report(m, 0, now, tokens);
    const double gpu_time = T * stall.replica_weight_total();
    m.set("gpu_stall_fraction", gpu_time > 0 ? stall.stalled_s() / gpu_time : 0.0);
    m.set("gpu_idle_fraction", gpu_time > 0 ? stall.idle_s() / gpu_time : 0.0);
    m.set("kv_occupancy.mean", kv_occ.mean(now));
    m.set("kv_occupancy.peak", kv_occ.max());
    m.set("cpu_utilization", swarm.cpu_utilisation());
    m.set("tasks_per_s", T > 0 ? static_cast<double>(swarm.tasks_done) / T : 0.0);
    // Work per joule: tokens per joule falls when a model reaches the same answers with fewer tokens, tasks per
    // joule does not. Reference tokens count each generated token as 1 / token_efficiency tokens of the reference
    // model (the same work), so a token-efficient model's tokens weigh more.
    const double energy = m.get("energy_j").value_or(0.0);
    double reference = 0;
    for (std::size_t i = 0; i < w.roles.size(); ++i) {
      const agents::RoleStats& r = swarm.roles[i];
      reference += r.reference_tokens;
      role_window[i] = {r.tasks_done, r.gpu_s, r.reference_tokens};
    }
    m.set("tasks_per_joule", energy > 0 ? static_cast<double>(swarm.tasks_done) / energy : 0.0);
    m.set("joules_per_task", swarm.tasks_done > 0 ? energy / static_cast<double>(swarm.tasks_done) : 0.0);
    m.set("reference_tokens_per_joule", energy > 0 ? reference / energy : 0.0);
    m.set("measured_s", T);
  };
  swarm.on_last_start = [&] {
    if (sim.now() > 0) measure();
  };
  // With a duration, the window is [0, duration]: arrivals and wake-ups stop then and the work in flight drains.
  if (w.duration_s > 0) sim.schedule_at(sim::from_seconds(w.duration_s), [&] { measure(); });
  swarm.start();
  sim.run();
  const sim::Time end = sim.now();
  if (window == 0) measure();
  const double T = sim::to_seconds(end);
  serving::set_distribution(m, "task_latency_s", swarm.task_latency);
  serving::set_distribution(m, "tool_wait_s", swarm.tool_wait);
  serving::set_distribution(m, "llm_call_s", swarm.llm_latency);
  serving::set_distribution(m, "join_wait_s", swarm.join_wait);
  serving::set_distribution(m, "task_tool_s", swarm.task_tool_s);
  serving::set_distribution(m, "task_longest_tool_s", swarm.task_longest_tool_s);
  const double chat = swarm.calls > 0 ? static_cast<double>(swarm.generated) / static_cast<double>(swarm.calls) : 0.0;
  m.set("tokens_per_task", swarm.tokens_per_task.count() > 0 ? swarm.tokens_per_task.mean() : 0.0);
  m.set("tokens_per_call", chat);
  m.set("generated_multiplier",
        chat > 0 && swarm.tokens_per_task.count() > 0 ? swarm.tokens_per_task.mean() / chat : 0.0);
  // Anthropic's token multiplier counts a task's tokens (input and output) against a chat's: here the tokens a
  // task adds (every call's new prompt tokens and its output) against one chat turn (the root's first call).
  const bool any = swarm.task_tokens.count() > 0 && swarm.chat_turn_tokens.mean() > 0;
  m.set("task_tokens", any ? swarm.task_tokens.mean() : 0.0);
  m.set("chat_turn_tokens", any ? swarm.chat_turn_tokens.mean() : 0.0);
  m.set("token_multiplier", any ? swarm.task_tokens.mean() / swarm.chat_turn_tokens.mean() : 0.0);
  m.set("tasks", static_cast<double>(swarm.tasks_done));
  m.set("agents", static_cast<double>(swarm.agents));
  m.set("agents_per_task", swarm.tasks_done > 0 ? static_cast<double>(swarm.agents) / swarm.tasks_done : 0.0);
  m.set("peak_concurrent_agents", static_cast<double>(swarm.peak_live_agents));
  m.set("max_depth", swarm.max_level);
  m.set("llm_calls", static_cast<double>(swarm.calls));
  m.set("tool_calls", static_cast<double>(swarm.tool_calls));
  m.set("memory_loads", static_cast<double>(swarm.memory_loads));
  const bool always_on = std::any_of(w.roles.begin(), w.roles.end(),
                                     [](const AgentRole& r) { return r.arrival == AgentRole::Arrival::always_on; });
  if (always_on) {  // always-on agents: events handled (several may share a wake-up), polls that found no work
    m.set("always_on.events", static_cast<double>(swarm.events_taken));
    m.set("always_on.empty_polls", static_cast<double>(swarm.empty_polls));
  }
  m.set("compactions", static_cast<double>(swarm.compactions));
  std::int64_t prefill = 0, reused = 0, reloaded = 0, evictions = 0, expiries = 0, offloads = 0, reloads = 0;
  for (const auto& svc : services) {
    prefill += svc->prefill_tokens;
    reused += svc->reused_tokens;
    reloaded += svc->reloaded_tokens;
    evictions += svc->evictions;
    expiries += svc->ttl_expiries;
    offloads += svc->offloads;
    reloads += svc->reloads;
  }
  m.set("prefill_tokens", static_cast<double>(prefill));
  const double prompt = static_cast<double>(prefill + reused + reloaded);
  // The mean prompt a call attends to: its whole context, computed, cached, reloaded or loaded from memory.
  m.set("prompt_tokens_per_call",
        swarm.calls > 0 ? static_cast<double>(swarm.prompt_tokens) / static_cast<double>(swarm.calls) : 0.0);
  m.set("reused_tokens", static_cast<double>(reused));
  m.set("prefix_hit_rate", prompt > 0 ? static_cast<double>(reused + reloaded) / prompt : 0.0);
  m.set("kv.evictions", static_cast<double>(evictions));
  m.set("kv.ttl_expiries", static_cast<double>(expiries));
  m.set("kv.offloads", static_cast<double>(offloads));
  m.set("kv.reloads", static_cast<double>(reloads));
  m.set("kv.evicted_calls", static_cast<double>(swarm.evicted_calls));
  m.set("kv_capacity_tokens", kv_cap);
  m.set("replicas", replicas);
  m.set("duration_s", T);
  m.set("generated_tokens_all", static_cast<double>(swarm.generated));
  if (w.populations) agents::set_role_metrics(m, w, swarm, role_window);
  if (observing) {
    Observations& ob = out.observed;
    ob.series.push_back(observe_series("generated tokens", "tokens/s", tokens_series, end));
    ob.series.push_back(
        observe_series("GPU replicas stalled on tools, memory or KV reloads", "fraction", stall_series, end));
    ob.series.push_back(observe_series("tool calls in flight", "calls", tools_series, end));
    ob.series.push_back(observe_series("KV-cache occupancy", "fraction", kv_series, end));
    ob.series.push_back(observe_series("IT power", "W", power_series, end));
    ob.distributions.push_back(observe_distribution("task latency", "s", swarm.task_latency));
    ob.distributions.push_back(observe_distribution("tool wait", "s", swarm.tool_wait));
    ob.distributions.push_back(observe_distribution("LLM call", "s", swarm.llm_latency));
  }
  out.info.emplace_back("kv_policy", to_string(w.agent().kv_policy));
  out.info.emplace_back("cpu", cluster.cpu.name);
  out.info.emplace_back("scheduler", "agents' simplified continuous batching on serving's InstanceModel");
  out.engine.events = sim.events_executed();
  out.engine.fingerprint = sim.fingerprint();
  return out;
}

}  // namespace dcsim::wl
