// `dcsim compare BASE.json NEW.json --tolerance PCT`: regression detection that knows which way is better.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/metric_directions.hpp"

namespace dcsim::app {

// Which way a metric should move: its declared direction (app/metric_directions.hpp), neutral for a key no entry
// covers (such a change is labelled `direction unknown`).
Direction metric_direction(const std::string& dotted_key);

struct MetricChange {
  std::string key;
  double base = 0;
  double next = 0;
  double change_pct = 0;  // (next - base) / |base| * 100; +/-inf when base is 0 and next is not
  double spread_pct = 0;  // with several seeds a side: two standard errors of the difference, % of |base|
  Direction direction = Direction::neutral;
  bool declared = true;   // the metric has a declared direction
  bool missing = false;   // present in base, absent in new: a broken contract counts as a regression
  bool regressed = false;
  bool improved = false;  // moved in its better direction by more than the tolerance
};

struct Comparison {
  std::vector<MetricChange> changes;  // every metric of base, in base's order
  std::vector<std::string> added;     // metrics only in new (informative)
  int regressions() const;
  int improvements() const;
};

// What makes BASE and NEW different runs: scenario name, workload, system, seed and the scenario hash
// (provenance.scenario_hash, when both record one), one "key: base vs new" line each; empty when they match.
// `ignore_seed`: results of several seeds of one scenario (compare_result_sets; seeds set with --seed, which leaves
// the scenario hash alone).
std::vector<std::string> run_mismatches(const nlohmann::ordered_json& base, const nlohmann::ordered_json& next,
                                        bool ignore_seed = false);

// Both documents must be dcsim results (schema dcsim.result/1); throws std::invalid_argument otherwise.
Comparison compare_results(const nlohmann::ordered_json& base, const nlohmann::ordered_json& next,
                           double tolerance_pct);

// Every metric a line (`summary`: only the regressed and improved ones, with units), then the counts.
std::string format_comparison(const Comparison& c, double tolerance_pct, bool summary = false);

// Several seeds a side (stochastic workloads): base and next are each side's mean; a metric regresses (or improves)
// only when its mean moves beyond the tolerance *and* beyond two standard errors of the difference of the means
// (sample standard deviations over each side's seeds), so seed-to-seed noise is not a regression. One result a
// side is compare_results.
Comparison compare_result_sets(const std::vector<nlohmann::ordered_json>& bases,
                               const std::vector<nlohmann::ordered_json>& nexts, double tolerance_pct);

}  // namespace dcsim::app
