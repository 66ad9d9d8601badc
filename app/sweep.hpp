// `dcsim sweep`: runs every point of a scenario's sweep block, `jobs` at a time, and tabulates them. Each point
// is an independent, deterministic simulation, so the table is identical whatever `jobs` is.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "app/scenario.hpp"

namespace dcsim::app {

// CSV: one row per point in sweep order; columns point, the swept keys, then every metric (union over points, in
// order of first appearance). A progress line goes to `progress` once the sweep has run for over a second.
std::string run_sweep_csv(const std::vector<SweepPoint>& points, int jobs, std::ostream& progress);

}  // namespace dcsim::app
