#include "app/agents_scenario.hpp"

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include "app/limits.hpp"
#include "app/serving_scenario.hpp"
#include "workloads/serving/instance_model.hpp"
#include "workloads/tensor_parallel.hpp"

namespace dcsim::app {
namespace {

const Choices kTiers = {"cpu-memory", "local-nvme", "network-flash"};

hw::StorageTier tier_of(const std::string& s) {
  if (s == "local-nvme") return hw::StorageTier::local_nvme;
  if (s == "network-flash") return hw::StorageTier::network_flash;
  return hw::StorageTier::cpu_memory;
}

// Upper bounds of distribution values, so that no sample overflows the integer it becomes or the time horizon:
// counts (turns, tools, fan-out) to 100,000, token counts to 100 million, times to 30 days. Samples are clamped to
// the bound too (a lognormal's tail otherwise has no end).
constexpr double kMaxCount = 100'000;
constexpr double kMaxTokens = 100'000'000;
constexpr double kMaxTime = kMaxScenarioTime;

// How a distribution's values are read: durations with units ("0.3 s"), or plain numbers (fractions), or whole
// counts of at least `min` (turns, tools, tokens), all at most `max`.
struct DistBounds {
  bool time = false;
  bool whole = false;  // a fixed value or a bound must be a whole number
  double min = 0;
  double max = kMaxTokens;
};
constexpr DistBounds kTime{true, false, 0, kMaxTime};
constexpr DistBounds kFraction{false, false, 0, 1};
constexpr DistBounds kTokens{false, true, 0, kMaxTokens};
constexpr DistBounds kAtLeastOneToken{false, true, 1, kMaxTokens};
constexpr DistBounds kCount{false, true, 0, kMaxCount};
constexpr DistBounds kAtLeastOne{false, true, 1, kMaxCount};

// A distribution: a plain value (fixed), or {dist: fixed|uniform|lognormal|poisson, ...}.
wl::AgentDist parse_dist(const ConfigNode& n, const DistBounds& b, wl::AgentDist fallback) {
  const bool time = b.time;
  const double max = b.max;
  const auto read = [&](const ConfigNode& v) {
    if (time) return v.as_quantity(Dimension::time, b.min, max);
    return b.whole ? static_cast<double>(v.as_int(static_cast<std::int64_t>(b.min), static_cast<std::int64_t>(max)))
                   : v.as_number(b.min, max);
  };
  const auto value = [&](const ConfigNode& p, std::string_view key) { return read(p.child(key)); };
  // A lognormal's median and a cap need not be whole: they shape samples that are rounded when drawn.
  const auto number = [&](const ConfigNode& p, std::string_view key) {
    return time ? p.get_quantity(key, Dimension::time, b.min, max) : p.get_number(key, b.min, max);
  };
  wl::AgentDist d = fallback;
  if (n.is_scalar()) {
    d = wl::AgentDist::fixed_at(read(n));
  } else {
    const std::string kind = n.get_enum("dist", {"fixed", "uniform", "lognormal", "poisson"});
    if (kind == "fixed") {
      d = wl::AgentDist::fixed_at(value(n, "value"));
    } else if (kind == "uniform") {
      d = wl::AgentDist::uniform_in(value(n, "low"), value(n, "high"));
      if (d.hi < d.lo) n.child("high").fail_value("at least low");
    } else if (kind == "lognormal") {
      d = wl::AgentDist::lognormal(number(n, "median"), n.get_number("sigma", 0, 10));
    } else {
      d = wl::AgentDist::poisson_mean(n.get_number("mean", 0, std::min(max, 1e6)));
    }
    if (n.has("cap")) d.cap = number(n, "cap");
    n.finish();
  }
  if (d.cap <= 0 || d.cap > max) d.cap = max;
  return d;
}

wl::AgentDist dist_or(const ConfigNode& parent, std::string_view key, const DistBounds& b,
                      const wl::AgentDist& fallback) {
  const auto c = parent.optional_child(key);
  return c ? parse_dist(*c, b, fallback) : fallback;
}

wl::serving::PoolSpec parse_instance(const ConfigNode& n, const hw::ClusterSpec& cluster, const wl::ModelSpec& model) {
  wl::serving::PoolSpec p;
  p.tp = static_cast<int>(n.get_int_or("tp", 1, 1, 1024));
  p.pp = static_cast<int>(n.get_int_or("pp", 1, 1, 1024));
  p.ep = static_cast<int>(n.get_int_or("ep", 1, 1, 100'000));
  parse_expert_layout(n, p, model);
  const std::string prec = n.get_enum_or("precision", kPrecisions, "bf16");
  p.precision = precision_of(prec);
  p.compute = precision_of(n.get_enum_or("compute_precision", kPrecisions, prec));
  p.kv_bytes_per_element = element_bytes(n.get_enum_or("kv_precision", kPrecisions, prec == "fp4" ? "fp8" : prec));
  p.max_batch = static_cast<int>(n.get_int_or("max_batch", p.max_batch, 1, 1'000'000));
  p.token_budget = n.get_int_or("token_budget", p.token_budget, 1, 10'000'000);
  p.block_size = static_cast<int>(n.get_int_or("block_size", p.block_size, 1, 4096));
  parse_memory_policy(n, p);
  if (cluster.gpu.flops.at(p.compute) <= 0) {
    n.child(n.has("compute_precision") ? "compute_precision" : "precision")
        .fail_value(std::string("a precision ") + cluster.gpu.name + " supports");
  }
  n.finish();
  return p;
}

}  // namespace

wl::AgentsWorkload parse_agents(const ConfigNode& w, const hw::ClusterSpec& cluster,
                                const std::optional<wl::ModelSpec>& model) {
  if (!model) w.fail("an agents workload needs a top-level `model:` (a catalog name or an inline model)");
  wl::AgentsWorkload a;
  const ConfigNode arr = w.child("arrivals");
  if (arr.get_enum("process", {"poisson", "closed-loop"}) == "poisson") {
    a.arrival = wl::AgentsWorkload::Arrival::poisson;
    a.rate = arr.get_number("rate", 1e-9, 1e9);
  } else {
    a.arrival = wl::AgentsWorkload::Arrival::closed_loop;
    a.concurrency = static_cast<int>(arr.get_int("concurrency", 1, 10'000'000));
  }
  arr.finish();
  a.tasks = w.get_int("tasks", 1, 100'000'000);
  if (auto in = w.optional_child("instance")) a.instance = parse_instance(*in, cluster, *model);
  a.instances = static_cast<int>(w.get_int_or("replicas", 0, 0, 10'000'000));
  if (auto cpu = w.optional_child("cpu")) {
    a.cpu_iteration_s = cpu->get_quantity_or("iteration", Dimension::time, a.cpu_iteration_s, 0, kMaxCpuStepTime);
    a.cpu_per_call_s = cpu->get_quantity_or("per_call", Dimension::time, a.cpu_per_call_s, 0, kMaxCpuStepTime);
    cpu->finish();
  }

  a.root_turns = dist_or(w, "turns", kAtLeastOne, a.root_turns);
  a.output_tokens = dist_or(w, "output_tokens", kAtLeastOneToken, a.output_tokens);
  a.initial_context = dist_or(w, "initial_context", kAtLeastOneToken, a.initial_context);
  a.context_growth = dist_or(w, "context_growth", kTokens, a.context_growth);
  a.context_window = w.get_int_or("context_window", 0, 0, 100'000'000);
  if (auto c = w.optional_child("compaction")) {
    a.compaction_trigger = c->get_number_or("trigger", a.compaction_trigger, 0.01, 1);
    a.compaction_keep = dist_or(*c, "keep", kFraction, a.compaction_keep);
    c->finish();
  }

  a.tools_per_turn = dist_or(w, "tools_per_turn", kCount, a.tools_per_turn);
  if (auto tools = w.optional_child("tools")) {
    a.tools.clear();
    for (const ConfigNode& t : tools->items()) {
      wl::ToolKind k;
      k.name = t.get_string("name");
      k.weight = t.get_number_or("weight", 1, 0);
      k.duration_s = parse_dist(t.child("duration"), kTime, {});
      k.cpu_bound = t.get_bool_or("cpu_bound", true);
      t.finish();
      a.tools.push_back(k);
    }
    if (a.tools.empty()) tools->fail_value("at least one tool kind");
    double sum = 0;
    for (const auto& k : a.tools) sum += k.weight;
    if (sum <= 0) tools->fail_value("tool weights with a positive sum");
  }
  a.harness_overhead_s = dist_or(w, "harness_overhead", kTime, a.harness_overhead_s);

  if (auto m = w.optional_child("memory")) {
    a.memory_load_probability = m->get_number("probability", 0, 1);
    a.memory_load_tokens = parse_dist(m->child("tokens"), kTokens, {});
    a.memory_tier = tier_of(m->get_enum_or("tier", kTiers, "cpu-memory"));
    a.memory_as_kv = m->get_enum_or("as", {"kv", "context"}, "kv") == "kv";
    m->finish();
  }

  if (auto s = w.optional_child("spawn")) {
    a.spawn_task_share = s->get_number_or("task_share", a.spawn_task_share, 0, 1);
    a.spawn_turn = static_cast<int>(s->get_int_or("turn", a.spawn_turn, 1, 1'000'000));
    a.fan_out = dist_or(*s, "extra_fan_out", kCount, a.fan_out);
    a.swarm_share = s->get_number_or("swarm_share", a.swarm_share, 0, 1);
    a.swarm_fan_out = dist_or(*s, "swarm_fan_out", kCount, a.swarm_fan_out);
    if (auto dw = s->optional_child("depth_weights")) {
      a.depth_weights.clear();
      for (const ConfigNode& x : dw->items()) a.depth_weights.push_back(x.as_number(0, 1e9));
      if (a.depth_weights.empty() || std::accumulate(a.depth_weights.begin(), a.depth_weights.end(), 0.0) <= 0) {
        dw->fail_value("weights of max depth 1, 2, ... with a positive sum");
      }
    }
    a.sub_turns = dist_or(*s, "sub_turns", kAtLeastOne, a.sub_turns);
    a.sub_context = dist_or(*s, "sub_context", kAtLeastOneToken, a.sub_context);
    a.summary_tokens = dist_or(*s, "summary_tokens", kTokens, a.summary_tokens);
    a.sibling_shared_fraction = s->get_number_or("shared_fraction", 0, 0, 1);
    s->finish();
  }

  const std::string policy = w.get_enum_or("kv_policy", {"drop", "hold", "ttl", "offload"}, "hold");
  a.kv_policy = policy == "drop"      ? wl::KvPolicy::drop
                : policy == "ttl"     ? wl::KvPolicy::ttl
                : policy == "offload" ? wl::KvPolicy::offload
                                      : wl::KvPolicy::hold;
  a.kv_ttl_s = w.get_quantity_or("kv_ttl", Dimension::time, a.kv_ttl_s, 0, kMaxScenarioTime);
  a.offload_tier = tier_of(w.get_enum_or("offload_tier", kTiers, "cpu-memory"));

  // The replica must fit its GPUs and the cluster; its tp obeys the rules every workload's does.
  if (const auto problem = wl::tensor_parallel_problem(*model, a.instance.tp, cluster))
    w.child("instance").child("tp").fail(problem->message);
  const std::int64_t g64 = std::int64_t{a.instance.tp} * a.instance.pp * a.instance.ep;
  if (g64 > cluster.total_gpus()) {
    w.child("instance").fail("a replica of " + std::to_string(g64) + " GPUs (tp x pp x ep); the cluster has " +
                             std::to_string(cluster.total_gpus()));
  }
  const int g = a.instance.gpus();
  if (g > cluster.total_gpus()) {
    w.child("instance").fail("a replica of " + std::to_string(g) + " GPUs (tp x pp x ep); the cluster has " +
                             std::to_string(cluster.total_gpus()));
  }
  if (std::int64_t{a.instances} * g > cluster.total_gpus()) {
    w.child("replicas").fail_value("at most " + std::to_string(cluster.total_gpus() / g) + " replicas of " +
                                   std::to_string(g) + " GPUs");
  }
  std::vector<int> gpus(static_cast<std::size_t>(g));
  std::iota(gpus.begin(), gpus.end(), 0);
  try {
    wl::serving::ServingWorkload sw;
    wl::serving::InstanceModel probe(*model, a.instance, cluster, nullptr, gpus, sw);
    // A context grows to compaction_trigger x context_window before it is compacted: that much must fit one
    // replica's KV cache, or the run would stop at the first call that outgrows it.
    const std::int64_t window = a.context_window > 0 ? a.context_window : model->max_context;
    // A window must hold a task's opening context and one answer, or every call would compact.
    const double opening = a.initial_context.expected() + a.output_tokens.expected();
    const std::string defaulted =
        a.context_window > 0 ? "" : " (context_window is not given: it defaults to the model's max_context)";
    if (static_cast<double>(window) < opening) {
      (w.has("context_window") ? w.child("context_window") : w)
          .fail("context_window = " + std::to_string(window) + " is below initial_context + output_tokens on " +
                "average (" + std::to_string(static_cast<std::int64_t>(std::ceil(opening))) + " tokens)" + defaulted);
    }
    const auto largest = static_cast<std::int64_t>(a.compaction_trigger * static_cast<double>(window));
    if (largest > probe.kv_capacity_tokens()) {
      (w.has("context_window") ? w.child("context_window") : w)
          .fail("contexts grow to compaction_trigger x context_window = " + std::to_string(largest) +
                    " tokens before compaction, but a replica's KV cache holds " +
                    std::to_string(probe.kv_capacity_tokens()) + defaulted,
                "lower context_window (it defaults to the model's max_context), raise tp, or use a smaller "
                "kv_precision");
    }
  } catch (const std::invalid_argument& e) {
    (w.has("instance") ? w.child("instance") : w).fail(e.what());
  }
  w.finish();
  return a;
}

}  // namespace dcsim::app
