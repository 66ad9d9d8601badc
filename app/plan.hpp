// `dcsim plan`: capacity planning. A scenario's `plan:` block names one integer knob (how many racks, nodes,
// instances...), its range and the targets every result must meet; the planner finds the smallest value that
// meets them all, assuming more of the knob never makes a target worse (it checks that assumption at both ends).
//
//   plan:
//     vary: hardware.count
//     range: [1, 64]
//     targets:
//       - {metric: ttft_s.p99, max: 2 s}      # units allowed where the metric has one (time: s)
//       - {metric: slo_attainment, min: 0.99}
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "app/catalog.hpp"
#include "app/config/node.hpp"
#include "app/scenario.hpp"
#include "workloads/metrics.hpp"

namespace dcsim::app {

struct PlanTarget {
  std::string metric;  // dotted metric key, e.g. "ttft_s.p99"
  std::optional<double> min, max;
};

struct PlanSpec {
  std::string vary;  // dotted scenario key holding an integer
  std::int64_t low = 1, high = 1;
  std::vector<PlanTarget> targets;
};

// Reads and checks the `plan:` block (a ConfigError at the offending key).
PlanSpec parse_plan(const ConfigNode& plan);

struct PlanPoint {
  std::int64_t value = 0;
  bool meets = false;
  std::vector<std::pair<std::string, double>> observed;  // each target's metric, in target order
};

struct PlanOutcome {
  PlanSpec spec;
  std::vector<PlanPoint> evaluated;  // in evaluation order
  std::optional<std::int64_t> chosen;
  Scenario scenario;                 // the chosen point's scenario (or the last evaluated one)
  wl::RunResult result;              // its result
};

// Runs the search. Throws BadInput when a target names a metric the workload does not report.
PlanOutcome run_plan(const ScenarioRequest& request, const Catalog& catalog, std::ostream& progress);

std::string format_plan(const PlanOutcome& outcome);

}  // namespace dcsim::app
