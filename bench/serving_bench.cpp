// Serving workload speed: the bundled one-hour scenario (configs/scenarios/serve-llama3-70b-1h-h100.yaml,
// 360,000 Poisson requests on 16 Llama-3-70B instances) and a 10-minute slice of it. docs/serving.md,
// "Performance", has the figures (goal: the hour in under 30 s wall on one core, memory bounded).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "app/catalog.hpp"
#include "app/scenario.hpp"
#include "workloads/serving/serving_workload.hpp"

namespace {

void run_hour(benchmark::State& state, const std::string& duration, std::vector<std::string> fleet = {}) {
  const auto catalog = dcsim::app::Catalog::open_default();
  dcsim::app::ScenarioRequest req;
  req.file = catalog.root() / "scenarios" / "serve-llama3-70b-1h-h100.yaml";
  req.sets = {"workload.duration=" + duration};
  req.sets.insert(req.sets.end(), fleet.begin(), fleet.end());
  const dcsim::app::Scenario s = dcsim::app::load_scenario(req, catalog);
  double requests = 0, events = 0;
  for (auto _ : state) {
    const auto r = dcsim::wl::run_serving(s.serving, *s.model, s.cluster, false, nullptr, s.seed);
    requests = r.metrics.at("requests");
    events = static_cast<double>(r.engine.events);
  }
  state.counters["requests"] = requests;
  state.counters["events"] = events;
  state.counters["requests_per_s"] = benchmark::Counter(requests, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_ServingLlama3_70B_10min(benchmark::State& state) { run_hour(state, "600 s"); }
void BM_ServingLlama3_70B_1h(benchmark::State& state) { run_hour(state, "3600 s"); }

// A fleet ten times larger (#19 item 5): 1,000 requests/s on 160 instances (80 nodes), 10 minutes (600,000
// requests). Its requests_per_s says how long a day (86.4 M requests) takes; the run's memory stays that of the
// requests in flight (docs/performance.md, "Serving at fleet scale").
void BM_ServingFleet1000rps_10min(benchmark::State& state) {
  run_hour(state, "600 s",
           {"workload.arrivals.rate=1000", "hardware.count=80", "workload.instance.count=160"});
}

BENCHMARK(BM_ServingLlama3_70B_10min)->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK(BM_ServingFleet1000rps_10min)->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK(BM_ServingLlama3_70B_1h)->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace
