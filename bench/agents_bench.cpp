// Agents workload speed: the bundled swarm (configs/scenarios/agents-swarm-vr-nvl72.yaml: 256 tasks, 128 in flight,
// ~3,300 concurrent agents on 36 replicas) and a saturated one (1,024 tasks, 512 in flight, ~14,500 agents).
// docs/agents.md gives the wall times.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "app/catalog.hpp"
#include "app/scenario.hpp"
#include "workloads/agents/agents_workload.hpp"

namespace {

void run_swarm(benchmark::State& state, std::vector<std::string> sets) {
  const auto catalog = dcsim::app::Catalog::open_default();
  dcsim::app::ScenarioRequest req;
  req.file = catalog.root() / "scenarios" / "agents-swarm-vr-nvl72.yaml";
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

BENCHMARK(BM_AgentsSwarmVr)->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK(BM_AgentsSwarmVrSaturated)->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace
