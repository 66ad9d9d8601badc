// The hold model of bench/event_core_bench.cpp (BM_HoldModel) on ns-3's event core, for a side-by-side measurement
// (#19 item 4; bench/ns3/compare.sh builds and runs both): N pending events; each event schedules one successor at
// now + Exp(1 us) in picoseconds, so N stays constant. Warmed up by 2N events, then timed over EVENTS events.
// Usage: hold_model PENDING EVENTS [map|heap|calendar|list]   (ns-3's default scheduler is the map)
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "ns3/core-module.h"

namespace {

std::mt19937_64 rng(42);
std::exponential_distribution<double> increment_ps(1.0 / 1'000'000.0);  // mean 1 us, in picoseconds
std::uint64_t executed = 0;
std::uint64_t stop_at = 0;

void Handle() {
  ns3::Simulator::Schedule(ns3::PicoSeconds(static_cast<std::int64_t>(increment_ps(rng))), &Handle);
  if (++executed == stop_at) ns3::Simulator::Stop();  // one stop event per window: negligible against millions
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s PENDING EVENTS [map|heap|calendar|list]\n", argv[0]);
    return 2;
  }
  const std::uint64_t pending = std::strtoull(argv[1], nullptr, 10);
  const std::uint64_t events = std::strtoull(argv[2], nullptr, 10);
  const std::string kind = argc > 3 ? argv[3] : "map";
  ns3::Time::SetResolution(ns3::Time::PS);  // dcsim's resolution
  ns3::ObjectFactory factory;
  factory.SetTypeId(kind == "heap"       ? "ns3::HeapScheduler"
                    : kind == "calendar" ? "ns3::CalendarScheduler"
                    : kind == "list"     ? "ns3::ListScheduler"
                                         : "ns3::MapScheduler");
  ns3::Simulator::SetScheduler(factory);
  for (std::uint64_t i = 0; i < pending; ++i) {
    ns3::Simulator::Schedule(ns3::PicoSeconds(static_cast<std::int64_t>(increment_ps(rng))), &Handle);
  }
  stop_at = 2 * pending;  // warm-up
  ns3::Simulator::Run();
  stop_at = executed + events;
  const auto start = std::chrono::steady_clock::now();
  ns3::Simulator::Run();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("ns3_hold/%s/%llu events_per_s=%.4g events=%llu seconds=%.3f\n", kind.c_str(),
              static_cast<unsigned long long>(pending), static_cast<double>(events) / seconds,
              static_cast<unsigned long long>(events), seconds);
  ns3::Simulator::Destroy();
  return 0;
}
