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
constexpr DistBounds kEfficiency{"token efficiency", false, false, wl::kMinTokenEfficiency,
                                  wl::kMaxTokenEfficiency};

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

std::string short_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string describe_dist(const wl::AgentDist& d, const DistBounds& b) {
  const auto v = [&](double x) { return b.time ? format_quantity(x, Dimension::time) : short_number(x); };
  std::string s;
  switch (d.kind) {
    case wl::AgentDist::Kind::fixed: s = v(d.value); break;
    case wl::AgentDist::Kind::uniform: s = "uniform " + v(d.lo) + " to " + v(d.hi); break;
    case wl::AgentDist::Kind::lognormal: s = "lognormal, median " + v(d.median) + ", sigma " + short_number(d.sigma); break;
    case wl::AgentDist::Kind::poisson: s = "Poisson, mean " + short_number(d.mean); break;
  }
  if (d.cap > 0) s += ", capped at " + v(d.cap);
  return s;
}

std::string list_text(const std::vector<double>& values) {
  std::string s;
  for (const double v : values) s += (s.empty() ? "" : ", ") + short_number(v);
  return s;
}

std::string tools_text(const std::vector<wl::ToolKind>& tools) {
  std::string s;
  for (const wl::ToolKind& t : tools) {
    s += (s.empty() ? "" : "; ") + t.name + " (weight " + short_number(t.weight) + "): " + describe_dist(t.duration_s, kTime) +
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
      {choice("process", {"poisson", "closed-loop", "always-on", "calls"})
           .describe("poisson: tasks at a rate; closed-loop: a fixed number in flight; always-on: always_on.agents "
                     "agents wake up for the whole duration; calls: only calls from other populations")
           .rule_("calls only in a population that another population calls"),
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
    const wl::AgentRole d;
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
    const wl::AgentRole d;
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

SectionPtr always_on_memory_keys() {
  static const SectionPtr s = make_section(
      "workload (kind: agents).always_on.memory", "Long-term memory an always-on agent loads as KV when it wakes.",
      {dist("tokens", kTokens).describe("tokens loaded at a wake-up whose KV did not survive the sleep"),
       choice("tier", {"cpu-memory", "local-nvme", "network-flash"}).or_default("cpu-memory")
           .describe("where the memory is read from")});
  return s;
}

SectionPtr always_on_keys() {
  static const SectionPtr s = [] {
    const wl::AlwaysOn d;
    return make_section(
        "workload (kind: agents).always_on", "Agents that live for the whole run and wake up on events.",
        {integer("agents", 1, 10'000'000)
             .optional("the workload's always_on.agents; an always-on population needs it")
             .describe("always-on agents"),
         choice("wake", {"poll", "events"})
             .or_default("poll")
             .describe("poll: a sleep of wake_interval after each episode, then a check for work; events: events "
                       "arrive every wake_interval whatever the agent does, and the next episode takes those waiting")
             .rule_("events: work_probability 1 and every wake_interval draw above 0 (fixed or uniform low above 0, "
                    "or lognormal)"),
         number("work_probability", 0, 1)
             .or_default(d.work_probability)
             .describe("the chance that a poll finds work; an empty poll runs one tool call and sleeps again")
             .rule_("only with wake: poll"),
         dist("wake_interval", kTime, d.wake_interval_s)
             .describe("poll: the sleep between the end of one episode and the next check; events: the time between "
                       "events"),
         dist("event_tokens", kAtLeastOneToken, d.event_tokens).describe("the event that wakes it (new prompt tokens)"),
         section("memory", always_on_memory_keys()).optional("no memory load").describe("long-term memory per wake-up"),
         boolean("stagger")
             .or_default(d.stagger)
             .describe("the first wake-up at a uniform random point of the first interval (a fleet already "
                       "running), else after a whole interval"),
         choice("between", {"drop", "hold", "offload"})
             .or_default("drop")
             .describe("its KV across sleeps: drop (reload the memory at every wake-up), hold (parked in HBM, "
                       "evictable), offload (to offload_tier)")});
  }();
  return s;
}

SectionPtr team_keys() {
  static const SectionPtr s = make_section(
      "workload (kind: agents).team", "N-agent mode: every task fans out to a fixed team on its spawn turn.",
      {choice("mode", {"parallel", "debate"})
           .describe("parallel: N sub-agents (spawn.sub_turns, sub_context, summary_tokens) at once; debate: N agents "
                     "x rounds LLM calls, each round reading the others' answers"),
       integer("agents", 1, 100'000).describe("team size N"),
       integer("rounds", 1, 1'000).or_default(1).describe("debate rounds").when_("mode: debate"),
       choice("merge", {"lead", "vote"})
           .or_default("lead")
           .describe("lead: the root plans, starts the team and merges its answers in its next LLM call; vote: no "
                     "lead, the answers are merged without a model call (majority vote)")});
  return s;
}

SectionPtr role_call_keys() {
  static const SectionPtr s = [] {
    const wl::RoleCall d;
    return make_section(
        "workload (kind: agents).populations.<name>.calls[]", "Calls to another population.",
        {text("to").describe("the callee population's name").rule_("another population; the calls form no cycle"),
         number("probability", 0, 1).describe("chance per turn (a turn that is not a wave turn)"),
         dist("request_tokens", kTokens, d.request_tokens).describe("the request, added to the callee's opening context")});
  }();
  return s;
}

// The keys that shape one role: the workload's (a workload without populations, or every population's defaults)
// and a population's own (each overriding the workload's where given).
std::vector<Key> role_keys(bool population) {
  const wl::AgentRole d;
  const auto inherit = [&](Key k) { return population ? k.optional("the workload's") : k; };
  const auto d_or_inherit = [&](std::string name, const DistBounds& b, const wl::AgentDist& fallback) {
    return population ? dist(std::move(name), b).optional("the workload's") : dist(std::move(name), b, fallback);
  };
  std::vector<Key> keys = {
      section("arrivals", agent_arrival_keys())
          .optional(population ? "required" : "required without populations")
          .describe("how tasks arrive"),
      integer("tasks", 1, 100'000'000)
          .optional(population ? "until the workload's duration" : "required without populations, unless duration is given")
          .describe("tasks started in all (the run ends when the last finishes)"),
      section("always_on", always_on_keys()).optional("none").describe("always-on agents (arrivals: always-on)"),
      section("team", team_keys()).optional("no team: spawn's waves").describe("N-agent mode"),
      inherit(dist("token_efficiency", kEfficiency).computed("the model's token_efficiency"))
          .describe("scales every generated length (output and summary tokens): tokens per task for equal quality; "
                    "a factor, or a distribution drawn once per task (its agents share the draw)"),
      d_or_inherit("turns", kAtLeastOne, d.root_turns).describe("LLM calls of a root agent (calibration: llm_calls_per_task)"),
      d_or_inherit("output_tokens", kAtLeastOneToken, d.output_tokens).describe("tokens generated per call"),
      d_or_inherit("initial_context", kAtLeastOneToken, d.initial_context).describe("a task's opening context"),
      d_or_inherit("context_growth", kTokens, d.context_growth).describe("context added per turn (tool results etc.)"),
      integer("context_window", 0, 100'000'000)
          .computed(population ? "the workload's" : "the model's max_context")
          .describe("tokens a context may reach before compaction")
          .rule_("holds initial_context + output_tokens on average"),
      section("compaction", compaction_keys())
          .optional(population ? "the workload's"
                               : "trigger " + short_number(d.compaction_trigger) + ", keep " + describe_dist(d.compaction_keep, kFraction))
          .describe("context compaction"),
      d_or_inherit("tools_per_turn", kCount, d.tools_per_turn).describe("tool calls after each LLM call"),
      key("tools", list_type(section_type(tool_keys()), 1))
          .optional(population ? "the workload's" : tools_text(d.tools))
          .describe("the tool kinds and their weights"),
      d_or_inherit("harness_overhead", kTime, d.harness_overhead_s).describe("harness time per tool call"),
      section("memory", memory_keys()).optional(population ? "the workload's" : "no memory loads").describe("long-term memory loads"),
      section("spawn", spawn_keys()).optional(population ? "the workload's, key by key" : "the defaults of its keys").describe("sub-agents"),
      inherit(choice("kv_policy", {"drop", "hold", "ttl", "offload"}).or_default("hold"))
          .describe("an agent's KV while it waits on a tool (docs/agents.md)"),
      inherit(quantity("kv_ttl", Dimension::time, 0, kMaxScenarioTime).or_default(d.kv_ttl_s))
          .describe("how long KV is held while an agent waits (used by kv_policy: ttl)")};
  return keys;
}

SectionPtr population_keys() {
  static const SectionPtr s = [] {
    std::vector<Key> keys = {
        integer("max_in_service", 0, 10'000'000).or_default(0).describe("calls served at once (0: no limit); more wait FIFO"),
        key("model", catalog_type("model"))
            .or_form(section_type(model_keys()))
            .optional("the workload's model and replicas")
            .describe("a model of its own (a catalog name or inline), served by replicas of its own")
            .rule_("with replicas; its token_efficiency is the population's default"),
        section("instance", agent_instance_keys())
            .optional("the defaults of its keys (the serving pool's)")
            .describe("one replica of its own model")
            .when_("model given"),
        integer("replicas", 1, 10'000'000)
            .optional("required with model")
            .describe("replicas of its own model; the workload's replicas take the GPUs left")
            .when_("model given"),
        key("calls", list_type(section_type(role_call_keys()), 1)).optional("none").describe("calls to other populations")};
    for (Key& k : role_keys(true)) keys.push_back(std::move(k));
    return make_section("workload (kind: agents).populations.<name>",
                        "One population (role) of an agent economy; its keys override the workload's.", keys);
  }();
  return s;
}

}  // namespace

SectionPtr agents_keys() {
  static const SectionPtr s = [] {
    std::vector<Key> keys = {
        choice("kind", workload_kinds()).describe("agents"),
        quantity("duration", Dimension::time, 1e-3, kMaxScenarioTime)
            .optional("none: the run ends when every task is done")
            .describe("arrivals and wake-ups stop then (the measured window); work in flight drains"),
        key("populations", map_type(section_type(population_keys())))
            .optional("one population, 'agent', from the workload's keys")
            .describe("the roles of an agent economy, by name (metrics role.<name>.*, token class <name>)")
            .rule_("names of lowercase letters, digits, '_' or '-'; calls between populations form no cycle; at "
                   "least one population starts tasks"),
        section("instance", agent_instance_keys())
            .optional("the defaults of its keys (the serving pool's)")
            .describe("one model replica")
            .rule_("fits the cluster; holds compaction.trigger x context_window tokens of KV"),
        integer("replicas", 0, 10'000'000)
            .or_default(0)
            .describe("model replicas (0: as many as the cluster's GPUs hold)")
            .rule_("replicas x the replica's GPUs fit the cluster"),
        section("cpu", agent_cpu_keys()).optional("the defaults of its keys").describe("the engine's CPU work"),
        choice("offload_tier", {"cpu-memory", "local-nvme", "network-flash"})
            .or_default("cpu-memory")
            .describe("where offloaded KV goes (kv_policy: offload)")};
    for (Key& k : role_keys(false)) keys.push_back(std::move(k));
    return make_section("workload (kind: agents)",
                        "Agent tasks on model replicas, tools and storage, one population or several (docs/agents.md).",
                        keys);
  }();
  return s;
}

}  // namespace dcsim::app::schema
