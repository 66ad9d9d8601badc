// Runs a loaded scenario: picks the workload, times the run, gathers optional artifacts (trace).
#pragma once

#include <iosfwd>
#include <string>

#include "app/scenario.hpp"
#include "sim/time.hpp"
#include "workloads/metrics.hpp"
#include "workloads/run_outputs.hpp"

namespace dcsim::app {

struct RunArtifacts {
  // A Chrome/Perfetto trace, streamed to trace_out as the run goes (bounded memory), of the events that overlap
  // [trace_start, trace_end) of simulated time.
  std::ostream* trace_out = nullptr;
  sim::Time trace_start = 0, trace_end = sim::kTimeMax;
  wl::RequestLog* requests = nullptr;  // one row per request or task (serving, agents)
  bool observe = false;  // collect what a report draws (RunResult::observed); costs run time when on
};

wl::RunResult run_scenario(const Scenario& scenario, RunArtifacts& artifacts);

// The metrics of one run as a CSV header and row (scenario, seed, then every metric by dotted key).
std::string single_run_csv(const RunIdentity& id, const wl::RunResult& result);

}  // namespace dcsim::app
