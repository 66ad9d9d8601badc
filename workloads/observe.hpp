// Turning the simulator's collectors into the bounded observations a report draws (observations.hpp).
#pragma once

#include <string>

#include "sim/binned_series.hpp"
#include "sim/stats.hpp"
#include "workloads/observations.hpp"

namespace dcsim::wl {

// The series' bins up to `end`.
ObservedSeries observe_series(std::string name, std::string unit, const sim::BinnedSeries& s, sim::Time end);
// `points` evenly spaced quantiles from 0 to 1 (numpy's linear rule, sim::SampleSet::quantile); none when empty.
ObservedDistribution observe_distribution(std::string name, std::string unit, const sim::SampleSet& s,
                                          int points = 101);

}  // namespace dcsim::wl
