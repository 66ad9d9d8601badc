// workload (kind: agents): tasks whose agents call an LLM, tools and sub-agents (docs/agents.md). Defaults are the
// workload's own (wl::AgentsWorkload), shown as the distributions they are.
#include <cstdio>
#include <map>
#include <mutex>

#include "app/limits.hpp"
#include <limits>

#include "app/schema/scenario_keys.hpp"
#include "workloads/agents/agents_workload.hpp"

namespace dcsim::app::schema {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// How a distribution's values are read, so that no sample overflows the integer it becomes or the time horizon:
// durations with units ("0.3 s"), fractions, or whole counts of at least `min`; all at most `max`. Samples are
// clamped to the bound too (a lognormal's tail otherwise has no end).
struct DistBounds {
  const char* name;  // the section's name suffix in the reference
  bool time = false;
  bool whole = false;
  double min = 0;
  double max = 0;
};
constexpr double kMaxCount = 100'000;
constexpr double kMaxTokens = 100'000'000;
constexpr DistBounds kTime{"time", true, false, 0, kMaxScenarioTime};
constexpr DistBounds kFraction{"fraction", false, false, 0, 1};
constexpr DistBounds kTokens{"tokens", false, true, 0, kMaxTokens};
constexpr DistBounds kAtLeastOneToken{"tokens, at least 1", false, true, 1, kMaxTokens};
constexpr DistBounds kCount{"count", false, true, 0, kMaxCount};
constexpr DistBounds kAtLeastOne{"count, at least 1", false, true, 1, kMaxCount};

// A fixed value, a bound, a sample: a time, a whole number or a fraction.
Type sample_type(const DistBounds& b) {
  if (b.time) return quantity_type(Dimension::time, b.min, b.max);
  if (b.whole) return integer_type(static_cast<std::int64_t>(b.min), static_cast<std::int64_t>(b.max));
  return number_type(b.min, b.max);
}
// A lognormal's median and a cap need not be whole: they shape samples that are rounded when drawn.
Type shape_type(const DistBounds& b) {
  if (b.time) return quantity_type(Dimension::time, b.min, b.max);
  return number_type(b.min, b.max);
}

// One section per kind of bounds, shared by every key with those bounds (built under a lock: the blocks that use
// them are first built by whichever thread reads a scenario first).
SectionPtr dist_keys(const DistBounds& b) {
  static std::mutex lock;
  static std::map<std::string, SectionPtr> made;
  const std::lock_guard<std::mutex> hold(lock);
  SectionPtr& s = made[b.name];
  if (s) return s;
  s = make_section(
      std::string("agents distribution (") + b.name + ")",
      "A plain value (fixed), or {dist: fixed|uniform|lognormal|poisson, ...}; samples are clamped to the bound.",
      {choice("dist", {"fixed", "uniform", "lognormal", "poisson"}).describe("the distribution"),
       key("value", sample_type(b)).describe("the fixed value").when_("dist: fixed"),
       key("low", sample_type(b)).describe("uniform's lower end").when_("dist: uniform"),
       key("high", sample_type(b)).describe("uniform's upper end").rule_("at least low").when_("dist: uniform"),
       key("median", shape_type(b)).describe("lognormal's median").when_("dist: lognormal"),
       number("sigma", 0, 10).describe("lognormal's sigma (of the log)").when_("dist: lognormal"),
       number("mean", 0, std::min(b.max, 1e6)).describe("Poisson's mean").when_("dist: poisson"),
       key("cap", shape_type(b)).optional("the bound").describe("samples above are clamped to it")});
  return s;
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string describe_dist(const wl::AgentDist& d, const DistBounds& b) {
  const auto v = [&](double x) { return b.time ? format_quantity(x, Dimension::time) : num(x); };
  std::string s;
  switch (d.kind) {
    case wl::AgentDist::Kind::fixed: s = v(d.value); break;
    case wl::AgentDist::Kind::uniform: s = "uniform " + v(d.lo) + " to " + v(d.hi); break;
    case wl::AgentDist::Kind::lognormal: s = "lognormal, median " + v(d.median) + ", sigma " + num(d.sigma); break;
    case wl::AgentDist::Kind::poisson: s = "Poisson, mean " + num(d.mean); break;
  }
  if (d.cap > 0) s += ", capped at " + v(d.cap);
  return s;
}

std::string list_text(const std::vector<double>& values) {
  std::string s;
  for (const double v : values) s += (s.empty() ? "" : ", ") + num(v);
  return s;
}

std::string tools_text(const std::vector<wl::ToolKind>& tools) {
  std::string s;
  for (const wl::ToolKind& t : tools) {
    s += (s.empty() ? "" : "; ") + t.name + " (weight " + num(t.weight) + "): " + describe_dist(t.duration_s, kTime) +
         (t.cpu_bound ? ", CPU-bound" : ", waiting");
  }
  return s;
}

// A distribution key: a plain value (fixed) or a distribution mapping.
Key dist(std::string name, const DistBounds& b) {
  return key(std::move(name), sample_type(b)).or_form(section_type(dist_keys(b)));
}
Key dist(std::string name, const DistBounds& b, const wl::AgentDist& fallback) {
  return dist(std::move(name), b).or_default_described(describe_dist(fallback, b));
}

SectionPtr agent_arrival_keys() {
  static const SectionPtr s = make_section(
      "workload (kind: agents).arrivals", "How tasks arrive.",
      {choice("process", {"poisson", "closed-loop"}).describe("poisson: tasks at a rate; closed-loop: a fixed number in flight"),
       number("rate", 1e-9, 1e9).describe("tasks per second").when_("process: poisson"),
       integer("concurrency", 1, 10'000'000).describe("tasks in flight").when_("process: closed-loop")});
  return s;
}

SectionPtr agent_instance_keys() {
  static const SectionPtr s =
      make_section("workload (kind: agents).instance", "One model replica (the serving pool's keys).",
                   engine_instance_keys());
  return s;
}

SectionPtr agent_cpu_keys() {
  static const SectionPtr s = [] {
    const wl::AgentsWorkload d;
    return make_section(
        "workload (kind: agents).cpu", "The serving engine's CPU work.",
        {quantity("iteration", Dimension::time, 0, kMaxCpuStepTime)
             .or_default(d.cpu_iteration_s)
             .describe("CPU time per engine step (serving's default)"),
         quantity("per_call", Dimension::time, 0, kMaxCpuStepTime)
             .or_default(d.cpu_per_call_s)
             .describe("API-server CPU time per LLM call (vLLM 0.6 profile)"),
         quantity("per_kernel", Dimension::time, 0, kMaxCpuStepTime)
             .or_default(d.cpu_per_kernel_s)
             .describe("CPU time per kernel an eager step launches (serving's default)")});
  }();
  return s;
}

SectionPtr compaction_keys() {
  static const SectionPtr s = [] {
    const wl::AgentsWorkload d;
    return make_section(
        "workload (kind: agents).compaction", "Context compaction when a context nears the window.",
        {number("trigger", 0.01, 1).or_default(d.compaction_trigger).describe("compact when context > trigger x window"),
         dist("keep", kFraction, d.compaction_keep).describe("the share of the window a compacted context keeps")});
  }();
  return s;
}

SectionPtr tool_keys() {
  static const SectionPtr s = make_section(
      "workload (kind: agents).tools[]", "A kind of tool call.",
      {text("name").describe("the tool's name"),
       number("weight", 0, kInf).or_default(1.0).describe("relative frequency among the tools")
           .rule_("the weights have a positive sum"),
       dist("duration", kTime).describe("service time at the reference core (single_thread_speed 1)"),
       boolean("cpu_bound").or_default(true).describe("holds a CPU core and scales with its speed (else waits)")});
  return s;
}

SectionPtr memory_keys() {
  static const SectionPtr s = make_section(
      "workload (kind: agents).memory", "Long-term memory loaded from storage on some turns.",
      {number("probability", 0, 1).describe("per turn"),
       dist("tokens", kTokens).describe("tokens loaded"),
       choice("tier", {"cpu-memory", "local-nvme", "network-flash"}).or_default("cpu-memory")
           .describe("where the memory is read from"),
       choice("as", {"kv", "context"}).or_default("kv")
           .describe("kv: loaded as KV (no prefill); context: as text, prefilled at the next call")});
  return s;
}

SectionPtr spawn_keys() {
  static const SectionPtr s = [] {
    const wl::AgentsWorkload d;
    return make_section(
        "workload (kind: agents).spawn", "Sub-agents: waves, swarms and depth.",
        {number("task_share", 0, 1).or_default(d.spawn_task_share).describe("share of tasks whose root spawns sub-agents"),
         integer("turn", 1, 1'000'000).or_default(d.spawn_turn).describe("the turn after whose LLM call an agent spawns"),
         dist("extra_fan_out", kCount, d.fan_out).describe("sub-agents per wave beyond the first"),
         number("swarm_share", 0, 1).or_default(d.swarm_share).describe("share of tasks whose root spawns a swarm"),
         dist("swarm_fan_out", kCount, d.swarm_fan_out).describe("sub-agents of a swarm"),
         key("depth_weights", list_type(number_type(0, 1e9), 1))
             .or_default_described(list_text(d.depth_weights))
             .describe("weights of max depth 1, 2, ...")
             .rule_("a positive sum"),
         dist("sub_turns", kAtLeastOne, d.sub_turns).describe("LLM calls of a sub-agent"),
         dist("sub_context", kAtLeastOneToken, d.sub_context).describe("a sub-agent's opening context"),
         dist("summary_tokens", kTokens, d.summary_tokens).describe("the summary a sub-agent returns"),
         number("shared_fraction", 0, 1)
             .or_default(d.sibling_shared_fraction)
             .describe("share of a sub-agent's opening context identical across its siblings")});
  }();
  return s;
}

}  // namespace

SectionPtr agents_keys() {
  static const SectionPtr s = [] {
    const wl::AgentsWorkload d;
    return make_section(
        "workload (kind: agents)", "Agent tasks on model replicas, tools and storage (docs/agents.md).",
        {choice("kind", workload_kinds()).describe("agents"),
         section("arrivals", agent_arrival_keys()).describe("how tasks arrive"),
         integer("tasks", 1, 100'000'000).describe("tasks run in all (the run ends when the last finishes)"),
         section("instance", agent_instance_keys())
             .optional("the defaults of its keys (the serving pool's)")
             .describe("one model replica")
             .rule_("fits the cluster; holds compaction.trigger x context_window tokens of KV"),
         integer("replicas", 0, 10'000'000)
             .or_default(0)
             .describe("model replicas (0: as many as the cluster's GPUs hold)")
             .rule_("replicas x the replica's GPUs fit the cluster"),
         section("cpu", agent_cpu_keys()).optional("the defaults of its keys").describe("the engine's CPU work"),
         dist("turns", kAtLeastOne, d.root_turns).describe("LLM calls of a root agent (calibration: llm_calls_per_task)"),
         dist("output_tokens", kAtLeastOneToken, d.output_tokens).describe("tokens generated per call"),
         dist("initial_context", kAtLeastOneToken, d.initial_context).describe("a task's opening context"),
         dist("context_growth", kTokens, d.context_growth).describe("context added per turn (tool results etc.)"),
         integer("context_window", 0, 100'000'000)
             .computed("the model's max_context")
             .describe("tokens a context may reach before compaction")
             .rule_("holds initial_context + output_tokens on average"),
         section("compaction", compaction_keys())
             .optional("trigger " + num(d.compaction_trigger) + ", keep " + describe_dist(d.compaction_keep, kFraction))
             .describe("context compaction"),
         dist("tools_per_turn", kCount, d.tools_per_turn).describe("tool calls after each LLM call"),
         key("tools", list_type(section_type(tool_keys()), 1))
             .optional(tools_text(d.tools))
             .describe("the tool kinds and their weights"),
         dist("harness_overhead", kTime, d.harness_overhead_s).describe("harness time per tool call"),
         section("memory", memory_keys()).optional("no memory loads").describe("long-term memory loads"),
         section("spawn", spawn_keys()).optional("the defaults of its keys").describe("sub-agents"),
         choice("kv_policy", {"drop", "hold", "ttl", "offload"})
             .or_default("hold")
             .describe("an agent's KV while it waits on a tool (docs/agents.md)"),
         quantity("kv_ttl", Dimension::time, 0, kMaxScenarioTime)
             .or_default(d.kv_ttl_s)
             .describe("how long KV is held while an agent waits (used by kv_policy: ttl)"),
         choice("offload_tier", {"cpu-memory", "local-nvme", "network-flash"})
             .or_default("cpu-memory")
             .describe("where offloaded KV goes (kv_policy: offload)")});
  }();
  return s;
}

}  // namespace dcsim::app::schema
