#include "app/agents_scenario.hpp"

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include "app/serving_scenario.hpp"
#include "workloads/serving/instance_model.hpp"
#include "workloads/tensor_parallel.hpp"

namespace dcsim::app {
namespace {

using schema::Reader;
using schema::Value;

hw::StorageTier tier_of(const std::string& s) {
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

wl::AgentDist dist_or(const Reader& parent, std::string_view key, const wl::AgentDist& fallback) {
  const auto v = parent.value_if(key);
  return v ? parse_dist(*v) : fallback;
}

}  // namespace

wl::AgentsWorkload parse_agents(const Reader& w, const hw::ClusterSpec& cluster,
                                const std::optional<wl::ModelSpec>& model) {
  if (!model) w.fail("an agents workload needs a top-level `model:` (a catalog name or an inline model)");
  wl::AgentsWorkload a;
  const Reader arr = w.section("arrivals");
  if (arr.choice("process") == "poisson") {
    a.arrival = wl::AgentsWorkload::Arrival::poisson;
    a.rate = arr.number("rate");
  } else {
    a.arrival = wl::AgentsWorkload::Arrival::closed_loop;
    a.concurrency = static_cast<int>(arr.integer("concurrency"));
  }
  arr.finish();
  a.tasks = w.integer("tasks");
  if (auto in = w.section_if("instance")) {
    parse_engine_instance(*in, a.instance, *model);
    check_instance_precision(*in, a.instance, cluster.gpu);
    in->finish();
  }
  a.instances = static_cast<int>(w.integer("replicas"));
  if (auto cpu = w.section_if("cpu")) {
    a.cpu_iteration_s = cpu->quantity("iteration");
    a.cpu_per_call_s = cpu->quantity("per_call");
    a.cpu_per_kernel_s = cpu->quantity("per_kernel");
    cpu->finish();
  }

  a.root_turns = dist_or(w, "turns", a.root_turns);
  a.output_tokens = dist_or(w, "output_tokens", a.output_tokens);
  a.initial_context = dist_or(w, "initial_context", a.initial_context);
  a.context_growth = dist_or(w, "context_growth", a.context_growth);
  a.context_window = w.integer_if("context_window").value_or(0);
  if (auto c = w.section_if("compaction")) {
    a.compaction_trigger = c->number("trigger");
    a.compaction_keep = dist_or(*c, "keep", a.compaction_keep);
    c->finish();
  }

  a.tools_per_turn = dist_or(w, "tools_per_turn", a.tools_per_turn);
  if (auto tools = w.value_if("tools")) {
    a.tools.clear();
    for (const Value& item : tools->items()) {
      const Reader t = item.section();
      wl::ToolKind k;
      k.name = t.text("name");
      k.weight = t.number("weight");
      k.duration_s = parse_dist(t.value("duration"));
      k.cpu_bound = t.boolean("cpu_bound");
      t.finish();
      a.tools.push_back(k);
    }
    double sum = 0;
    for (const auto& k : a.tools) sum += k.weight;
    if (sum <= 0) tools->node().fail_value("tool weights with a positive sum");
  }
  a.harness_overhead_s = dist_or(w, "harness_overhead", a.harness_overhead_s);

  if (auto m = w.section_if("memory")) {
    a.memory_load_probability = m->number("probability");
    a.memory_load_tokens = parse_dist(m->value("tokens"));
    a.memory_tier = tier_of(m->choice("tier"));
    a.memory_as_kv = m->choice("as") == "kv";
    m->finish();
  }

  if (auto s = w.section_if("spawn")) {
    a.spawn_task_share = s->number("task_share");
    a.spawn_turn = static_cast<int>(s->integer("turn"));
    a.fan_out = dist_or(*s, "extra_fan_out", a.fan_out);
    a.swarm_share = s->number("swarm_share");
    a.swarm_fan_out = dist_or(*s, "swarm_fan_out", a.swarm_fan_out);
    if (auto dw = s->value_if("depth_weights")) {
      a.depth_weights.clear();
      for (const Value& x : dw->items()) a.depth_weights.push_back(x.number());
      if (std::accumulate(a.depth_weights.begin(), a.depth_weights.end(), 0.0) <= 0) {
        dw->node().fail_value("weights of max depth 1, 2, ... with a positive sum");
      }
    }
    a.sub_turns = dist_or(*s, "sub_turns", a.sub_turns);
    a.sub_context = dist_or(*s, "sub_context", a.sub_context);
    a.summary_tokens = dist_or(*s, "summary_tokens", a.summary_tokens);
    a.sibling_shared_fraction = s->number("shared_fraction");
    s->finish();
  }

  const std::string policy = w.choice("kv_policy");
  a.kv_policy = policy == "drop"      ? wl::KvPolicy::drop
                : policy == "ttl"     ? wl::KvPolicy::ttl
                : policy == "offload" ? wl::KvPolicy::offload
                                      : wl::KvPolicy::hold;
  a.kv_ttl_s = w.quantity("kv_ttl");
  a.offload_tier = tier_of(w.choice("offload_tier"));

  // The replica must fit its GPUs and the cluster; its tp obeys the rules every workload's does.
  if (const auto problem = wl::tensor_parallel_problem(*model, a.instance.tp, cluster))
    w.value("instance").section().at("tp").fail(problem->message);
  const std::int64_t g64 = std::int64_t{a.instance.tp} * a.instance.pp * a.instance.ep;
  if (g64 > cluster.total_gpus()) {
    (w.has("instance") ? w.at("instance") : w.node()).fail("a replica of " + std::to_string(g64) + " GPUs (tp x pp x ep); the cluster has " +
                             std::to_string(cluster.total_gpus()));
  }
  const int g = a.instance.gpus();
  if (g > cluster.total_gpus()) {
    (w.has("instance") ? w.at("instance") : w.node()).fail("a replica of " + std::to_string(g) + " GPUs (tp x pp x ep); the cluster has " +
                             std::to_string(cluster.total_gpus()));
  }
  if (std::int64_t{a.instances} * g > cluster.total_gpus()) {
    w.at("replicas").fail_value("at most " + std::to_string(cluster.total_gpus() / g) + " replicas of " +
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
      (w.has("context_window") ? w.at("context_window") : w.node())
          .fail("context_window = " + std::to_string(window) + " is below initial_context + output_tokens on " +
                "average (" + std::to_string(static_cast<std::int64_t>(std::ceil(opening))) + " tokens)" + defaulted);
    }
    const auto largest = static_cast<std::int64_t>(a.compaction_trigger * static_cast<double>(window));
    if (largest > probe.kv_capacity_tokens()) {
      (w.has("context_window") ? w.at("context_window") : w.node())
          .fail("contexts grow to compaction_trigger x context_window = " + std::to_string(largest) +
                    " tokens before compaction, but a replica's KV cache holds " +
                    std::to_string(probe.kv_capacity_tokens()) + defaulted,
                "lower context_window (it defaults to the model's max_context), raise tp, or use a smaller "
                "kv_precision");
    }
  } catch (const std::invalid_argument& e) {
    (w.has("instance") ? w.at("instance") : w.node()).fail(e.what());
  }
  w.finish();
  return a;
}

}  // namespace dcsim::app
