// Debate teams: N agents, rounds of one call each that read the others' answers (docs/agents.md, "Teams").
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "workloads/agents/swarm.hpp"

namespace dcsim::wl::agents {

// One debater's LLM call in one round: it reads what the others answered last round (the new tokens).
sim::Process Swarm::debate_turn(const AgentStart& a, int round, std::int64_t context, std::int64_t new_tokens,
                                bool fresh, std::int64_t* output) {
  const AgentRole& R = w_.roles[static_cast<std::size_t>(a.role)];
  std::string name = "agents.agent.";
  name += a.path;
  name += ".r";
  name += std::to_string(round);
  sim::RandomStream r(seed_, name);
  if (w_.cpu_per_call_s > 0) co_await serving_cpu(a.instance);
  LlmCall call;
  call.agent = a.id;
  call.instance = local_replica(a.role, a.instance);
  call.context_tokens = context;
  call.new_tokens = std::min(new_tokens, context);
  call.shared_prefix_tokens = round == 0 ? a.shared_tokens : 0;
  call.shared_prefix_key = call.shared_prefix_tokens > 0 ? a.shared_key : 0;
  call.fresh = fresh;
  const Answer answer = output_tokens(R, a.efficiency, r);
  call.output_tokens = answer.tokens;
  call.after = R.kv_policy;
  call.kv_ttl_s = R.kv_ttl_s;
  const sim::Time t_call = sim_.now();
  const LlmResult res = co_await llm(sim_, service(a.role), call);
  span("llm", a.id, t_call);
  count_call(a.task, call, res, answer.reference);
  *output = call.output_tokens;
}

// A debate: N agents, `rounds` rounds of one call each; from the second round on each reads the others' answers.
sim::Process Swarm::debate(const AgentStart& parent, int rounds, std::int64_t* answers_out) {
  const AgentRole& R = w_.roles[static_cast<std::size_t>(parent.role)];
  std::string name = "agents.agent.";
  name += parent.path;
  name += ".debate";
  // Briefs and compactions from streams of their own (common random numbers).
  const sim::StreamNamer streams(seed_, name);
  sim::RandomStream r = streams(), compaction = streams(".compaction");
  const int n = parent.wave_size;
  const std::uint64_t key = next_wave_++;
  const std::int64_t shared = shared_brief(R, r);
  std::vector<AgentStart> members(static_cast<std::size_t>(n));
  std::vector<std::int64_t> context(static_cast<std::size_t>(n)), fresh_tokens(static_cast<std::size_t>(n));
  for (int k = 0; k < n; ++k) {
    AgentStart& m = members[static_cast<std::size_t>(k)];
    m.task = parent.task;
    m.role = parent.role;
    m.id = next_id_++;
    m.level = parent.level + 1;
    m.path = parent.path + "." + std::to_string(k);
    m.efficiency = parent.efficiency;
    m.instance = least_loaded(parent.role);
    ++live_per_instance_[static_cast<std::size_t>(m.instance)];
    m.shared_tokens = shared;
    m.shared_key = key;
    context[static_cast<std::size_t>(k)] = fresh_tokens[static_cast<std::size_t>(k)] = member_brief(R, shared, r);
    ++agents;
    ++tasks_[static_cast<std::size_t>(parent.task)].agents;
    ++roles[static_cast<std::size_t>(parent.role)].agents;
  }
  peak_live_agents = std::max(peak_live_agents, live_agents_ += n);
  max_level = std::max(max_level, parent.level + 1);
  std::vector<std::int64_t> out(static_cast<std::size_t>(n), 0);
  std::vector<char> fresh(static_cast<std::size_t>(n), 1);
  const double limit = R.compaction_trigger * static_cast<double>(R.context_window);
  for (int round = 0; round < rounds; ++round) {
    std::vector<sim::Process> turns;
    for (int k = 0; k < n; ++k) {
      const std::size_t i = static_cast<std::size_t>(k);
      if (R.context_window > 0 && static_cast<double>(context[i]) > limit) {
        // Compaction, as an agent's: the debater's context is rewritten, nothing of it cached any more.
        context[i] = fresh_tokens[i] =
            std::max<std::int64_t>(1, std::llround(sample(R.compaction_keep, compaction) * static_cast<double>(context[i])));
        fresh[i] = 1;
        ++compactions;
      }
      turns.push_back(debate_turn(members[i], round, context[i], fresh_tokens[i], fresh[i] != 0, &out[i]));
      fresh[i] = 0;
    }
    co_await sim::all_of(std::move(turns));
    std::int64_t all = 0;
    for (const std::int64_t o : out) all += o;
    for (std::size_t i = 0; i < out.size(); ++i) {
      fresh_tokens[i] = all - out[i];  // the others' answers
      context[i] += all;
    }
  }
  if (shared > 0) service(parent.role).retire(~key);
  for (const AgentStart& m : members) {
    service(parent.role).retire(m.id);
    --live_per_instance_[static_cast<std::size_t>(m.instance)];
  }
  live_agents_ -= n;
  std::int64_t answers = 0;
  for (const std::int64_t o : out) answers += o;
  *answers_out = answers;
}

}  // namespace dcsim::wl::agents
