// Serving workload speed: the bundled one-hour scenario (configs/scenarios/serve-llama3-70b-1h-h100.yaml,
// 360,000 Poisson requests on 16 Llama-3-70B instances) and a 10-minute slice of it. docs/serving.md,
// "Performance", has the figures (goal: the hour in under 30 s wall on one core, memory bounded).
#include <benchmark/benchmark.h>

#include <string>

#include "app/catalog.hpp"
#include "app/scenario.hpp"
#include "workloads/serving/serving_workload.hpp"

namespace {

void run_hour(benchmark::State& state, const std::string& duration) {
  const auto catalog = dcsim::app::Catalog::open_default();
  dcsim::app::ScenarioRequest req;
  req.file = catalog.root() / "scenarios" / "serve-llama3-70b-1h-h100.yaml";
  req.sets = {"workload.duration=" + duration};
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

BENCHMARK(BM_ServingLlama3_70B_10min)->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK(BM_ServingLlama3_70B_1h)->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace
