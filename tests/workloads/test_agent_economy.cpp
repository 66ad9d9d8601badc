// Agent economies (docs/agents.md, "Populations"): calls between roles and their service limit, fixed teams
// (parallel and debate), always-on agents with their memory reloads and KV across sleeps, and token efficiency,
// each against a timeline computed by hand on the fixed-cost service; the call graph's cycle check; GPU-seconds
// per call adding up to the replicas' busy time on the serving-backed service.
#include <gtest/gtest.h>

#include "tests/support/scenario_text.hpp"

#include <filesystem>
#include <fstream>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "app/catalog.hpp"
#include "app/scenario.hpp"
#include "sim/process.hpp"
#include "workloads/agents/agents_workload.hpp"
#include "workloads/agents/call_graph.hpp"
#include "workloads/agents/llm_service.hpp"
#include "workloads/agents/pool_layout.hpp"
#include "workloads/agents/swarm.hpp"

namespace dcsim::wl::agents {
namespace {

// Service: 0.1 s + 0.1 ms per prefilled token + 10 ms per output token, unlimited concurrency.
constexpr double kBase = 0.1, kPrefill = 1e-4, kDecode = 0.01;

// Everything fixed: a 1000-token opening context, 100 output tokens a call, 200 new tokens per tool turn, no tools,
// no sub-agents, summaries of 400 tokens; 10 ms of serving CPU per call on a CPU twice the reference speed (5 ms).
AgentRole fixed_role(std::string name, int turns) {
  AgentRole r;
  r.name = std::move(name);
  r.arrival = AgentRole::Arrival::closed_loop;
  r.concurrency = 1;
  r.tasks = 1;
  r.root_turns = AgentDist::fixed_at(turns);
  r.output_tokens = AgentDist::fixed_at(100);
  r.initial_context = AgentDist::fixed_at(1000);
  r.context_growth = AgentDist::fixed_at(200);
  r.context_window = 1'000'000;
  r.tools_per_turn = AgentDist::fixed_at(0);
  r.tools = {ToolKind{"t", 1, AgentDist::fixed_at(2.0), true}};
  r.harness_overhead_s = AgentDist::fixed_at(0);
  r.spawn_task_share = 0;
  r.sub_turns = AgentDist::fixed_at(1);
  r.sub_context = AgentDist::fixed_at(500);
  r.summary_tokens = AgentDist::fixed_at(400);
  r.kv_policy = KvPolicy::hold;
  return r;
}

AgentsWorkload economy(std::vector<AgentRole> roles) {
  AgentsWorkload w;
  w.roles = std::move(roles);
  w.populations = true;
  w.cpu_per_call_s = 0.010;
  return w;
}

SwarmHardware fixed_hw() {
  SwarmHardware h;
  h.cpu_speed = 2.0;
  h.cores_per_pool = 8;
  return h;
}

// A buyer (2 turns) that calls a seller (1 turn) after its first call: the seller's opening context is its own
// 1000 tokens plus the 300-token request, and its 400-token summary is what the buyer reads next.
std::vector<AgentRole> buyer_and_seller(int buyers, int seller_limit) {
  AgentRole buyer = fixed_role("buyer", 2);
  buyer.concurrency = buyers;
  buyer.tasks = buyers;
  buyer.calls = {RoleCall{1, 1.0, AgentDist::fixed_at(300)}};
  AgentRole seller = fixed_role("seller", 1);
  seller.arrival = AgentRole::Arrival::calls;
  seller.max_in_service = seller_limit;
  return {buyer, seller};
}

TEST(AgentEconomy, CallToAnotherRoleHandTimeline) {
  // Buyer turn 1: 5 ms CPU + (0.1 + 1000 x 1e-4 + 100 x 0.01) = 1.205 s. Seller: 5 ms + prefill 1300:
  // 0.1 + 0.13 + 1.0 = 1.235 s. Buyer turn 2: context 1000 + 100 + 400 (response) + 200 (growth) = 1700, of which
  // 600 new: 5 ms + 0.1 + 0.06 + 1.0 = 1.165 s. Task: 1.205 + 1.235 + 1.165 = 3.605 s.
  sim::Simulator sim;
  FixedLlmService svc(sim, kBase, kPrefill, kDecode);
  const AgentsWorkload w = economy(buyer_and_seller(1, 0));
  Swarm swarm(sim, w, svc, fixed_hw(), 1);
  swarm.start();
  sim.run();
  ASSERT_EQ(swarm.tasks().size(), 2u);
  const TaskRecord& seller = swarm.tasks()[1];
  EXPECT_EQ(seller.role, 1);
  EXPECT_EQ(seller.call_depth, 1);
  EXPECT_NEAR(seller.arrival, 1.205, 1e-9);
  EXPECT_NEAR(seller.finish - seller.arrival, 1.235, 1e-9);
  EXPECT_EQ(seller.prompt, 1300);
  const TaskRecord& buyer = swarm.tasks()[0];
  EXPECT_NEAR(buyer.finish, 3.605, 1e-9);
  EXPECT_EQ(buyer.prompt, 1000 + 1700);
  EXPECT_EQ(swarm.roles[0].calls_out, 1);
  EXPECT_EQ(swarm.roles[1].calls_in, 1);
  EXPECT_EQ(swarm.role_calls[0][1], 1);
  EXPECT_EQ(swarm.max_call_depth, 1);
  EXPECT_EQ(swarm.roles[0].generated, 200);
  EXPECT_EQ(swarm.roles[1].generated, 100);
  // GPU-seconds on the fixed service: each call's own time.
  EXPECT_NEAR(swarm.roles[1].gpu_s, 1.23, 1e-9);
  EXPECT_NEAR(swarm.roles[0].gpu_s, 1.2 + 1.16, 1e-9);
}

TEST(AgentEconomy, EachRoleCallsItsOwnModelPool) {
  // The seller has a model of its own (pool 1) whose calls cost 0.2 s + ... instead of 0.1 s + ...: its task takes
  // 5 ms + 0.2 + 0.13 + 1.0 = 1.335 s; the buyer's two calls go to pool 0, the seller's one to pool 1.
  sim::Simulator sim;
  FixedLlmService workload_model(sim, kBase, kPrefill, kDecode), own_model(sim, 0.2, kPrefill, kDecode);
  std::vector<AgentRole> roles = buyer_and_seller(1, 0);
  roles[1].pool = 1;
  const AgentsWorkload w = economy(roles);
  Swarm swarm(sim, w, std::vector<LlmService*>{&workload_model, &own_model}, fixed_hw(), 1);
  swarm.start();
  sim.run();
  EXPECT_EQ(workload_model.calls(), 2u);
  EXPECT_EQ(own_model.calls(), 1u);
  EXPECT_NEAR(swarm.tasks()[1].finish - swarm.tasks()[1].arrival, 1.335, 1e-9);
  EXPECT_NEAR(swarm.tasks()[0].finish, 3.605 + 0.1, 1e-9);
}

TEST(AgentEconomy, ServiceLimitQueuesCalls) {
  // Two buyers call at 1.205 s; a seller that serves one call at a time runs the second after the first
  // (1.235 s of queueing): that buyer finishes at 3.605 + 1.235 = 4.84 s.
  sim::Simulator sim;
  FixedLlmService svc(sim, kBase, kPrefill, kDecode);
  const AgentsWorkload w = economy(buyer_and_seller(2, 1));
  Swarm swarm(sim, w, svc, fixed_hw(), 1);
  swarm.start();
  sim.run();
  EXPECT_EQ(swarm.roles[1].tasks_done, 2);
  EXPECT_NEAR(swarm.roles[1].queue_wait.max(), 1.235, 1e-9);
  EXPECT_NEAR(swarm.roles[1].queue_wait.min(), 0.0, 1e-12);
  EXPECT_NEAR(swarm.roles[0].task_latency.max(), 4.84, 1e-9);
  EXPECT_NEAR(swarm.roles[0].task_latency.min(), 3.605, 1e-9);
  // The seller's latency counts its queueing: 1.235 and 2.47 s.
  EXPECT_NEAR(swarm.roles[1].task_latency.max(), 2.47, 1e-9);
}

TEST(AgentEconomy, ParallelTeamHandTimeline) {
  // Root turn 1: 1.205 s. Team of 3, one turn each on 500 tokens: 5 ms + 0.1 + 0.05 + 1.0 = 1.155 s, all at once.
  // Root turn 2 reads 3 x 400 summary tokens: 5 ms + 0.1 + 0.12 + 1.0 = 1.225 s. Task: 3.585 s, 4 agents, 5 calls.
  sim::Simulator sim;
  FixedLlmService svc(sim, kBase, kPrefill, kDecode);
  AgentRole r = fixed_role("planner", 2);
  r.team = TeamMode{TeamMode::Kind::parallel, 3, 1};
  const AgentsWorkload w = economy({r});
  Swarm swarm(sim, w, svc, fixed_hw(), 1);
  swarm.start();
  sim.run();
  EXPECT_NEAR(swarm.task_latency.max(), 3.585, 1e-9);
  EXPECT_EQ(swarm.agents, 4);
  EXPECT_EQ(swarm.calls, 5);
}

TEST(AgentEconomy, DebateHandTimeline) {
  // Root turn 1: 1.205 s. Debate of 2 over 3 rounds on 500-token briefs. Round 1: 5 ms + 0.1 + 0.05 + 1.0 =
  // 1.155 s. Rounds 2 and 3: each reads the other's 100-token answer (its own is in its KV): 5 ms + 0.1 + 0.01 +
  // 1.0 = 1.115 s. Root turn 2 reads the two final answers (200 tokens): 5 ms + 0.1 + 0.02 + 1.0 = 1.125 s.
  // Task: 1.205 + 1.155 + 2 x 1.115 + 1.125 = 5.715 s; calls 2 + 2 x 3 = 8.
  sim::Simulator sim;
  FixedLlmService svc(sim, kBase, kPrefill, kDecode);
  AgentRole r = fixed_role("debaters", 2);
  r.team = TeamMode{TeamMode::Kind::debate, 2, 3};
  const AgentsWorkload w = economy({r});
  Swarm swarm(sim, w, svc, fixed_hw(), 1);
  swarm.start();
  sim.run();
  EXPECT_NEAR(swarm.task_latency.max(), 5.715, 1e-9);
  EXPECT_EQ(swarm.calls, 8);
  EXPECT_EQ(swarm.agents, 3);
  // Prompts: root 1000 + 1300; each debater 500, 700, 900.
  EXPECT_EQ(swarm.tasks()[0].prompt, 1000 + 1300 + 2 * (500 + 700 + 900));
}

TEST(AgentEconomy, VotingDebateHasNoLead) {
  // Du et al.'s debate: 3 agents, 2 rounds, answers merged by a vote (no model call). Round 1: 5 ms + 0.1 + 0.05 +
  // 1.0 = 1.155 s; round 2 reads the two peers' 100-token answers: 5 ms + 0.1 + 0.02 + 1.0 = 1.125 s. Task 2.28 s,
  // 6 calls (N x R), 3 agents.
  sim::Simulator sim;
  FixedLlmService svc(sim, kBase, kPrefill, kDecode);
  AgentRole r = fixed_role("debate", 2);
  r.team = TeamMode{TeamMode::Kind::debate, 3, 2, TeamMode::Merge::vote};
  const AgentsWorkload w = economy({r});
  Swarm swarm(sim, w, svc, fixed_hw(), 1);
  swarm.start();
  sim.run();
  EXPECT_NEAR(swarm.task_latency.max(), 2.28, 1e-9);
  EXPECT_EQ(swarm.calls, 6);
  EXPECT_EQ(swarm.agents, 3);
}

// One always-on agent waking every 10 s (after each episode) on a 50-token event, with a 1000-token memory of
// 1e5 bytes per token over a 1 GB/s tier (0.1 s); one turn per episode; a 35 s run.
AgentsWorkload always_on(KvPolicy between) {
  AgentRole r = fixed_role("watcher", 1);
  r.arrival = AgentRole::Arrival::always_on;
  r.always_on.agents = 1;
  r.always_on.wake_interval_s = AgentDist::fixed_at(10);
  r.always_on.event_tokens = AgentDist::fixed_at(50);
  r.always_on.memory_tokens = AgentDist::fixed_at(1000);
  r.always_on.between = between;
  r.always_on.stagger = false;
  AgentsWorkload w = economy({r});
  w.duration_s = 35;
  return w;
}

SwarmHardware tiered_hw() {
  SwarmHardware h = fixed_hw();
  h.tiers.assign(3, StorageLink{});
  h.tiers[static_cast<std::size_t>(hw::StorageTier::cpu_memory)] = StorageLink{1e9, 0};
  h.kv_bytes_per_token = 1e5;
  return h;
}

TEST(AgentEconomy, AlwaysOnReloadsMemoryAfterDrop) {
  // Each wake-up loads the memory (0.1 s), then one call on 1050 tokens of which 1000 are loaded KV:
  // 5 ms + 0.1 + 50 x 1e-4 + 1.0 = 1.11 s; an episode is 1.21 s. Wake-ups at 10, 21.21, 32.42 (< 35); the next
  // (43.63) would be past the duration, so the agent sleeps to 35 s and ends.
  sim::Simulator sim;
  FixedLlmService svc(sim, kBase, kPrefill, kDecode);
  const AgentsWorkload w = always_on(KvPolicy::drop);
  Swarm swarm(sim, w, svc, tiered_hw(), 1);
  swarm.start();
  sim.run();
  ASSERT_EQ(swarm.tasks_done, 3);
  EXPECT_EQ(swarm.memory_loads, 3);
  EXPECT_EQ(swarm.agents, 1);
  EXPECT_NEAR(swarm.tasks()[2].arrival, 32.42, 1e-9);
  EXPECT_NEAR(swarm.task_latency.max(), 1.21, 1e-9);
  EXPECT_NEAR(sim::to_seconds(sim.now()), 35, 1e-9);  // the last sleep ends at the duration
}

TEST(AgentEconomy, AlwaysOnEventsWaitWhileItWorks) {
  // Events every 10 s from t = 10 whatever the agent does; an episode answers in 2,500 tokens (25 s). Episode 1 at
  // 10 on one event: memory 0.1 + 5 ms + 0.1 + 50 x 1e-4 + 25 = 25.21 s, ends 35.21. The events of 20 and 30 waited:
  // episode 2 starts at once on both (100 tokens: + 0.01), 25.215 s, ends 60.425, past the 60 s duration: the
  // event of 40 is never taken.
  sim::Simulator sim;
  FixedLlmService svc(sim, kBase, kPrefill, kDecode);
  AgentsWorkload w = always_on(KvPolicy::drop);
  w.duration_s = 60;
  w.roles[0].always_on.wake = AlwaysOn::Wake::events;
  w.roles[0].output_tokens = AgentDist::fixed_at(2500);
  Swarm swarm(sim, w, svc, tiered_hw(), 1);
  swarm.start();
  sim.run();
  ASSERT_EQ(swarm.tasks_done, 2);
  EXPECT_EQ(swarm.events_taken, 3);
  EXPECT_NEAR(swarm.tasks()[1].arrival, 35.21, 1e-9);
  EXPECT_NEAR(swarm.tasks()[1].finish - swarm.tasks()[1].arrival, 25.215, 1e-9);
  EXPECT_EQ(swarm.tasks()[1].prompt, 1000 + 100);  // the memory and both events
  // Drawn intervals, 50 agents, an hour: every episode takes at least one event (a wake-up at an event's time,
  // rounded to the simulator's tick, still takes it).
  sim::Simulator sim2;
  FixedLlmService svc2(sim2, kBase, kPrefill, kDecode);
  w.roles[0].always_on.agents = 50;
  w.roles[0].always_on.wake_interval_s = AgentDist::lognormal(30, 0.8);
  w.roles[0].always_on.stagger = true;
  w.roles[0].output_tokens = AgentDist::fixed_at(100);
  w.duration_s = 3600;
  Swarm many(sim2, w, svc2, tiered_hw(), 3);
  many.start();
  sim2.run();
  EXPECT_GT(many.tasks_done, 3000);
  EXPECT_LE(many.tasks_done, many.events_taken);
  for (const TaskRecord& t : many.tasks()) EXPECT_GE(t.prompt, 1000 + 50);
}

TEST(AgentEconomy, AlwaysOnEmptyPollsOnlyCheck) {
  // Polls that never find work: sleep 10 s, one check (the role's 2 s CPU-bound tool on a 2x CPU: 1 s), sleep
  // again: checks at 10, 21, 32; no LLM call, no memory load, no task, no agent counted.
  sim::Simulator sim;
  FixedLlmService svc(sim, kBase, kPrefill, kDecode);
  AgentsWorkload w = always_on(KvPolicy::drop);
  w.roles[0].always_on.work_probability = 0;
  Swarm swarm(sim, w, svc, tiered_hw(), 1);
  swarm.start();
  sim.run();
  EXPECT_EQ(swarm.empty_polls, 3);
  EXPECT_EQ(swarm.tool_calls, 3);
  EXPECT_NEAR(swarm.tool_wait.mean(), 1.0, 1e-9);
  EXPECT_EQ(swarm.tasks_done, 0);
  EXPECT_EQ(swarm.calls, 0);
  EXPECT_EQ(swarm.memory_loads, 0);
  EXPECT_EQ(swarm.agents, 0);
  // Half the polls find work: every wake-up is a check or an episode.
  sim::Simulator sim2;
  FixedLlmService svc2(sim2, kBase, kPrefill, kDecode);
  w.roles[0].always_on.work_probability = 0.5;
  w.duration_s = 600;
  Swarm half(sim2, w, svc2, tiered_hw(), 1);
  half.start();
  sim2.run();
  EXPECT_GT(half.empty_polls, 10);
  EXPECT_GT(half.tasks_done, 10);
  EXPECT_EQ(half.events_taken, half.tasks_done);
  EXPECT_EQ(half.agents, 1);
}

TEST(AgentEconomy, AlwaysOnKeepsHeldKvAcrossSleeps) {
  // First wake-up as with drop (1.21 s, ends 11.21). Later ones: no memory load; the held KV covers the previous
  // 1150 tokens, so only the 50-token event is prefilled: 5 ms + 0.1 + 0.005 + 1.0 = 1.11 s (ends 22.32, 33.43).
  sim::Simulator sim;
  FixedLlmService svc(sim, kBase, kPrefill, kDecode);
  const AgentsWorkload w = always_on(KvPolicy::hold);
  Swarm swarm(sim, w, svc, tiered_hw(), 1);
  swarm.start();
  sim.run();
  ASSERT_EQ(swarm.tasks_done, 3);
  EXPECT_EQ(swarm.memory_loads, 1);
  EXPECT_NEAR(swarm.tasks()[1].finish - swarm.tasks()[1].arrival, 1.11, 1e-9);
  EXPECT_NEAR(swarm.tasks()[2].finish, 33.43, 1e-9);
  EXPECT_EQ(swarm.tasks()[2].prompt, 1350);  // 1050 + 100, + 50 + 100, + 50
}

TEST(AgentEconomy, DebatersCompactTheirContexts) {
  // Window 800, trigger 0.8: a debater compacts above 640 tokens, to half (keep 0.5). Round 1 on 500-token briefs:
  // 1.155 s; each context is then 500 + 2 x 100 = 700 > 640 -> 350 tokens, prefilled whole in round 2: 5 ms + 0.1 +
  // 0.035 + 1.0 = 1.14 s; then 350 + 200 = 550 stays, round 3 reads the other's answer: 1.115 s. Lead: 1.205 s
  // before, 1.125 s after. Task 5.74 s, 2 compactions.
  sim::Simulator sim;
  FixedLlmService svc(sim, kBase, kPrefill, kDecode);
  AgentRole r = fixed_role("debaters", 2);
  r.team = TeamMode{TeamMode::Kind::debate, 2, 3};
  r.context_window = 800;
  r.compaction_keep = AgentDist::fixed_at(0.5);
  r.initial_context = AgentDist::fixed_at(600);  // the lead's own context stays under the limit
  const AgentsWorkload w = economy({r});
  Swarm swarm(sim, w, svc, fixed_hw(), 1);
  swarm.start();
  sim.run();
  // The lead: turn 1 on 600 tokens (0.005 + 0.1 + 0.06 + 1.0 = 1.165 s); turn 2 reads 200 answer tokens
  // (context 600 + 100 + 200 = 900 > 640: compacted to 450, prefilled whole: 0.005 + 0.1 + 0.045 + 1.0 = 1.15 s).
  EXPECT_EQ(swarm.compactions, 3);
  EXPECT_NEAR(swarm.task_latency.max(), 1.165 + 1.155 + 1.14 + 1.115 + 1.15, 1e-9);
}

TEST(AgentEconomy, AlwaysOnEpisodeLeadsItsTeam) {
  // One always-on agent (wake every 10 s, 50-token events, no memory) leading a parallel team of 2 on one turn
  // (a lead takes at least 2). Episode: 5 ms + 0.1 + 0.005 + 1.0 = 1.11 s; team 1.155 s; merge of 800 summary
  // tokens 5 ms + 0.1 + 0.08 + 1.0 = 1.185 s: 3.45 s. Wake-ups at 10 and 23.45 s (< 25), none at 36.9.
  sim::Simulator sim;
  FixedLlmService svc(sim, kBase, kPrefill, kDecode);
  AgentsWorkload w = always_on(KvPolicy::drop);
  AgentRole& r = w.roles[0];
  r.root_turns = AgentDist::fixed_at(1);
  r.always_on.memory_tokens = AgentDist::fixed_at(0);
  r.team = TeamMode{TeamMode::Kind::parallel, 2, 1};
  w.duration_s = 25;
  Swarm swarm(sim, w, svc, tiered_hw(), 1);
  swarm.start();
  sim.run();
  ASSERT_EQ(swarm.tasks_done, 2);
  EXPECT_NEAR(swarm.tasks()[1].finish, 23.45 + 3.45, 1e-9);
  EXPECT_EQ(swarm.calls, 8);
  EXPECT_EQ(swarm.agents, 5);
  EXPECT_EQ(swarm.live_agents(), 0);
  EXPECT_EQ(swarm.placed_agents(), 0);
}

TEST(AgentEconomy, EveryAgentLeavesItsReplica) {
  // A voting debate, a lead with a parallel team that calls a seller, and always-on agents: once the run drains,
  // no agent is counted live or on a replica.
  sim::Simulator sim;
  FixedLlmService svc(sim, kBase, kPrefill, kDecode);
  std::vector<AgentRole> roles = buyer_and_seller(3, 1);
  roles[0].team = TeamMode{TeamMode::Kind::parallel, 2, 1};
  AgentRole vote = fixed_role("vote", 1);
  vote.team = TeamMode{TeamMode::Kind::debate, 3, 2, TeamMode::Merge::vote};
  vote.tasks = 4;
  AgentRole awake = fixed_role("awake", 2);
  awake.arrival = AgentRole::Arrival::always_on;
  awake.always_on.agents = 3;
  awake.always_on.wake_interval_s = AgentDist::fixed_at(5);
  roles.push_back(vote);
  roles.push_back(awake);
  AgentsWorkload w = economy(roles);
  w.duration_s = 30;
  Swarm swarm(sim, w, svc, tiered_hw(), 1);
  swarm.start();
  sim.run();
  EXPECT_GT(swarm.roles[2].tasks_done, 0);
  EXPECT_GT(swarm.roles[3].tasks_done, 3);
  EXPECT_EQ(swarm.live_agents(), 0);
  EXPECT_EQ(swarm.placed_agents(), 0);
}

TEST(AgentEconomy, PoolsAreLaidOutLargestReplicaFirst) {
  // 144 GPUs: 16 one-GPU replicas of a population's model and the workload's 64-GPU replicas. Largest first: two
  // 64-GPU replicas on GPUs 0-127, the 16 small ones on 128-143. Own pools first would leave the workload one.
  const auto p = place_pools(144, 64, 0, true, {{16, 1}});
  EXPECT_EQ(p[0].replicas, 2);
  EXPECT_EQ(p[0].first_gpu, 0);
  EXPECT_EQ(p[1].first_gpu, 128);
  // A TP-8 pool beside three TP-2 replicas on 16 GPUs: the TP-8 replica takes GPUs 0-7 (one node), not 6-13.
  const auto q = place_pools(16, 2, 3, true, {{1, 8}});
  EXPECT_EQ(q[1].first_gpu, 0);
  EXPECT_EQ(q[0].first_gpu, 8);
  EXPECT_EQ(q[0].end_gpu(), 14);
  // Alignment can waste GPUs: a filling pool 0 gives back the replica that no longer fits.
  const auto t = place_pools(12, 4, 0, true, {{1, 2}, {1, 8}});  // 8 | 4 | 2: 0-7, 8-11 for pool 0, then 2 -> 14
  EXPECT_EQ(t[0].replicas, 0);
  EXPECT_LE(t[1].end_gpu(), 12);
}

TEST(AgentEconomy, TokenEfficiencyScalesGeneratedLengths) {
  // Half the tokens: 50 per call. Turn 1: 5 ms + 0.1 + 0.1 + 0.5; turn 2 prefills the 200 tokens of growth (the
  // answer is in the KV): 5 ms + 0.1 + 0.02 + 0.5. Task: 0.705 + 0.625 = 1.33 s; 100 tokens generated.
  sim::Simulator sim;
  FixedLlmService svc(sim, kBase, kPrefill, kDecode);
  AgentRole r = fixed_role("lean", 2);
  r.tools_per_turn = AgentDist::fixed_at(0);
  r.token_efficiency = AgentDist::fixed_at(0.5);
  const AgentsWorkload w = economy({r});
  Swarm swarm(sim, w, svc, fixed_hw(), 1);
  swarm.start();
  sim.run();
  EXPECT_NEAR(swarm.task_latency.max(), 1.33, 1e-9);
  EXPECT_EQ(swarm.generated, 100);
  EXPECT_DOUBLE_EQ(swarm.roles[0].reference_tokens, 200);  // 100 tokens at efficiency 0.5: the reference's 200
}

TEST(AgentEconomy, TokenEfficiencyDrawnOncePerTask) {
  // Efficiency uniform in [0.25, 1], drawn per task: each of a task's 3 calls writes round(100 x f) tokens, so a
  // task's tokens are 3 equal answers of 25-100 and tasks differ, while the reference model writes 100 a call.
  sim::Simulator sim;
  FixedLlmService svc(sim, kBase, kPrefill, kDecode);
  AgentRole r = fixed_role("drawn", 3);
  r.tasks = 40;
  r.token_efficiency = AgentDist::uniform_in(0.25, 1.0);
  const AgentsWorkload w = economy({r});
  Swarm swarm(sim, w, svc, fixed_hw(), 1);
  swarm.start();
  sim.run();
  ASSERT_EQ(swarm.tasks().size(), 40u);
  std::set<std::int64_t> answers;
  for (const TaskRecord& t : swarm.tasks()) {
    ASSERT_EQ(t.calls, 3);
    EXPECT_EQ(t.generated % 3, 0) << t.generated;
    EXPECT_GE(t.generated / 3, 25);
    EXPECT_LE(t.generated / 3, 100);
    answers.insert(t.generated / 3);
  }
  EXPECT_GT(answers.size(), 20u);
  EXPECT_DOUBLE_EQ(swarm.roles[0].reference_tokens, 40 * 300);
  EXPECT_LT(static_cast<double>(swarm.generated), 0.8 * 40 * 300);  // the mean factor is 0.625
}

TEST(AgentEconomy, AModelsSpreadOfEfficiencyIsDrawnPerTask) {
  // A model property: token_efficiency 0.5 spreading with sigma 0.4 becomes the agents' LN(0.5, 0.4) draw per task
  // (the workload and a population may still override it); without a spread, the fixed factor.
  const std::string model =
      "model: {name: lean-8b, layers: 32, hidden: 4096, heads: 32, kv_heads: 8, attention: gqa, ffn: swiglu, "
      "ffn_hidden: 14336, vocab: 128256, max_context: 131072, token_efficiency: 0.5, token_efficiency_sigma: 0.4}\n";
  const std::string rest =
      "name: t\nhardware: {system: h100-hgx, count: 1}\nworkload: {kind: agents, arrivals: {process: closed-loop, "
      "concurrency: 2}, tasks: 4, instance: {tp: 1, precision: bf16}}\n";
  const app::Scenario s = dcsim::testing::scenario_from_text(model + rest);
  const AgentDist& e = s.agents.agent().token_efficiency;
  EXPECT_EQ(e.kind, AgentDist::Kind::lognormal);
  EXPECT_DOUBLE_EQ(e.median, 0.5);
  EXPECT_DOUBLE_EQ(e.sigma, 0.4);
  const app::Scenario f = dcsim::testing::scenario_from_text(model + rest, {"workload.token_efficiency=0.7"});
  EXPECT_EQ(f.agents.agent().token_efficiency.kind, AgentDist::Kind::fixed);
  EXPECT_DOUBLE_EQ(f.agents.agent().token_efficiency.value, 0.7);
}

TEST(AgentEconomy, CallGraphCycleIsNamed) {
  std::vector<AgentRole> roles(4);
  roles[0].calls = {RoleCall{1, 1, {}}};
  roles[1].calls = {RoleCall{2, 1, {}}, RoleCall{3, 1, {}}};
  roles[2].calls = {RoleCall{3, 1, {}}};
  EXPECT_TRUE(find_call_cycle(roles).empty());
  for (std::size_t i = 1; i < roles.size(); ++i) roles[i].arrival = AgentRole::Arrival::calls;
  EXPECT_EQ(longest_call_chain(roles), 3);  // 0 -> 1 -> 2 -> 3
  roles[3].calls = {RoleCall{1, 1, {}}};
  EXPECT_EQ(find_call_cycle(roles), (std::vector<int>{1, 2, 3, 1}));
  roles[3].calls = {RoleCall{3, 1, {}}};
  EXPECT_EQ(find_call_cycle(roles), (std::vector<int>{3, 3}));
}

// ---- the bundled economy through the scenario loader ----

// A small slice of agents-economy-vr-nvl72: 8 GPUs (4 replicas), 60 simulated seconds, 100 always-on analysts.
RunResult run_economy(std::vector<std::string> sets) {
  const app::Catalog catalog(std::filesystem::path(DCSIM_SOURCE_DIR) / "configs");
  std::vector<std::string> all = {"hardware.gpus=8", "workload.duration=60 s",
                                  "workload.populations.analyst.always_on.agents=100",
                                  "workload.populations.consumer.arrivals.rate=2"};
  all.insert(all.end(), sets.begin(), sets.end());
  const app::Scenario s = app::load_scenario(
      {std::filesystem::path(DCSIM_SOURCE_DIR) / "configs/scenarios/agents-economy-vr-nvl72.yaml", all, {}}, catalog);
  return run_agents(s.agents, *s.model, s.cluster, nullptr, s.seed);
}

TEST(AgentEconomy, RoleMetricsAddUp) {
  const RunResult r = run_economy({});
  const Metrics& m = r.metrics;
  // One token class per role, summing to the tokens of the window.
  double classes = 0, shares = 0;
  for (const char* role : {"consumer", "merchant", "supplier", "analyst"}) {
    classes += m.at(std::string("tokens_by_class.") + role);
    shares += m.at(std::string("role.") + role + ".gpu_share");
    EXPECT_GT(m.at(std::string("role.") + role + ".tasks"), 0) << role;
  }
  EXPECT_DOUBLE_EQ(classes, m.at("tokens"));
  EXPECT_NEAR(shares, 1.0, 1e-12);
  // Calls between roles: what the consumers made, the merchants received.
  EXPECT_EQ(m.at("role.consumer.calls_out"), m.at("call_graph.calls.consumer.merchant"));
  EXPECT_EQ(m.at("role.merchant.calls_in"), m.at("call_graph.calls.consumer.merchant"));
  EXPECT_EQ(m.at("call_graph.calls"),
            m.at("call_graph.calls.consumer.merchant") + m.at("call_graph.calls.merchant.supplier"));
  EXPECT_LE(m.at("call_graph.max_depth"), 2);
  // Work per joule: identities of the window's energy.
  EXPECT_NEAR(m.at("tasks_per_joule") * m.at("joules_per_task"), 1.0, 1e-12);
  EXPECT_NEAR(m.at("reference_tokens_per_joule"), m.at("tokens_per_joule"), 1e-12);  // efficiency 1
  EXPECT_NEAR(m.at("measured_s"), 60.0, 1e-9);
}

TEST(AgentEconomy, TokenEfficiencyKeepsReferenceTokensPerJoule) {
  // Half the tokens for the same work: tokens per joule falls, reference tokens (the unscaled answers, about 2 a
  // token: 2 x round(n / 2) is n to one token a call) do not.
  const RunResult full = run_economy({});
  const RunResult half = run_economy({"workload.token_efficiency=0.5"});
  EXPECT_NEAR(half.metrics.at("reference_tokens_per_joule"), 2 * half.metrics.at("tokens_per_joule"),
              0.005 * half.metrics.at("reference_tokens_per_joule"));
  EXPECT_LT(half.metrics.at("tokens_per_joule"), 0.7 * full.metrics.at("tokens_per_joule"));
  EXPECT_LT(half.metrics.at("joules_per_task"), full.metrics.at("joules_per_task"));
}

TEST(AgentEconomy, ANarrowServiceLimitQueuesItsCallers) {
  // One supplier at a time: merchants queue for it and hold their own slots while they wait.
  const RunResult wide = run_economy({});
  const RunResult narrow = run_economy({"workload.populations.supplier.max_in_service=1"});
  EXPECT_GT(narrow.metrics.at("role.supplier.queue_wait_s.mean"), 10 * wide.metrics.at("role.supplier.queue_wait_s.mean"));
  EXPECT_GT(narrow.metrics.at("role.merchant.task_latency_s.mean"), wide.metrics.at("role.merchant.task_latency_s.mean"));
}

TEST(AgentEconomy, PopulationsWithModelsOfTheirOwn) {
  // The Feynman economy: 16 single-GPU Llama-3-8B replicas for the consumers, and the 128 GPUs left hold two
  // 64-GPU DeepSeek-R1 replicas for everyone else.
  const app::Catalog catalog(std::filesystem::path(DCSIM_SOURCE_DIR) / "configs");
  const app::Scenario s = app::load_scenario(
      {std::filesystem::path(DCSIM_SOURCE_DIR) / "configs/scenarios/agents-economy-feynman-photonic.yaml",
       {"workload.duration=20 s", "workload.populations.analyst.always_on.agents=50"},
       {}},
      catalog);
  // One token class per population, for token_value to weigh.
  EXPECT_EQ(app::token_classes(s), (std::vector<std::string>{"consumer", "merchant", "supplier", "analyst"}));
  ASSERT_EQ(s.agents.own_pools.size(), 1u);
  EXPECT_EQ(s.agents.own_pools[0].model.name, "llama3-8b");
  EXPECT_EQ(s.agents.roles[0].pool, 1);
  EXPECT_EQ(s.agents.roles[1].pool, 0);
  const RunResult r = run_agents(s.agents, *s.model, s.cluster, nullptr, s.seed);
  EXPECT_EQ(r.metrics.at("replicas"), 18);
  EXPECT_GT(r.metrics.at("role.consumer.llm_calls"), 0);
}

TEST(AgentEconomy, APopulationsAlwaysOnBlockInheritsKeyByKey) {
  // The workload's always_on says hold and no stagger; a population that gives only its agents keeps both.
  const std::filesystem::path file = std::filesystem::temp_directory_path() / "dcsim_test_always_on_inherit.yaml";
  std::ofstream(file) << "name: x\nhardware: {system: vr-nvl72, count: 1}\nmodel: llama3-70b\nworkload:\n"
                         "  kind: agents\n  duration: 1 min\n  instance: {tp: 2, precision: fp8}\n"
                         "  always_on: {agents: 5, wake_interval: 30 s, between: hold, stagger: false}\n"
                         "  populations:\n    watcher: {arrivals: {process: always-on}, always_on: {agents: 7}}\n";
  const app::Catalog catalog(std::filesystem::path(DCSIM_SOURCE_DIR) / "configs");
  const app::Scenario s = app::load_scenario({file, {}, {}}, catalog);
  std::filesystem::remove(file);
  const AlwaysOn& on = s.agents.roles.at(0).always_on;
  EXPECT_EQ(on.agents, 7);
  EXPECT_EQ(on.between, KvPolicy::hold);
  EXPECT_FALSE(on.stagger);
  EXPECT_EQ(on.wake_interval_s.value, 30);
}

TEST(AgentEconomy, ALeadTeamAlwaysRuns) {
  // One root turn would end the task before its spawn turn: a lead with a team takes spawn_turn + 1 turns.
  sim::Simulator sim;
  FixedLlmService svc(sim, kBase, kPrefill, kDecode);
  AgentRole r = fixed_role("lead", 1);
  r.team = TeamMode{TeamMode::Kind::parallel, 3, 1};
  const AgentsWorkload w = economy({r});
  Swarm swarm(sim, w, svc, fixed_hw(), 1);
  swarm.start();
  sim.run();
  EXPECT_EQ(swarm.agents, 4);
  EXPECT_EQ(swarm.calls, 5);
}

TEST(AgentEconomy, SameSeedSameEconomy) {
  EXPECT_EQ(run_economy({}).engine.fingerprint, run_economy({}).engine.fingerprint);
}

}  // namespace
}  // namespace dcsim::wl::agents
