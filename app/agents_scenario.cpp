#include "app/agents_scenario.hpp"

#include <algorithm>
#include <cctype>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "app/model_catalog.hpp"
#include "app/result_io.hpp"
#include "app/serving_scenario.hpp"
#include "workloads/serving/instance_model.hpp"
#include "workloads/tensor_parallel.hpp"
#include "workloads/agents/call_graph.hpp"
#include "workloads/agents/pool_layout.hpp"

namespace dcsim::app {
namespace {

using schema::Reader;
using schema::Value;

// A model pool's engine. Its replicas step one batch at a time through all their layers: the micro-batches a
// pipeline-parallel serving instance keeps in flight (docs/serving.md, "Pipeline stages") are not modelled here, so
// pp > 1 would leave each stage idle (pp - 1) / pp of the time; refused rather than underestimated.
void parse_agent_instance(const Reader& in, wl::PoolSpec& p, const wl::ModelSpec& model, const hw::GpuSpec& gpu) {
  parse_engine_instance(in, p, model);
  if (p.pp > 1) {
    in.at("pp").fail_value("1: an agents model pool runs its pipeline stages one batch at a time (pipelined "
                           "micro-batches are modelled for the serving workload only); split the model with tp");
  }
  check_instance_precision(in, p, gpu);
  in.finish();
}

hw::StorageTier storage_tier_of(const std::string& s) {
  if (s == "local-nvme") return hw::StorageTier::local_nvme;
  if (s == "network-flash") return hw::StorageTier::network_flash;
  return hw::StorageTier::cpu_memory;
}

// A sample, bound or shape of a distribution, as its key declares it: a time ("0.3 s"), a whole count or a
// fraction (schema/keys_agents.cpp holds the bounds).
double read_sample(const Value& v) {
  const schema::Type& t = v.scalar_form();
  if (t.kind == schema::Kind::quantity) return v.quantity();
  if (t.kind == schema::Kind::integer) return static_cast<double>(v.integer());
  return v.number();
}

// A distribution: a plain value (fixed), or {dist: fixed|uniform|lognormal|poisson, ...}. Samples are clamped to
// the declared bound (a lognormal's tail otherwise has no end).
wl::AgentDist parse_dist(const Value& v) {
  const double max = v.scalar_form().max;
  wl::AgentDist d;
  if (v.is_scalar()) {
    d = wl::AgentDist::fixed_at(read_sample(v));
  } else {
    const Reader n = v.section();
    const std::string kind = n.choice("dist");
    if (kind == "fixed") {
      d = wl::AgentDist::fixed_at(read_sample(n.value("value")));
    } else if (kind == "uniform") {
      d = wl::AgentDist::uniform_in(read_sample(n.value("low")), read_sample(n.value("high")));
      if (d.hi < d.lo) n.at("high").fail_value("at least low");
    } else if (kind == "lognormal") {
      d = wl::AgentDist::lognormal(read_sample(n.value("median")), n.number("sigma"));
    } else {
      d = wl::AgentDist::poisson_mean(n.number("mean"));
    }
    if (const auto cap = n.value_if("cap")) d.cap = read_sample(*cap);
    n.finish();
  }
  if (d.cap <= 0 || d.cap > max) d.cap = max;
  return d;
}

// A model's token efficiency as agents draw it: its factor, or a lognormal around it when it spreads.
wl::AgentDist model_efficiency(const wl::ModelSpec& m) {
  // Capped as a written distribution is, at the key's bound (a wide spread's tail otherwise has no end).
  if (m.token_efficiency_sigma <= 0) return wl::AgentDist::fixed_at(m.token_efficiency);
  return wl::AgentDist::lognormal(m.token_efficiency, m.token_efficiency_sigma, wl::kMaxTokenEfficiency);
}

wl::KvPolicy kv_policy_of(const std::string& s) {
  return s == "drop"      ? wl::KvPolicy::drop
         : s == "ttl"     ? wl::KvPolicy::ttl
         : s == "offload" ? wl::KvPolicy::offload
                          : wl::KvPolicy::hold;
}

void read_arrivals(const Reader& arr, wl::AgentRole& role) {
  const std::string process = arr.choice("process");
  if (process == "poisson") {
    role.arrival = wl::AgentRole::Arrival::poisson;
    role.rate = arr.number("rate");
  } else if (process == "closed-loop") {
    role.arrival = wl::AgentRole::Arrival::closed_loop;
    role.concurrency = static_cast<int>(arr.integer("concurrency"));
  } else if (process == "always-on") {
    role.arrival = wl::AgentRole::Arrival::always_on;
  } else {
    role.arrival = wl::AgentRole::Arrival::calls;
  }
  arr.finish();
}

void read_always_on(const Reader& on, wl::AlwaysOn& a) {
  if (auto v = on.integer_if("agents")) a.agents = static_cast<int>(*v);
  if (auto v = on.value_if("wake_interval")) a.wake_interval_s = parse_dist(*v);
  if (auto v = on.value_if("event_tokens")) a.event_tokens = parse_dist(*v);
  if (auto m = on.section_if("memory")) {
    a.memory_tokens = parse_dist(m->value("tokens"));
    a.memory_tier = storage_tier_of(m->choice("tier"));
    m->finish();
  }
  // Each key overrides where given (a population's block inherits the workload's key by key).
  if (auto v = on.value_if("between")) a.between = kv_policy_of(v->choice());
  if (auto v = on.value_if("stagger")) a.stagger = v->boolean();
  if (auto v = on.value_if("wake")) {
    a.wake = v->choice() == "events" ? wl::AlwaysOn::Wake::events : wl::AlwaysOn::Wake::poll;
  }
  if (auto v = on.value_if("work_probability")) a.work_probability = v->number();
  // Checked on what the block ends with, inherited keys included; blamed on a key this block writes.
  if (a.wake == wl::AlwaysOn::Wake::events) {
    const auto blame = [&](const char* key) {
      return on.has(key) ? on.at(key) : on.has("wake") ? on.at("wake") : on.node();
    };
    if (a.work_probability < 1) {
      blame("work_probability")
          .fail("work_probability = " + format_number(a.work_probability) +
                " with wake: events; expected 1 (every event is work: wake: poll has checks that may find none)");
    }
    // Events a zero interval apart would never let the agent catch up.
    const wl::AgentDist& d = a.wake_interval_s;
    const bool can_be_zero = d.kind == wl::AgentDist::Kind::poisson ||
                             (d.kind == wl::AgentDist::Kind::fixed && d.value <= 0) ||
                             (d.kind == wl::AgentDist::Kind::uniform && d.lo <= 0);
    if (can_be_zero) {
      blame("wake_interval")
          .fail("with wake: events, wake_interval must be above 0 in every draw (a fixed value or a uniform low "
                "above 0, or a lognormal); events 0 s apart would never end");
    }
  }
  on.finish();
}

void read_team(const Reader& t, wl::TeamMode& team) {
  team.kind = t.choice("mode") == "debate" ? wl::TeamMode::Kind::debate : wl::TeamMode::Kind::parallel;
  team.agents = static_cast<int>(t.integer("agents"));
  team.rounds = static_cast<int>(t.integer("rounds"));
  team.merge = t.choice("merge") == "vote" ? wl::TeamMode::Merge::vote : wl::TeamMode::Merge::lead;
  t.finish();
}

// The keys of one role, each overriding `role` only where given: the workload's own keys over the defaults, then a
// population's over the workload's.
void read_role(const Reader& w, wl::AgentRole& role) {
  if (auto arr = w.section_if("arrivals")) read_arrivals(*arr, role);
  if (auto v = w.value_if("tasks")) role.tasks = v->integer();
  if (auto on = w.section_if("always_on")) read_always_on(*on, role.always_on);
  if (auto t = w.section_if("team")) read_team(*t, role.team);
  if (auto v = w.value_if("token_efficiency")) role.token_efficiency = parse_dist(*v);

  if (auto v = w.value_if("turns")) role.root_turns = parse_dist(*v);
  if (auto v = w.value_if("output_tokens")) role.output_tokens = parse_dist(*v);
  if (auto v = w.value_if("initial_context")) role.initial_context = parse_dist(*v);
  if (auto v = w.value_if("context_growth")) role.context_growth = parse_dist(*v);
  if (auto v = w.integer_if("context_window")) role.context_window = *v;
  if (auto c = w.section_if("compaction")) {
    if (auto v = c->value_if("trigger")) role.compaction_trigger = v->number();
    if (auto v = c->value_if("keep")) role.compaction_keep = parse_dist(*v);
    c->finish();
  }

  if (auto v = w.value_if("tools_per_turn")) role.tools_per_turn = parse_dist(*v);
  if (auto tools = w.value_if("tools")) {
    role.tools.clear();
    for (const Value& item : tools->items()) {
      const Reader t = item.section();
      wl::ToolKind k;
      k.name = t.text("name");
      k.weight = t.number("weight");
      k.duration_s = parse_dist(t.value("duration"));
      k.cpu_bound = t.boolean("cpu_bound");
      t.finish();
      role.tools.push_back(k);
    }
    double sum = 0;
    for (const auto& k : role.tools) sum += k.weight;
    if (sum <= 0) tools->node().fail_value("tool weights with a positive sum");
  }
  if (auto v = w.value_if("harness_overhead")) role.harness_overhead_s = parse_dist(*v);

  if (auto m = w.section_if("memory")) {
    role.memory_load_probability = m->number("probability");
    role.memory_load_tokens = parse_dist(m->value("tokens"));
    role.memory_tier = storage_tier_of(m->choice("tier"));
    role.memory_as_kv = m->choice("as") == "kv";
    m->finish();
  }

  if (auto s = w.section_if("spawn")) {
    if (auto v = s->value_if("task_share")) role.spawn_task_share = v->number();
    if (auto v = s->value_if("turn")) role.spawn_turn = static_cast<int>(v->integer());
    if (auto v = s->value_if("extra_fan_out")) role.fan_out = parse_dist(*v);
    if (auto v = s->value_if("swarm_share")) role.swarm_share = v->number();
    if (auto v = s->value_if("swarm_fan_out")) role.swarm_fan_out = parse_dist(*v);
    if (auto dw = s->value_if("depth_weights")) {
      role.depth_weights.clear();
      for (const Value& x : dw->items()) role.depth_weights.push_back(x.number());
      if (std::accumulate(role.depth_weights.begin(), role.depth_weights.end(), 0.0) <= 0) {
        dw->node().fail_value("weights of max depth 1, 2, ... with a positive sum");
      }
    }
    if (auto v = s->value_if("sub_turns")) role.sub_turns = parse_dist(*v);
    if (auto v = s->value_if("sub_context")) role.sub_context = parse_dist(*v);
    if (auto v = s->value_if("summary_tokens")) role.summary_tokens = parse_dist(*v);
    if (auto v = s->value_if("shared_fraction")) role.sibling_shared_fraction = v->number();
    s->finish();
  }

  if (auto v = w.value_if("kv_policy")) role.kv_policy = kv_policy_of(v->choice());
  if (auto v = w.value_if("kv_ttl")) role.kv_ttl_s = v->quantity();
}

// How a role's tasks start must bound the run: a task count or the workload's duration.
void check_arrivals(const Reader& where, const wl::AgentRole& role, double duration_s, const std::string& what) {
  using A = wl::AgentRole::Arrival;
  // Keys of other arrival kinds would be accepted and ignored: refused where they are written.
  if (where.has("tasks") && (role.arrival == A::calls || role.arrival == A::always_on)) {
    where.at("tasks").fail("tasks bounds poisson or closed-loop arrivals; " + what +
                           (role.arrival == A::calls ? " only serves calls" : " is always-on (its episodes run until the duration)"));
  }
  if (where.has("always_on") && role.arrival != A::always_on) {
    where.at("always_on").fail("always_on applies to arrivals: {process: always-on}; " + what + " has other arrivals");
  }
  if (role.arrival == A::always_on && role.team.kind != wl::TeamMode::Kind::none &&
      role.team.merge == wl::TeamMode::Merge::vote) {
    where.at("team").fail("an always-on agent leads its team: give merge: lead (or no team)");
  }
  if (role.arrival == A::always_on) {
    if (role.always_on.agents < 1) where.fail(what + " is always-on but has no always_on: {agents: N, wake_interval: ...}");
    if (duration_s <= 0) where.fail(what + " has always-on agents, which run until the workload's duration: give workload.duration (e.g. 1 h)");
  }
  if ((role.arrival == A::poisson || role.arrival == A::closed_loop) && role.tasks <= 0 && duration_s <= 0) {
    where.fail(what + " starts tasks without end: give its tasks or the workload's duration");
  }
}

// Population names become metric keys (role.<name>.*) and token classes.
bool plain_name(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (const char c : s) {
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_' || c == '-'))
      return false;
  }
  return true;
}

// Returns each population's reader, in order.
std::vector<Reader> read_populations(const Reader& w, const Value& list, wl::AgentsWorkload& a,
                                     const hw::ClusterSpec& cluster, const Catalog& catalog) {
  const wl::AgentRole base = a.agent();
  a.roles.clear();
  a.populations = true;
  std::vector<std::string> names;
  std::vector<Reader> readers;
  for (const auto& [name, item] : list.entries()) {
    const Reader p = item.section();
    wl::AgentRole role = base;
    role.name = name;
    if (!plain_name(role.name)) {
      item.node().fail("population name '" + name + "' is not lowercase letters, digits, '_' or '-' (it names metrics "
                       "role.<name>.* and a token class)");
    }
    names.push_back(role.name);
    if (auto m = p.value_if("model")) {
      // A model of its own, on replicas of its own; its token efficiency is the population's default.
      wl::AgentsWorkload::OwnPool pool;
      pool.population = role.name;
      pool.model = m->is_map() ? parse_model(m->node()) : load_model(catalog, m->catalog_name(model_names(catalog)));
      if (auto in = p.section_if("instance")) {
        parse_agent_instance(*in, pool.instance, pool.model, cluster.gpu);
      }
      if (!p.has("replicas")) (void)p.at("replicas");  // "missing required key"
      pool.replicas = static_cast<int>(p.value("replicas").integer());
      if (const auto problem = wl::tensor_parallel_problem(pool.model, pool.instance.tp, cluster)) {
        (p.has("instance") ? p.value("instance").section().at("tp") : p.at("model")).fail(problem->message);
      }
      role.token_efficiency = model_efficiency(pool.model);
      a.own_pools.push_back(std::move(pool));
      role.pool = static_cast<int>(a.own_pools.size());
    } else {
      for (const char* key : {"instance", "replicas"}) {
        if (p.has(key)) p.at(key).fail(std::string(key) + " applies to a population with a model of its own (give model)");
      }
    }
    if (!p.has("arrivals")) (void)p.at("arrivals");  // "missing required key": a population says how its tasks start
    read_role(p, role);
    if (auto v = p.value_if("max_in_service")) role.max_in_service = static_cast<int>(v->integer());
    a.roles.push_back(std::move(role));
    readers.push_back(p);
  }
  // Calls name their callee: read once every population is known.
  for (std::size_t i = 0; i < readers.size(); ++i) {
    const Reader& p = readers[i];
    wl::AgentRole& role = a.roles[i];
    if (auto calls = p.value_if("calls")) {
      for (const Value& item : calls->items()) {
        const Reader c = item.section();
        wl::RoleCall call;
        const std::string to = c.value("to").node().as_enum(names);  // did-you-mean over the populations
        call.to = static_cast<int>(std::find(names.begin(), names.end(), to) - names.begin());
        if (call.to == static_cast<int>(i)) {
          c.at("to").fail_value("another population (an agent's own helpers are its spawn waves)");
        }
        call.probability = c.number("probability");
        if (auto v = c.value_if("request_tokens")) call.request_tokens = parse_dist(*v);
        c.finish();
        role.calls.push_back(call);
      }
    }
    check_arrivals(p, role, a.duration_s, "population " + role.name);
    p.finish();
  }
  const std::vector<int> cycle = wl::agents::find_call_cycle(a.roles);
  if (!cycle.empty()) {
    std::string path;
    for (const int r : cycle) path += (path.empty() ? "" : " -> ") + a.roles[static_cast<std::size_t>(r)].name;
    list.node().fail("populations call each other in a cycle (" + path + ")",
                     "a caller waits for its callee, so a cycle of calls can deadlock under service limits; break "
                     "it (a reply is the callee's summary, not a call back)");
  }
  bool any = false;
  for (std::size_t i = 0; i < a.roles.size(); ++i) {
    const wl::AgentRole& role = a.roles[i];
    any = any || role.has_arrivals();
    if (role.arrival != wl::AgentRole::Arrival::calls) continue;
    bool called = false;
    for (const wl::AgentRole& other : a.roles) {
      for (const wl::RoleCall& c : other.calls) called = called || (c.to == static_cast<int>(i) && c.probability > 0);
    }
    if (!called) readers[i].at("arrivals").fail("population " + role.name + " only serves calls, but no population calls it");
  }
  if (!any) w.at("populations").fail("no population starts tasks: give one arrivals of poisson, closed-loop or always-on");
  return readers;
}

}  // namespace

wl::AgentsWorkload parse_agents(const Reader& w, const hw::ClusterSpec& cluster,
                                const std::optional<wl::ModelSpec>& model, const Catalog& catalog) {
  if (!model) w.fail("an agents workload needs a top-level `model:` (a catalog name or an inline model)");
  wl::AgentsWorkload a;
  if (auto d = w.quantity_if("duration")) a.duration_s = *d;
  wl::AgentRole& base = a.agent();
  base.token_efficiency = model_efficiency(*model);
  read_role(w, base);
  if (auto in = w.section_if("instance")) {
    parse_agent_instance(*in, a.instance, *model, cluster.gpu);
  }
  a.instances = static_cast<int>(w.integer("replicas"));
  if (auto cpu = w.section_if("cpu")) {
    a.cpu_iteration_s = cpu->quantity("iteration");
    a.cpu_per_call_s = cpu->quantity("per_call");
    a.cpu_per_kernel_s = cpu->quantity("per_kernel");
    cpu->finish();
  }
  base.offload_tier = storage_tier_of(w.choice("offload_tier"));
  std::vector<Reader> role_readers;
  if (auto pops = w.value_if("populations")) {
    for (const char* key : {"arrivals", "tasks"}) {
      if (w.has(key)) w.at(key).fail(std::string("with populations, each population gives its own ") + key);
    }
    base.tasks = 0;  // a population without tasks starts them until the duration
    role_readers = read_populations(w, *pops, a, cluster, catalog);
  } else {
    if (!w.has("arrivals")) (void)w.at("arrivals");  // "missing required key"
    if (base.arrival == wl::AgentRole::Arrival::calls)
      w.value("arrivals").section().at("process").fail_value("poisson, closed-loop or always-on (calls needs populations)");
    if (!w.has("tasks") && a.duration_s <= 0) w.fail("give tasks (the tasks run in all) or duration");
    if (!w.has("tasks")) base.tasks = 0;
    check_arrivals(w, base, a.duration_s, "the workload");
  }

  // The replica must fit its GPUs and the cluster; its tp obeys the rules every workload's does.
  // The workload's own replicas are checked only when a role uses them (every population may bring its model).
  const bool pool0_used =
      std::any_of(a.roles.begin(), a.roles.end(), [](const wl::AgentRole& r) { return r.pool == 0; });
  const auto problem = pool0_used ? wl::tensor_parallel_problem(*model, a.instance.tp, cluster) : std::nullopt;
  if (problem) w.value("instance").section().at("tp").fail(problem->message);
  const std::int64_t g64 = std::int64_t{a.instance.tp} * a.instance.pp * a.instance.ep;
  if (pool0_used && g64 > cluster.total_gpus()) {
    (w.has("instance") ? w.at("instance") : w.node()).fail("a replica of " + std::to_string(g64) + " GPUs (tp x pp x ep); the cluster has " +
                             std::to_string(cluster.total_gpus()));
  }
  const int g = a.instance.gpus();
  if (pool0_used && g > cluster.total_gpus()) {
    (w.has("instance") ? w.at("instance") : w.node()).fail("a replica of " + std::to_string(g) + " GPUs (tp x pp x ep); the cluster has " +
                             std::to_string(cluster.total_gpus()));
  }
  // Populations with models of their own take their GPUs first; the workload's replicas take what they leave
  // (workloads/agents/pool_layout.hpp: each pool aligned to its replica's size).
  std::vector<wl::agents::OwnPoolSize> sizes;
  for (const auto& pool : a.own_pools) sizes.push_back({pool.replicas, pool.instance.gpus()});
  const auto placed = wl::agents::place_pools(cluster.total_gpus(), g, a.instances, pool0_used, sizes);
  const auto reader_of_pool = [&](std::size_t k) -> const Reader& {
    const auto it = std::find_if(a.roles.begin(), a.roles.end(),
                                 [&](const wl::AgentRole& r) { return r.pool == static_cast<int>(k); });
    return role_readers[static_cast<std::size_t>(it - a.roles.begin())];
  };
  int end = 0, own_gpus = 0;
  for (const auto& p : placed) end = std::max(end, p.end_gpu());
  for (const auto& size : sizes) own_gpus += size.replicas * size.gpus_per_replica;
  const std::string layout = " (pools laid out largest replica first, each from a multiple of its replica's GPUs)";
  if (end > cluster.total_gpus()) {
    if (pool0_used && a.instances > 0) {
      w.at("replicas").fail_value("replicas of " + std::to_string(g) + " GPUs that fit beside the populations' own "
                                  "models: these need GPUs up to " + std::to_string(end) + " of the cluster's " +
                                  std::to_string(cluster.total_gpus()) + layout);
    }
    reader_of_pool(placed.size() - 1).at("replicas").fail_value(
        "replicas whose GPUs, with the other populations' own models, fit the cluster's " +
        std::to_string(cluster.total_gpus()) + " (they need GPUs up to " + std::to_string(end) + layout + ")");
  }
  if (!pool0_used) {
    for (const char* key : {"instance", "replicas"}) {
      if (w.has(key)) {
        w.at(key).fail(std::string(key) + " sets the workload's model replicas, but every population has a model of its own");
      }
    }
  } else if (placed[0].replicas < 1) {
    (w.has("instance") ? w.at("instance") : w.node())
        .fail("a replica of the workload's model needs " + std::to_string(g) + " GPUs; the populations' own models " +
              "leave " + std::to_string(std::max(0, cluster.total_gpus() - own_gpus)) + " of the cluster's " +
              std::to_string(cluster.total_gpus()) + layout);
  }
  // One replica of each pool, to know its KV capacity (pool 0: the workload's model).
  std::vector<std::unique_ptr<wl::serving::InstanceModel>> probes;
  const wl::serving::ServingWorkload sw;
  const auto probe_of = [&](const wl::ModelSpec& m, const wl::serving::PoolSpec& in) {
    std::vector<int> gpus(static_cast<std::size_t>(in.gpus()));
    std::iota(gpus.begin(), gpus.end(), 0);
    return std::make_unique<wl::serving::InstanceModel>(m, in, cluster, nullptr, gpus, sw);
  };
  try {
    probes.push_back(pool0_used ? probe_of(*model, a.instance) : nullptr);  // the index stays the pool's
  } catch (const std::invalid_argument& e) {
    (w.has("instance") ? w.at("instance") : w.node()).fail(e.what());
  }
  for (std::size_t k = 0; k < a.own_pools.size(); ++k) {
    try {
      probes.push_back(probe_of(a.own_pools[k].model, a.own_pools[k].instance));
    } catch (const std::invalid_argument& e) {
      const Reader& r = reader_of_pool(k + 1);
      (r.has("instance") ? r.at("instance") : r.at("model")).fail(e.what());
    }
  }
  for (std::size_t i = 0; i < a.roles.size(); ++i) {
    const wl::AgentRole& role = a.roles[i];
    const Reader& r = a.populations ? role_readers[i] : w;
    const wl::serving::InstanceModel& probe = *probes[static_cast<std::size_t>(role.pool)];
    const wl::ModelSpec& served = role.pool == 0 ? *model : a.own_pools[static_cast<std::size_t>(role.pool - 1)].model;
    // A key given at the workload's level and inherited by a population is blamed where it was written.
    const auto blame = [&]() -> ConfigNode {
      if (r.has("context_window")) return r.at("context_window");
      if (w.has("context_window")) return w.at("context_window");
      return r.node();
    };
    const std::string who = a.populations ? "population " + role.name + ": " : "";
    // A context grows to compaction_trigger x context_window before it is compacted: that much must fit one
    // replica's KV cache, or the run would stop at the first call that outgrows it.
    const std::int64_t window = role.context_window > 0 ? role.context_window : served.max_context;
    // A window must hold a task's opening context and one answer, or every call would compact.
    const double opening = role.initial_context.expected() + role.output_tokens.expected() * role.token_efficiency.expected();
    const std::string defaulted =
        role.context_window > 0 ? "" : " (context_window is not given: it defaults to the model's max_context)";
    if (window > served.max_context) {
      blame().fail(who + "context_window = " + std::to_string(window) + " is beyond the model's max_context (" +
                   served.name + ": " + std::to_string(served.max_context) + " tokens)");
    }
    if (static_cast<double>(window) < opening) {
      blame().fail(who + "context_window = " + std::to_string(window) + " is below initial_context + " +
                   "output_tokens on average (" + std::to_string(static_cast<std::int64_t>(std::ceil(opening))) +
                   " tokens)" + defaulted);
    }
    const auto largest = static_cast<std::int64_t>(role.compaction_trigger * static_cast<double>(window));
    if (role.team.kind == wl::TeamMode::Kind::debate) {
      // A debater's round reads the others' answers: one round's worth must fit what compaction keeps a context to.
      const double round = role.sub_context.expected() +
                           (role.team.agents - 1) * role.output_tokens.expected() * role.token_efficiency.expected();
      if (round > static_cast<double>(largest)) {
        const ConfigNode where = r.has("team") ? r.value("team").section().at("agents") : w.value("team").section().at("agents");
        where.fail(who + "a debate round brings a debater its brief and " + std::to_string(role.team.agents - 1) +
                       " answers, about " + std::to_string(static_cast<std::int64_t>(round)) +
                       " tokens, beyond compaction.trigger x context_window = " + std::to_string(largest),
                   "fewer debaters, shorter answers (output_tokens), or a longer context_window");
      }
    }
    if (largest > probe.kv_capacity_tokens()) {
      blame().fail(who + "contexts grow to compaction_trigger x context_window = " + std::to_string(largest) +
                       " tokens before compaction, but a replica's KV cache holds " +
                       std::to_string(probe.kv_capacity_tokens()) + defaulted,
                   "lower context_window (it defaults to the model's max_context), raise tp, or use a smaller "
                   "kv_precision");
    }
  }
  w.finish();
  return a;
}

}  // namespace dcsim::app
