// Running validation cases through the same path as `dcsim run` (catalog, scenario, --set, run_scenario), and the
// per-group statistics of their errors. Error = simulated / published - 1 (for a range, against its midpoint).
#pragma once

#include <string>
#include <vector>

#include "app/catalog.hpp"
#include "app/validation/suite.hpp"

namespace dcsim::app::validation {

struct Outcome {
  Case c;
  double simulated = 0;  // in the published unit
  double error = 0;      // simulated / published - 1
  bool within_tolerance() const;
};

// Runs one case; `extra_sets` are applied after the case's own (the fitter varies constants this way).
// Throws ConfigError/BadInput when the case's scenario, overrides or metric are not valid.
Outcome evaluate(const Case& c, const Catalog& catalog, const std::vector<std::string>& extra_sets = {});

// The targets of a group's fit or check set (suite.hpp's constants).
struct Target {
  double median;
  double max;
};
Target target_of(const std::string& group, Role role);

struct GroupSummary {
  std::string group;
  Role role = Role::check;
  int cases = 0;
  int outside_tolerance = 0;
  double median_abs_error = 0;
  double max_abs_error = 0;
  std::string worst_case;
  bool meets_target() const;
};

// One row per (group, role) that has cases, groups in kGroups order, fit before check.
std::vector<GroupSummary> summarize(const std::vector<Outcome>& outcomes);

}  // namespace dcsim::app::validation
