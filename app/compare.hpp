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
std::vector<std::string> run_mismatches(const nlohmann::ordered_json& base, const nlohmann::ordered_json& next);

// Both documents must be dcsim results (schema dcsim.result/1); throws std::invalid_argument otherwise.
Comparison compare_results(const nlohmann::ordered_json& base, const nlohmann::ordered_json& next,
                           double tolerance_pct);

// Every metric a line (`summary`: only the regressed and improved ones, with units), then the counts.
std::string format_comparison(const Comparison& c, double tolerance_pct, bool summary = false);

}  // namespace dcsim::app
