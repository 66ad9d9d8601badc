// Event-core throughput: hold model, PHOLD and coroutine delays (docs/performance.md has the figures).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "sim/process.hpp"
#include "sim/random.hpp"
#include "sim/simulator.hpp"

namespace {

using dcsim::sim::Process;
using dcsim::sim::RandomStream;
using dcsim::sim::Simulator;
using dcsim::sim::Time;

constexpr double kMeanIncrementPs = 1'000'000.0;  // 1 us

// Hold model: n pending events; each event schedules one successor at now + Exp(1 us), so n stays constant.
struct Hold {
  Simulator sim;
  RandomStream rng{42, "bench.hold"};
  void schedule_next() {
    sim.schedule_in(static_cast<Time>(rng.exponential(kMeanIncrementPs)), [this] { schedule_next(); });
  }
};

void BM_HoldModel(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  Hold h;
  for (std::size_t i = 0; i < n; ++i) h.schedule_next();
  // Warm up: let the key distribution reach its steady state before timing.
  for (std::size_t i = 0; i < 2 * n; ++i) h.sim.step();
  const std::uint64_t before = h.sim.events_executed();
  for (auto _ : state) h.sim.step();
  state.SetItemsProcessed(static_cast<std::int64_t>(h.sim.events_executed() - before));
  state.counters["pending"] = static_cast<double>(h.sim.pending());
}
BENCHMARK(BM_HoldModel)->Arg(1'000)->Arg(10'000)->Arg(100'000)->Arg(1'000'000);

// PHOLD (Fujimoto 1990): n logical processes, `per_lp` events each; an event at an LP sends one event to a uniformly
// chosen LP after lookahead + Exp(1 us).
struct Phold {
  Simulator sim;
  RandomStream rng{42, "bench.phold"};
  std::vector<std::uint64_t> received;
  Time lookahead = 100'000;  // 100 ns
  explicit Phold(std::size_t lps) : received(lps, 0) {}
  void send() {
    const auto dest = static_cast<std::uint32_t>(rng.below(received.size()));
    const Time dt = lookahead + static_cast<Time>(rng.exponential(kMeanIncrementPs));
    sim.schedule_in(dt, [this, dest] {
      ++received[dest];
      send();
    });
  }
};

void BM_Phold(benchmark::State& state) {
  const auto lps = static_cast<std::size_t>(state.range(0));
  const auto per_lp = static_cast<std::size_t>(state.range(1));
  Phold p(lps);
  for (std::size_t i = 0; i < lps * per_lp; ++i) p.send();
  for (std::size_t i = 0; i < 2 * lps * per_lp; ++i) p.sim.step();
  const std::uint64_t before = p.sim.events_executed();
  for (auto _ : state) p.sim.step();
  state.SetItemsProcessed(static_cast<std::int64_t>(p.sim.events_executed() - before));
}
BENCHMARK(BM_Phold)->Args({1024, 16})->Args({16384, 64});

Process ticker(Simulator& s, Time period) {
  for (;;) co_await s.delay(period);
}

// Coroutine overhead: n processes looping on co_await delay (each resume is one event).
void BM_CoroutineDelay(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  Simulator sim;
  RandomStream rng(42, "bench.coroutine");
  for (std::size_t i = 0; i < n; ++i) sim.spawn(ticker(sim, 500'000 + static_cast<Time>(rng.below(1'000'000))));
  for (std::size_t i = 0; i < 2 * n; ++i) sim.step();
  const std::uint64_t before = sim.events_executed();
  for (auto _ : state) sim.step();
  state.SetItemsProcessed(static_cast<std::int64_t>(sim.events_executed() - before));
}
BENCHMARK(BM_CoroutineDelay)->Arg(1'000)->Arg(100'000);

// Schedule + cancel churn (timeouts that never fire), with a steady background of 10k pending events.
void BM_ScheduleCancel(benchmark::State& state) {
  Hold h;
  for (int i = 0; i < 10'000; ++i) h.schedule_next();
  for (auto _ : state) {
    const auto id = h.sim.schedule_in(5 * dcsim::sim::kMillisecond, [] {});
    h.sim.step();
    h.sim.cancel(id);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_ScheduleCancel);

}  // namespace
