// The work budget (#18): before a scenario runs, a lower bound on the events and memory it needs, refused (a
// ConfigError at the key that drives it, exit 2) when over the budget, so no accepted input can run for hours or
// exhaust memory. The bound is deliberately low (events and bytes every run of that shape needs at least); what it
// misses the run-time guard catches: every simulation stops at Scenario::max_events events (sim/event_budget.hpp).
// Figures measured on the bundled scenarios (docs/cli.md, "Work budget").
#pragma once

#include <cstdint>

#include "app/config/node.hpp"
#include "app/scenario.hpp"

namespace dcsim::app {

struct WorkEstimate {
  double events = 0;  // at least this many events
  double bytes = 0;   // at least this much memory held at once
  std::string driver;  // what drives it, for the message: "rate x duration = 3.6e9 requests"
  std::string key;     // the workload key (dotted under workload) the message points at
  double seconds = 0;  // at least this much simulated time (against the 106-day horizon of sim::Time)
};

// The estimate for a parsed scenario's workload.
WorkEstimate estimate_work(const Scenario& s);

// Throws ConfigError at `blame` (the workload node, or the key that drives the estimate) when the estimate is over
// `max_events` or `max_bytes`.
void check_work_budget(const Scenario& s, const ConfigNode& workload, std::uint64_t max_events, double max_bytes);

}  // namespace dcsim::app
