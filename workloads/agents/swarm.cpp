#include "workloads/agents/swarm.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace dcsim::wl::agents {

double StallMeter::sum_s(sim::Time S::*field) const {
  double t = 0;  // summed in seconds: picoseconds of many replicas overflow int64
  for (std::size_t i = 0; i < s_.size(); ++i) {
    t += sim::to_seconds(s_[i].*field) * (gpus_.empty() ? 1.0 : gpus_[i]);
  }
  return t;
}

double StallMeter::replica_weight_total() const {
  if (gpus_.empty()) return static_cast<double>(s_.size());
  double g = 0;
  for (const double x : gpus_) g += x;
  return g;
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

AgentDraws::AgentDraws(const sim::StreamNamer& agent)
    : turns(agent(".turns")),
      output(agent(".output")),
      growth(agent(".growth")),
      compaction(agent(".compaction")),
      tool_count(agent(".tools")),
      tool_kind(agent(".tool_kind")),
      tool_time(agent(".tool_time")),
      harness(agent(".harness")),
      calls(agent(".calls")),
      call_tokens(agent(".call_tokens")),
      memory(agent(".memory")),
      memory_tokens(agent(".memory_tokens")),
      fan_out(agent(".spawn")),
      briefs(agent(".briefs")),
      summary(agent(".summary")) {}

Swarm::Swarm(sim::Simulator& sim, const AgentsWorkload& w, LlmService& service, SwarmHardware hw,
             std::uint64_t seed, StallMeter* stall)
    : Swarm(sim, w, std::vector<LlmService*>{&service}, std::move(hw), seed, stall) {}

Swarm::Swarm(sim::Simulator& sim, const AgentsWorkload& w, std::vector<LlmService*> services, SwarmHardware hw,
             std::uint64_t seed, StallMeter* stall)
    : sim_(sim), w_(w), services_(std::move(services)), hw_(std::move(hw)), seed_(seed), stall_(stall) {
  int replicas = 0;
  for (const LlmService* s : services_) {
    first_replica_.push_back(replicas);
    replicas += s->instances();
  }
  if (hw_.pool_of_instance.empty()) hw_.pool_of_instance.assign(static_cast<std::size_t>(replicas), 0);
  const int pools = *std::max_element(hw_.pool_of_instance.begin(), hw_.pool_of_instance.end()) + 1;
  for (int p = 0; p < pools; ++p) pools_.push_back(std::make_unique<sim::FifoResource>(sim_, hw_.cores_per_pool));
  if (w_.roles.empty()) throw std::invalid_argument("agents workload without roles");
  const std::size_t n = w_.roles.size();
  for (const AgentRole& role : w_.roles) {
    if (role.tools.empty()) throw std::invalid_argument("agents role " + role.name + " without tool kinds");
    std::vector<double> weights;
    for (const ToolKind& t : role.tools) weights.push_back(t.weight);
    tool_choice_.emplace_back(weights);
    depth_choice_.emplace_back(role.depth_weights);
    service_limit_.push_back(role.max_in_service > 0
                                 ? std::make_unique<sim::FifoResource>(sim_, role.max_in_service)
                                 : nullptr);
    for (const RoleCall& c : role.calls) {
      if (c.to < 0 || static_cast<std::size_t>(c.to) >= n)
        throw std::invalid_argument("agents role " + role.name + " calls a role that does not exist");
    }
    if (role.pool < 0 || static_cast<std::size_t>(role.pool) >= services_.size())
      throw std::invalid_argument("agents role " + role.name + " is served by a model pool that does not exist");
  }
  roles.resize(n);
  role_calls.assign(n, std::vector<std::int64_t>(n, 0));
  arrived_.assign(n, 0);
  hw_.tiers.resize(std::size(hw::kAllStorageTiers));
  live_per_instance_.assign(static_cast<std::size_t>(replicas), 0);
}

LlmService& Swarm::service(int role) const {
  return *services_[static_cast<std::size_t>(w_.roles[static_cast<std::size_t>(role)].pool)];
}

int Swarm::local_replica(int role, int instance) const {
  return instance - first_replica_[static_cast<std::size_t>(w_.roles[static_cast<std::size_t>(role)].pool)];
}

double Swarm::kv_bytes_per_token(int role) const {
  const auto pool = static_cast<std::size_t>(w_.roles[static_cast<std::size_t>(role)].pool);
  return pool < hw_.kv_bytes_per_token_by_pool.size() ? hw_.kv_bytes_per_token_by_pool[pool] : hw_.kv_bytes_per_token;
}

StorageLink Swarm::tier_link(int role, hw::StorageTier tier) const {
  const auto pool = static_cast<std::size_t>(w_.roles[static_cast<std::size_t>(role)].pool);
  const auto& tiers = pool < hw_.tiers_by_pool.size() ? hw_.tiers_by_pool[pool] : hw_.tiers;
  const auto t = static_cast<std::size_t>(tier);
  return t < tiers.size() ? tiers[t] : StorageLink{};
}

std::string Swarm::stream_prefix(int role) const {
  return w_.populations ? w_.roles[static_cast<std::size_t>(role)].name + "." : std::string();
}

bool Swarm::arrivals_open(int role) const {
  const AgentRole& R = w_.roles[static_cast<std::size_t>(role)];
  if (R.tasks > 0 && arrived_[static_cast<std::size_t>(role)] >= R.tasks) return false;
  return w_.duration_s <= 0 || sim::to_seconds(sim_.now()) < w_.duration_s;
}

void Swarm::started_one(int role) {
  const AgentRole& R = w_.roles[static_cast<std::size_t>(role)];
  if (R.tasks > 0 && arrived_[static_cast<std::size_t>(role)] == R.tasks && --arrivals_pending_ == 0 &&
      w_.duration_s <= 0 && on_last_start) {
    on_last_start();
  }
}

void Swarm::start() {
  for (std::size_t i = 0; i < w_.roles.size(); ++i) {
    const AgentRole& R = w_.roles[i];
    if ((R.arrival == AgentRole::Arrival::closed_loop || R.arrival == AgentRole::Arrival::poisson) && R.tasks > 0)
      ++arrivals_pending_;
  }
  for (std::size_t i = 0; i < w_.roles.size(); ++i) {
    const int role = static_cast<int>(i);
    const AgentRole& R = w_.roles[i];
    switch (R.arrival) {
      case AgentRole::Arrival::closed_loop:
        for (int u = 0; u < R.concurrency; ++u) sim_.spawn(closed_loop_user(role));
        break;
      case AgentRole::Arrival::poisson: sim_.spawn(poisson_arrivals(role)); break;
      case AgentRole::Arrival::always_on:
        for (int k = 0; k < R.always_on.agents; ++k) sim_.spawn(always_on_agent(role, k));
        break;
      case AgentRole::Arrival::calls: break;
    }
  }
}

std::int64_t Swarm::placed_agents() const {
  std::int64_t n = 0;
  for (const int k : live_per_instance_) n += k;
  return n;
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

// The replica of the role's model pool with the fewest live agents (a global replica index).
int Swarm::least_loaded(int role) const {
  const auto pool = static_cast<std::size_t>(w_.roles[static_cast<std::size_t>(role)].pool);
  const auto first = live_per_instance_.begin() + first_replica_[pool];
  const auto last = first + services_[pool]->instances();
  return static_cast<int>(std::min_element(first, last) - live_per_instance_.begin());
}

// Token efficiency scales what the model writes; at 1 the sample is returned untouched. The sample itself is what
// the reference model would write for the same answer.
Swarm::Answer Swarm::output_tokens(const AgentRole& role, double efficiency, sim::RandomStream& r) {
  const std::int64_t n = std::max<std::int64_t>(1, sample_count(role.output_tokens, r));
  if (efficiency == 1) return {n, n};
  return {std::max<std::int64_t>(1, std::llround(static_cast<double>(n) * efficiency)), n};
}

std::int64_t Swarm::summary_tokens(const AgentRole& role, double efficiency, sim::RandomStream& r) {
  const std::int64_t n = sample_count(role.summary_tokens, r);
  if (efficiency == 1) return n;
  return std::llround(static_cast<double>(n) * efficiency);
}

// A task's token efficiency: the role's factor, or a draw from its distribution, at least the key's lower bound
// (so that a reference token count, tokens / efficiency, stays finite). A fixed factor draws nothing.
double Swarm::task_efficiency(const AgentRole& role, sim::RandomStream& r) {
  return std::max(kMinTokenEfficiency, sample(role.token_efficiency, r));
}

sim::Process Swarm::closed_loop_user(int role) {
  while (arrivals_open(role)) {
    const std::int64_t index = arrived_[static_cast<std::size_t>(role)]++;
    started_one(role);
    std::string stream = "t";  // by append: GCC 12 warns falsely (-Wrestrict) on "t" + std::to_string(...)
    stream += std::to_string(index);
    co_await run_task(role, std::move(stream), 0, 0, nullptr);
  }
}

sim::Process Swarm::poisson_arrivals(int role) {
  const AgentRole& R = w_.roles[static_cast<std::size_t>(role)];
  sim::RandomStream r(seed_, "agents." + stream_prefix(role) + "arrivals");
  while (arrivals_open(role)) {
    co_await sim_.delay(sim::from_seconds(r.exponential(1.0 / R.rate)));
    if (w_.duration_s > 0 && sim::to_seconds(sim_.now()) >= w_.duration_s) break;
    std::string stream = "t";
    stream += std::to_string(arrived_[static_cast<std::size_t>(role)]++);
    sim_.spawn(run_task(role, std::move(stream), 0, 0, nullptr));
    started_one(role);
  }
}

// What a task's root spawns: a fixed team, or (drawn) a wave of 1 + extra_fan_out, a swarm, or nothing, and how
// deep its sub-agents may nest.
void Swarm::draw_shape(int role, sim::RandomStream& r, AgentStart& a) const {
  const AgentRole& R = w_.roles[static_cast<std::size_t>(role)];
  if (R.team.kind == TeamMode::Kind::none) {
    const bool multi = r.bernoulli(R.spawn_task_share);
    a.max_depth = 1 + static_cast<int>(depth_choice_[static_cast<std::size_t>(role)].sample(r));
    if (multi) {
      a.wave_size = r.bernoulli(R.swarm_share) ? static_cast<int>(sample_count(R.swarm_fan_out, r))
                                               : 1 + static_cast<int>(sample_count(R.fan_out, r));
    }
  } else {
    // A fixed team: every task fans out to the same N agents, one level deep.
    a.max_depth = 1;
    a.wave_size = R.team.agents;
    a.debate = R.team.kind == TeamMode::Kind::debate;
  }
}

sim::Process Swarm::run_task(int role, std::string stream, std::int64_t request_tokens, int call_depth,
                             AgentEnd* response) {
  const AgentRole& R = w_.roles[static_cast<std::size_t>(role)];
  const bool called = response != nullptr;
  std::string path = stream_prefix(role);
  path += stream;
  std::string name = "agents.task.";
  name += path;
  // Its shape, its context and a voting team's fan-out and briefs from streams of their own (common random numbers).
  const sim::StreamNamer streams(seed_, name);
  sim::RandomStream shape = streams(), context = streams(".context"), fan_out = streams(".spawn"),
                    briefs = streams(".briefs"), efficiency = streams(".efficiency");
  const std::size_t slot = tasks_.size();
  tasks_.push_back(TaskRecord{});
  tasks_[slot].role = role;
  tasks_[slot].call_depth = call_depth;
  tasks_[slot].arrival = sim::to_seconds(sim_.now());
  max_call_depth = std::max(max_call_depth, call_depth);
  sim::FifoResource* limit = service_limit_[static_cast<std::size_t>(role)].get();
  if (called && limit != nullptr) co_await limit->acquire();
  tasks_[slot].start = sim::to_seconds(sim_.now());
  AgentStart a;
  a.task = static_cast<std::int64_t>(slot);
  a.role = role;
  a.level = 0;
  draw_shape(role, shape, a);
  a.efficiency = task_efficiency(R, efficiency);
  a.context = std::max<std::int64_t>(1, sample_count(R.initial_context, context)) + request_tokens;
  a.id = next_id_++;
  a.path = std::move(path);
  AgentEnd end;
  const bool voting = R.team.kind != TeamMode::Kind::none && R.team.merge == TeamMode::Merge::vote;
  if (voting) {
    // No lead: the team is the task, its answers merged without a model call (a majority vote); one answer
    // goes back to a caller.
    std::int64_t answers = 0;
    if (a.debate) {
      co_await debate(a, R.team.rounds, &answers);
    } else {
      co_await wave(a, fan_out, briefs, &answers);
    }
    end.summary = answers / std::max(1, R.team.agents);
  } else {
    a.instance = least_loaded(role);
    ++live_per_instance_[static_cast<std::size_t>(a.instance)];
    co_await run_agent(std::move(a), &end);
  }
  if (called && limit != nullptr) limit->release();
  if (response) *response = end;
  // A voting team has no lead, so no first chat turn to compare the task's tokens with.
  finish_task(slot, !voting, called);
}

// A task is done now: its record, the run's and its role's statistics, the observer.
void Swarm::finish_task(std::size_t slot, bool has_lead, bool called) {
  TaskRecord& t = tasks_[slot];
  t.finish = sim::to_seconds(sim_.now());
  task_latency.add(t.finish - t.arrival);
  tokens_per_task.add(static_cast<double>(t.generated));
  if (has_lead) {
    task_tokens.add(static_cast<double>(t.added));
    chat_turn_tokens.add(static_cast<double>(t.first_call));
  }
  task_tool_s.add(t.tool_s);
  task_longest_tool_s.add(t.longest_tool_s);
  ++tasks_done;
  RoleStats& rs = roles[static_cast<std::size_t>(t.role)];
  rs.task_latency.add(t.finish - t.arrival);
  if (called) rs.queue_wait.add(t.start - t.arrival);
  ++rs.tasks_done;
  if (on_task_done) on_task_done(static_cast<std::int64_t>(slot), t);
}

// `seconds` on one core of CPU pool `pool`; a replica that waits on it meanwhile (stalled_replica >= 0) counts as
// stalled.
sim::Process Swarm::cpu_work(int pool, double seconds, int stalled_replica) {
  if (stall_ && stalled_replica >= 0) stall_->external(stalled_replica, +1, sim_.now());
  sim::FifoResource& cores = *pools_[static_cast<std::size_t>(pool)];
  co_await cores.acquire();
  cpu_changed(+1);
  co_await sim_.delay(sim::from_seconds(seconds));
  cores.release();
  cpu_changed(-1);
  if (stall_ && stalled_replica >= 0) stall_->external(stalled_replica, -1, sim_.now());
}

// The serving host's CPU work for one LLM call (HTTP, tokenization) on the replica's system: a GPU stall.
sim::Process Swarm::serving_cpu(int instance) {
  return cpu_work(hw_.pool_of_instance[static_cast<std::size_t>(instance)], w_.cpu_per_call_s / hw_.cpu_speed,
                  instance);
}

sim::Process Swarm::tool_call(std::int64_t task, int pool, const ToolKind& kind, double duration_s,
                              double harness_s) {
  const sim::Time t0 = sim_.now();
  ++tools_in_flight_;
  if (on_tools) on_tools(tools_in_flight_);
  // The harness (agent framework) and a CPU-bound tool run on one core at the CPU's single-thread speed; a tool
  // that waits on a remote service (web search) holds no core and does not scale.
  const double cpu_s = (harness_s + (kind.cpu_bound ? duration_s : 0.0)) / hw_.cpu_speed;
  co_await cpu_work(pool, cpu_s);
  if (!kind.cpu_bound) co_await sim_.delay(sim::from_seconds(duration_s));
  const double wait = sim::to_seconds(sim_.now() - t0);
  tool_wait.add(wait);
  if (task >= 0) {  // not an always-on agent's empty poll, which belongs to no task
    TaskRecord& t = tasks_[static_cast<std::size_t>(task)];
    t.tool_s += wait;
    t.longest_tool_s = std::max(t.longest_tool_s, wait);
  }
  ++tool_calls;
  --tools_in_flight_;
  if (on_tools) on_tools(tools_in_flight_);
}

// Tools run while calls to other roles are under way: the replica counts as stalled only for the tools.
sim::Process Swarm::tools_stalling(int instance, std::vector<sim::Process> tools) {
  if (stall_) stall_->external(instance, +1, sim_.now());
  co_await sim::all_of(std::move(tools));
  if (stall_) stall_->external(instance, -1, sim_.now());
}

// `call` names the call after the calling agent, its turn and the call's place in its role's list: the callee's
// task draws from streams of that name whatever the order in which calls happen.
sim::Process Swarm::call_role(std::int64_t from_task, std::string call, const RoleCall& c, std::int64_t request,
                              std::int64_t* response) {
  const TaskRecord& caller = tasks_[static_cast<std::size_t>(from_task)];
  const int from = caller.role, depth = caller.call_depth + 1;
  ++roles[static_cast<std::size_t>(from)].calls_out;
  ++roles[static_cast<std::size_t>(c.to)].calls_in;
  ++role_calls[static_cast<std::size_t>(from)][static_cast<std::size_t>(c.to)];
  AgentEnd end;
  co_await run_task(c.to, "c." + call, request, depth, &end);
  *response = end.summary;
}

void Swarm::count_call(std::int64_t task, const LlmCall& call, const LlmResult& res, std::int64_t reference) {
  llm_latency.add(res.finished - res.submitted);
  generated += call.output_tokens;
  ++calls;
  prefilled += res.prefilled;
  reused += res.reused;
  prompt_tokens += call.context_tokens;
  if (res.evicted) ++evicted_calls;
  TaskRecord& t = tasks_[static_cast<std::size_t>(task)];
  t.generated += call.output_tokens;
  t.prompt += call.context_tokens;
  t.added += call.new_tokens + call.output_tokens;
  t.gpu_s += res.gpu_s;
  ++t.calls;
  RoleStats& rs = roles[static_cast<std::size_t>(t.role)];
  rs.generated += call.output_tokens;
  rs.reference_tokens += static_cast<double>(reference);
  rs.gpu_s += res.gpu_s;
  ++rs.llm_calls;
}

// The part of a wave's or team's briefs common to all its members (cached once per replica), and one member's
// whole brief: the common part and its own.
std::int64_t Swarm::shared_brief(const AgentRole& R, sim::RandomStream& r) {
  return R.sibling_shared_fraction > 0
             ? std::llround(R.sibling_shared_fraction * static_cast<double>(sample_count(R.sub_context, r)))
             : 0;
}

std::int64_t Swarm::member_brief(const AgentRole& R, std::int64_t shared, sim::RandomStream& r) {
  const std::int64_t own =
      std::llround((1 - R.sibling_shared_fraction) * static_cast<double>(sample_count(R.sub_context, r)));
  return std::max<std::int64_t>(1, shared + own);
}

// A wave of sub-agents, joined at a barrier: the parent resumes when the slowest child is done. Draws its nested
// fan-outs and its briefs from the parent's streams of those.
sim::Process Swarm::wave(const AgentStart& a, sim::RandomStream& fan_out, sim::RandomStream& briefs,
                         std::int64_t* summaries_out) {
  const AgentRole& R = w_.roles[static_cast<std::size_t>(a.role)];
  const int level = a.level;
  const std::uint64_t wave_key = next_wave_++;
  const std::int64_t shared = shared_brief(R, briefs);
  // Nested waves: the ordinary per-wave fan-out (never a swarm), halved per level below the root.
  const auto nested = [&] {
    const double base = 1 + static_cast<double>(sample_count(R.fan_out, fan_out));
    return std::max(1, static_cast<int>(std::llround(base / static_cast<double>(1 << (level + 1)))));
  };
  std::vector<AgentEnd> ends(static_cast<std::size_t>(a.wave_size));
  std::vector<sim::Process> children;
  const double t0 = sim::to_seconds(sim_.now());
  for (int k = 0; k < a.wave_size; ++k) {
    AgentStart c;
    c.task = a.task;
    c.role = a.role;
    c.context = member_brief(R, shared, briefs);
    c.shared_tokens = shared;
    c.shared_key = wave_key;
    c.level = level + 1;
    c.max_depth = a.max_depth;
    // Placed (and counted) now, so that siblings spread over the replicas.
    c.instance = least_loaded(a.role);
    ++live_per_instance_[static_cast<std::size_t>(c.instance)];
    c.efficiency = a.efficiency;
    c.path = a.path;
    c.path += '.';
    c.path += std::to_string(k);
    c.id = next_id_++;
    c.wave_size = level + 1 < a.max_depth ? nested() : 0;
    children.push_back(run_agent(std::move(c), &ends[static_cast<std::size_t>(k)]));
  }
  const sim::Time t_wave = sim_.now();
  co_await sim::all_of(std::move(children));
  span("wave", a.id, t_wave);
  if (shared > 0) service(a.role).retire(~wave_key);
  const double t1 = sim::to_seconds(sim_.now());
  join_wait.add(t1 - t0);
  if (keep_waves) {
    std::vector<double> child_end;
    for (const AgentEnd& e : ends) child_end.push_back(e.end);
    waves_.push_back(WaveRecord{a.id, level, t0, t1, std::move(child_end)});
  }
  std::int64_t back = 0;
  for (const AgentEnd& e : ends) back += e.summary;
  *summaries_out = back;
}

namespace {
// A call between roles named after the calling agent, its turn and the call's place in the role's list of calls
// ("<agent>.c<turn>_<k>"): the same whatever the order in which calls happen, and unique, since the segment is not
// a number like the wave children's (".<k>") that follow an agent's path.
std::string call_name(const std::string& agent, int turn, const RoleCall& c, const AgentRole& caller) {
  std::string name = agent;
  name += ".c";
  name += std::to_string(turn);
  name += '_';
  name += std::to_string(&c - caller.calls.data());
  return name;
}
}  // namespace

sim::Process Swarm::run_agent(AgentStart a, AgentEnd* out) {
  const AgentRole& R = w_.roles[static_cast<std::size_t>(a.role)];
  std::string name = "agents.agent.";
  name += a.path;
  AgentDraws r{sim::StreamNamer(seed_, name)};
  const AgentId id = a.id;
  const int level = a.level, instance = a.instance;
  const std::int64_t task = a.task;
  const int pool = hw_.pool_of_instance[static_cast<std::size_t>(instance)];
  if (a.new_agent) {
    ++agents;
    ++roles[static_cast<std::size_t>(a.role)].agents;
  }
  ++tasks_[static_cast<std::size_t>(task)].agents;
  if (trace != nullptr && trace->enabled()) {
    trace->thread_name(1, static_cast<std::uint32_t>(id),
                       "task " + std::to_string(task) + " agent " + a.path + (level == 0 ? " (root)" : ""));
  }
  peak_live_agents = std::max(peak_live_agents, ++live_agents_);
  max_level = std::max(max_level, level);
  int turns = std::max<int>(1, static_cast<int>(sample_count(level == 0 ? R.root_turns : R.sub_turns, r.turns)));
  // A lead with a team plans, starts the team on its spawn turn and merges on the next: at least that many turns.
  if (level == 0 && R.team.kind != TeamMode::Kind::none) turns = std::max(turns, R.spawn_turn + 1);
  const std::int64_t window = R.context_window;
  std::int64_t ctx = a.context, fresh_tokens = a.new_tokens >= 0 ? a.new_tokens : a.context, loaded = a.loaded;
  std::int64_t shared_tokens = a.shared_tokens;
  bool fresh = a.new_tokens < 0;
  for (int turn = 1; turn <= turns; ++turn) {
    if (window > 0 && static_cast<double>(ctx) > R.compaction_trigger * static_cast<double>(window)) {
      // Compaction rewrites the context: nothing of it is cached any more.
      const double keep = sample(R.compaction_keep, r.compaction);
      ctx = std::max<std::int64_t>(1, std::llround(keep * static_cast<double>(ctx)));
      fresh_tokens = ctx;
      loaded = 0;
      fresh = true;
      shared_tokens = 0;
      ++compactions;
    }
    if (w_.cpu_per_call_s > 0) co_await serving_cpu(instance);
    LlmCall call;
    call.agent = id;
    call.instance = local_replica(a.role, instance);
    call.context_tokens = ctx;
    call.new_tokens = std::min(fresh_tokens, ctx);
    call.loaded_kv_tokens = std::min(loaded, call.new_tokens);
    call.shared_prefix_tokens = shared_tokens;
    call.shared_prefix_key = shared_tokens > 0 ? a.shared_key : 0;
    call.fresh = fresh;
    const Answer answer = output_tokens(R, a.efficiency, r.output);
    call.output_tokens = answer.tokens;
    // An always-on agent's last call of an episode leaves its KV as the sleep policy says.
    call.after = a.lives_on && turn == turns ? R.always_on.between : R.kv_policy;
    call.kv_ttl_s = R.kv_ttl_s;
    const sim::Time t_call = sim_.now();
    const LlmResult res = co_await llm(sim_, service(a.role), call);
    span("llm", id, t_call);
    count_call(task, call, res, answer.reference);
    if (level == 0 && turn == 1) tasks_[static_cast<std::size_t>(task)].first_call = call.new_tokens + call.output_tokens;
    ctx += call.output_tokens;
    fresh_tokens = 0;
    loaded = 0;
    fresh = false;
    shared_tokens = 0;
    if (turn == turns) break;

    if (turn == R.spawn_turn && a.wave_size > 0 && a.debate) {
      const double t0 = sim::to_seconds(sim_.now());
      const sim::Time t_wave = sim_.now();
      std::int64_t back = 0;
      co_await debate(a, R.team.rounds, &back);
      span("debate", id, t_wave);
      join_wait.add(sim::to_seconds(sim_.now()) - t0);
      ctx += back;
      fresh_tokens += back;
    } else if (turn == R.spawn_turn && a.wave_size > 0) {
      std::int64_t back = 0;
      co_await wave(a, r.fan_out, r.briefs, &back);
      ctx += back;
      fresh_tokens += back;
    } else {
      const std::int64_t n = sample_count(R.tools_per_turn, r.tool_count);
      std::vector<sim::Process> tools;
      for (std::int64_t i = 0; i < n; ++i) {
        const ToolKind& kind = R.tools[tool_choice_[static_cast<std::size_t>(a.role)].sample(r.tool_kind)];
        const double d = sample(kind.duration_s, r.tool_time), h = sample(R.harness_overhead_s, r.harness);
        tools.push_back(tool_call(task, pool, kind, d, h));
      }
      // Calls to other roles, each with its own chance this turn, run beside the tools.
      std::vector<std::pair<const RoleCall*, std::int64_t>> drawn;
      for (const RoleCall& c : R.calls) {
        if (r.calls.bernoulli(c.probability)) drawn.emplace_back(&c, sample_count(c.request_tokens, r.call_tokens));
      }
      const sim::Time t_tools = sim_.now();
      if (drawn.empty()) {
        if (!tools.empty()) {
          if (stall_) stall_->external(instance, +1, sim_.now());
          co_await sim::all_of(std::move(tools));
          span("tools", id, t_tools);
          if (stall_) stall_->external(instance, -1, sim_.now());
        }
      } else {
        std::vector<std::int64_t> responses(drawn.size(), 0);
        std::vector<sim::Process> work;
        for (std::size_t k = 0; k < drawn.size(); ++k)
          work.push_back(call_role(task, call_name(a.path, turn, *drawn[k].first, R), *drawn[k].first, drawn[k].second,
                                   &responses[k]));
        if (!tools.empty()) work.push_back(tools_stalling(instance, std::move(tools)));
        co_await sim::all_of(std::move(work));
        span("calls", id, t_tools);
        for (const std::int64_t back : responses) {
          ctx += back;
          fresh_tokens += back;
        }
      }
      const std::int64_t grow = sample_count(R.context_growth, r.growth);
      ctx += grow;
      fresh_tokens += grow;
    }
    if (R.memory_load_probability > 0 && r.memory.bernoulli(R.memory_load_probability)) {
      const std::int64_t tokens = sample_count(R.memory_load_tokens, r.memory_tokens);
      const double bytes = static_cast<double>(tokens) * kv_bytes_per_token(a.role);
      if (stall_) stall_->external(instance, +1, sim_.now());
      const sim::Time t_mem = sim_.now();
      co_await sim_.delay(sim::from_seconds(tier_link(a.role, R.memory_tier).time(bytes)));
      span("memory", id, t_mem);
      if (stall_) stall_->external(instance, -1, sim_.now());
      ++memory_loads;
      ctx += tokens;
      fresh_tokens += tokens;
      if (R.memory_as_kv) loaded += tokens;
    }
  }
  if (!a.lives_on) {
    service(a.role).retire(id);
    --live_per_instance_[static_cast<std::size_t>(instance)];
  }
  --live_agents_;
  out->end = sim::to_seconds(sim_.now());
  out->summary = summary_tokens(R, a.efficiency, r.summary);
  out->context = ctx;
}

}  // namespace dcsim::wl::agents
