#include "workloads/agents/swarm.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace dcsim::wl::agents {

double StallMeter::sum_s(sim::Time S::*field) const {
  double t = 0;  // summed in seconds: picoseconds of many replicas overflow int64
  for (const S& s : s_) t += sim::to_seconds(s.*field);
  return t;
}

std::int64_t poisson(double mean, sim::RandomStream& r) {
  if (mean <= 0) return 0;
  if (mean > 30) return std::max<std::int64_t>(0, std::llround(r.normal(mean, std::sqrt(mean))));
  // Knuth: multiply uniforms until the product drops below e^-mean.
  const double limit = std::exp(-mean);
  double p = 1;
  std::int64_t k = -1;
  do {
    ++k;
    p *= r.next_double_open0();
  } while (p > limit);
  return k;
}

double sample(const AgentDist& d, sim::RandomStream& r) {
  double v = 0;
  switch (d.kind) {
    case AgentDist::Kind::fixed: v = d.value; break;
    case AgentDist::Kind::uniform: v = r.uniform(d.lo, d.hi); break;
    case AgentDist::Kind::lognormal: v = sim::LogNormal::from_median_sigma(d.median, d.sigma).sample(r); break;
    case AgentDist::Kind::poisson: v = static_cast<double>(poisson(d.mean, r)); break;
  }
  if (d.cap > 0) v = std::min(v, d.cap);
  return std::max(0.0, v);
}

std::int64_t sample_count(const AgentDist& d, sim::RandomStream& r) {
  if (d.kind == AgentDist::Kind::uniform) {
    std::int64_t v = r.uniform_int(std::llround(d.lo), std::llround(d.hi));
    if (d.cap > 0) v = std::min<std::int64_t>(v, std::llround(d.cap));
    return std::max<std::int64_t>(0, v);
  }
  return std::llround(sample(d, r));
}

Swarm::Swarm(sim::Simulator& sim, const AgentsWorkload& w, LlmService& service, SwarmHardware hw,
             std::uint64_t seed, StallMeter* stall)
    : sim_(sim), w_(w), service_(service), hw_(std::move(hw)), seed_(seed), stall_(stall) {
  if (hw_.pool_of_instance.empty()) hw_.pool_of_instance.assign(static_cast<std::size_t>(service.instances()), 0);
  const int pools = *std::max_element(hw_.pool_of_instance.begin(), hw_.pool_of_instance.end()) + 1;
  for (int p = 0; p < pools; ++p) pools_.push_back(std::make_unique<sim::FifoResource>(sim_, hw_.cores_per_pool));
  if (w_.tools.empty()) throw std::invalid_argument("agents workload without tool kinds");
  std::vector<double> weights;
  for (const ToolKind& t : w_.tools) weights.push_back(t.weight);
  tool_choice_ = sim::DiscreteChoice(weights);
  depth_choice_ = sim::DiscreteChoice(w_.depth_weights);
  live_per_instance_.assign(static_cast<std::size_t>(service.instances()), 0);
}

void Swarm::start() {
  if (w_.arrival == AgentsWorkload::Arrival::closed_loop) {
    for (int u = 0; u < w_.concurrency; ++u) sim_.spawn(closed_loop_user());
  } else {
    sim_.spawn(poisson_arrivals());
  }
}

double Swarm::cpu_utilisation() const {
  double busy = 0, servers = 0;
  for (const auto& p : pools_) {
    busy += p->mean_busy();
    servers += p->servers();
  }
  return servers > 0 ? busy / servers : 0.0;
}

void Swarm::span(const char* what, AgentId id, sim::Time start) {
  if (trace == nullptr || !trace->enabled()) return;
  trace->complete(what, "agent", 1, static_cast<std::uint32_t>(id), start, sim_.now() - start);
}

void Swarm::cpu_changed(int delta) {
  busy_cores_ += delta;
  if (on_cpu) on_cpu(busy_cores_, hw_.cores_per_pool * static_cast<int>(pools_.size()));
}

int Swarm::least_loaded() const {
  return static_cast<int>(std::min_element(live_per_instance_.begin(), live_per_instance_.end()) -
                          live_per_instance_.begin());
}

sim::Process Swarm::closed_loop_user() {
  while (started_ < w_.tasks) {
    const std::int64_t index = started_++;
    if (started_ == w_.tasks && on_last_start) on_last_start();
    co_await run_task(index);
  }
}

sim::Process Swarm::poisson_arrivals() {
  sim::RandomStream r(seed_, "agents.arrivals");
  while (started_ < w_.tasks) {
    co_await sim_.delay(sim::from_seconds(r.exponential(1.0 / w_.rate)));
    sim_.spawn(run_task(started_++));
    if (started_ == w_.tasks && on_last_start) on_last_start();
  }
}

sim::Process Swarm::run_task(std::int64_t index) {
  // Built by append: GCC 12 warns falsely (-Wrestrict) on "t" + std::to_string(...).
  std::string path = "t";
  path += std::to_string(index);
  std::string name = "agents.task.";
  name += path;
  sim::RandomStream r(seed_, name);
  const std::size_t slot = tasks_.size();
  tasks_.push_back(TaskRecord{});
  tasks_[slot].arrival = sim::to_seconds(sim_.now());
  const bool multi = r.bernoulli(w_.spawn_task_share);
  const int max_depth = 1 + static_cast<int>(depth_choice_.sample(r));
  int wave = 0;
  if (multi) {
    wave = r.bernoulli(w_.swarm_share) ? static_cast<int>(sample_count(w_.swarm_fan_out, r))
                                       : 1 + static_cast<int>(sample_count(w_.fan_out, r));
  }
  const std::int64_t context = std::max<std::int64_t>(1, sample_count(w_.initial_context, r));
  double end = 0;
  const int where = least_loaded();
  ++live_per_instance_[static_cast<std::size_t>(where)];
  co_await run_agent(static_cast<std::int64_t>(slot), path, next_id_++, 0, max_depth, where, context, 0, 0, wave,
                     &end, nullptr);
  TaskRecord& t = tasks_[slot];
  t.finish = sim::to_seconds(sim_.now());
  task_latency.add(t.finish - t.arrival);
  tokens_per_task.add(static_cast<double>(t.generated));
  task_tokens.add(static_cast<double>(t.added));
  chat_turn_tokens.add(static_cast<double>(t.first_call));
  ++tasks_done;
  if (on_task_done) on_task_done(static_cast<std::int64_t>(slot), t);
}

sim::Process Swarm::cpu_work(int pool, double seconds) {
  sim::FifoResource& cores = *pools_[static_cast<std::size_t>(pool)];
  co_await cores.acquire();
  cpu_changed(+1);
  co_await sim_.delay(sim::from_seconds(seconds));
  cores.release();
  cpu_changed(-1);
}

sim::Process Swarm::tool_call(int pool, const ToolKind& kind, double duration_s, double harness_s) {
  const sim::Time t0 = sim_.now();
  ++tools_in_flight_;
  if (on_tools) on_tools(tools_in_flight_);
  // The harness (agent framework) and a CPU-bound tool run on one core at the CPU's single-thread speed; a tool
  // that waits on a remote service (web search) holds no core and does not scale.
  const double cpu_s = (harness_s + (kind.cpu_bound ? duration_s : 0.0)) / hw_.cpu_speed;
  co_await cpu_work(pool, cpu_s);
  if (!kind.cpu_bound) co_await sim_.delay(sim::from_seconds(duration_s));
  tool_wait.add(sim::to_seconds(sim_.now() - t0));
  ++tool_calls;
  --tools_in_flight_;
  if (on_tools) on_tools(tools_in_flight_);
}

sim::Process Swarm::run_agent(std::int64_t task, std::string path, AgentId id, int level, int max_depth,
                              int instance, std::int64_t context, std::int64_t shared_tokens, std::uint64_t shared_key,
                              int wave_size, double* end_out, std::int64_t* summary_out) {
  std::string name = "agents.agent.";
  name += path;
  sim::RandomStream r(seed_, name);
  const int pool = hw_.pool_of_instance[static_cast<std::size_t>(instance)];
  ++agents;
  ++tasks_[static_cast<std::size_t>(task)].agents;
  if (trace != nullptr && trace->enabled()) {
    trace->thread_name(1, static_cast<std::uint32_t>(id),
                       "task " + std::to_string(task) + " agent " + path + (level == 0 ? " (root)" : ""));
  }
  peak_live_agents = std::max(peak_live_agents, ++live_agents_);
  max_level = std::max(max_level, level);
  const int turns = std::max<int>(1, static_cast<int>(sample_count(level == 0 ? w_.root_turns : w_.sub_turns, r)));
  const std::int64_t window = w_.context_window;
  std::int64_t ctx = context, fresh_tokens = context, loaded = 0;
  bool fresh = true;
  for (int turn = 1; turn <= turns; ++turn) {
    if (window > 0 && static_cast<double>(ctx) > w_.compaction_trigger * static_cast<double>(window)) {
      // Compaction rewrites the context: nothing of it is cached any more.
      ctx = std::max<std::int64_t>(1, std::llround(sample(w_.compaction_keep, r) * static_cast<double>(ctx)));
      fresh_tokens = ctx;
      loaded = 0;
      fresh = true;
      shared_tokens = 0;
      ++compactions;
    }
    if (w_.cpu_per_call_s > 0) {
      if (stall_) stall_->external(instance, +1, sim_.now());
      co_await cpu_work(pool, w_.cpu_per_call_s / hw_.cpu_speed);
      if (stall_) stall_->external(instance, -1, sim_.now());
    }
    LlmCall call;
    call.agent = id;
    call.instance = instance;
    call.context_tokens = ctx;
    call.new_tokens = std::min(fresh_tokens, ctx);
    call.loaded_kv_tokens = std::min(loaded, call.new_tokens);
    call.shared_prefix_tokens = shared_tokens;
    call.shared_prefix_key = shared_tokens > 0 ? shared_key : 0;
    call.fresh = fresh;
    call.output_tokens = std::max<std::int64_t>(1, sample_count(w_.output_tokens, r));
    call.after = w_.kv_policy;
    const sim::Time t_call = sim_.now();
    const LlmResult res = co_await llm(sim_, service_, call);
    span("llm", id, t_call);
    llm_latency.add(res.finished - res.submitted);
    generated += call.output_tokens;
    ++calls;
    prefilled += res.prefilled;
    reused += res.reused;
    if (res.evicted) ++evicted_calls;
    TaskRecord& t = tasks_[static_cast<std::size_t>(task)];
    t.generated += call.output_tokens;
    t.prompt += ctx;
    t.added += call.new_tokens + call.output_tokens;
    if (level == 0 && turn == 1) t.first_call = call.new_tokens + call.output_tokens;
    ++t.calls;
    ctx += call.output_tokens;
    fresh_tokens = 0;
    loaded = 0;
    fresh = false;
    shared_tokens = 0;
    if (turn == turns) break;

    if (turn == w_.spawn_turn && wave_size > 0) {
      // A wave of sub-agents, joined at a barrier: the parent resumes when the slowest child is done.
      const std::uint64_t wave_key = next_wave_++;
      const std::int64_t shared =
          w_.sibling_shared_fraction > 0
              ? std::llround(w_.sibling_shared_fraction * static_cast<double>(sample_count(w_.sub_context, r)))
              : 0;
      // Nested waves: the ordinary per-wave fan-out (never a swarm), halved per level below the root.
      const auto nested = [&] {
        const double base = 1 + static_cast<double>(sample_count(w_.fan_out, r));
        return std::max(1, static_cast<int>(std::llround(base / static_cast<double>(1 << (level + 1)))));
      };
      std::vector<double> ends(static_cast<std::size_t>(wave_size), 0.0);
      std::vector<std::int64_t> summaries(static_cast<std::size_t>(wave_size), 0);
      std::vector<sim::Process> children;
      const double t0 = sim::to_seconds(sim_.now());
      for (int k = 0; k < wave_size; ++k) {
        const std::int64_t own = std::llround((1 - w_.sibling_shared_fraction) *
                                              static_cast<double>(sample_count(w_.sub_context, r)));
        const std::int64_t child_ctx = std::max<std::int64_t>(1, shared + own);
        // Placed (and counted) now, so that siblings spread over the replicas.
        const int where = least_loaded();
        ++live_per_instance_[static_cast<std::size_t>(where)];
        std::string child = path;
        child += '.';
        child += std::to_string(k);
        children.push_back(run_agent(task, std::move(child), next_id_++, level + 1, max_depth, where,
                                     child_ctx, shared, wave_key, level + 1 < max_depth ? nested() : 0,
                                     &ends[static_cast<std::size_t>(k)],
                                     &summaries[static_cast<std::size_t>(k)]));
      }
      const sim::Time t_wave = sim_.now();
      co_await sim::all_of(std::move(children));
      span("wave", id, t_wave);
      if (shared > 0) service_.retire(~wave_key);
      const double t1 = sim::to_seconds(sim_.now());
      join_wait.add(t1 - t0);
      if (keep_waves) waves_.push_back(WaveRecord{id, level, t0, t1, ends});
      std::int64_t back = 0;
      for (std::int64_t s : summaries) back += s;
      ctx += back;
      fresh_tokens += back;
    } else {
      const std::int64_t n = sample_count(w_.tools_per_turn, r);
      if (n > 0) {
        std::vector<sim::Process> tools;
        for (std::int64_t i = 0; i < n; ++i) {
          const ToolKind& kind = w_.tools[tool_choice_.sample(r)];
          const double d = sample(kind.duration_s, r), h = sample(w_.harness_overhead_s, r);
          tools.push_back(tool_call(pool, kind, d, h));
        }
        if (stall_) stall_->external(instance, +1, sim_.now());
        const sim::Time t_tools = sim_.now();
        co_await sim::all_of(std::move(tools));
        span("tools", id, t_tools);
        if (stall_) stall_->external(instance, -1, sim_.now());
      }
      const std::int64_t grow = sample_count(w_.context_growth, r);
      ctx += grow;
      fresh_tokens += grow;
    }
    if (w_.memory_load_probability > 0 && r.bernoulli(w_.memory_load_probability)) {
      const std::int64_t tokens = sample_count(w_.memory_load_tokens, r);
      const double bytes = static_cast<double>(tokens) * hw_.kv_bytes_per_token;
      if (stall_) stall_->external(instance, +1, sim_.now());
      const sim::Time t_mem = sim_.now();
      co_await sim_.delay(sim::from_seconds(hw_.memory.time(bytes)));
      span("memory", id, t_mem);
      if (stall_) stall_->external(instance, -1, sim_.now());
      ++memory_loads;
      ctx += tokens;
      fresh_tokens += tokens;
      if (w_.memory_as_kv) loaded += tokens;
    }
  }
  service_.retire(id);
  --live_per_instance_[static_cast<std::size_t>(instance)];
  --live_agents_;
  if (end_out) *end_out = sim::to_seconds(sim_.now());
  if (summary_out) *summary_out = sample_count(w_.summary_tokens, r);
}

}  // namespace dcsim::wl::agents
