// `dcsim plan`: capacity planning. A scenario's `plan:` block names one knob (how many racks, nodes,
// instances...; or a load such as a request rate), its range and the targets every result must meet; the planner
// finds the smallest value that meets them all, assuming more of the knob never makes a target worse, or with
// `goal: largest` the largest, assuming more never makes one better (MLPerf Server: the highest request rate that
// meets the latency limits). It checks the assumption at both ends and bisects between them; an integer knob to
// 1, a real one (`resolution:`) until the bracket is no wider than the resolution.
//
//   plan:
//     vary: hardware.count
//     range: [1, 64]
//     targets:
//       - {metric: ttft_s.p99, max: 2 s}      # units allowed where the metric has one (time: s)
//       - {metric: slo_attainment, min: 0.99}
//     grid:                                    # optional: other knobs, every combination searched
//       workload.instance.tp: [4, 8]
//       workload.instance.precision: [fp8, bf16]
//
// Several knobs at once: a grid over the others and the bisection over `vary` in each combination (an exhaustive
// grid, not a smarter search: each combination costs a bisection, ~log2(range) runs). The answer is the combination
// with the smallest (goal: largest, the largest) value of `vary` that meets the targets; among equals, the one with
// the most tokens per joule, then the first in grid order. A grid value may be a whole block (a mapping), so that
// layouts that differ in shape, such as colocated against disaggregated serving, are alternatives of one axis
// (`workload: [{...colocated...}, {...disaggregated...}]`). A combination the scenario cannot take is a miss.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "app/catalog.hpp"
#include "app/config/node.hpp"
#include "app/schema/reader.hpp"
#include "app/scenario.hpp"
#include "workloads/metrics.hpp"

namespace dcsim::app {

struct PlanTarget {
  std::string metric;  // dotted metric key, e.g. "ttft_s.p99"
  std::optional<double> min, max;
};

struct PlanSpec {
  std::string vary;  // dotted scenario key holding a number
  double low = 1, high = 1;
  bool largest = false;   // goal: largest (more of the knob never helps) instead of smallest
  double resolution = 0;  // 0: an integer knob, bisected to 1; else a real one, bisected to this width
  // The vary key's dimension when it is a quantity (a time, a bandwidth): the range and resolution are written with
  // units, values are held in SI and given to the scenario in its base unit ("0.003 s"). Such a knob is real.
  std::optional<Dimension> unit;
  std::vector<PlanTarget> targets;
  // grid: (dotted key, its values as YAML flow text to --set), in file order; the first key varies slowest.
  std::vector<std::pair<std::string, std::vector<std::string>>> grid;
};

// One combination of the grid and the answer of its search.
struct PlanGridResult {
  std::vector<std::pair<std::string, std::string>> values;  // (key, value as set), in grid order
  std::optional<double> chosen;
  double tokens_per_joule = 0;  // of its chosen point (0 when it has none or reports none)
  std::string reason;           // why it has no answer: a miss at every value, or could not run
};

// Reads and checks the `plan:` block (a ConfigError at the offending key).
PlanSpec parse_plan(const schema::Reader& plan);

struct PlanPoint {
  double value = 0;
  bool meets = false;
  std::string reason;  // why the point could not run at all (a configuration that does not fit): a miss
  std::vector<std::pair<std::string, double>> observed;  // each target's metric, in target order
};

struct PlanOutcome {
  PlanSpec spec;
  std::vector<PlanPoint> evaluated;  // in evaluation order
  std::optional<double> chosen;
  int systems_in_use = 0;            // the chosen point rerun on only the systems it uses (0: it used them all)
  Scenario scenario;                 // the chosen point's scenario (or the last evaluated one)
  wl::RunResult result;              // its result
  std::vector<PlanGridResult> grid;  // with a grid: every combination, in grid order; `evaluated` is the best's
  std::size_t grid_chosen = 0;       // index of the best combination in `grid`
};

// Runs the search. Throws BadInput when a target names a metric the workload does not report.
PlanOutcome run_plan(const ScenarioRequest& request, const Catalog& catalog, std::ostream& progress);

std::string format_plan(const PlanOutcome& outcome);
// A knob value as the scenario takes it: an integer without decimals, a real with up to 6 significant digits.
std::string format_plan_value(const PlanSpec& spec, double value);
// The dimension of a scenario key declared as a quantity (workload.cpu.per_call: a time), from app/schema;
// nullopt for keys of other types, and for keys the workloads declare with different dimensions.
std::optional<Dimension> quantity_dimension(const std::string& dotted_key);

}  // namespace dcsim::app
