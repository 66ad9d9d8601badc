// Agents workload speed: the bundled swarm (configs/scenarios/agents-swarm-vr-nvl72.yaml: 256 tasks, 128 in flight,
// ~3,600 concurrent agents on 36 replicas), a saturated one (1,024 tasks, 512 in flight, ~15,000 agents), the
// economy of four populations (agents-economy-vr-nvl72.yaml, 10 simulated minutes) and the always-on fleet
// (agents-always-on-fleet-vr-nvl72.yaml: 10,000 agents for one simulated hour; the target is under a
// minute). docs/agents.md and docs/performance.md give the wall times.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "app/catalog.hpp"
#include "app/scenario.hpp"
#include "workloads/agents/agents_workload.hpp"

namespace {

void run_swarm(benchmark::State& state, std::vector<std::string> sets,
               const char* scenario = "agents-swarm-vr-nvl72.yaml") {
  const auto catalog = dcsim::app::Catalog::open_default();
  dcsim::app::ScenarioRequest req;
  req.file = catalog.root() / "scenarios" / scenario;
  req.sets = std::move(sets);
  const dcsim::app::Scenario s = dcsim::app::load_scenario(req, catalog);
  double agents = 0, events = 0;
  for (auto _ : state) {
    const auto r = dcsim::wl::run_agents(s.agents, *s.model, s.cluster, nullptr, s.seed);
    agents = r.metrics.at("agents");
    events = static_cast<double>(r.engine.events);
  }
  state.counters["agents"] = agents;
  state.counters["events"] = events;
  state.counters["events_per_s"] = benchmark::Counter(events, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_AgentsSwarmVr(benchmark::State& state) { run_swarm(state, {}); }
void BM_AgentsSwarmVrSaturated(benchmark::State& state) {
  run_swarm(state, {"workload.tasks=1024", "workload.arrivals.concurrency=512"});
}

void BM_AgentsEconomyVr(benchmark::State& state) { run_swarm(state, {}, "agents-economy-vr-nvl72.yaml"); }
void BM_AgentsAlwaysOnFleet10kHour(benchmark::State& state) {
  run_swarm(state, {}, "agents-always-on-fleet-vr-nvl72.yaml");
}

BENCHMARK(BM_AgentsSwarmVr)->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK(BM_AgentsEconomyVr)->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK(BM_AgentsAlwaysOnFleet10kHour)->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK(BM_AgentsSwarmVrSaturated)->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace
