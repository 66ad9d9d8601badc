// `dcsim sweep --report PATH.html` and `dcsim plan --report PATH.html`: self-contained pages (inline SVG; the
// sweep page adds a small inline script, no network) that show what a table of points says.
//
// Sweep: the Pareto frontier when the scenario names one (`frontier: {x, y}`) or when the points report serving's
// tokens/s/GPU and tokens/s/user (InferenceX's picture: every point marked, the frontier's joined and labelled by
// the values that make the point, e.g. "instance.tp=4, instances=2"); an explorer that plots any column against any
// other (linear or log), drawn first without the script; and the table of points.
// Plan: each target's metric against the knob with the target's bound, every evaluated point marked as meeting or
// missing it and the answer ringed; with a grid, every combination's answer and tokens per joule.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "app/plan.hpp"
#include "app/scenario.hpp"

namespace dcsim::app {

// `csv`: the sweep's CSV (sweep.hpp); `swept`: the swept keys, the columns after `point`.
std::string render_sweep_report(const std::string& title, const std::string& csv, const std::vector<std::string>& swept,
                                const std::optional<FrontierSpec>& frontier);

std::string render_plan_report(const PlanOutcome& outcome);

}  // namespace dcsim::app
