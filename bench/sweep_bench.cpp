// Design-space sweeps (#19 item 3): the bundled 10,368-point Llama 3 70B sweep on H100
// (bench/scenarios/pretraining-design-space-h100.yaml), read once and every point checked
// (BM_SweepExpand: the per-point overhead), and read and run on one thread (BM_SweepRun: what a point costs with its
// simulation). Goals: under 0.5 ms of overhead a point; the whole sweep under 10 s on 2 cores; a valid configuration
// faster than Calculon's ~1.5 ms. items_per_second is points per second.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "app/catalog.hpp"
#include "app/scenario.hpp"
#include "app/sweep.hpp"

namespace {

dcsim::app::ScenarioRequest design_space() {
  return {std::filesystem::path(DCSIM_SOURCE_DIR) / "bench" / "scenarios" / "pretraining-design-space-h100.yaml", {}, {}};
}

void BM_SweepExpand(benchmark::State& state) {
  const dcsim::app::Catalog catalog(std::filesystem::path(DCSIM_SOURCE_DIR) / "configs");
  std::size_t points = 0;
  for (auto _ : state) {
    const auto expanded = dcsim::app::expand_sweep(design_space(), catalog, true);
    points = expanded.size();
    benchmark::DoNotOptimize(expanded.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * points));
  state.counters["points"] = static_cast<double>(points);
}
BENCHMARK(BM_SweepExpand)->Unit(benchmark::kMillisecond);

void BM_SweepRun(benchmark::State& state) {
  const dcsim::app::Catalog catalog(std::filesystem::path(DCSIM_SOURCE_DIR) / "configs");
  std::size_t points = 0, valid = 0;
  for (auto _ : state) {
    const auto expanded = dcsim::app::expand_sweep(design_space(), catalog, true);
    std::vector<std::size_t> all(expanded.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    std::ostringstream progress;
    std::vector<std::string> errors;
    const auto metrics = dcsim::app::run_sweep_points(expanded, all, 1, progress, "bench", &errors);
    points = expanded.size();
    valid = static_cast<std::size_t>(std::count(errors.begin(), errors.end(), std::string()));
    benchmark::DoNotOptimize(metrics.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * points));
  state.counters["points"] = static_cast<double>(points);
  state.counters["valid"] = static_cast<double>(valid);
}
BENCHMARK(BM_SweepRun)->Unit(benchmark::kMillisecond)->UseRealTime();  // the points run on a worker thread

}  // namespace
