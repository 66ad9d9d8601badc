// The Pareto frontier of a sweep (`frontier: {x, y}` beside a `sweep:` block): the points that no other point
// beats on both metrics, as a capacity planner reads the tokens/s/GPU vs tokens/s/user picture (docs/cli.md,
// "sweep"). `dcsim sweep` adds a `frontier` column (1 on the frontier) and lists the frontier on stderr.
#pragma once

#include <string>
#include <vector>

#include "app/scenario.hpp"
#include "workloads/metrics.hpp"

namespace dcsim::app {

// front[i]: no j has x_j >= x_i and y_j >= y_i with one of them strictly better (in each goal's direction; equal
// points are both on it). O(n log n). Every value must be finite (sweep_frontier checks).
std::vector<bool> pareto_front(const std::vector<double>& x, const std::vector<double>& y, bool x_max, bool y_max);

// The frontier of the sweep's results; throws BadInput naming `frontier.x` or `frontier.y` when a point lacks
// that metric (with the metrics it has) or its value is not finite. Points with a non-empty errors[i] are left off.
std::vector<bool> sweep_frontier(const FrontierSpec& spec, const std::vector<SweepPoint>& points,
                                 const std::vector<wl::Metrics>& metrics, const std::vector<std::string>& errors = {});

// "frontier (x: tokens_per_s_per_user, y: tokens_per_s_per_gpu), 5 of 16 points:" then one line per frontier point,
// in order of x, naming its coordinates and both values.
std::string frontier_summary(const FrontierSpec& spec, const std::vector<SweepPoint>& points,
                             const std::vector<wl::Metrics>& metrics, const std::vector<bool>& front);

}  // namespace dcsim::app
