// Runs a loaded scenario: picks the workload, times the run, gathers optional artifacts (trace).
#pragma once

#include <string>

#include "app/scenario.hpp"
#include "workloads/metrics.hpp"

namespace dcsim::app {

struct RunArtifacts {
  bool trace = false;      // in: record a Chrome/Perfetto trace
  std::string trace_json;  // out
};

wl::RunResult run_scenario(const Scenario& scenario, RunArtifacts& artifacts);

// The metrics of one run as a CSV header and row (scenario, seed, then every metric by dotted key).
std::string single_run_csv(const RunIdentity& id, const wl::RunResult& result);

}  // namespace dcsim::app
